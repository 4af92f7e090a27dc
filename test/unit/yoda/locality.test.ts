// Locality-aware dispatch (jobs whose nodes fetch remote inputs): a Droid gets ranges of the files its node holds or
// fetches first, then of a file no node holds, and only then of another node's file; when the ranges left of its
// files would last its slots about one more round, the answer names the file its node should fetch next. The answer
// sizes stay as they were.
import { describe, expect, it } from 'vitest';
import { RangePlan } from '../../../src/job/plan.js';
import type { YodaMessage } from '../../../src/protocol/messages.js';
import { bad, ok, plan, sentTo, YodaHarness } from './harness.js';

const url = (k: number) => `root://se.example.org//store/f${k}.root`;
// Three remote input files of 100 events, ranges of 10: f0 holds ranges 0-9, f1 10-19, f2 20-29.
const remotePlan = () =>
  new RangePlan(
    [0, 1, 2].map((k) => ({ path: url(k), events: 100 })),
    10,
    '/',
  );
const indexes = (m: { ranges: { i: number }[] }) => m.ranges.map((r) => r.i);

// Droid `from` asks for `want` ranges (its report listing `cached`): Yoda's answer.
function ask(y: YodaHarness, from: string, want: number, cached?: string[]) {
  const out = y.send(from, { type: 'report', results: [], released: [], want, ...(cached ? { cached } : {}) });
  const [m] = sentTo(out, from) as Extract<YodaMessage, { type: 'ranges' }>[];
  return m;
}

describe('locality-aware dispatch', () => {
  it('keeps consecutive ranges of one file on one node, and gives another node a file nobody holds', () => {
    const y = new YodaHarness(remotePlan(), { expectedDroids: 2 });
    y.hello('a');
    y.hello('b');
    expect(indexes(ask(y, 'a', 2))).toEqual([0, 1]);
    expect(indexes(ask(y, 'b', 2))).toEqual([10, 11]); // not f0's 2, 3: node a fetches f0
    expect(indexes(ask(y, 'a', 2))).toEqual([2, 3]);
    expect(indexes(ask(y, 'b', 2))).toEqual([12, 13]);
  });

  it('names the file to fetch next once the ranges left of its files last about one round of its slots', () => {
    const y = new YodaHarness(remotePlan(), { expectedDroids: 2 });
    y.hello('a');
    y.hello('b');
    const first = ask(y, 'a', 7);
    expect(first.prefetch).toBeUndefined(); // 3 left of f0, more than a's 2 slots
    const second = ask(y, 'a', 1);
    expect([indexes(second), second.prefetch]).toEqual([[7], [url(1)]]); // 2 left: fetch f1 now
    expect(indexes(ask(y, 'b', 2))).toEqual([20, 21]); // f1 is a's already
    expect(indexes(ask(y, 'a', 4))).toEqual([8, 9, 10, 11]);
  });

  it("prefers the files a Droid's report says its node's cache holds", () => {
    const y = new YodaHarness(remotePlan());
    y.hello('a');
    expect(indexes(ask(y, 'a', 2, [url(2)]))).toEqual([20, 21]);
  });

  it('at the tail a node takes ranges of a file another node holds, rather than wait', () => {
    const y = new YodaHarness(remotePlan(), { expectedDroids: 2 });
    y.hello('a');
    y.hello('b');
    const a = ask(y, 'a', 10); // f0 whole, and f1 to fetch next
    expect(a.prefetch).toEqual([url(1)]);
    expect(indexes(ask(y, 'b', 10))).toEqual([20, 21, 22, 23, 24, 25, 26, 27, 28, 29]); // f2: nobody's
    const next = y.report(
      'a',
      a.ranges.map((r) => ok(r)),
      10,
    );
    expect(next.map((r) => r.i)).toEqual([10, 11, 12, 13, 14]); // capped at ceil(10 ready / 2 Droids)
    expect(indexes(ask(y, 'b', 10))).toEqual([15, 16, 17]); // b's f2 is all out: a's f1, taken anyway
  });

  it("a Droid that left no longer holds its files: a newcomer gets them as nobody's", () => {
    const y = new YodaHarness(remotePlan(), { expectedDroids: 2 });
    y.hello('a');
    y.hello('b');
    ask(y, 'a', 2); // 0, 1 of f0
    y.send('a', { type: 'bye', reason: 'test' }); // released: 0, 1 ready again, at the back of f0's queue
    y.hello('c');
    expect(indexes(ask(y, 'c', 2))).toEqual([2, 3]);
    expect(indexes(ask(y, 'b', 2))).toEqual([10, 11]); // f0 is c's now
  });

  it('a job of local input files keeps one queue, in order, and names nothing to fetch', () => {
    const y = new YodaHarness(plan(3, 40, 10), { expectedDroids: 2 });
    expect(y.s.locality).toBeNull();
    y.hello('a');
    y.hello('b');
    const m = ask(y, 'a', 4);
    expect([indexes(m), m.prefetch]).toEqual([[0, 1, 2, 3], undefined]);
    expect(indexes(ask(y, 'b', 2))).toEqual([4, 5]);
  });

  it('a node that could not fetch a file gets its ranges back only at the tail; another node takes them first', () => {
    const y = new YodaHarness(remotePlan(), { expectedDroids: 2 });
    y.hello('a');
    y.hello('b');
    const got = ask(y, 'a', 2); // 0, 1 of f0
    const failed = got.ranges.map((r) => ({ ...bad(r, 'ERR_STAGE_IN'), slot: -1 }));
    y.send('a', { type: 'report', results: failed, released: [], want: 0, cached: [] });
    expect(indexes(ask(y, 'a', 2))).toEqual([10, 11]); // not f0 again: f1, nobody's
    expect(indexes(ask(y, 'b', 2))).toEqual([2, 3]); // f0 goes to the other node
  });

  it('a report sent before the answer that named the next file does not take that file away', () => {
    const y = new YodaHarness(remotePlan(), { expectedDroids: 2 });
    y.hello('a');
    y.hello('b');
    expect(ask(y, 'a', 8).prefetch).toEqual([url(1)]);
    y.send('a', { type: 'report', results: [], released: [], want: 0, cached: [url(0)] }); // written before it knew
    expect(indexes(ask(y, 'b', 2))).toEqual([20, 21]); // f1 is still a's
  });
});
