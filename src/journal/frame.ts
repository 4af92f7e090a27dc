// Journal framing: one record per line, `<crc32 hex8> <json>\n`, so a torn or corrupt tail is detected on replay.
import { crc32 } from 'node:zlib';
import type { JournalRecord } from './records.js';

const NEWLINE = 0x0a;
const SPACE = 0x20;
const HEX = 8;

const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');

function writeHex8(out: Buffer, at: number, value: number): void {
  for (let h = 0; h < HEX; h++) out[at + h] = HEX_DIGITS[(value >>> (28 - 4 * h)) & 15];
}

/** Node's own UTF-8 writer under Buffer#write (stable since Node 0.x, used by msgpackr): skips write()'s argument checks. */
type Utf8Writer = Buffer & { utf8Write?: (text: string, offset: number) => number };

/** Frames many records' JSON texts (from JSON.stringify) as journal lines, in one buffer. */
export function frameJsonLines(jsons: readonly string[]): Buffer {
  let bound = 0;
  for (let k = 0; k < jsons.length; k++) bound += HEX + 2 + 3 * jsons[k].length; // UTF-8 needs at most 3 bytes per UTF-16 unit
  const out: Utf8Writer = Buffer.allocUnsafe(bound);
  const fast = typeof out.utf8Write === 'function';
  let at = 0;
  for (let k = 0; k < jsons.length; k++) {
    const start = at + HEX + 1;
    const n = fast ? out.utf8Write!(jsons[k], start) : out.write(jsons[k], start);
    writeHex8(out, at, crc32(out.subarray(start, start + n)));
    out[at + HEX] = SPACE;
    out[start + n] = NEWLINE;
    at = start + n + 1;
  }
  return out.subarray(0, at);
}

/** Frames one record as a journal line. */
export function frameRecord(record: JournalRecord): string {
  return frameJsonLines([JSON.stringify(record)]).toString('utf8');
}

/** A bad line with good records after it: corruption in the middle, set aside and reported, never a torn tail. */
export interface CorruptLine {
  /** Byte offset of the line in the journal, and its bytes (without the newline). */
  offset: number;
  bytes: Buffer;
}

/** Records read from a journal, and how many leading bytes held them intact. */
export interface ParsedJournal {
  records: JournalRecord[];
  /** Bytes up to the end of the last intact record: everything after it is a torn tail. */
  validBytes: number;
  /** Bytes after the last intact record (an unterminated last line, or the last group commit torn): dropped on replay. */
  droppedBytes: number;
  /** Bad lines followed by good records: corruption, kept out of replay (the good records after them are kept). */
  corrupt: CorruptLine[];
}

/**
 * Calls `onRecord` with each intact record in order and `onCorrupt` with each bad line that has an intact record
 * after it; returns the length up to the end of the last intact record. Only what follows the last intact record
 * (an unterminated last line, or a torn last group commit) is a torn tail: a bad line in the middle is corruption,
 * and the good records after it are kept.
 */
export function scanJournal(
  bytes: Buffer,
  onRecord: (record: JournalRecord) => void,
  onCorrupt?: (line: CorruptLine) => void,
): number {
  let pos = 0;
  let validEnd = 0;
  let bad: CorruptLine[] = [];
  while (pos < bytes.length) {
    const eol = bytes.indexOf(NEWLINE, pos);
    if (eol < 0) break;
    const record = parseLine(bytes, pos, eol);
    if (record === null) {
      bad.push({ offset: pos, bytes: bytes.subarray(pos, eol) });
    } else {
      if (bad.length > 0) {
        for (const b of bad) onCorrupt?.(b);
        bad = [];
      }
      onRecord(record);
      validEnd = eol + 1;
    }
    pos = eol + 1;
  }
  return validEnd;
}

/** Parses journal bytes: the intact records, the corrupt lines between them, and the torn tail's size. */
export function parseJournal(bytes: Buffer): ParsedJournal {
  const records: JournalRecord[] = [];
  const corrupt: CorruptLine[] = [];
  const validBytes = scanJournal(
    bytes,
    (r) => records.push(r),
    (c) => corrupt.push(c),
  );
  return { records, validBytes, droppedBytes: bytes.length - validBytes, corrupt };
}

const HEX_VALUE = new Int8Array(256).fill(-1);
for (let d = 0; d < 16; d++) {
  HEX_VALUE['0123456789abcdef'.charCodeAt(d)] = d;
  HEX_VALUE['0123456789ABCDEF'.charCodeAt(d)] = d;
}

/** The 8 hex digits at `at` as a number, or -1 when one is not a hex digit. */
function readHex8(bytes: Buffer, at: number): number {
  let value = 0;
  for (let h = 0; h < HEX; h++) {
    const digit = HEX_VALUE[bytes[at + h]];
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

function parseLine(bytes: Buffer, start: number, end: number): JournalRecord | null {
  if (end - start < HEX + 3 || bytes[start + HEX] !== SPACE) return null;
  const expected = readHex8(bytes, start);
  if (expected < 0 || crc32(bytes.subarray(start + HEX + 1, end)) !== expected) return null;
  try {
    const value = JSON.parse(bytes.toString('utf8', start + HEX + 1, end)) as JournalRecord;
    return typeof value === 'object' && value !== null && typeof value.t === 'string' ? value : null;
  } catch {
    return null;
  }
}
