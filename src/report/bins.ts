// Time bins for the charts: utilization (busy / available worker time) and throughput (ranges/s, events/s).
import type { ReportBar, ReportBin, ReportRun } from './model.js';
import { activeMs, lastAtOrBefore, niceSeconds, type AxisPiece } from './time-axis.js';

/** About this many bins across the whole axis. */
const TARGET_BINS = 120;

/**
 * The bin width for `pieces`: a round duration giving about TARGET_BINS bins, but at least twice the mean
 * range time, so a bin holds several finished ranges and throughput does not flicker between 0 and a spike.
 */
export function binSecondsFor(pieces: AxisPiece[], meanRangeSeconds = 0): number {
  return niceSeconds(Math.max(0.001, activeMs(pieces) / 1000 / TARGET_BINS, 2 * meanRangeSeconds));
}

/** Adds `weight` x (overlap of [start, end] with each bin, in seconds) into `acc`. Bins are sorted and disjoint. */
function spread(
  starts: Float64Array,
  ends: Float64Array,
  start: number,
  end: number,
  weight: number,
  acc: Float64Array,
): void {
  if (!(end > start)) return;
  for (let k = lastAtOrBefore(starts, start); k < starts.length && starts[k] < end; k++) {
    const overlap = Math.min(end, ends[k]) - Math.max(start, starts[k]);
    if (overlap > 0) acc[k] += (overlap / 1000) * weight;
  }
}

/** The index of the bin holding time `t`, or -1. */
function binOf(starts: Float64Array, ends: Float64Array, t: number): number {
  const lo = lastAtOrBefore(starts, t);
  return starts.length > 0 && t >= starts[lo] && t <= ends[lo] ? lo : -1;
}

/** Cuts every piece into bins of `binSeconds` (the last bin of a piece takes up the remainder) and fills them. */
export function buildBins(pieces: AxisPiece[], binSeconds: number, runs: ReportRun[], bars: ReportBar[]): ReportBin[] {
  const w = binSeconds * 1000;
  const s: number[] = [];
  const e: number[] = [];
  for (const p of pieces) {
    // A short remainder joins the piece's last bin, so no sliver of a bin shows a spurious rate.
    const count = Math.max(1, Math.round((p.end - p.start) / w));
    for (let k = 0; k < count; k++) {
      s.push(p.start + k * w);
      e.push(k === count - 1 ? p.end : p.start + (k + 1) * w);
    }
  }
  const starts = Float64Array.from(s);
  const ends = Float64Array.from(e);
  const n = starts.length;
  const busy = new Float64Array(n);
  const capacity = new Float64Array(n);
  const ranges = new Float64Array(n);
  const events = new Float64Array(n);
  for (const r of runs) spread(starts, ends, r.start, r.end, r.workers, capacity);
  for (const b of bars) {
    spread(starts, ends, b.start, b.end, 1, busy);
    if (b.ok && !b.duplicate) {
      const k = binOf(starts, ends, b.end);
      if (k >= 0) {
        ranges[k] += 1;
        events[k] += b.events;
      }
    }
  }
  const round = (v: number, d = 3) => Math.round(v * 10 ** d) / 10 ** d;
  return Array.from({ length: n }, (_, k) => {
    const seconds = Math.max(1e-3, (ends[k] - starts[k]) / 1000);
    return {
      start: starts[k],
      seconds: round(seconds),
      utilization: capacity[k] > 0 ? round(Math.min(1, busy[k] / capacity[k]), 4) : 0,
      busyWorkers: round(busy[k] / seconds),
      workers: round(capacity[k] / seconds),
      ranges: ranges[k],
      events: events[k],
      rangesPerSecond: round(ranges[k] / seconds),
      eventsPerSecond: round(events[k] / seconds),
    };
  });
}
