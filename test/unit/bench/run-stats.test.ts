import { describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../../src/journal/records.js';
import { runEfficiency } from '../../../bench/run-stats.js';

const T = Date.UTC(2026, 0, 1);

const done = (i: number, slot: number, start: number, end: number, wall: number): JournalRecord => ({
  t: 'done',
  i,
  id: `f:${i}`,
  out: [],
  cpu: wall,
  wall,
  start: T + start,
  end: T + end,
  droid: 'd',
  node: 'n1',
  slot,
  attempt: 1,
});

/**
 * One run of 24 s, 2 workers x 2 ranges:
 *   slot 0: range 0 from 1 s to 11 s (payload 9.5 s), range 1 from 12 s to 22 s (9.5 s)
 *   slot 1: range 2 from 2 s to 12 s (10 s),          range 3 from 12.5 s to 20.5 s (8 s)
 */
const RUN: JournalRecord[] = [
  { t: 'run', run: 2, at: T, host: 'h', pid: 1 },
  done(0, 0, 1000, 11_000, 9.5),
  done(2, 1, 2000, 12_000, 10),
  done(1, 0, 12_000, 22_000, 9.5),
  done(3, 1, 12_500, 20_500, 8),
  { t: 'end', run: 2, at: T + 24_000, outcome: 'complete', exit: 0 },
];

describe('runEfficiency', () => {
  it('measures utilization, first range, tail and where the idle time went', () => {
    const e = runEfficiency(RUN, 2, 1);
    expect(e).toEqual({
      workers: 2,
      ranges: 4,
      busyCoreSeconds: 37,
      runSeconds: 24,
      utilization: 0.7708, // 37 / (2 x 24)
      firstRangeSeconds: 2, // slot 1 started last, 2 s in
      tailSeconds: 3.5, // last end 22 s - ideal end 37 / 2 = 18.5 s
      idle: { beforeFirst: 3, between: 1.5, inRange: 1, afterLast: 5.5 },
      meanRangeSeconds: 9.25,
    });
    // Busy and idle add up to every core-second of the run.
    const idle = e.idle.beforeFirst + e.idle.between + e.idle.inRange + e.idle.afterLast;
    expect(e.busyCoreSeconds + idle).toBeCloseTo(2 * 24, 9);
  });

  it('scales core-seconds by the cores per worker, not the times', () => {
    expect(runEfficiency(RUN, 2, 2)).toMatchObject({
      busyCoreSeconds: 74,
      utilization: 0.7708,
      firstRangeSeconds: 2,
      tailSeconds: 3.5,
      idle: { beforeFirst: 6, between: 3, inRange: 2, afterLast: 11 },
      meanRangeSeconds: 9.25,
    });
  });

  it('counts only the latest run, and needs it to have ended', () => {
    const earlier: JournalRecord[] = [
      { t: 'run', run: 1, at: T - 60_000, host: 'h', pid: 1 },
      done(9, 5, -59_000, -50_000, 9),
      { t: 'end', run: 1, at: T - 40_000, outcome: 'drained', exit: 0 },
    ];
    expect(runEfficiency([...earlier, ...RUN], 2, 1)).toEqual(runEfficiency(RUN, 2, 1));
    expect(() => runEfficiency(RUN.slice(0, -1), 2, 1)).toThrow(/no finished run/);
  });
});
