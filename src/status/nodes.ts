// Per-node and overall rates of the latest run, folded from the journal's done and fail records.
import type { RangePlan } from '../job/plan.js';
import type { JournalRecord } from '../journal/records.js';

/** What one node did in the latest run. */
export interface NodeStats {
  node: string;
  ranges: number;
  events: number;
  eventsPerSecond: number;
  cpuSeconds: number;
  failures: number;
}

/** Rates of the latest run: overall and per node (events/s measured from the run's start). */
export function latestRunStats(
  records: JournalRecord[],
  plan: RangePlan,
  now: number,
): { eventsPerSecond: number; nodes: NodeStats[]; runStart: number | null } {
  let start = -1;
  for (let k = records.length - 1; k >= 0; k--) {
    const r = records[k];
    if (r.t === 'run') {
      start = k;
      break;
    }
  }
  if (start < 0) return { eventsPerSecond: 0, nodes: [], runStart: null };
  const runStart = (records[start] as Extract<JournalRecord, { t: 'run' }>).at;
  const nodes = new Map<string, NodeStats>();
  const of = (node: string) =>
    nodes.get(node) ??
    nodes.set(node, { node, ranges: 0, events: 0, eventsPerSecond: 0, cpuSeconds: 0, failures: 0 }).get(node)!;
  let end = runStart;
  let events = 0;
  for (let k = start + 1; k < records.length; k++) {
    const r = records[k];
    if (r.t === 'done') {
      const n = of(r.node);
      const e = plan.eventsOf(r.i);
      n.ranges += 1;
      n.events += e;
      n.cpuSeconds += r.cpu ?? 0; // not measured (null): the run's total says how many
      events += e;
      end = Math.max(end, r.end);
    } else if (r.t === 'fail') of(r.node).failures += 1;
    else if (r.t === 'end') end = r.at;
  }
  const ended = records.slice(start + 1).some((r) => r.t === 'end');
  const seconds = Math.max(0.001, ((ended ? end : now) - runStart) / 1000);
  for (const n of nodes.values()) {
    n.eventsPerSecond = Math.round((n.events / seconds) * 100) / 100;
    n.cpuSeconds = Math.round(n.cpuSeconds * 1000) / 1000;
  }
  return {
    eventsPerSecond: Math.round((events / seconds) * 100) / 100,
    nodes: [...nodes.values()].sort((a, b) => a.node.localeCompare(b.node)),
    runStart,
  };
}
