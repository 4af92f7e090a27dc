// Replay stays a pure fold when two Yodas wrote one journal: records of a deposed (older) epoch that come after a newer
// epoch's records are ignored, so each range is done at most once whatever the interleaving.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { frameRecord, parseJournal } from '../../../src/journal/frame.js';
import { replay, RangeState, unfenced } from '../../../src/journal/replay.js';
import { readJournal, replayJournalFile } from '../../../src/journal/read.js';
import type { JournalRecord } from '../../../src/journal/records.js';
import { JournalWriter } from '../../../src/journal/writer.js';
import { isYodaError } from '../../../src/util/errors.js';

const done = (i: number, e: number): JournalRecord => ({
  t: 'done',
  i,
  id: `f:${i}`,
  out: [`/o/${i}.e${e}`],
  cpu: 1,
  wall: 1,
  start: 0,
  end: 1,
  droid: `d${e}`,
  node: 'n',
  slot: 0,
  attempt: 1,
  e,
});
const assign = (r: number[], e: number): JournalRecord => ({
  t: 'assign',
  at: 1,
  droid: `d${e}`,
  r,
  a: r.map(() => 1),
  e,
});
const run = (n: number, e: number, takeover = false): JournalRecord => ({
  t: 'run',
  run: n,
  at: n,
  host: 'h',
  pid: n,
  launch: `slurm:${n}.0`,
  epoch: e,
  takeover,
  e,
});

describe('journal replay across epochs', () => {
  it('ignores the late writes of a deposed Yoda, whatever their kind', () => {
    const records: JournalRecord[] = [
      { t: 'job', hash: 'h', name: 'j', ranges: 4, events: 40, at: 0, e: 1 },
      run(1, 1),
      assign([0, 1, 2], 1),
      done(0, 1),
      run(2, 2, true), // the new Yoda's run record comes first: ranges 1 and 2 go back to ready
      assign([1], 2),
      done(1, 2),
      // the old Yoda wakes up and writes before it notices: all ignored
      done(1, 1),
      done(2, 1),
      {
        t: 'fail',
        i: 3,
        id: 'f:3',
        attempt: 1,
        code: 'ERR_X',
        msg: 'm',
        droid: 'd1',
        node: 'n',
        slot: 0,
        start: 0,
        end: 1,
        fatal: true,
        e: 1,
      },
      { t: 'end', run: 1, at: 9, outcome: 'failed', exit: 5, e: 1 },
      assign([2, 3], 2),
    ];
    const s = replay(records, 4);
    expect([...s.state]).toEqual([RangeState.done, RangeState.done, RangeState.assigned, RangeState.assigned]);
    expect(s.duplicateDone).toBe(0);
    expect(s.fenced).toBe(4);
    expect(s.epoch).toBe(2);
    expect(s.lastEnd).toBeNull(); // the deposed Yoda's end record does not end the run of epoch 2
    expect(s.lastRun).toEqual(expect.objectContaining({ epoch: 2, takeover: true }));
    expect(s.failures[3]).toBe(0);
  });

  it('counts records of journals written before leases (no e) as epoch 0, and keeps them when a lease-era run follows', () => {
    const old: JournalRecord[] = [
      { t: 'job', hash: 'h', name: 'j', ranges: 2, events: 20, at: 0 },
      { t: 'run', run: 1, at: 1, host: 'h', pid: 1 },
      { t: 'assign', at: 1, droid: 'd', r: [0], a: [1] },
      {
        t: 'done',
        i: 0,
        id: 'f:0',
        out: ['/o/0'],
        cpu: 1,
        wall: 1,
        start: 0,
        end: 1,
        droid: 'd',
        node: 'n',
        slot: 0,
        attempt: 1,
      },
    ];
    const s = replay([...old, run(2, 1), done(1, 1)], 2);
    expect(s.counts.done).toBe(2);
    expect(s.fenced).toBe(0);
  });

  it("gives every range at most one done, for every interleaving of two epochs' done records", () => {
    // Epoch 1 and epoch 2 both report ranges 0..3 done; any merge of the two sequences (keeping each one's order).
    const a = [0, 1, 2, 3].map((i) => done(i, 1));
    const b = [run(2, 2, true), ...[3, 2, 1, 0].map((i) => done(i, 2))];
    const merges: JournalRecord[][] = [];
    const walk = (i: number, j: number, acc: JournalRecord[]) => {
      if (i === a.length && j === b.length) return void merges.push(acc);
      if (i < a.length) walk(i + 1, j, [...acc, a[i]]);
      if (j < b.length) walk(i, j + 1, [...acc, b[j]]);
    };
    walk(0, 0, []);
    expect(merges.length).toBe(126);
    for (const m of merges) {
      const s = replay([run(1, 1), ...m], 4);
      expect(s.counts.done).toBe(4);
      // every epoch-1 record after the new run record is ignored, never counted as a duplicate
      const late = m.slice(m.findIndex((r) => r.t === 'run')).filter((r) => r.e === 1).length;
      expect(s.fenced).toBe(late);
      // the epoch-1 dones written before run 2 stay done; epoch 2's done of those ranges is discarded as a duplicate
      expect(s.duplicateDone).toBe(4 - late);
      // replaying the same bytes twice gives the same state: a pure fold
      expect([...replay([run(1, 1), ...m], 4).state]).toEqual([...s.state]);
    }
  });
});

