// `yoda status`: where a job stands, from its work directory, while it runs or after it ended.
import { readStatus, type JobState } from '../status/job-status.js';
import { EXIT, type ExitCode } from '../util/errors.js';
import { statusTable } from './summary.js';
import { allocationsTable } from '../status/allocations.js';
import { defineCommand } from './command.js';
import { integrityAdvice } from '../job/integrity.js';

/** The exit code of `yoda status --exit-code` for each job state: the code of the job (the batch scripts exit with it). */
export const STATE_EXIT: Record<JobState, ExitCode> = {
  complete: EXIT.complete,
  fatal: EXIT.fatal,
  stopped: EXIT.stopped,
  interrupted: EXIT.stopped,
  running: EXIT.stopped, // read after this allocation's ranks ended: the job goes on elsewhere, ranges are left
  failed: EXIT.failed,
  new: EXIT.badInput,
};

/** Prints the status of the job in `workdir`, as a table or as JSON; with `exitCode`, returns the job's exit code. */
export function statusCommand(o: { workdir: string; json: boolean; exitCode?: boolean }): number {
  const s = readStatus(o.workdir);
  process.stdout.write(o.json ? `${JSON.stringify(s, null, 2)}\n` : `${statusTable(s)}\n`);
  if (!o.json && s.allocations.some((a) => a.launch !== null))
    process.stdout.write(`\n${allocationsTable(s.allocations).join('\n')}\n`);
  if (!o.json)
    for (const line of integrityAdvice(s.integrity, s.job.workdir)) process.stdout.write(`warning: ${line}\n`);
  return o.exitCode ? STATE_EXIT[s.state] : 0;
}

/** `yoda status <workdir> [--json]`. */
export const statusCli = defineCommand({
  command: 'status <workdir>',
  describe: 'show where a job stands (works while it runs and after it ended)',
  builder: (y) =>
    y
      .positional('workdir', { type: 'string', demandOption: true, describe: 'the work directory of the job' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object for scripts' })
      .option('exit-code', {
        type: 'boolean',
        default: false,
        describe:
          "exit with the job's code: 0 complete, 3 fatal ranges, 4 stopped or running elsewhere with ranges left, 5 failed, 2 never ran",
      }),
  handler: (a) => statusCommand({ workdir: a.workdir, json: a.json, exitCode: a['exit-code'] }),
});
