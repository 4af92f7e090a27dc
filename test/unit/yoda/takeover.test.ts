// A Yoda that takes a job over while Droids of the previous one may still run ranges: those ranges are held back until
// their Droid claims them or is gone, so no range ever has two writers of its output.
import { describe, expect, it } from 'vitest';
import { journaled, ok, plan, YodaHarness } from './harness.js';
import { RangeState, replay } from '../../../src/journal/replay.js';
import type { JournalRecord } from '../../../src/journal/records.js';

const FAR = 'droid-1-far-100'; // a Droid of another node: cannot be judged from here
const GONE = 'droid-0-yoda-node-200'; // the previous Yoda's own Droid, on this node, its process ended
const run = (n: number): JournalRecord => ({ t: 'run', run: n, at: 0, host: 'h', pid: n, e: n, epoch: n });

// A journal where run 1 handed ranges 0,1 to FAR and 2 to GONE, and this Yoda (run 2) took over.
function takenOver() {
  const p = plan(1, 60, 10);
  const records: JournalRecord[] = [
    run(1),
    { t: 'assign', at: 0, droid: FAR, r: [0, 1], a: [1, 1], e: 1 },
    { t: 'assign', at: 0, droid: GONE, r: [2], a: [1], e: 1 },
    run(2),
  ];
  const past = replay(records, p.total);
  // No Droid needs to join for a while (the hold-back is what these tests look at).
  return new YodaHarness(p, { holdBackSeconds: 90, joinTimeoutSeconds: 1000 }, past, (d) => d === GONE);
}

describe('a Yoda that took a job over', () => {
  it('the fold remembers who held each range in flight when the new run began', () => {
    const y = takenOver();
    expect([...y.s.heldBack]).toEqual([
      [0, FAR],
      [1, FAR],
    ]);
    expect(y.s.counts).toMatchObject({ assigned: 2, ready: 4 });
  });

  it('does not hand out a range another node may still run; the range of a Droid known gone runs at once', () => {
    const y = takenOver();
    y.hello('b');
    const got = [...y.report('b', [], 6), ...y.report('b', [], 6)];
    expect(got.map((r) => r.i).sort()).toEqual([2, 3, 4, 5]);
  });

  it('gives a held-back range to its Droid when that Droid comes back for it, and takes its result', () => {
    const y = takenOver();
    y.hello(FAR, undefined, { held: [0, 1] });
    expect(y.s.owner[0]).toBe(FAR);
    expect(y.s.heldBack.size).toBe(0);
    const range = (i: number) => ({ i, id: y.s.plan.range(i).id, file: '', first: 0, last: 0, attempt: 1 });
    y.report(FAR, [ok(range(0))]);
    expect(y.s.rangeState[0]).toBe(RangeState.done);
  });

  it('refuses a result for a held-back range from a Droid that is not its holder', () => {
    const y = takenOver();
    y.hello('b', undefined, { held: [0] }); // not b's: not adopted
    expect(y.s.owner[0]).toBeUndefined();
    const range = { i: 0, id: y.s.plan.range(0).id, file: '', first: 0, last: 0, attempt: 1 };
    y.report('b', [ok(range)]);
    expect(y.s.rangeState[0]).toBe(RangeState.assigned);
    expect(y.s.stats.stale).toBe(1);
  });

  it('lets held-back ranges run once their Droid is known gone, or when the hold-back time has passed', () => {
    const y = takenOver();
    y.hello('b');
    y.report('b', [], 6); // b parks a request for more once the free ranges are out
    y.report('b', [], 6);
    y.step({ type: 'holdersGone', droids: [FAR], why: 'their Droid is gone' });
    expect(y.take('b').flatMap((m) => (m.type === 'ranges' ? m.ranges.map((r) => r.i) : []))).toEqual([0, 1]);
    expect(journaled(y.effects).filter((r) => r.t === 'release')).toEqual([expect.objectContaining({ r: [0, 1] })]);

    const z = takenOver();
    z.tick(89_000);
    expect(z.s.heldBack.size).toBe(2);
    z.tick(2_000);
    expect(z.s.heldBack.size).toBe(0);
    expect(z.s.counts.ready).toBe(6);
  });

  it('refuses a success from a Droid other than the one a range is assigned to', () => {
    const y = new YodaHarness(plan(1, 40, 10), { expectedDroids: 2 });
    y.hello('a');
    y.hello('b');
    const [r] = y.report('a', [], 1);
    y.report('b', [ok(r)]);
    expect(y.s.rangeState[r.i]).toBe(RangeState.assigned);
    expect(y.s.owner[r.i]).toBe('a');
    expect(y.s.stats.stale).toBe(1);
    y.report('a', [ok(r)]);
    expect(y.s.rangeState[r.i]).toBe(RangeState.done);
  });
});
