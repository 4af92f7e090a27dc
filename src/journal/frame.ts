// Journal framing: one record per line, `<crc32 hex8> <json>\n`, so a torn or corrupt tail is detected on replay.
import { crc32 } from 'node:zlib';
import type { JournalRecord } from './records.js';

const NEWLINE = 0x0a;
const SPACE = 0x20;
const HEX = 8;

/** Frames one record as a journal line. */
export function frameRecord(record: JournalRecord): string {
  const json = JSON.stringify(record);
  const crc = crc32(Buffer.from(json, 'utf8')).toString(16).padStart(HEX, '0');
  return `${crc} ${json}\n`;
}

/** Records read from a journal, and how many leading bytes held them intact. */
export interface ParsedJournal {
  records: JournalRecord[];
  validBytes: number;
  /** Bytes after the last intact record (a torn tail, or corruption): dropped on replay. */
  droppedBytes: number;
}

/** Parses journal bytes, stopping at the first incomplete or corrupt line. */
export function parseJournal(bytes: Buffer): ParsedJournal {
  const records: JournalRecord[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const eol = bytes.indexOf(NEWLINE, pos);
    if (eol < 0) break;
    const record = parseLine(bytes, pos, eol);
    if (record === null) break;
    records.push(record);
    pos = eol + 1;
  }
  return { records, validBytes: pos, droppedBytes: bytes.length - pos };
}

function parseLine(bytes: Buffer, start: number, end: number): JournalRecord | null {
  if (end - start < HEX + 3 || bytes[start + HEX] !== SPACE) return null;
  const expected = Number.parseInt(bytes.toString('latin1', start, start + HEX), 16);
  if (Number.isNaN(expected)) return null;
  const json = bytes.subarray(start + HEX + 1, end);
  if (crc32(json) !== expected) return null;
  try {
    const value = JSON.parse(json.toString('utf8')) as JournalRecord;
    return typeof value === 'object' && value !== null && typeof value.t === 'string' ? value : null;
  } catch {
    return null;
  }
}
