// The benchmark's JSON document: every figure, its ratio to the ceiling, and the targets.
import type { CeilingFigures, DispatchFigures, RangesScaleFigures } from './dispatch.js';
import type { EdgeRow } from './edge.js';
import type { EfficiencyFigures } from './efficiency.js';
import type { StreamFigures } from './stream.js';

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
  scale: {
    droids: DispatchFigures & { thinkMs: number; vsCeiling: Ratios };
    ranges: RangesScaleFigures & { vsCeiling: { rangesPerSecond: number } };
  };
  replay: ReplayFigures;
  /** The fixed-duration payload (`fixed` sizes: workers x ranges of `seconds` each). */
  efficiency: EfficiencyFigures;
  /** The montecarlo example (`montecarlo` sizes), or null when the example is absent. */
  efficiencyMontecarlo: EfficiencyFigures | null;
  /** Real `yoda run` jobs against xargs and mpi4py.futures on the same tasks (issue 11). */
  edge: EdgeRow[];
  /** Event streaming: local inputs, prefetch and the payload reading remotely, behind a slow link, in one run. */
  stream: StreamFigures;
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
  return {
    rangesPerSecond: ratio(row.rangesPerSecond, c.rangesPerSecond),
    p50Ms: ratio(row.p50Ms, c.p50Ms),
    p99Ms: ratio(row.p99Ms, c.p99Ms),
  };
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
    {
      name: `replay seconds for ${r.replay.ranges} ranges`,
      value: r.replay.seconds,
      target: '<= 2',
      met: r.replay.seconds <= 2,
    },
    { name: 'utilization (fixed ranges)', value: e.utilization, target: '>= 0.99', met: e.utilization >= 0.99 },
    {
      name: 'tail seconds (fixed ranges)',
      value: e.tailSeconds,
      target: `<= ${e.meanRangeSeconds.toFixed(2)} (one range)`,
      met: e.tailSeconds <= e.meanRangeSeconds,
    },
    {
      name: 'first range seconds, every worker',
      value: e.firstRangeSeconds,
      target: '<= 1',
      met: e.firstRangeSeconds <= 1,
    },
    ...edgeTargets(r.edge),
    ...streamTargets(r.stream),
  ];
}

/** Event streaming's target: with the slow link, prefetch keeps utilization within 2 points of local inputs. */
export function streamTargets(s: StreamFigures): Target[] {
  const p = s.cases.find((c) => c.case === 'prefetch');
  if (!p || p.vsLocalPoints === null) return [];
  return [
    {
      name: `stream: prefetch vs local inputs, points (${s.rttMs} ms round trip, ${s.bandwidthMBps} MB/s)`,
      value: p.vsLocalPoints,
      target: '>= -2',
      met: p.vsLocalPoints >= -2,
    },
  ];
}

/** Today's daemon-mode rate on 20,000 no-op ranges (issue 11, 2 cores), the base of its 10x target. */
const DAEMON_NOOP_BEFORE = 670;

/** Issue 11's targets, for the edge rows this run has (the 20,000-range and 1 s rows only in the full run). */
export function edgeTargets(rows: EdgeRow[]): Target[] {
  const out: Target[] = [];
  const at = (mode: string, rangeMs: number, ranges?: number) =>
    rows.filter((r) => r.mode === mode && r.rangeMs === rangeMs && (ranges === undefined || r.ranges === ranges));
  for (const r of at('command', 0)) {
    if (r.vsXargs !== null)
      out.push({
        name: `edge: command mode, ${r.ranges} no-op ranges, x xargs`,
        value: r.vsXargs,
        target: '>= 1.0',
        met: r.vsXargs >= 1,
      });
  }
  for (const r of at('daemon', 0, 20_000)) {
    if (r.vsMpi4py !== null)
      out.push({
        name: 'edge: daemon mode, 20,000 no-op ranges, x mpi4py',
        value: r.vsMpi4py,
        target: '>= 4',
        met: r.vsMpi4py >= 4,
      });
    out.push({
      name: 'edge: daemon mode, 20,000 no-op ranges/s',
      value: r.rangesPerSecond,
      target: `>= ${10 * DAEMON_NOOP_BEFORE} (10x ${DAEMON_NOOP_BEFORE})`,
      met: r.rangesPerSecond >= 10 * DAEMON_NOOP_BEFORE,
    });
  }
  for (const [ms, want] of [
    [10, 0.95],
    [1000, 0.995],
  ]) {
    for (const r of [...at('command', ms), ...at('daemon', ms)]) {
      const u = r.utilization ?? 0;
      out.push({
        name: `edge: ${r.mode} mode, ${ms} ms ranges, utilization`,
        value: u,
        target: `>= ${want}`,
        met: u >= want,
      });
    }
  }
  return out;
}
