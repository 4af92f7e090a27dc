// The benchmark's JSON document: every figure, its ratio to the ceiling, and the targets.
import type { CeilingFigures, DispatchFigures, RangesScaleFigures } from './dispatch.js';
import type { EfficiencyFigures } from './efficiency.js';

/** Replay of a journal of many done ranges. */
export interface ReplayFigures {
  ranges: number;
  seconds: number;
  megabytes: number;
  records: number;
  /** Memory the replay added to its process. */
  addedRssMB: number;
}


/** One target of issue 6 and whether this run met it. */
export interface Target {
  name: string;
  value: number;
  target: string;
  met: boolean;
}

/** The whole benchmark result (`--json`). */
export interface BenchResult {
  version: 1;
  quick: boolean;
  machine: { cores: number; node: string; loadAverage: number[]; curve: boolean; startedAt: string; seconds: number };
  ceiling: CeilingFigures;
  /** Closed-loop dispatch through one Yoda, one row per Droid count; `vsCeiling` = figure / ceiling figure. */
  dispatch: (DispatchFigures & { vsCeiling: Ratios })[];
  /** `droids`: paced Droids (each reports, then thinks); `ranges`: one job of many ranges run to completion. */
  scale: { droids: DispatchFigures & { thinkMs: number; vsCeiling: Ratios }; ranges: RangesScaleFigures & { vsCeiling: { rangesPerSecond: number } } };
  replay: ReplayFigures;
  /** The fixed-duration payload (`fixed` sizes: workers x ranges of `seconds` each). */
  efficiency: EfficiencyFigures;
  /** The montecarlo example (`montecarlo` sizes), or null when the example is absent. */
  efficiencyMontecarlo: EfficiencyFigures | null;
  targets: Target[];
}

/** A figure divided by the ceiling's. */
export interface Ratios {
  rangesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** a / b to three decimals. */
export const ratio = (a: number, b: number): number => Number((a / b).toFixed(3));

/** The ratios of a row's figures to the ceiling's. */
export function vsCeiling(row: { rangesPerSecond: number; p50Ms: number; p99Ms: number }, c: CeilingFigures): Ratios {
  return { rangesPerSecond: ratio(row.rangesPerSecond, c.rangesPerSecond), p50Ms: ratio(row.p50Ms, c.p50Ms), p99Ms: ratio(row.p99Ms, c.p99Ms) };
}

/** The targets, checked against this run. */
export function targets(r: Omit<BenchResult, 'targets'>): Target[] {
  const best = Math.max(...r.dispatch.map((d) => d.rangesPerSecond));
  const sd = r.scale.droids;
  const e = r.efficiency;
  return [
    { name: 'dispatch ranges/s (best row, journal on)', value: best, target: '>= 100000', met: best >= 100_000 },
    { name: `Yoda RSS MB with ${sd.droids} Droids`, value: sd.yodaRssMB, target: '<= 1024', met: sd.yodaRssMB <= 1024 },
    { name: `p99 ms with ${sd.droids} Droids`, value: sd.p99Ms, target: '< 100', met: sd.p99Ms < 100 },
    { name: `replay seconds for ${r.replay.ranges} ranges`, value: r.replay.seconds, target: '<= 2', met: r.replay.seconds <= 2 },
    { name: 'utilization (fixed ranges)', value: e.utilization, target: '>= 0.99', met: e.utilization >= 0.99 },
    { name: 'tail seconds (fixed ranges)', value: e.tailSeconds, target: `<= ${e.meanRangeSeconds.toFixed(2)} (one range)`, met: e.tailSeconds <= e.meanRangeSeconds },
    { name: 'first range seconds, every worker', value: e.firstRangeSeconds, target: '<= 1', met: e.firstRangeSeconds <= 1 },
  ];
}
