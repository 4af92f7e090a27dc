// Corrupt journal lines (a bad line between good ones) are set aside in journal.corrupt, once each, for a person to read.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { CorruptLine } from './frame.js';

/** One line of journal.corrupt: where the bad line sits in journal.log, its length, and its bytes (base64). */
export interface SetAsideLine {
  offset: number;
  length: number;
  base64: string;
  at: string;
}

/** Offsets already set aside in `path`. */
function knownOffsets(path: string): Set<number> {
  const known = new Set<number>();
  if (!existsSync(path)) return known;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    try {
      known.add((JSON.parse(line) as SetAsideLine).offset);
    } catch {
      // a torn last line of journal.corrupt itself: ignore
    }
  }
  return known;
}

/** Appends the corrupt lines not yet in `path` (journal.corrupt); returns how many were new. Replay never reads it. */
export function setAsideCorrupt(path: string, lines: readonly CorruptLine[]): number {
  if (lines.length === 0) return 0;
  const known = knownOffsets(path);
  const fresh = lines.filter((l) => !known.has(l.offset));
  if (fresh.length === 0) return 0;
  const at = new Date().toISOString();
  appendFileSync(
    path,
    fresh
      .map(
        (l) =>
          `${JSON.stringify({ offset: l.offset, length: l.bytes.length, base64: l.bytes.toString('base64'), at })}\n`,
      )
      .join(''),
  );
  return fresh.length;
}
