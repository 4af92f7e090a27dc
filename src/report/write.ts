// Reads a work directory (job.json, journal.log) and writes its report: the HTML page and the JSON beside it.
import { mkdirSync } from 'node:fs';
import { writeFileAtomic } from '../workdir/atomic.js';
import { basename, dirname, resolve } from 'node:path';
import { readJournal } from '../journal/read.js';
import { planOf, requireJobDescription } from '../job/workdir.js';
import { workdirPaths } from '../workdir/paths.js';
import { buildReport } from './build.js';
import { errnoOf, YodaError } from '../util/errors.js';
import { readStatus } from '../status/job-status.js';
import { renderReportHtml } from './html.js';
import { readPrefetchSummary } from '../droid/prefetch-file.js';
import type { ReportModel } from './model.js';

/** Where the page and its JSON go: `out` (default <workdir>/report.html) and the same name ending in .json. */
function reportPaths(workdir: string, out?: string): { html: string; json: string } {
  const html = resolve(out ?? workdirPaths(workdir).report);
  const json = /\.html?$/i.test(html) ? html.replace(/\.html?$/i, '.json') : `${html}.json`;
  return { html, json };
}

/** The report model of the job in `workdir`; errors (BAD_USAGE) when the directory holds no job. */
function readReport(workdir: string, now = new Date()): ReportModel {
  const p = workdirPaths(workdir);
  const description = requireJobDescription(workdir);
  const plan = planOf(description);
  const { records } = readJournal(p.journal);
  const lastRunInterrupted = readStatus(workdir).state === 'interrupted';
  return buildReport({
    description,
    workdir: p.root,
    records,
    eventsOf: (i) => (i < plan.total ? plan.eventsOf(i) : 0),
    now,
    lastRunInterrupted,
    prefetch: readPrefetchSummary(workdir),
  });
}

function writeAtomically(path: string, text: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileAtomic(path, text);
  } catch (e) {
    const code = errnoOf(e);
    const why =
      code === 'EROFS'
        ? 'the file system is read-only'
        : code === 'ENOSPC'
          ? 'the file system is full'
          : code === 'EACCES'
            ? 'no permission to write there'
            : (e as Error).message;
    throw new YodaError(
      'WORKDIR_UNUSABLE',
      `cannot write the report ${path}: ${why}; give --out a place you can write to`,
      { path, errno: code },
      e,
    );
  }
}

/** Writes the report of `workdir` to `out` (and its JSON beside it); returns the model and the paths. */
export function writeReport(workdir: string, out?: string): { model: ReportModel; html: string; json: string } {
  const model = readReport(workdir);
  const paths = reportPaths(workdir, out);
  writeAtomically(paths.json, `${JSON.stringify(model, null, 1)}\n`);
  writeAtomically(paths.html, renderReportHtml(model, basename(paths.json)));
  return { model, ...paths };
}
