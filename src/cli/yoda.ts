// The `yoda` command line: the subcommands listed in `commands`, exit codes, and error reporting (loaded by main.ts).
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { runCli } from './run-command.js';
import { serveCli } from './serve.js';
import { statusCli } from './status.js';
import { reportCli } from './report.js';
import { planCli } from './plan.js';
import { outputsCli } from './outputs.js';
import { fillCli } from './fill.js';
import type { YodaCommand } from './command.js';
import { EXIT, EXIT_HELP, exitCodeFor } from '../util/errors.js';

const EPILOG = `Exit codes of "yoda run":\n${EXIT_HELP.map(([code, what]) => `  ${code}  ${what}`).join('\n')}`;

// Every subcommand; add new ones here.
const commands = [
  runCli,
  serveCli,
  statusCli,
  reportCli,
  planCli,
  outputsCli,
  fillCli,
] as unknown as YodaCommand<never>[];

async function main(argv: string[]): Promise<number> {
  let code = EXIT.complete as number;
  await yargs(argv)
    .scriptName('yoda')
    .parserConfiguration({ 'duplicate-arguments-array': false })
    .usage(
      '$0 <command> [options]\n\nRuns event-parallel jobs inside an HPC allocation: Yoda (rank 0) hands out event ranges, a Droid on every node feeds payload workers, and every finished range is recorded so a killed job resumes where it stopped.',
    )
    .command(
      commands.map((c) => ({
        command: c.command,
        describe: c.describe,
        builder: c.builder,
        handler: async (a: never) => {
          code = await c.handler(a);
        },
      })),
    )
    .demandCommand(1, 'name a command: run, serve, fill, status, outputs, report or plan')
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
