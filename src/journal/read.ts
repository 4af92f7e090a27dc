// Reads a journal file from disk (the one place that does) and replays it.
import { existsSync, readFileSync } from 'node:fs';
import { parseJournal, type ParsedJournal } from './frame.js';
import { replay, type JournalState } from './replay.js';

/** The records of the journal at `path`; an absent file is an empty journal. */
export function readJournal(path: string): ParsedJournal {
  if (!existsSync(path)) return { records: [], validBytes: 0, droppedBytes: 0 };
  return parseJournal(readFileSync(path));
}

/** The journal at `path` folded into the fate of every one of `ranges` ranges. */
export function replayJournalFile(path: string, ranges: number): { parsed: ParsedJournal; state: JournalState } {
  const parsed = readJournal(path);
  return { parsed, state: replay(parsed.records, ranges) };
}
