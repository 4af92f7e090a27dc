import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { frameRecord, parseJournal } from '../../../src/journal/frame.js';
import { replay, RangeState } from '../../../src/journal/replay.js';
import type { JournalRecord } from '../../../src/journal/records.js';
import { JournalWriter } from '../../../src/journal/writer.js';

const done = (i: number, end = 10): JournalRecord => ({
  t: 'done',
  i,
  id: `f:${i}`,
  out: [`/o/${i}`],
  cpu: 1.5,
  wall: 2,
  start: 0,
  end,
  droid: 'd',
  node: 'n',
  slot: 0,
  attempt: 1,
});
const fail = (i: number, fatal: boolean): JournalRecord => ({
  t: 'fail',
  i,
  id: `f:${i}`,
  attempt: 1,
  code: 'ERR_X',
  msg: 'm',
  droid: 'd',
  node: 'n',
  slot: 0,
  start: 0,
  end: 1,
  fatal,
});
const records: JournalRecord[] = [
  { t: 'job', hash: 'h', name: 'j', ranges: 4, events: 40, at: 1 },
  { t: 'run', run: 1, at: 2, host: 'h', pid: 3 },
  { t: 'assign', at: 3, droid: 'd', r: [0, 1, 2, 3], a: [1, 1, 1, 1] },
  done(0),
  fail(1, false),
  fail(2, true),
  { t: 'end', run: 1, at: 9, outcome: 'drained', exit: 4 },
];

describe('journal framing', () => {
  it('round-trips records, including non-ASCII text', () => {
    const rs: JournalRecord[] = [
      ...records,
      { ...fail(3, false), msg: 'événement ✓ "quoted"\nnewline' } as JournalRecord,
    ];
    const bytes = Buffer.from(rs.map(frameRecord).join(''), 'utf8');
    const parsed = parseJournal(bytes);
    expect(parsed.records).toEqual(rs);
    expect(parsed.droppedBytes).toBe(0);
  });

  it('gives a valid earlier state when the last record is cut at every byte offset', () => {
    const head = records.slice(0, -1).map(frameRecord).join('');
    const last = frameRecord(records.at(-1)!);
    const headBytes = Buffer.byteLength(head);
    for (let cut = 0; cut < Buffer.byteLength(last); cut++) {
      const bytes = Buffer.concat([Buffer.from(head), Buffer.from(last).subarray(0, cut)]);
      const parsed = parseJournal(bytes);
      expect(parsed.records).toEqual(records.slice(0, -1));
      expect(parsed.validBytes).toBe(headBytes);
      expect(parsed.droppedBytes).toBe(cut);
    }
  });

  it('sets a corrupt record in the middle (checksum mismatch) aside and keeps every good record after it', () => {
    const lines = records.map(frameRecord);
    lines[3] = lines[3].replace('"cpu":1.5', '"cpu":9.5');
    const parsed = parseJournal(Buffer.from(lines.join('')));
    expect(parsed.records).toEqual([...records.slice(0, 3), ...records.slice(4)]);
    expect(parsed.corrupt.map((c) => c.offset)).toEqual([Buffer.byteLength(lines.slice(0, 3).join(''))]);
    expect(parsed.corrupt[0].bytes.toString()).toBe(lines[3].trimEnd());
    expect(parsed.droppedBytes).toBe(0);
  });

  it('calls only what follows the last good record a torn tail, even when it is several bad lines', () => {
    const lines = records.map(frameRecord);
    const bad = lines.at(-1)!.replace('"exit":4', '"exit":5');
    const bytes = Buffer.from([...lines.slice(0, -1), bad, 'garbage\n', 'half'].join(''));
    const parsed = parseJournal(bytes);
    expect(parsed.records).toEqual(records.slice(0, -1));
    expect(parsed.corrupt).toEqual([]);
    expect(parsed.droppedBytes).toBe(Buffer.byteLength(bad) + 'garbage\nhalf'.length);
  });
});

describe('journal replay', () => {
  it('folds records into the fate of every range', () => {
    const s = replay(records, 4);
    expect([...s.state]).toEqual([RangeState.done, RangeState.ready, RangeState.fatal, RangeState.assigned]);
    expect([...s.failures]).toEqual([0, 1, 1, 0]);
    expect(s.counts).toEqual({ ready: 1, assigned: 1, done: 1, fatal: 1 });
    expect(s.lastEnd?.outcome).toBe('drained');
    expect(s.cpuSeconds).toBe(1.5);
  });

  it('treats what a killed run held as ready when the next run starts, and counts a duplicate done', () => {
    const s = replay([...records, { t: 'run', run: 2, at: 20, host: 'h', pid: 4 }, done(0), done(3)], 4);
    expect(s.runs).toBe(2);
    expect(s.lastEnd).toBeNull();
    expect(s.counts).toEqual({ ready: 1, assigned: 0, done: 2, fatal: 1 });
    expect(s.duplicateDone).toBe(1);
  });
});

describe('journal writer', () => {
  it('appends with group commit and cuts a torn tail before appending', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'yoda-journal-'));
    const path = join(dir, 'journal.log');
    const first = records.slice(0, 3).map(frameRecord).join('');
    writeFileSync(path, first + frameRecord(records[3]).slice(0, 20)); // a torn tail
    const w = await JournalWriter.open(path, Buffer.byteLength(first));
    await Promise.all(records.slice(3).map((r) => w.append([r])));
    await w.close();
    const parsed = parseJournal(readFileSync(path));
    expect(parsed.records).toEqual(records);
    expect(parsed.droppedBytes).toBe(0);
    expect(w.stats.records).toBe(4);
    expect(w.stats.batches).toBeLessThan(4); // several appends shared an fsync
  });
});
