// Reads a journal file from disk (the one place that does) and replays it.
import { existsSync, readFileSync } from 'node:fs';
import { parseJournal, scanJournal, type CorruptLine, type ParsedJournal } from './frame.js';
import { emptyJournalState, foldRecord, unfenced, type JournalState } from './replay.js';
import type { JournalRecord } from './records.js';

function readBytes(path: string): Buffer {
  return existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
}

/** The records of the journal at `path` that replay honours (no late writes of deposed Yodas); absent: empty. */
export function readJournal(path: string): ParsedJournal {
  const parsed = parseJournal(readBytes(path));
  return { ...parsed, records: unfenced(parsed.records) };
}

/**
 * The journal at `path` folded into the fate of every one of `ranges` ranges, in one pass that keeps no records
 * unless `keepRecords`: a resuming Yoda needs only the state, and a million parsed records cost more to keep than
 * to parse. Without `keepRecords`, `parsed.records` parses the intact bytes again on first use.
 */
export function replayJournalFile(
  path: string,
  ranges: number,
  keepRecords = false,
): { parsed: ParsedJournal; state: JournalState } {
  const bytes = readBytes(path);
  const state = emptyJournalState(ranges);
  let records: JournalRecord[] | null = keepRecords ? [] : null;
  const corrupt: CorruptLine[] = [];
  const validBytes = scanJournal(
    bytes,
    (r) => {
      const fenced = state.fenced;
      foldRecord(state, r);
      if (state.fenced === fenced) records?.push(r);
    },
    (c) => corrupt.push(c),
  );
  const parsed: ParsedJournal = {
    validBytes,
    droppedBytes: bytes.length - validBytes,
    corrupt,
    get records() {
      return (records ??= unfenced(parseJournal(bytes.subarray(0, validBytes)).records));
    },
  };
  return { parsed, state };
}
