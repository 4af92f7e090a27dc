#!/usr/bin/env node
// The `yoda` command line: run, status.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { runCommand } from './run.js';
import { statusCommand } from './status.js';
import { EXIT, exitCodeFor } from './exit-codes.js';

const EPILOG = `Exit codes of "yoda run":
  0  every range done
  2  bad command line, job file, input or work directory (nothing was started)
  3  finished, but some ranges are fatal (they failed on every attempt)
  4  stopped early (signal or time limit) with ranges left: run the same command again to resume
  5  the run failed (payload cannot start, Droids lost, journal unwritable): see the log, fix, run again
  1  internal error (a bug: please report it with logs/ from the work directory)`;

async function main(argv: string[]): Promise<number> {
  let code = EXIT.complete as number;
  await yargs(argv)
    .scriptName('yoda')
    .usage('$0 <command> [options]\n\nRuns event-parallel jobs inside an HPC allocation: Yoda (rank 0) hands out event ranges, a Droid on every node feeds payload workers, and every finished range is recorded so a killed job resumes where it stopped.')
    .command(
      'run <jobfile>',
      'run a job, or resume it from its work directory',
      (y) =>
        y
          .positional('jobfile', { type: 'string', demandOption: true, describe: 'job file (YAML or JSON)' })
          .option('workdir', { alias: 'w', type: 'string', describe: "work directory: journal, logs, outputs (default: the job file's workdir, else ./<name>.work)" })
          .option('fresh', { type: 'boolean', default: false, describe: 'the work directory holds another job: set its journal aside and start this one from scratch' })
          .option('grace', { type: 'number', default: 60, describe: 'seconds in-flight ranges get to finish after SIGUSR1/SIGTERM/SIGINT (a second signal stops at once)' })
          .option('heartbeat', { type: 'number', default: 2, describe: 'seconds between heartbeats' })
          .option('droid-timeout', { type: 'number', default: 10, describe: 'seconds of silence after which a Droid is declared lost' })
          .option('progress', { type: 'number', default: 30, describe: 'seconds between progress lines in the log' })
          .option('log-level', { type: 'string', default: 'info', choices: ['debug', 'info', 'warn', 'error'] })
          .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'log only to the work directory, not to the terminal' }),
      async (a) => {
        code = await runCommand({
          jobfile: a.jobfile, workdir: a.workdir, fresh: a.fresh, grace: a.grace, heartbeat: a.heartbeat,
          droidTimeout: a['droid-timeout'], progress: a.progress, logLevel: a['log-level'], quiet: a.quiet,
        });
      },
    )
    .command(
      'status <workdir>',
      'show where a job stands (works while it runs and after it ended)',
      (y) =>
        y
          .positional('workdir', { type: 'string', demandOption: true, describe: 'the work directory of the job' })
          .option('json', { type: 'boolean', default: false, describe: 'print one JSON object for scripts' }),
      (a) => {
        code = statusCommand({ workdir: a.workdir, json: a.json });
      },
    )
    .demandCommand(1, 'name a command: run or status')
    .strict()
    .epilog(EPILOG)
    .help()
    .version()
    .fail((msg, err) => {
      if (err) throw err;
      process.stderr.write(`yoda: ${msg}\nTry: yoda --help\n`);
      process.exit(EXIT.badInput);
    })
    .parseAsync();
  return code;
}

main(hideBin(process.argv)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    const code = exitCodeFor(e);
    process.stderr.write(`yoda: ${(e as Error).message}\n`);
    if (code === EXIT.internal) process.stderr.write(`${(e as Error).stack ?? ''}\n`);
    process.exit(code);
  },
);
