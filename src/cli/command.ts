// The shape of one `yoda` subcommand, so main.ts can list them all and take their exit codes.
import type { Argv } from 'yargs';

/** One subcommand: its yargs definition and a handler that returns the exit code. */
export interface YodaCommand<A = Record<string, unknown>> {
  command: string;
  describe: string;
  builder: (y: Argv) => Argv<A>;
  handler: (args: A) => Promise<number> | number;
}

/** Helps TypeScript infer a command's argument type from its builder. */
export function defineCommand<A>(c: YodaCommand<A>): YodaCommand<A> {
  return c;
}
