// `yoda run --retry-fatal`: every done range stays done; the fatal ranges get fresh attempts (a `retry` record).
import { replayJournalFile } from '../journal/read.js';
import { retryFatalRecord } from '../journal/replay.js';
import { JournalWriter } from '../journal/writer.js';
import { workdirPaths } from '../workdir/paths.js';
import type { JobDescription } from './workdir.js';

/** Journals that the fatal ranges run again, with maxAttempts fresh attempts; returns how many. */
export async function markFatalForRetry(workdir: string, d: JobDescription): Promise<number> {
  const path = workdirPaths(workdir).journal;
  const { parsed, state } = replayJournalFile(path, d.totalRanges, true);
  const record = retryFatalRecord(state, Date.now());
  if (!record) return 0;
  // Written with the newest epoch in the journal, so replay (which ignores records of deposed Yodas) honours it.
  const epoch = parsed.records.reduce((e, r) => Math.max(e, (r as { e?: number }).e ?? 0), 0);
  const writer = await JournalWriter.open(path, parsed.validBytes);
  try {
    await writer.append([{ ...record, ...(epoch > 0 ? { e: epoch } : {}) }]);
  } finally {
    await writer.close();
  }
  return record.r.length;
}
