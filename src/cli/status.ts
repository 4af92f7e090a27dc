// `yoda status`: where a job stands, from its work directory, while it runs or after it ended.
import { readStatus } from '../status/job-status.js';
import { statusTable } from './summary.js';

/** Prints the status of the job in `workdir`, as a table or as JSON. */
export function statusCommand(o: { workdir: string; json: boolean }): number {
  const s = readStatus(o.workdir);
  process.stdout.write(o.json ? `${JSON.stringify(s, null, 2)}\n` : `${statusTable(s)}\n`);
  return 0;
}
