// Yoda with Droids of several allocations: join and leave records, the hand-over drain, adopting held ranges.
import { describe, expect, it } from 'vitest';
import { journaled, ok, plan, YodaHarness } from './harness.js';
import { RangeState } from '../../../src/journal/replay.js';

const OTHER = 'slurm:2.0';

describe('Yoda with Droids of several allocations', () => {
  it('journals a join per welcomed Droid (with its launch) and a leave per bye or loss', () => {
    const y = new YodaHarness(plan(1, 40, 10), { expectedDroids: 1 });
    y.hello('a');
    y.hello('b', undefined, { launch: OTHER });
    y.send('b', { type: 'bye', reason: 'drained' });
    y.tick(11_000); // a silent past the Droid timeout: lost
    const records = journaled(y.effects);
    expect(records.filter((r) => r.t === 'join')).toEqual([
      expect.objectContaining({ droid: 'a', launch: 'slurm:1.0', node: 'node-a', rank: 0, slots: 2, cores: 2 }),
      expect.objectContaining({ droid: 'b', launch: OTHER }),
    ]);
    expect(records.filter((r) => r.t === 'leave')).toEqual([
      expect.objectContaining({ droid: 'b', lost: false, why: 'left: drained' }),
      expect.objectContaining({ droid: 'a', lost: true }),
    ]);
  });

  it("does not end the job when its own allocation's Droids left while another allocation's Droid works on", () => {
    const y = new YodaHarness(plan(1, 40, 10), { expectedDroids: 1 });
    y.hello('a');
    y.hello('b', undefined, { launch: OTHER });
    y.send('a', { type: 'bye', reason: 'drained' });
    y.tick(1000);
    expect(y.s.phase).toBe('running');
    const got = y.report('b', [], 4);
    expect(got).toHaveLength(4);
    y.report('b', got.map(ok));
    expect(y.take('b').filter((m) => m.type !== 'heartbeat')).toEqual([
      { type: 'end', reason: 'complete', graceSeconds: 0 },
    ]);
    y.send('b', { type: 'bye', reason: 'job complete' });
    expect(y.s.outcome).toBe('complete');
  });

  it('hands over on a drain: its own Droids drain, the others are told Yoda is moving and are let go', () => {
    const y = new YodaHarness(plan(1, 40, 10), { expectedDroids: 1 });
    y.hello('a');
    y.hello('b', undefined, { launch: OTHER });
    const held = y.report('b', [], 2);
    y.drain(30);
    expect(y.s.handingOver).toBe(true);
    expect(y.take('a')).toEqual([{ type: 'end', reason: 'drain', graceSeconds: 30 }]);
    expect(y.take('b')).toEqual([{ type: 'moving', reason: 'test' }]);
    expect(y.s.droids.get('b')!.gone).toBe(true);
    // b's ranges move with b: not released (b still runs them and claims them from the next Yoda), no attempt burned.
    expect(journaled(y.effects).filter((r) => r.t === 'release')).toEqual([]);
    for (const r of held) expect(y.s.rangeState[r.i]).toBe(RangeState.assigned);
    expect(y.s.failures.every((f) => f === 0)).toBe(true);
    y.send('a', { type: 'bye', reason: 'drained' });
    expect(y.s.outcome).toBe('drained');
  });

  it("a drain with only its own allocation's Droids is a plain drain, not a hand-over", () => {
    const y = new YodaHarness(plan(1, 40, 10), { expectedDroids: 1 });
    y.hello('a');
    y.drain(5);
    expect(y.s.handingOver).toBe(false);
    expect(y.take('a')).toEqual([{ type: 'end', reason: 'drain', graceSeconds: 5 }]);
    y.send('a', { type: 'bye', reason: 'drained' });
  });

  it('after a hand-over, marks the ranges a Droid still holds as its own and takes their results (no attempt burned)', () => {
    const y = new YodaHarness(plan(1, 40, 10), { expectedDroids: 1 });
    y.hello('a');
    y.hello('b', undefined, { launch: OTHER, held: [1, 2], attempts: [1, 2] });
    expect(y.s.rangeState[1]).toBe(RangeState.assigned);
    expect(y.s.owner[2]).toBe('b');
    expect(journaled(y.effects).filter((r) => r.t === 'assign')).toEqual([
      expect.objectContaining({ droid: 'b', r: [1, 2], a: [1, 2] }),
    ]);
    // a asks for everything: the held ranges are not handed out again
    const toA = [...y.report('a', [], 4), ...y.report('a', [], 4), ...y.report('a', [], 4)];
    expect(toA.map((r) => r.i).sort()).toEqual([0, 3]);
    const range = (i: number) => ({ i, id: y.s.plan.range(i).id, file: '', first: 0, last: 0, attempt: 1 });
    y.report('b', [ok(range(1)), { ...ok(range(2)), ok: false, code: 'ERR_X', message: 'm' } as never]);
    expect(y.s.rangeState[1]).toBe(RangeState.done);
    expect(y.s.failures[2]).toBe(1); // a failure of a held range is its own attempt, counted once
    // ...and the range goes to a's parked request with the next attempt number
    expect(y.take('a').flatMap((m) => (m.type === 'ranges' ? m.ranges.map((r) => [r.i, r.attempt]) : []))).toEqual([
      [2, 2],
    ]);
    expect(y.s.stats.stale).toBe(0);
  });

  it('does not adopt a held range the journal already calls done', () => {
    const y = new YodaHarness(plan(1, 40, 10), { expectedDroids: 1 });
    y.hello('a');
    const [r] = y.report('a', [], 1);
    y.report('a', [ok(r)]);
    y.hello('b', undefined, { launch: OTHER, held: [r.i] });
    expect(y.s.droids.get('b')!.holds.size).toBe(0);
    y.report('b', [ok(r)]);
    expect(y.s.stats.duplicates).toBe(1);
    expect(y.s.counts.done).toBe(1);
  });
});
