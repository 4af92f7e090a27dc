// First pass of the report: journal records into runs, range attempts (bars) and failures. Pure, no I/O.
import type { JournalRecord } from '../journal/records.js';
import type { ReportBar, ReportRun } from './model.js';

/** What one pass over the journal yields. */
export interface Collected {
  runs: ReportRun[];
  /** Done ranges (first honoured ones and duplicates) and failed attempts, in journal order. */
  bars: ReportBar[];
  failures: ReportBar[];
}

/** The key of a worker (node + slot). */
export function workerKey(node: string, slot: number): string {
  return `${node}\u0000${slot}`;
}

function timeOf(r: JournalRecord): number {
  switch (r.t) {
    case 'done':
    case 'fail':
      return r.end;
    default:
      return r.at;
  }
}

function newRun(run: number, host: string, pid: number, at: number): ReportRun {
  return {
    run,
    host,
    pid,
    start: at,
    end: at,
    ended: false,
    outcome: null,
    exit: null,
    workers: 0,
    ranges: 0,
    failures: 0,
  };
}

/** Walks the records once; `eventsOf(i)` gives the events of range i. Records before any run go to run 0.
 * A run without an end record is 'interrupted' when a later run follows it; the last one stays null here. */
export function collect(records: JournalRecord[], eventsOf: (i: number) => number): Collected {
  const runs: ReportRun[] = [];
  const workers = new Map<ReportRun, Set<string>>();
  const done = new Set<number>();
  const bars: ReportBar[] = [];
  const failures: ReportBar[] = [];
  let cur: ReportRun | null = null;
  for (const r of records) {
    if (r.t === 'job') continue;
    if (r.t === 'run') {
      // A run that never wrote its end record was killed: a later run started after it.
      if (cur && !cur.ended) cur.outcome = 'interrupted';
      runs.push((cur = newRun(r.run, r.host, r.pid, r.at)));
      continue;
    }
    const at = timeOf(r);
    if (!cur) runs.push((cur = newRun(0, '?', 0, at)));
    if (!cur.ended) cur.end = Math.max(cur.end, at);
    if (r.t === 'end') {
      Object.assign(cur, { ended: true, end: r.at, outcome: r.outcome, exit: r.exit });
      continue;
    }
    if (r.t !== 'done' && r.t !== 'fail') continue;
    if (r.slot < 0) continue; // a stage-in failure (ERR_STAGE_IN): the range never reached a worker's lane
    let seen = workers.get(cur);
    if (!seen) workers.set(cur, (seen = new Set()));
    seen.add(workerKey(r.node, r.slot));
    const base = {
      i: r.i,
      id: r.id,
      run: cur.run,
      node: r.node,
      slot: r.slot,
      start: r.start,
      end: r.end,
      attempt: r.attempt,
    };
    if (r.t === 'done') {
      const duplicate = done.has(r.i);
      done.add(r.i);
      if (!duplicate) cur.ranges += 1;
      bars.push({
        ...base,
        ok: true,
        events: duplicate ? 0 : eventsOf(r.i),
        out: r.out,
        cpu: r.cpu,
        ...(duplicate ? { duplicate } : {}),
      });
    } else {
      cur.failures += 1;
      const bar: ReportBar = { ...base, ok: false, events: 0, code: r.code, msg: r.msg, fatal: r.fatal };
      bars.push(bar);
      failures.push(bar);
    }
  }
  for (const r of runs) r.workers = workers.get(r)?.size ?? 0;
  return { runs, bars, failures };
}
