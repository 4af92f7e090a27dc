// The yargs definition of `yoda serve`: Yoda only, no Droid and no payload on this node (a service node, a 1-core
// allocation). Droids come from `yoda run` of other allocations on the same work directory (they join the live Yoda).
import { defineCommand } from './command.js';
import { runCommand } from './run.js';
import { checkBooleanFlags, RUN_DEFAULTS, runOptionsFrom } from '../runtime/options.js';
import { holdStopSignals } from '../runtime/signals.js';

/** `yoda serve <jobfile> [options]`. */
export const serveCli = defineCommand({
  command: 'serve <jobfile>',
  describe:
    'run Yoda only (no Droid, no payload on this node): Droids of `yoda run` on the same work directory join it',
  builder: (y) =>
    y
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
        describe: 'when the allocation ends (ISO 8601 date-time or epoch seconds); default: asked from Slurm or PBS',
      })
      .option('margin', {
        type: 'string',
        default: String(RUN_DEFAULTS.margin),
        describe: 'seconds before the deadline by which every range must be finished and the journal flushed',
      })
      .option('rendezvous-timeout', {
        type: 'string',
        default: String(RUN_DEFAULTS.rendezvousTimeout),
        describe: 'seconds Yoda waits for a Droid to join (at start and after the last one left)',
      })
      .option('insecure', {
        type: 'boolean',
        default: false,
        describe: 'turn off CURVE authentication between Yoda and Droids (debugging only)',
      }),
  handler: (a) => {
    holdStopSignals();
    checkBooleanFlags(process.argv.slice(2), ['fresh', 'quiet', 'insecure']);
    return runCommand(runOptionsFrom(a), 'serve');
  },
});
