// Efficiency of one run, from its journal: core utilization, time to the first range per worker, and the tail.
import type { DoneRecord, JournalRecord } from '../src/journal/records.js';

/** How well one run kept its workers busy (seconds unless named otherwise). */
export interface RunEfficiency {
  workers: number;
  ranges: number;
  /** Payload busy core-seconds (sum of the payload-reported wall time x cores per worker). */
  busyCoreSeconds: number;
  /** From the run record to the run's end record (Yoda's own clock). */
  runSeconds: number;
  /** busyCoreSeconds / (workers x cores per worker x runSeconds). */
  utilization: number;
  /** Latest, over workers, of (first range start - run start). */
  firstRangeSeconds: number;
  /** Last range end minus the ideal end (run start + busy core-seconds / cores). */
  tailSeconds: number;
  /**
   * Where the idle core-seconds went: before each worker's first range, between ranges, inside ranges (the Droid's
   * start..end minus the payload's own wall time: feeding and reporting), and after each worker's last range.
   */
  idle: { beforeFirst: number; between: number; inRange: number; afterLast: number };
  /** Mean payload wall time of one range. */
  meanRangeSeconds: number;
}

/** Computes the efficiency of the latest run in `records`; `workers` and `coresPerWorker` as configured. */
export function runEfficiency(records: JournalRecord[], workers: number, coresPerWorker: number): RunEfficiency {
  let runAt = Number.NaN;
  let endAt = Number.NaN;
  let done: DoneRecord[] = [];
  for (const r of records) {
    if (r.t === 'run') {
      runAt = r.at;
      endAt = Number.NaN;
      done = [];
    } else if (r.t === 'end') endAt = r.at;
    else if (r.t === 'done') done.push(r);
  }
  if (Number.isNaN(runAt) || Number.isNaN(endAt) || done.length === 0)
    throw new Error('the journal holds no finished run with done ranges');
  const bySlot = new Map<string, DoneRecord[]>();
  for (const d of done) {
    const key = `${d.node}/${d.slot}`;
    const list = bySlot.get(key) ?? [];
    list.push(d);
    bySlot.set(key, list);
  }
  const cores = workers * coresPerWorker;
  const busy = done.reduce((sum, d) => sum + d.wall, 0) * coresPerWorker;
  const runSeconds = (endAt - runAt) / 1000;
  const lastEnd = Math.max(...done.map((d) => d.end));
  let firstRange = 0;
  const idle = { beforeFirst: 0, between: 0, inRange: 0, afterLast: 0 };
  for (const list of bySlot.values()) {
    list.sort((a, b) => a.start - b.start);
    firstRange = Math.max(firstRange, (list[0].start - runAt) / 1000);
    idle.beforeFirst += ((list[0].start - runAt) / 1000) * coresPerWorker;
    for (let k = 1; k < list.length; k++) idle.between += ((list[k].start - list[k - 1].end) / 1000) * coresPerWorker;
    for (const d of list) idle.inRange += ((d.end - d.start) / 1000 - d.wall) * coresPerWorker;
    idle.afterLast += ((endAt - list[list.length - 1].end) / 1000) * coresPerWorker;
  }
  const r3 = (x: number) => Number(x.toFixed(3));
  return {
    workers: bySlot.size,
    ranges: done.length,
    busyCoreSeconds: r3(busy),
    runSeconds: r3(runSeconds),
    utilization: Number((busy / (cores * runSeconds)).toFixed(4)),
    firstRangeSeconds: r3(firstRange),
    tailSeconds: r3((lastEnd - (runAt + (busy / cores) * 1000)) / 1000),
    idle: {
      beforeFirst: r3(idle.beforeFirst),
      between: r3(idle.between),
      inRange: r3(idle.inRange),
      afterLast: r3(idle.afterLast),
    },
    meanRangeSeconds: r3(busy / coresPerWorker / done.length),
  };
}
