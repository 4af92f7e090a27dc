// Parked requests are found again after ranges come back, however their Droids were parked, served or lost.
import { describe, expect, it } from 'vitest';
import { bad, plan, sentTo, YodaHarness } from './harness.js';

const rangesTo = (y: YodaHarness, to: string) =>
  sentTo(y.effects, to).flatMap((m) => (m.type === 'ranges' ? m.ranges : []));

describe('Yoda parked requests', () => {
  it('serves a request parked after another parked Droid was lost, and skips the walk when none is parked', () => {
    const y = new YodaHarness(plan(1, 20, 10), { expectedDroids: 3, droidTimeoutSeconds: 10 });
    for (const d of ['a', 'b', 'c']) y.hello(d);
    const got = [...y.report('a', [], 1), ...y.report('a', [], 1)]; // one per answer: ceil(ready / 3 Droids)
    expect(got).toHaveLength(2);
    expect(y.report('b', [], 1)).toEqual([]); // parked
    y.tick(6_000);
    y.report('a', [], 0);
    expect(y.report('c', [], 1)).toEqual([]); // parked
    y.tick(6_000); // b is lost while parked (c reported 6 s ago, a just now)
    expect(y.s.droids.get('b')!.gone).toBe(true);
    y.report('a', [bad(got[0])]); // one range comes back: c gets it
    expect(rangesTo(y, 'c').map((r) => r.id)).toEqual([got[0].id]);
    expect(rangesTo(y, 'b')).toEqual([]);
    y.report('a', [bad(got[1])]); // nobody parked now: the range waits in ready
    expect(y.s.counts.ready).toBe(1);
    expect(y.report('c', [], 1).map((r) => r.id)).toEqual([got[1].id]);
  });
});
