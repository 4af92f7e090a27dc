// Builds the report model from job.json's description and the journal's records. Pure: no I/O, time passed in.
import type { JournalRecord } from '../journal/records.js';
import type { JobDescription } from '../job/workdir.js';
import { buildBins, binSecondsFor } from './bins.js';
import { collect } from './collect.js';
import { buildLanes, nodeTotals } from './lanes.js';
import type { ReportModel } from './model.js';
import { activeMs, axisPieces } from './time-axis.js';
import { allocationsOf } from '../status/allocations.js';
import type { PrefetchSummary } from '../droid/prefetch-file.js';

/** What the report is built from. */
export interface ReportInput {
  description: JobDescription;
  workdir: string;
  records: JournalRecord[];
  /** Events of range i (from the job's range plan). */
  eventsOf: (i: number) => number;
  /** True when the latest run has no end record and no Yoda runs it any more (status: interrupted). */
  lastRunInterrupted?: boolean;
  /** What the nodes' input caches did (droid/prefetch-file.ts); null or absent when the job reads no remote input. */
  prefetch?: PrefetchSummary | null;
  now: Date;
}

const r3 = (v: number) => Math.round(v * 1000) / 1000;

function outcomeOf(last: ReportModel['runs'][number] | undefined, done: number, total: number): string {
  if (!last) return 'not started';
  if (last.outcome)
    return last.outcome === 'drained'
      ? 'stopped (drained)'
      : last.outcome === 'interrupted'
        ? 'interrupted (killed; resumable)'
        : last.outcome;
  return done === total ? 'complete (no end record)' : 'running, or killed (no end record)';
}

/** Milliseconds covered by the runs (overlaps counted once). */
function runTimeMs(runs: ReportModel['runs']): number {
  let total = 0;
  let reach = -Infinity;
  for (const r of [...runs].sort((a, b) => a.start - b.start)) {
    const start = Math.max(r.start, reach);
    if (r.end > start) total += r.end - start;
    reach = Math.max(reach, r.end);
  }
  return total;
}

/** The report of a job. */
export function buildReport(input: ReportInput): ReportModel {
  const d = input.description;
  const { runs, bars, failures } = collect(input.records, input.eventsOf);
  const last = runs[runs.length - 1];
  if (last && !last.ended && input.lastRunInterrupted) last.outcome = 'interrupted';
  const axis = axisPieces([...runs, ...bars]);
  const active = activeMs(axis);
  // Time inside the runs only (the gaps between allocations are not active), as utilization's capacity counts it.
  const runMs = runTimeMs(runs);
  const done = bars.filter((b) => b.ok && !b.duplicate);
  const meanRangeMs = done.length ? done.reduce((s, b) => s + (b.end - b.start), 0) / done.length : 0;
  const binSeconds = binSecondsFor(axis, meanRangeMs / 1000);
  const bins = buildBins(axis, binSeconds, runs, bars);
  // Gaps shorter than about a third of a pixel (of a ~1000 px wide plot) are invisible anyway.
  const { lanes, mergeNote } = buildLanes(bars, active / 3000);
  const nodes = nodeTotals(bars);
  const busySeconds = bars.reduce((s, b) => s + Math.max(0, b.end - b.start) / 1000, 0);
  const capacity = runs.reduce((s, r) => s + (r.workers * Math.max(0, r.end - r.start)) / 1000, 0);
  const fatal = new Set(failures.filter((f) => f.fatal).map((f) => f.i));
  for (const b of done) fatal.delete(b.i);
  return {
    version: 1,
    generatedAt: input.now.toISOString(),
    job: {
      name: d.name,
      hash: d.hash,
      jobFile: d.jobFile,
      workdir: input.workdir,
      outputDir: d.outputDir,
      created: d.created,
      inputFiles: d.files.length,
      totalRanges: d.totalRanges,
      totalEvents: d.totalEvents,
      eventsPerRange: d.eventsPerRange,
      spec: d.spec,
    },
    totals: {
      rangesDone: done.length,
      eventsDone: done.reduce((s, b) => s + b.events, 0),
      fatal: fatal.size,
      failedAttempts: failures.length,
      duplicates: bars.filter((b) => b.duplicate).length,
      runs: runs.length,
      workers: lanes.length,
      activeSeconds: r3(runMs / 1000),
      busySeconds: r3(busySeconds),
      // Every attempt's CPU, duplicates included, as busySeconds and the node rows count it.
      cpuSeconds: r3(bars.reduce((s, b) => s + (b.cpu ?? 0), 0)),
      cpuNotMeasured: bars.filter((b) => b.ok && b.cpu === null).length,
      utilization: capacity > 0 ? Math.round(Math.min(1, busySeconds / capacity) * 10000) / 10000 : 0,
      meanRangeSeconds: r3(meanRangeMs / 1000),
      outcome: outcomeOf(runs[runs.length - 1], done.length, d.totalRanges),
    },
    axis,
    binSeconds,
    bins,
    lanes,
    runs,
    nodes,
    failures,
    mergeNote,
    allocations: allocationsOf(input.records, !input.lastRunInterrupted),
    prefetch: input.prefetch ?? null,
  };
}
