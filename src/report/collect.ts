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

/** Walks the records once; `eventsOf(i)` gives the events of range i. Records before any run go to run 0. */
export function collect(records: JournalRecord[], eventsOf: (i: number) => number): Collected {
  const runs: ReportRun[] = [];
  const workers = new Map<ReportRun, Set<string>>();
  const done = new Set<number>();
  const bars: ReportBar[] = [];
  const failures: ReportBar[] = [];
  let run: ReportRun | null = null;
  const current = (at: number): ReportRun => {
    if (!run) {
      run = { run: 0, host: '?', pid: 0, start: at, end: at, ended: false, outcome: null, exit: null, workers: 0, ranges: 0, failures: 0 };
      runs.push(run);
    }
    return run;
  };
  const seen = (node: string, slot: number, r: ReportRun) => {
    let s = workers.get(r);
    if (!s) workers.set(r, (s = new Set()));
    s.add(workerKey(node, slot));
  };
  for (const r of records) {
    if (r.t === 'job') continue;
    if (r.t === 'run') {
      run = { run: r.run, host: r.host, pid: r.pid, start: r.at, end: r.at, ended: false, outcome: null, exit: null, workers: 0, ranges: 0, failures: 0 };
      runs.push(run);
      continue;
    }
    const cur = current(timeOf(r));
    if (!cur.ended) cur.end = Math.max(cur.end, timeOf(r));
    if (r.t === 'end') {
      Object.assign(cur, { ended: true, end: r.at, outcome: r.outcome, exit: r.exit });
    } else if (r.t === 'done') {
      const duplicate = done.has(r.i);
      done.add(r.i);
      if (!duplicate) cur.ranges += 1;
      seen(r.node, r.slot, cur);
      bars.push({
        i: r.i, id: r.id, run: cur.run, node: r.node, slot: r.slot, start: r.start, end: r.end, attempt: r.attempt, ok: true,
        events: duplicate ? 0 : eventsOf(r.i), out: r.out, cpu: r.cpu, ...(duplicate ? { duplicate } : {}),
      });
    } else if (r.t === 'fail') {
      cur.failures += 1;
      seen(r.node, r.slot, cur);
      const bar: ReportBar = {
        i: r.i, id: r.id, run: cur.run, node: r.node, slot: r.slot, start: r.start, end: r.end, attempt: r.attempt, ok: false,
        events: 0, code: r.code, msg: r.msg, fatal: r.fatal,
      };
      bars.push(bar);
      failures.push(bar);
    }
  }
  for (const r of runs) r.workers = workers.get(r)?.size ?? 0;
  return { runs, bars, failures };
}
