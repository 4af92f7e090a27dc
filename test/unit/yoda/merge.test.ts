// Merge in Yoda's state machine: groups merged once complete, in range order, journaled, then staged; failures and
// drains; what a new run picks up from the journal.
import { describe, expect, it } from 'vitest';
import { MergeGroups } from '../../../src/job/merge-groups.js';
import { emptyJournalState, foldRecord, RangeState } from '../../../src/journal/replay.js';
import type { YodaEffect } from '../../../src/yoda/effects.js';
import { createMergeState } from '../../../src/yoda/merge.js';
import type { YodaConfig } from '../../../src/yoda/state.js';
import { journaled, ok, plan, YodaHarness } from './harness.js';

const merges = (effects: YodaEffect[]) => effects.flatMap((e) => (e.type === 'merge' ? [e] : []));
const stages = (effects: YodaEffect[]) => effects.flatMap((e) => (e.type === 'stage' ? [e] : []));
const finishOf = (effects: YodaEffect[]) => effects.find((e) => e.type === 'finish');
const merged = (g: number, inputs = 3) => ({
  type: 'merged' as const,
  g,
  out: `/out/m${g}`,
  inputs,
  bytes: 5,
  adler32: '0000abcd',
});

// 2 input files x 30 events, 10 per range: ranges 0-2 are file 0 (group 0), 3-5 file 1 (group 1).
function mergeJob(
  o: { stageOut?: boolean; deleteInputs?: boolean; parallel?: number; over?: Partial<YodaConfig> } = {},
) {
  const p = plan(2, 30, 10);
  const groups = new MergeGroups(p, 'file');
  const m = createMergeState(
    groups,
    (g) => `/out/m${g}`,
    { parallel: o.parallel ?? 1, deleteInputs: o.deleteInputs ?? false },
    new Set(),
    () => false,
    new Map(),
  );
  const over = { ...(o.stageOut ? { stageOut: { parallel: 2 } } : {}), ...o.over };
  return new YodaHarness(p, over, undefined, () => false, new Map(), m);
}

// Droid `a` takes every range and reports those of `order` done; with all done, it is told the end and leaves.
function runRanges(y: YodaHarness, order: number[]) {
  y.hello('a');
  const got = y.report('a', [], 6);
  y.report(
    'a',
    order.map((i) => ok(got[i])),
  );
  if (order.length < got.length) return;
  expect(y.take('a')).toEqual([{ type: 'end', reason: 'complete', graceSeconds: 0 }]);
  y.send('a', { type: 'bye', reason: 'job complete' });
}

describe('merge groups', () => {
  it('per file: one group per input file, named by the file; per N: N consecutive ranges', () => {
    const p = plan(3, 25, 10); // 3 ranges per file
    const byFile = new MergeGroups(p, 'file');
    expect(byFile.count).toBe(3);
    expect([byFile.id(1), byFile.first(1), byFile.last(1)]).toEqual(['f1.dat', 3, 5]);
    expect([0, 2, 3, 8].map((i) => byFile.groupOf(i))).toEqual([0, 0, 1, 2]);
    const byFour = new MergeGroups(p, 4);
    expect(byFour.count).toBe(3);
    expect([byFour.id(2), byFour.first(2), byFour.last(2)]).toEqual(['ranges-8-8', 8, 8]);
    expect([3, 4, 7, 8].map((i) => byFour.groupOf(i))).toEqual([0, 1, 1, 2]);
  });
});

