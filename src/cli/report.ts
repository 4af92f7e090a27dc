// `yoda report`: one self-contained HTML page (timeline, utilization, throughput, failures) and its JSON.
import { writeReport } from '../report/write.js';
import { defineCommand } from './command.js';

/** Writes the report of the job in `workdir` and says where it went. */
export function reportCommand(o: { workdir: string; out?: string }): number {
  const { model, html, json } = writeReport(o.workdir, o.out);
  const t = model.totals;
  process.stdout.write(
    `report of job ${model.job.name}: ${t.rangesDone}/${model.job.totalRanges} ranges done, ${t.failedAttempts} failed attempt(s), ${t.runs} run(s)\n` +
      `  ${html}\n  ${json}\n`,
  );
  return 0;
}

/** `yoda report <workdir> [--out report.html]`. */
export const reportCli = defineCommand({
  command: 'report <workdir>',
  describe: 'write an HTML report (timeline per worker, utilization, throughput, failures) and its JSON',
  builder: (y) =>
    y
      .positional('workdir', { type: 'string', demandOption: true, describe: 'the work directory of the job' })
      .option('out', {
        type: 'string',
        describe: 'the HTML file to write (default <workdir>/report.html); the JSON goes beside it, ending in .json',
      }),
  handler: (a) => reportCommand({ workdir: a.workdir, out: a.out }),
});
