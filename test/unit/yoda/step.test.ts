import { describe, expect, it } from 'vitest';
import { RangeState } from '../../../src/journal/replay.js';
import { bad, journaled, ok, plan, sentTo, YodaHarness } from './harness.js';

describe('Yoda state machine', () => {
  it('welcomes a Droid and answers a request with up to the ranges it wants, journaling the assignment', () => {
    const y = new YodaHarness();
    expect(sentTo(y.hello('a'), 'a')[0].type).toBe('welcome');
    const got = y.report('a', [], 4);
    expect(got.map((r) => r.id)).toEqual(['f0.dat:0-9', 'f0.dat:10-19', 'f0.dat:20-29', 'f0.dat:30-39']);
    expect(got.every((r) => r.attempt === 1 && r.file === '/in/f0.dat')).toBe(true);
    expect(journaled(y.effects).filter((r) => r.t === 'assign')).toEqual([
      expect.objectContaining({ droid: 'a', r: [0, 1, 2, 3], a: [1, 1, 1, 1] }),
    ]);
    expect(y.s.counts).toEqual({ ready: 6, assigned: 4, done: 0, fatal: 0 });
  });

  it('refuses a Droid speaking another protocol version', () => {
    const y = new YodaHarness();
    const msgs = sentTo(y.hello('a', 999), 'a');
    expect(msgs).toEqual([expect.objectContaining({ type: 'refuse' })]);
    expect(y.s.droids.size).toBe(0);
  });

  it('caps each answer at ceil(ready / droids) so the tail stays balanced', () => {
    const y = new YodaHarness(plan(1, 30, 10), { expectedDroids: 2 });
    y.hello('a');
    y.hello('b');
    expect(y.report('a', [], 8)).toHaveLength(2); // 3 ready, 2 Droids
    expect(y.report('b', [], 8)).toHaveLength(1);
  });

  it('parks a request when nothing is ready and serves it when a failed range comes back', () => {
    const y = new YodaHarness(plan(1, 10, 10), { expectedDroids: 2 });
    y.hello('a');
    y.hello('b');
    const [r] = y.report('a', [], 1);
    expect(y.report('b', [], 1)).toEqual([]);
    expect(y.s.droids.get('b')!.parkedWant).toBe(1);
    y.report('a', [bad(r)]);
    const toB = sentTo(y.effects, 'b').filter((m) => m.type === 'ranges');
    expect(toB).toHaveLength(1);
    expect(toB[0].type === 'ranges' && toB[0].ranges[0]).toMatchObject({ id: r.id, attempt: 2 });
  });

  it('retries a failing range until maxAttempts, then makes it fatal and ends with exit code 3', () => {
    const y = new YodaHarness(plan(1, 20, 10), { maxAttempts: 2 });
    y.hello('a');
    const [r0, r1] = y.report('a', [], 2);
    let again = y.report('a', [ok(r0), bad(r1)], 1);
    expect(again).toEqual([expect.objectContaining({ i: r1.i, attempt: 2 })]);
    again = y.report('a', [bad(again[0])], 1);
    expect(again).toEqual([]);
    expect(y.s.rangeState[r1.i]).toBe(RangeState.fatal);
    const fails = journaled(y.effects).filter((r) => r.t === 'fail');
    expect(fails.map((f) => f.t === 'fail' && f.fatal)).toEqual([false, true]);
    expect(sentTo(y.effects, 'a').at(-1)).toEqual({ type: 'end', reason: 'complete', graceSeconds: 0 });
    const out = y.send('a', { type: 'bye', reason: 'job complete' });
    expect(out.find((e) => e.type === 'finish')).toEqual({ type: 'finish', outcome: 'fatal', exitCode: 3 });
  });

  it('records a range done once and discards a duplicate report', () => {
    const y = new YodaHarness(plan(1, 20, 10), { expectedDroids: 2 });
    y.hello('a');
    const [r] = y.report('a', [], 1);
    y.report('a', [ok(r)]);
    y.report('a', [ok(r)]);
    expect(journaled(y.effects).filter((x) => x.t === 'done')).toHaveLength(1);
    expect(y.s.stats.duplicates).toBe(1);
    expect(y.s.counts.done).toBe(1);
  });

  it('takes a late success for a range that went back to ready, and never hands it out again', () => {
    const y = new YodaHarness(plan(1, 10, 10), { expectedDroids: 2 });
    y.hello('a');
    y.hello('b');
    const [r] = y.report('a', [], 1);
    y.report('a', [], 0, [r.i]); // released back to ready
    y.report('a', [ok(r)]); // ...and yet its output arrives
    expect(y.s.counts).toMatchObject({ ready: 0, done: 1 });
    expect(y.report('b', [], 1)).toEqual([]);
    const end = { type: 'end', reason: 'complete', graceSeconds: 0 };
    expect([...y.take('a'), ...y.take('b')]).toEqual([end, end]);
  });

  it('declares a silent Droid lost and returns its ranges to ready without burning an attempt', () => {
    const y = new YodaHarness(plan(1, 40, 10), { expectedDroids: 2 });
    y.hello('a');
    y.hello('b');
    const held = y.report('a', [], 2);
    y.tick(5_000);
    y.send('b', { type: 'heartbeat' });
    y.tick(6_000); // a silent for 11 s, b for 6 s
    expect(y.s.droids.get('a')!.gone).toBe(true);
    expect(y.s.droids.get('b')!.gone).toBe(false);
    expect(journaled(y.effects).filter((r) => r.t === 'release')).toEqual([
      expect.objectContaining({ r: held.map((r) => r.i) }),
    ]);
    const again = y.report('b', [], 4);
    expect(again.filter((r) => held.some((h) => h.i === r.i)).every((r) => r.attempt === 1)).toBe(true);
    expect(y.s.failures.every((f) => f === 0)).toBe(true);
  });

  it('sends heartbeats to quiet Droids', () => {
    const y = new YodaHarness();
    y.hello('a');
    expect(sentTo(y.tick(1_500), 'a')).toEqual([{ type: 'heartbeat' }]);
  });

  it('drains on request: tells Droids, still records their results, and ends with exit code 4 when ranges are left', () => {
    const y = new YodaHarness();
    y.hello('a');
    const [r0, r1] = y.report('a', [], 2);
    const eff = y.drain(30);
    expect(sentTo(eff, 'a')).toEqual([{ type: 'end', reason: 'drain', graceSeconds: 30 }]);
    expect(y.report('a', [ok(r0)], 3)).toEqual([]); // no new ranges while draining
    y.report('a', [], 0, [r1.i]);
    const fin = y.send('a', { type: 'bye', reason: 'drained' });
    expect(fin.find((e) => e.type === 'finish')).toEqual({ type: 'finish', outcome: 'drained', exitCode: 4 });
    expect(y.s.counts).toMatchObject({ done: 1, assigned: 0, ready: 9 });
  });

  it('completes with exit code 0 once every range is done and every Droid left', () => {
    const y = new YodaHarness(plan(1, 20, 10));
    y.hello('a');
    const rs = y.report('a', [], 5);
    y.report('a', rs.map(ok));
    expect(y.take('a')).toEqual([{ type: 'end', reason: 'complete', graceSeconds: 0 }]);
    const fin = y.send('a', { type: 'bye', reason: 'job complete' });
    expect(fin.find((e) => e.type === 'finish')).toEqual({ type: 'finish', outcome: 'complete', exitCode: 0 });
    expect(journaled(fin).at(-1)).toMatchObject({ t: 'end', outcome: 'complete', exit: 0 });
  });

  it('fails the run (exit 5) when every expected Droid left with work remaining', () => {
    const y = new YodaHarness();
    y.hello('a');
    const fin = y.send('a', { type: 'bye', reason: 'error', error: 'no worker could be started' });
    expect(fin.find((e) => e.type === 'finish')).toEqual({ type: 'finish', outcome: 'failed', exitCode: 5 });
  });

  it('ignores results that name a range wrongly', () => {
    const y = new YodaHarness();
    y.hello('a');
    const [r] = y.report('a', [], 1);
    y.report('a', [
      { ...ok(r), id: 'forged' },
      { ...ok(r), i: 10_000 },
    ]);
    expect(y.s.stats.invalid).toBe(2);
    expect(y.s.counts.done).toBe(0);
  });

  it('does not wait forever for Droids that never come once its own have left', () => {
    const y = new YodaHarness(plan(), { expectedDroids: 2, joinTimeoutSeconds: 60 });
    y.hello('a');
    y.send('a', { type: 'bye', reason: 'error', error: 'payload cannot start' });
    expect(y.tick(59_000).find((e) => e.type === 'finish')).toBeUndefined();
    expect(y.tick(2_000).find((e) => e.type === 'finish')).toEqual({ type: 'finish', outcome: 'failed', exitCode: 5 });
    expect(y.s.stopReason).toBe('no Droid left, and none joined within 60 s; the last one said: payload cannot start');
  });
});