describe('Yoda merge', () => {
  it('merges a group once all its ranges are done, inputs in range order, then journals it and stages the file', () => {
    const y = mergeJob({ stageOut: true });
    runRanges(y, [2, 1, 4, 0]); // group 0 complete (done out of order), group 1 not
    expect(merges(y.effects)).toEqual([
      { type: 'merge', g: 0, id: 'f0.dat', inputs: ['/out/0', '/out/1', '/out/2'], output: '/out/m0' },
    ]);
    expect(stages(y.effects)).toEqual([]); // range outputs are not staged with merge: the merged file is
    y.step(merged(0));
    expect(journaled(y.effects).find((r) => r.t === 'merged')).toMatchObject({
      g: 0,
      id: 'f0.dat',
      r: [0, 2],
      inputs: 3,
      out: '/out/m0',
    });
    expect(stages(y.effects)).toEqual([{ type: 'stage', i: 0, id: 'f0.dat', outputs: ['/out/m0'] }]);
    y.step({ type: 'staged', i: 0, out: ['root://h//d/m0'], bytes: 5, adler32: ['0000abcd'] });
    expect(journaled(y.effects).find((r) => r.t === 'staged')).toMatchObject({ g: 0, id: 'f0.dat' });
    expect(journaled(y.effects).find((r) => r.t === 'staged')).not.toHaveProperty('i');
    y.step(merged(0)); // a repeated report is ignored
    expect(journaled(y.effects).filter((r) => r.t === 'merged')).toHaveLength(1);
  });

  it('the job ends only when every group is merged and staged; range outputs are deleted after the record if asked', () => {
    const y = mergeJob({ stageOut: true, deleteInputs: true, parallel: 2 });
    runRanges(y, [0, 1, 2, 3, 4, 5]);
    expect(merges(y.effects).map((e) => e.g)).toEqual([0, 1]);
    const after = y.step(merged(1));
    const kinds = after.map((e) => e.type);
    expect(kinds.indexOf('deleteFiles')).toBeGreaterThan(kinds.indexOf('journal'));
    expect(after.find((e) => e.type === 'deleteFiles')).toEqual({
      type: 'deleteFiles',
      files: ['/out/3', '/out/4', '/out/5'],
    });
    expect(finishOf(y.step(merged(0)))).toBeUndefined();
    y.step({ type: 'staged', i: 0, out: [], bytes: 5, adler32: null });
    expect(finishOf(y.effects)).toBeUndefined();
    const last = y.step({ type: 'staged', i: 1, out: [], bytes: 5, adler32: null });
    expect(finishOf(last)).toEqual({ type: 'finish', outcome: 'complete', exitCode: 0 });
  });

  it("at the tail (every range done), merges run as many at once as Yoda's node has worker slots", () => {
    // 3 input files, 3 ranges each: Droid a (2 slots, on node-a) runs all 9 and reports them at once.
    const tail = (node: string) => {
      const p = plan(3, 30, 10);
      const m = createMergeState(
        new MergeGroups(p, 'file'),
        (g) => `/m/${g}`,
        { parallel: 1, deleteInputs: false },
        new Set(),
        () => false,
        new Map(),
      );
      const y = new YodaHarness(p, { node }, undefined, () => false, new Map(), m);
      y.hello('a');
      const got = y.report('a', [], 9);
      y.report('a', got.map(ok));
      expect(y.take('a')).toEqual([{ type: 'end', reason: 'complete', graceSeconds: 0 }]);
      return merges(y.effects).map((e) => e.g);
    };
    expect(tail('node-a')).toEqual([0, 1]); // Droid a's node is Yoda's: its 2 idle slots
    expect(tail('yoda-node')).toEqual([0]); // another node's slots are not Yoda's to use: merge.parallel (1)
  });

  it('a merge failing on every attempt is journaled as ERR_MERGE, named, and the run exits 3', () => {
    const y = mergeJob();
    runRanges(y, [0, 1, 2, 3, 4, 5]);
    y.step(merged(0));
    const last = y.step({ type: 'mergeFailed', g: 1, msg: 'merge.py: exited with 1: disk full' });
    expect(journaled(y.effects).find((r) => r.t === 'mergefail')).toMatchObject({
      g: 1,
      id: 'f1.dat',
      code: 'ERR_MERGE',
    });
    expect(y.effects.some((e) => e.type === 'log' && e.level === 'error' && e.msg.includes('f1.dat'))).toBe(true);
    expect(finishOf(last)).toEqual({ type: 'finish', outcome: 'fatal', exitCode: 3 });
  });

  it('a drain gives a running merge the grace time, then stops it and leaves it for the next run (exit 4)', () => {
    const y = mergeJob();
    runRanges(y, [0, 1, 2, 3, 4, 5]);
    y.drain(30);
    expect(finishOf(y.tick(29_000))).toBeUndefined();
    const late = y.tick(2_000);
    expect(late.find((e) => e.type === 'stopMerge')).toEqual({ type: 'stopMerge', g: [0] });
    expect(merges(y.effects).map((e) => e.g)).toEqual([0]); // the queued merge never started
    expect(finishOf(late)).toEqual({ type: 'finish', outcome: 'drained', exitCode: 4 });
  });

  it('an allocation end keeps room for a merge: the drain starts a merge time (x1.25) before the limit', () => {
    const start = new YodaHarness().now;
    const over = { deadline: start + 300_000, marginSeconds: 0, droidTimeoutSeconds: 1e6 };
    const y = mergeJob({ over });
    runRanges(y, [0, 1, 2]); // group 0 complete: its merge starts now and takes 40 s
    y.tick(40_000);
    y.step(merged(0));
    expect(y.tick(209_000).some((e) => e.type === 'log' && e.msg.includes('draining'))).toBe(false); // 51 s left
    const drain = y.tick(2_000); // 49 s left: less than 1.25 x 40 s
    expect(y.s.phase).toBe('draining');
    expect(drain.some((e) => e.type === 'log' && e.msg.includes('a merge and transfer about 50 s'))).toBe(true);
    expect(y.take('a').filter((m) => m.type !== 'heartbeat')).toEqual([
      { type: 'end', reason: 'drain', graceSeconds: 49 },
    ]);
  });

  it('a new run queues the complete groups the journal has not merged, with their outputs, and none it has', () => {
    const p = plan(3, 20, 10); // groups of 2 ranges
    const done = new Set([0, 1, 2, 3, 4]); // group 2 lacks range 5
    const outs = new Map([...done].map((i) => [i, [`/o/${i}`]]));
    const m = createMergeState(
      new MergeGroups(p, 'file'),
      (g) => `/m/${g}`,
      { parallel: 4, deleteInputs: false },
      new Set([1]),
      (i) => done.has(i),
      outs,
    );
    expect(m.queue).toEqual([0]);
    expect(m.merged).toBe(1);
    const y = new YodaHarness(p, {}, undefined, () => false, new Map(), m);
    y.tick();
    expect(merges(y.effects)).toEqual([
      { type: 'merge', g: 0, id: 'f0.dat', inputs: ['/o/0', '/o/1'], output: '/m/0' },
    ]);
  });
});

