// The yargs definition of `yoda run`; the work itself is in run.ts.
import { defineCommand } from './command.js';
import { runCommand } from './run.js';

/** `yoda run <jobfile> [options]`. */
export const runCli = defineCommand({
  command: 'run <jobfile>',
  describe: 'run a job, or resume it from its work directory',
  builder: (y) =>
    y
      .positional('jobfile', { type: 'string', demandOption: true, describe: 'job file (YAML or JSON)' })
      .option('workdir', { alias: 'w', type: 'string', describe: "work directory: journal, logs, outputs (default: the job file's workdir, else ./<name>.work)" })
      .option('fresh', { type: 'boolean', default: false, describe: 'the work directory holds another job: set its journal aside and start this one from scratch' })
      .option('grace', { type: 'number', default: 60, describe: 'seconds in-flight ranges get to finish after SIGUSR1/SIGTERM/SIGINT (a second signal stops at once)' })
      .option('heartbeat', { type: 'number', default: 2, describe: 'seconds between heartbeats' })
      .option('droid-timeout', { type: 'number', default: 10, describe: 'seconds of silence after which a Droid is declared lost' })
      .option('progress', { type: 'number', default: 30, describe: 'seconds between progress lines in the log' })
      .option('log-level', { type: 'string', default: 'info', choices: ['debug', 'info', 'warn', 'error'] })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'log only to the work directory, not to the terminal' })
      .option('interface', { type: 'string', describe: "network interface (ib0, hsn0) or IP address Yoda binds on (default: the address this node's hostname resolves to)" })
      .option('deadline', { type: 'string', describe: 'when the allocation ends (ISO date-time or epoch seconds); default: asked from Slurm (squeue) or PBS (qstat)' })
      .option('margin', { type: 'number', default: 60, describe: 'seconds before the deadline by which every range must be finished and the journal flushed' })
      .option('rendezvous-timeout', { type: 'number', default: 300, describe: "seconds a rank waits for Yoda's endpoint in the work directory (and Yoda for its first Droid)" })
      .option('insecure', { type: 'boolean', default: false, describe: 'turn off CURVE authentication between Yoda and Droids (debugging only: anyone who can reach the port could then take ranges)' })
      .option('allow-shared-node', { type: 'boolean', default: false, describe: 'allow several ranks on one node (normally one yoda per node: srun --ntasks-per-node=1)' }),
  handler: (a) =>
    runCommand({
      jobfile: a.jobfile, workdir: a.workdir, fresh: a.fresh, grace: a.grace, heartbeat: a.heartbeat,
      droidTimeout: a['droid-timeout'], progress: a.progress, logLevel: a['log-level'], quiet: a.quiet,
      interface: a.interface, deadline: a.deadline, margin: a.margin, rendezvousTimeout: a['rendezvous-timeout'],
      allowSharedNode: a['allow-shared-node'], insecure: a.insecure,
    }),
});
