// Stage-out in Yoda's state machine: transfers asked for and paced, the job ends only when every range is delivered.
import { describe, expect, it } from 'vitest';
import { emptyJournalState, RangeState } from '../../../src/journal/replay.js';
import type { YodaEffect } from '../../../src/yoda/effects.js';
import { journaled, ok, plan, sentTo, YodaHarness } from './harness.js';

const stages = (effects: YodaEffect[]) => effects.flatMap((e) => (e.type === 'stage' ? [e] : []));
const finishOf = (effects: YodaEffect[]) => effects.find((e) => e.type === 'finish');

// A job of 4 ranges with stageOut (parallel 2), every range done by Droid `a`, which then left.
function allDone() {
  const y = new YodaHarness(plan(1, 40, 10), { stageOut: { parallel: 2 } });
  y.hello('a');
  const got = y.report('a', [], 4);
  y.report('a', got.map(ok));
  expect(y.take('a')).toEqual([{ type: 'end', reason: 'complete', graceSeconds: 0 }]);
  y.send('a', { type: 'bye', reason: 'job complete' });
  return y;
}

describe('Yoda stage-out', () => {
  it('asks for at most `parallel` transfers at once, journals one staged record per range, then completes', () => {
    const y = allDone();
    expect(stages(y.effects).map((e) => e.i)).toEqual([0, 1]);
    expect(stages(y.effects)[0]).toEqual({ type: 'stage', i: 0, id: 'f0.dat:0-9', outputs: ['/out/0'] });
    expect(finishOf(y.effects)).toBeUndefined();
    const staged = (i: number) =>
      y.step({ type: 'staged', i, out: [`root://h:1//d/${i}`], bytes: 10, adler32: ['0000abcd'] });
    expect(stages(staged(0)).map((e) => e.i)).toEqual([2]);
    staged(0); // a second report for the same range is ignored
    staged(1);
    staged(2);
    const last = staged(3);
    expect(finishOf(last)).toEqual({ type: 'finish', outcome: 'complete', exitCode: 0 });
    const records = journaled(y.effects).filter((r) => r.t === 'staged');
    expect(records.map((r) => (r.t === 'staged' ? r.i : -1))).toEqual([0, 1, 2, 3]);
    expect(records[0]).toMatchObject({ id: 'f0.dat:0-9', out: ['root://h:1//d/0'], bytes: 10, adler32: ['0000abcd'] });
  });

  it('a delivery failing on every attempt is journaled as ERR_STAGE_OUT, the rest goes on, and the run exits 3', () => {
    const y = allDone();
    y.step({ type: 'stageFailed', i: 0, file: '/out/0', msg: 'permission denied' });
    for (const i of [1, 2]) y.step({ type: 'staged', i, out: [], bytes: 1, adler32: null });
    const last = y.step({ type: 'staged', i: 3, out: [], bytes: 1, adler32: null });
    expect(journaled(y.effects).find((r) => r.t === 'stagefail')).toMatchObject({
      i: 0,
      code: 'ERR_STAGE_OUT',
      file: '/out/0',
    });
    expect(y.effects.some((e) => e.type === 'log' && e.level === 'error' && e.msg.includes('/out/0'))).toBe(true);
    expect(finishOf(last)).toEqual({ type: 'finish', outcome: 'fatal', exitCode: 3 });
  });

  it('a drain lets running transfers finish within the grace time and leaves queued ones for the next run', () => {
    const y = allDone();
    y.drain(30);
    expect(y.s.phase).toBe('draining');
    expect(finishOf(y.step({ type: 'staged', i: 0, out: [], bytes: 1, adler32: null }))).toBeUndefined();
    expect(stages(y.effects).map((e) => e.i)).toEqual([0, 1]); // nothing new starts while draining
    expect(finishOf(y.tick(29_000))).toBeUndefined();
    const late = y.tick(2_000);
    expect(late.find((e) => e.type === 'stopStage')).toEqual({ type: 'stopStage', r: [1] });
    expect(finishOf(late)).toEqual({ type: 'finish', outcome: 'drained', exitCode: 4 });
  });

  it('queues the done ranges a previous run did not deliver, and none that it did', () => {
    const p = plan(1, 30, 10);
    const past = emptyJournalState(p.total);
    past.state.fill(RangeState.done);
    past.counts = { ready: 0, assigned: 0, done: 3, fatal: 0 };
    past.staged[1] = 1;
    past.stagedCount = 1;
    const unstaged = new Map([
      [0, ['/out/0']],
      [2, ['/out/2']],
    ]);
    const y = new YodaHarness(p, { stageOut: { parallel: 4 } }, past, () => false, unstaged);
    y.tick();
    expect(stages(y.effects).map((e) => e.i)).toEqual([0, 2]);
    y.step({ type: 'staged', i: 0, out: [], bytes: 1, adler32: null });
    const last = y.step({ type: 'staged', i: 2, out: [], bytes: 1, adler32: null });
    expect(finishOf(last)).toEqual({ type: 'finish', outcome: 'complete', exitCode: 0 });
    // A Droid arriving meanwhile would be told the job is complete (no range is handed out again).
    expect(sentTo(y.effects, 'a')).toEqual([]);
  });
});
