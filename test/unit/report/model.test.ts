import { describe, expect, it } from 'vitest';
import { buildBins } from '../../../src/report/bins.js';
import { buildReport } from '../../../src/report/build.js';
import { collect } from '../../../src/report/collect.js';
import { buildLanes, MAX_BARS_PER_LANE, mergeBars } from '../../../src/report/lanes.js';
import type { ReportBar } from '../../../src/report/model.js';
import { axisPieces, lastAtOrBefore } from '../../../src/report/time-axis.js';
import { description, RECORDS, T0, T1 } from './fixtures.js';

const model = () =>
  buildReport({
    description: description(),
    workdir: '/work',
    records: RECORDS,
    eventsOf: () => 5,
    now: new Date(T1 + 60_000),
  });

describe('report model from a handcrafted journal', () => {
  it('has one lane per worker, sorted by node and slot, with one bar per done range and failed attempts apart', () => {
    const m = model();
    expect(m.lanes.map((l) => `${l.node}/${l.slot}`)).toEqual(['n1/0', 'n1/1', 'n2/0', 'n3/0']);
    const ids = (bars: ReportBar[]) =>
      bars.map((b) => `${b.id}@${b.attempt}${b.duplicate ? '(dup)' : ''}${b.fatal ? '(fatal)' : ''}`);
    expect(m.lanes.map((l) => ids(l.bars))).toEqual([
      ['f:0@1', 'f:3@1'],
      ['f:1@1'],
      ['f:2@2'],
      ['f:5@1', 'f:0@1(dup)'],
    ]);
    expect(m.lanes.map((l) => ids(l.failed))).toEqual([[], ['f:4@1(fatal)'], ['f:2@1'], []]);
    expect(m.lanes.map((l) => [l.ranges, l.busySeconds])).toEqual([
      [2, 20],
      [1, 12],
      [1, 20],
      [1, 20],
    ]);
    expect(m.lanes.every((l) => !l.merged)).toBe(true);
    expect(m.mergeNote).toBeNull();
  });

  it('counts totals: done once, duplicates apart, fatal ranges, busy time over the workers the runs offered', () => {
    const t = model().totals;
    expect(t).toMatchObject({
      rangesDone: 5,
      eventsDone: 25,
      fatal: 1,
      failedAttempts: 2,
      duplicates: 1,
      runs: 2,
      workers: 4,
    });
    expect(t.busySeconds).toBe(72);
    // Every attempt's CPU, the duplicate's included: the sum of the node rows (15 + 7.5 + 10).
    expect(t.cpuSeconds).toBe(32.5);
    // Run 1: 3 workers x 20 s; run 2 (killed, last activity after 20 s): 1 worker x 20 s.
    expect(t.utilization).toBeCloseTo(72 / 80, 4);
    expect(t.meanRangeSeconds).toBe(11);
    expect(t.outcome).toBe('running, or killed (no end record)');
  });

  it('lists runs with their outcome, and a killed run with its last activity', () => {
    expect(model().runs).toEqual([
      {
        run: 1,
        host: 'login1',
        pid: 11,
        start: T0,
        end: T0 + 20_000,
        ended: true,
        outcome: 'fatal',
        exit: 3,
        workers: 3,
        ranges: 4,
        failures: 2,
      },
      {
        run: 2,
        host: 'login2',
        pid: 22,
        start: T1,
        end: T1 + 20_000,
        ended: false,
        outcome: null,
        exit: null,
        workers: 1,
        ranges: 1,
        failures: 0,
      },
    ]);
  });

  it('totals per node: workers, ranges, events, busy and CPU seconds, failures', () => {
    expect(model().nodes).toEqual([
      { node: 'n1', workers: 2, ranges: 3, events: 15, busySeconds: 32, cpuSeconds: 15, failures: 1 },
      { node: 'n2', workers: 1, ranges: 1, events: 5, busySeconds: 20, cpuSeconds: 7.5, failures: 1 },
      { node: 'n3', workers: 1, ranges: 1, events: 5, busySeconds: 20, cpuSeconds: 10, failures: 0 },
    ]);
  });

  it('lists every failed attempt with range, attempt, node, code, message and fatal', () => {
    expect(model().failures.map((f) => [f.id, f.attempt, f.node, f.slot, f.code, f.msg, f.fatal])).toEqual([
      ['f:2', 1, 'n2', 0, 'ERR_WORKER_DIED', 'broke 2', false],
      ['f:4', 1, 'n1', 1, 'ERR_BAD', 'broke 4', true],
    ]);
  });

  it('collapses the hour between the two allocations on the time axis', () => {
    const m = model();
    expect(m.axis).toEqual([
      { start: T0, end: T0 + 20_000 },
      { start: T1, end: T1 + 20_000 },
    ]);
    expect(m.totals.activeSeconds).toBe(40);
    // Bins: at least twice the mean range time (11 s) -> 30 s, so each 20 s piece is one bin.
    expect(m.binSeconds).toBe(30);
    expect(m.bins.map((b) => [b.start, b.seconds, b.ranges, b.events])).toEqual([
      [T0, 20, 4, 20],
      [T1, 20, 1, 5],
    ]);
    expect(m.bins.map((b) => b.utilization)).toEqual([0.8667, 1]);
  });

  it('keeps short gaps to scale', () => {
    expect(
      axisPieces([
        { start: 0, end: 100_000 },
        { start: 130_000, end: 200_000 },
      ]),
    ).toEqual([{ start: 0, end: 200_000 }]);
    expect(
      axisPieces([
        { start: 0, end: 100_000 },
        { start: 400_000, end: 500_000 },
      ]),
    ).toHaveLength(2);
  });

  it('finds the last start at or before a time, and 0 before them all', () => {
    const starts = [10, 20, 20, 30];
    expect([5, 10, 19, 20, 29, 30, 99].map((t) => lastAtOrBefore(starts, t))).toEqual([0, 0, 0, 2, 2, 3, 3]);
    expect(lastAtOrBefore([], 5)).toBe(0);
  });
});