describe('replay of merge records', () => {
  it('honours the first merged and staged record of a group; a second staged one is a duplicate', () => {
    const s = emptyJournalState(4);
    const base = { id: 'f0.dat', at: 1 };
    foldRecord(s, { t: 'mergefail', g: 0, ...base, code: 'ERR_MERGE', msg: 'x' });
    expect(s.mergeFailures.size).toBe(1);
    foldRecord(s, { t: 'merged', g: 0, ...base, r: [0, 1], inputs: 2, out: '/m/0', bytes: 7, adler32: '00000001' });
    foldRecord(s, { t: 'merged', g: 0, ...base, r: [0, 1], inputs: 2, out: '/m/0b', bytes: 9, adler32: '00000002' });
    expect(s.mergeFailures.size).toBe(0);
    expect(s.merged.get(0)).toEqual({ out: '/m/0', bytes: 7 });
    foldRecord(s, { t: 'staged', g: 1, ...base, out: [], bytes: 7, adler32: null }); // group 1 is not merged: ignored
    foldRecord(s, { t: 'staged', g: 0, ...base, out: [], bytes: 7, adler32: null });
    foldRecord(s, { t: 'staged', g: 0, ...base, out: [], bytes: 7, adler32: null });
    expect([...s.stagedGroups]).toEqual([0]);
    expect(s.duplicateStaged).toBe(1);
    expect(s.stagedBytes).toBe(7);
    expect(s.state[0]).toBe(RangeState.ready); // group records never touch the ranges' states
  });
});
