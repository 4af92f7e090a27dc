// The journal's fast paths give the same bytes, records and state as the simple ones.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { frameJsonLines, frameRecord, parseJournal } from '../../../src/journal/frame.js';
import { replayJournalFile } from '../../../src/journal/read.js';
import { replay } from '../../../src/journal/replay.js';
import type { JournalRecord } from '../../../src/journal/records.js';
import { JournalWriter } from '../../../src/journal/writer.js';

const done = (i: number, id = `f:${i}`): JournalRecord => ({
  t: 'done',
  i,
  id,
  out: [`/o/${i}`],
  cpu: 1.5,
  wall: 2,
  start: 0,
  end: 10 + i,
  droid: 'd',
  node: 'n',
  slot: 0,
  attempt: 1,
});
const records: JournalRecord[] = [
  { t: 'job', hash: 'h', name: 'j', ranges: 4, events: 40, at: 1 },
  { t: 'run', run: 1, at: 2, host: 'h', pid: 3 },
  { t: 'assign', at: 3, droid: 'd', r: [0, 1, 2, 3], a: [1, 1, 1, 1] },
  done(0, 'événement ✓ "quoted"\nnewline 𝄞'),
  done(1),
  { t: 'release', at: 4, r: [2], why: 'lost' },
];

function tempJournal(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'yoda-journal-fast-')), 'journal.log');
  writeFileSync(path, text);
  return path;
}

describe('journal fast paths', () => {
  it('frames a batch exactly as frameRecord frames each record, non-ASCII included', () => {
    const batch = frameJsonLines(records.map((r) => JSON.stringify(r)));
    expect(batch.equals(Buffer.from(records.map(frameRecord).join(''), 'utf8'))).toBe(true);
    expect(parseJournal(batch).records).toEqual(records);
  });

  it('replays a file in one pass to the same state, and still gives the records when asked', () => {
    const text = records.map(frameRecord).join('');
    const path = tempJournal(text + frameRecord(done(3)).slice(0, 25)); // a torn tail
    for (const keep of [false, true]) {
      const { parsed, state } = replayJournalFile(path, 4, keep);
      expect(state).toEqual(replay(records, 4));
      expect(parsed.validBytes).toBe(Buffer.byteLength(text));
      expect(parsed.droppedBytes).toBe(25);
      expect(parsed.records).toEqual(records);
    }
    expect(replayJournalFile(join(tmpdir(), 'no-such-journal.log'), 2).state.counts.ready).toBe(2);
  });

  it('settles every append of one batch together, and each later batch after it', async () => {
    const path = tempJournal('');
    const w = await JournalWriter.open(path, 0);
    const first = w.append(records.slice(0, 2));
    const same = records.slice(2).map((r) => w.append([r]));
    await Promise.all([first, ...same, w.append([])]);
    await w.close();
    expect(parseJournal(readFileSync(path)).records).toEqual(records);
    expect(w.stats.records).toBe(records.length);
    expect(w.stats.batches).toBeLessThanOrEqual(3);
  });
});
