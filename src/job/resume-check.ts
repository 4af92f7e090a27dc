// Before a resume: say what no longer matches the journal (outputs gone, inputs changed); and the journal records
// that --retry-fatal and --rerun-missing ask for, which Yoda writes under its lease with its run record.
import { replayJournalFile } from '../journal/read.js';
import type { JournalRecord } from '../journal/records.js';
import { retryFatalRecord, type JournalState } from '../journal/replay.js';
import { workdirPaths } from '../workdir/paths.js';
import { checkIntegrity, integrityAdvice, redoMissing } from './integrity.js';
import type { JobDescription } from './workdir.js';

const say = (line: string) => process.stderr.write(`yoda: ${line}\n`);

/** Warns about missing outputs and changed inputs (read only: nothing is written). */
export function warnBeforeResume(workdir: string, d: JobDescription): void {
  const { parsed, state } = replayJournalFile(workdirPaths(workdir).journal, d.totalRanges);
  for (const line of integrityAdvice(checkIntegrity(d, state, parsed), workdirPaths(workdir).root))
    say(`warning: ${line}`);
}

/**
 * The records --retry-fatal (fatal ranges get fresh attempts) and --rerun-missing (done ranges whose outputs are gone
 * run again) ask for, from the journal as replayed, how many ranges they reopen, and what to tell the user.
 */
export function requestedRecords(
  workdir: string,
  d: JobDescription,
  state: JournalState,
  o: { retryFatal: boolean; rerunMissing: boolean },
): { records: JournalRecord[]; reopened: number; lines: string[] } {
  const now = Date.now();
  const records: JournalRecord[] = [];
  const lines: string[] = [];
  let reopened = 0;
  if (o.rerunMissing) {
    const { parsed } = replayJournalFile(workdirPaths(workdir).journal, d.totalRanges, true);
    const redo = redoMissing(d, state, parsed, now);
    if (redo) {
      records.push(redo.record);
      reopened += redo.record.r.length;
      const eg = `${redo.ranges.slice(0, 5).join(', ')}${redo.ranges.length > 5 ? ', ...' : ''}`;
      lines.push(`--rerun-missing: ${redo.ranges.length} done range(s) lost their output and will run again (${eg})`);
    } else lines.push('--rerun-missing: every done range still has its output');
  }
  if (o.retryFatal) {
    const retry = retryFatalRecord(state, now);
    if (retry) records.push(retry);
    reopened += retry?.r.length ?? 0;
    lines.push(`--retry-fatal: ${retry?.r.length ?? 0} fatal range(s) get fresh attempts`);
  }
  return { records, reopened, lines };
}