describe('journal writer fencing', () => {
  it('stamps every record with its epoch and refuses a batch once a newer epoch exists', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'yoda-fence-')), 'journal.log');
    const w = await JournalWriter.open(path, 0);
    let deposed = false;
    w.fenceWith(3, () => (deposed ? 'lost the lease' : null));
    await w.append([run(1, 3), assign([0], 3)]);
    deposed = true;
    const refused = await w.append([done(0, 3)]).catch((e: unknown) => e);
    expect(isYodaError(refused, 'LEASE_LOST')).toBe(true);
    await w.close();
    const records = parseJournal(readFileSync(path)).records;
    expect(records.map((r) => [r.t, r.e])).toEqual([
      ['run', 3],
      ['assign', 3],
    ]);
  });

  it('keeps good records after a corrupt line in the middle when it opens (only a torn tail is cut)', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'yoda-fence-')), 'journal.log');
    const lines = [run(1, 1), assign([0, 1], 1), done(0, 1), done(1, 1)].map(frameRecord);
    lines[1] = lines[1].replace('"droid":"d1"', '"droid":"dX"');
    writeFileSync(path, `${lines.join('')}torn`);
    const parsed = parseJournal(readFileSync(path));
    expect(parsed.corrupt).toHaveLength(1);
    const w = await JournalWriter.open(path, parsed.validBytes);
    await w.append([{ t: 'end', run: 1, at: 2, outcome: 'complete', exit: 0, e: 1 }]);
    await w.close();
    const after = parseJournal(readFileSync(path));
    expect(after.records.map((r) => r.t)).toEqual(['run', 'done', 'done', 'end']);
    expect(after.corrupt).toHaveLength(1);
    expect(after.droppedBytes).toBe(0);
  });

  it("keeps good records another writer appended after the caller's replay, cutting only what follows the last of them", async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'yoda-fence-')), 'journal.log');
    const head = [run(1, 1), assign([0], 1)].map(frameRecord).join('');
    const late = frameRecord(done(0, 1)); // a deposed Yoda's last batch, landed after the new Yoda replayed
    writeFileSync(path, `${head}${late}torn`);
    const w = await JournalWriter.open(path, Buffer.byteLength(head));
    await w.append([run(2, 2, true)]);
    await w.close();
    expect(parseJournal(readFileSync(path)).records.map((r) => [r.t, r.e])).toEqual([
      ['run', 1],
      ['assign', 1],
      ['done', 1],
      ['run', 2],
    ]);
  });

  it('every reader of the records (status, report, outputs) sees only what replay honours: no late write of a deposed Yoda', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'yoda-fenced-')), 'journal.log');
    // epoch 1 assigns 0 and 1; epoch 2 takes over and does 1; the deposed epoch 1 then writes a late done of 0.
    const records = [run(1, 1), assign([0, 1], 1), run(2, 2, true), assign([1], 2), done(1, 2), done(0, 1)];
    writeFileSync(path, records.map(frameRecord).join(''));
    const late = (rs: readonly JournalRecord[]) => rs.filter((r) => r.t === 'done' && r.e === 1);
    expect(late(readJournal(path).records)).toEqual([]);
    expect(late(replayJournalFile(path, 2).parsed.records)).toEqual([]); // parsed again on first use
    expect(late(replayJournalFile(path, 2, true).parsed.records)).toEqual([]); // kept while folding
    expect(late(unfenced(records))).toEqual([]);
    expect(unfenced(records)).toHaveLength(5);
  });
});
