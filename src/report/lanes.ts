// Timeline rows: one lane per worker (node + slot), with one bar per range, or merged busy segments for large jobs.
import { workerKey } from './collect.js';
import type { ReportBar, ReportLane, ReportNode, ReportSegment } from './model.js';

/** A lane with more done ranges than this is drawn as merged busy segments. */
export const MAX_BARS_PER_LANE = 400;
/** When the whole timeline would hold more bars than this, every lane is merged. */
const MAX_BARS_TOTAL = 20_000;

/** Compares node names so that nid2 sorts before nid10. */
const naturalCompare = new Intl.Collator('en', { numeric: true }).compare;

/** Merges a worker's done ranges (sorted by start) into busy segments, bridging gaps up to `toleranceMs`. */
export function mergeBars(bars: ReportBar[], toleranceMs: number): ReportSegment[] {
  const out: ReportSegment[] = [];
  for (const b of bars) {
    const last = out[out.length - 1];
    if (last && b.start - last.end <= toleranceMs) {
      last.end = Math.max(last.end, b.end);
      last.ranges += 1;
    } else out.push({ start: b.start, end: b.end, ranges: 1 });
  }
  return out;
}

/** Groups bars into lanes sorted by node then slot; merges lanes past the limits (tolerance in ms). */
export function buildLanes(bars: ReportBar[], toleranceMs: number): { lanes: ReportLane[]; mergeNote: string | null } {
  const byWorker = new Map<string, ReportLane>();
  for (const b of bars) {
    const key = workerKey(b.node, b.slot);
    let lane = byWorker.get(key);
    if (!lane)
      byWorker.set(
        key,
        (lane = {
          node: b.node,
          slot: b.slot,
          merged: false,
          bars: [],
          segments: [],
          failed: [],
          ranges: 0,
          busySeconds: 0,
        }),
      );
    (b.ok ? lane.bars : lane.failed).push(b);
    if (b.ok && !b.duplicate) lane.ranges += 1;
    lane.busySeconds += Math.max(0, b.end - b.start) / 1000;
  }
  const lanes = [...byWorker.values()].sort((a, b) => naturalCompare(a.node, b.node) || a.slot - b.slot);
  const total = lanes.reduce((s, l) => s + l.bars.length, 0);
  const mergeAll = total > MAX_BARS_TOTAL;
  let mergedLanes = 0;
  for (const lane of lanes) {
    lane.bars.sort((a, b) => a.start - b.start);
    lane.failed.sort((a, b) => a.start - b.start);
    lane.busySeconds = Math.round(lane.busySeconds * 1000) / 1000;
    if (mergeAll || lane.bars.length > MAX_BARS_PER_LANE) {
      lane.merged = true;
      lane.segments = mergeBars(lane.bars, toleranceMs);
      lane.bars = [];
      mergedLanes += 1;
    }
  }
  const mergeNote =
    mergedLanes === 0
      ? null
      : mergeAll
        ? `${total} ranges are too many to draw one by one: every row shows merged busy segments (ranges that follow each other without idle time drawn as one bar).`
        : `${mergedLanes} worker(s) ran more than ${MAX_BARS_PER_LANE} ranges: their rows show merged busy segments instead of one bar per range.`;
  return { lanes, mergeNote };
}

/** Totals per node over every run: workers seen, ranges, events, busy and CPU seconds, failed attempts. */
export function nodeTotals(bars: ReportBar[]): ReportNode[] {
  const nodes = new Map<string, ReportNode & { slots: Set<number> }>();
  for (const b of bars) {
    let n = nodes.get(b.node);
    if (!n)
      nodes.set(
        b.node,
        (n = {
          node: b.node,
          workers: 0,
          ranges: 0,
          events: 0,
          busySeconds: 0,
          cpuSeconds: 0,
          failures: 0,
          slots: new Set(),
        }),
      );
    n.slots.add(b.slot);
    n.busySeconds += Math.max(0, b.end - b.start) / 1000;
    if (!b.ok) n.failures += 1;
    else {
      n.cpuSeconds += b.cpu ?? 0;
      if (!b.duplicate) {
        n.ranges += 1;
        n.events += b.events;
      }
    }
  }
  const r3 = (v: number) => Math.round(v * 1000) / 1000;
  return [...nodes.values()]
    .sort((a, b) => naturalCompare(a.node, b.node))
    .map(({ slots, ...n }) => ({
      ...n,
      workers: slots.size,
      busySeconds: r3(n.busySeconds),
      cpuSeconds: r3(n.cpuSeconds),
    }));
}
