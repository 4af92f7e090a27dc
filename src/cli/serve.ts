// The yargs definition of `yoda serve`: Yoda only, no Droid and no payload on this node (a service node, a 1-core
// allocation). Droids come from `yoda run` of other allocations on the same work directory (they join the live Yoda).
import { defineCommand } from './command.js';
import { runCommand } from './run.js';
import { jobOptions } from './run-command.js';
import { checkBooleanFlags, runOptionsFrom } from '../runtime/options.js';
import { holdStopSignals } from '../runtime/signals.js';

/** `yoda serve <jobfile> [options]`: the options of `yoda run` that do not concern a Droid. */
export const serveCli = defineCommand({
  command: 'serve <jobfile>',
  describe:
    'run Yoda only (no Droid, no payload on this node): Droids of `yoda run` on the same work directory join it',
  builder: jobOptions,
  handler: (a) => {
    holdStopSignals();
    checkBooleanFlags(process.argv.slice(2), ['fresh', 'quiet', 'insecure']);
    return runCommand(runOptionsFrom(a), 'serve');
  },
});
