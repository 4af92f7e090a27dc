// Locality-aware dispatch (jobs with remote inputs): a Droid gets ranges of the files its node holds or fetches
// first, then of a file no node holds, and only then of another node's file; the answer sizes stay as they were.
import { describe, expect, it } from 'vitest';
import { RangePlan } from '../../../src/job/plan.js';
import { ok, plan, YodaHarness } from './harness.js';

const url = (k: number) => `root://se.example.org//store/f${k}.root`;
// Three remote input files of 40 events, ranges of 10: f0 holds ranges 0-3, f1 4-7, f2 8-11.
const remotePlan = () =>
  new RangePlan(
    [0, 1, 2].map((k) => ({ path: url(k), events: 40 })),
    10,
    '/',
  );
const indexes = (ranges: { i: number }[]) => ranges.map((r) => r.i);

describe('locality-aware dispatch', () => {
  it('keeps consecutive ranges of one file on one node, and gives another node a file nobody holds', () => {
    const y = new YodaHarness(remotePlan(), { expectedDroids: 2 });
    y.hello('a');
    y.hello('b');
    expect(indexes(y.report('a', [], 2))).toEqual([0, 1]);
    expect(indexes(y.report('b', [], 2))).toEqual([4, 5]); // not f0's 2, 3: node a fetches f0
    expect(indexes(y.report('a', [], 2))).toEqual([2, 3]);
    expect(indexes(y.report('b', [], 2))).toEqual([6, 7]);
    expect(indexes(y.report('a', [], 2))).toEqual([8, 9]); // f0 is used up: the file nobody holds
  });

  it("prefers the files a Droid's report says its node's cache holds", () => {
    const y = new YodaHarness(remotePlan());
    y.hello('a');
    expect(indexes(y.report('a', [], 2, [], [url(2)]))).toEqual([8, 9]);
  });

  it('at the tail a node takes ranges of a file another node holds, rather than wait', () => {
    const y = new YodaHarness(remotePlan(), { expectedDroids: 2 });
    y.hello('a');
    y.hello('b');
    const a = y.report('a', [], 4); // f0 whole
    y.report('b', [], 4); // f1 whole
    const f2 = y.report('a', [...a.map((r) => ok(r))], 4); // the answer is capped at ceil(4 ready / 2 Droids) = 2
    expect(indexes(f2)).toEqual([8, 9]);
    expect(indexes(y.report('b', [], 4))).toEqual([10]); // f1 is all out: a range of a's f2, taken anyway
  });

  it("a Droid that left no longer holds its files: a newcomer gets them as nobody's", () => {
    const y = new YodaHarness(remotePlan(), { expectedDroids: 2 });
    y.hello('a');
    y.hello('b');
    y.report('a', [], 2); // 0, 1 of f0
    y.send('a', { type: 'bye', reason: 'test' }); // released: 0, 1 ready again, at the back of f0's queue
    y.hello('c');
    expect(indexes(y.report('c', [], 2))).toEqual([2, 3]);
    expect(indexes(y.report('b', [], 2))).toEqual([4, 5]); // f0 is c's now
  });

  it('a job of local input files keeps one queue, in order', () => {
    const y = new YodaHarness(plan(3, 40, 10), { expectedDroids: 2 });
    expect(y.s.locality).toBeNull();
    y.hello('a');
    y.hello('b');
    expect(indexes(y.report('a', [], 2))).toEqual([0, 1]);
    expect(indexes(y.report('b', [], 2))).toEqual([2, 3]);
  });
});
