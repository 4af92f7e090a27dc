// The yargs definitions of `yoda run` and `yoda serve` (one set of options); the work itself is in run.ts.
import type { Argv } from 'yargs';
import { defineCommand } from './command.js';
import { runCommand } from './run.js';
import { checkBooleanFlags, RUN_DEFAULTS, runOptionsFrom } from '../runtime/options.js';
import { holdStopSignals } from '../runtime/signals.js';

/** The options `yoda run` and `yoda serve` share: where the job lives, timing, logging, network. */
export function jobOptions(y: Argv) {
  return y
    .positional('jobfile', { type: 'string', demandOption: true, describe: 'job file (YAML or JSON)' })
    .option('workdir', {
      alias: 'w',
      type: 'string',
      describe: "work directory: journal, logs, outputs (default: the job file's workdir, else ./<name>.work)",
    })
    .option('fresh', {
      type: 'boolean',
      default: false,
      describe: 'the work directory holds another job: set its journal aside and start this one from scratch',
    })
    .option('grace', {
      type: 'string',
      default: String(RUN_DEFAULTS.grace),
      describe: 'seconds in-flight ranges get to finish after SIGUSR1/SIGTERM/SIGINT (a second signal stops at once)',
    })
    .option('heartbeat', {
      type: 'string',
      describe: 'seconds between heartbeats (default: 2, or a third of --droid-timeout when shorter)',
    })
    .option('droid-timeout', {
      type: 'string',
      default: String(RUN_DEFAULTS.droidTimeout),
      describe: 'seconds of silence after which a Droid is declared lost',
    })
    .option('progress', {
      type: 'string',
      default: String(RUN_DEFAULTS.progress),
      describe: 'seconds between progress lines in the log',
    })
    .option('log-level', {
      type: 'string',
      default: RUN_DEFAULTS.logLevel,
      choices: ['debug', 'info', 'warn', 'error'],
    })
    .option('quiet', {
      alias: 'q',
      type: 'boolean',
      default: false,
      describe: 'log only to the work directory, not to the terminal',
    })
    .option('interface', {
      type: 'string',
      describe:
        "network interface (ib0, hsn0) or IP address Yoda binds on (default: the address this node's hostname resolves to)",
    })
    .option('deadline', {
      type: 'string',
      describe:
        'when the allocation ends (ISO 8601 date-time such as 2026-11-22T06:00:00Z, or epoch seconds); default: asked from Slurm (squeue) or PBS (qstat)',
    })
    .option('margin', {
      type: 'string',
      default: String(RUN_DEFAULTS.margin),
      describe: 'seconds before the deadline by which every range must be finished and the journal flushed',
    })
    .option('rendezvous-timeout', {
      type: 'string',
      default: String(RUN_DEFAULTS.rendezvousTimeout),
      describe: "seconds a rank waits for Yoda's endpoint in the work directory (and Yoda for its first Droid)",
    })
    .option('insecure', {
      type: 'boolean',
      default: false,
      describe:
        'turn off CURVE authentication between Yoda and Droids (debugging only: anyone who can reach the port could then take ranges)',
    });
}

/** `yoda run <jobfile> [options]`. */
export const runCli = defineCommand({
  command: 'run <jobfile>',
  describe: 'run a job, or resume it from its work directory',
  builder: (y) =>
    jobOptions(y)
      .option('retry-fatal', {
        type: 'boolean',
        default: false,
        describe: 'keep every done range and give the fatal ranges fresh attempts (after fixing what made them fail)',
      })
      .option('rerun-missing', {
        type: 'boolean',
        default: false,
        describe: 'run again the done ranges whose outputs were deleted (yoda status lists them)',
      })
      .option('allow-shared-node', {
        type: 'boolean',
        default: false,
        describe: 'allow several ranks on one node (normally one yoda per node: srun --ntasks-per-node=1)',
      }),
  handler: (a) => {
    // A stop signal from the very first moment is recorded, not fatal (exit 4 with a message, see runtime/signals.ts).
    holdStopSignals();
    checkBooleanFlags(process.argv.slice(2), [
      'fresh',
      'retry-fatal',
      'quiet',
      'insecure',
      'allow-shared-node',
      'rerun-missing',
    ]);
    return runCommand(runOptionsFrom(a));
  },
});