describe('utilization and throughput bins', () => {
  it('spreads busy time over bins and counts a range in the bin where it ended', () => {
    const { runs, bars } = collect(RECORDS.slice(0, 10), () => 5);
    const bins = buildBins([{ start: T0, end: T0 + 20_000 }], 5, runs, bars);
    expect(bins.map((b) => b.utilization)).toEqual([1, 1, 0.8, 0.6667]);
    expect(bins.map((b) => b.busyWorkers)).toEqual([3, 3, 2.4, 2]);
    expect(bins.map((b) => b.workers)).toEqual([3, 3, 3, 3]);
    expect(bins.map((b) => b.ranges)).toEqual([0, 0, 2, 2]);
    expect(bins.map((b) => b.eventsPerSecond)).toEqual([0, 0, 2, 2]);
    expect(bins.map((b) => b.rangesPerSecond)).toEqual([0, 0, 0.4, 0.4]);
  });

  it('gives a short remainder to the last bin instead of a sliver', () => {
    const bins = buildBins([{ start: 0, end: 10_400 }], 5, [], []);
    expect(bins.map((b) => b.seconds)).toEqual([5, 5.4]);
  });
});

describe('lanes of large jobs', () => {
  const bar = (start: number, end: number, i = start): ReportBar => ({
    i,
    id: `r${i}`,
    run: 1,
    node: 'n',
    slot: 0,
    start,
    end,
    attempt: 1,
    ok: true,
    events: 1,
  });

  it('merges ranges that follow each other within the tolerance into busy segments', () => {
    expect(mergeBars([bar(0, 10), bar(11, 20), bar(50, 60)], 2)).toEqual([
      { start: 0, end: 20, ranges: 2 },
      { start: 50, end: 60, ranges: 1 },
    ]);
  });

  it('draws merged segments for a worker past the limit, and says so', () => {
    const bars = Array.from({ length: MAX_BARS_PER_LANE + 1 }, (_, k) => bar(k * 10, k * 10 + 9, k));
    const { lanes, mergeNote } = buildLanes([...bars, { ...bar(0, 5, 9999), slot: 1 }], 2);
    expect(lanes[0]).toMatchObject({ merged: true, bars: [], ranges: MAX_BARS_PER_LANE + 1 });
    expect(lanes[0].segments).toEqual([{ start: 0, end: MAX_BARS_PER_LANE * 10 + 9, ranges: MAX_BARS_PER_LANE + 1 }]);
    expect(lanes[1]).toMatchObject({ merged: false, ranges: 1 });
    expect(mergeNote).toMatch(/1 worker\(s\) ran more than 400 ranges/);
  });
});
