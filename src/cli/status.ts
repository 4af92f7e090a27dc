// `yoda status`: where a job stands, from its work directory, while it runs or after it ended.
import { readStatus } from '../status/job-status.js';
import { statusTable } from './summary.js';
import { defineCommand } from './command.js';

/** Prints the status of the job in `workdir`, as a table or as JSON. */
export function statusCommand(o: { workdir: string; json: boolean }): number {
  const s = readStatus(o.workdir);
  process.stdout.write(o.json ? `${JSON.stringify(s, null, 2)}\n` : `${statusTable(s)}\n`);
  return 0;
}

/** `yoda status <workdir> [--json]`. */
export const statusCli = defineCommand({
  command: 'status <workdir>',
  describe: 'show where a job stands (works while it runs and after it ended)',
  builder: (y) =>
    y
      .positional('workdir', { type: 'string', demandOption: true, describe: 'the work directory of the job' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object for scripts' }),
  handler: (a) => statusCommand({ workdir: a.workdir, json: a.json }),
});
