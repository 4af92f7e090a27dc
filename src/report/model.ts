// The report's data model: everything `yoda report` draws, and exactly what it writes to report.json.
// All times are milliseconds since the epoch (as in the journal); durations are seconds.
import type { JobFile } from '../job/schema.js';

/** One range attempt on a worker: a done range (ok) or a failed attempt. */
export interface ReportBar {
  i: number;
  id: string;
  run: number;
  node: string;
  slot: number;
  start: number;
  end: number;
  attempt: number;
  ok: boolean;
  /** Events of the range (counted only for the first honoured done record). */
  events: number;
  out?: string[];
  /** Payload CPU seconds; null when not measured (a command without the exec helper). */
  cpu?: number | null;
  code?: string;
  msg?: string;
  fatal?: boolean;
  /** A done record for an already-done range: the work was discarded. */
  duplicate?: boolean;
}

/** Busy time on a worker drawn as one piece (adjacent ranges merged, for large jobs). */
export interface ReportSegment {
  start: number;
  end: number;
  ranges: number;
}

/** One worker (node + slot): a row of the timeline. */
export interface ReportLane {
  node: string;
  slot: number;
  /** True when done ranges are drawn as merged busy segments instead of one bar each. */
  merged: boolean;
  /** Done ranges (empty when merged). */
  bars: ReportBar[];
  /** Busy segments (empty unless merged). */
  segments: ReportSegment[];
  /** Failed attempts, always one each. */
  failed: ReportBar[];
  ranges: number;
  busySeconds: number;
}

/** One time bin of the charts; bins never straddle a collapsed gap. */
export interface ReportBin {
  start: number;
  seconds: number;
  /** Busy worker-seconds / available worker-seconds in the bin (0..1). */
  utilization: number;
  busyWorkers: number;
  workers: number;
  ranges: number;
  events: number;
  rangesPerSecond: number;
  eventsPerSecond: number;
}

/** One allocation (`yoda run`) on the work directory. */
export interface ReportRun {
  run: number;
  host: string;
  pid: number;
  start: number;
  /** The end record's time, or the last activity seen when the run was killed. */
  end: number;
  ended: boolean;
  /** 'interrupted': killed without an end record (a later run started, or no Yoda runs it any more); null: may still run. */
  outcome: 'complete' | 'fatal' | 'drained' | 'failed' | 'interrupted' | null;
  exit: number | null;
  workers: number;
  ranges: number;
  failures: number;
}

/** Totals of one node over all runs. */
export interface ReportNode {
  node: string;
  workers: number;
  ranges: number;
  events: number;
  busySeconds: number;
  cpuSeconds: number;
  failures: number;
}

/** The job's parameters, from job.json. */
export interface ReportJob {
  name: string;
  hash: string;
  jobFile: string;
  workdir: string;
  outputDir: string;
  created: string;
  inputFiles: number;
  totalRanges: number;
  totalEvents: number;
  eventsPerRange: number;
  spec: JobFile;
}

/** The whole report. */
export interface ReportModel {
  version: 1;
  generatedAt: string;
  job: ReportJob;
  totals: {
    rangesDone: number;
    eventsDone: number;
    fatal: number;
    failedAttempts: number;
    duplicates: number;
    runs: number;
    workers: number;
    activeSeconds: number;
    busySeconds: number;
    cpuSeconds: number;
    /** Done attempts whose CPU was not measured (left out of cpuSeconds, not counted as 0). */
    cpuNotMeasured: number;
    utilization: number;
    meanRangeSeconds: number;
    outcome: string;
  };
  /** Time spans drawn on the x axis; gaps between them (no allocation running) are collapsed. */
  axis: { start: number; end: number }[];
  binSeconds: number;
  bins: ReportBin[];
  lanes: ReportLane[];
  runs: ReportRun[];
  nodes: ReportNode[];
  failures: ReportBar[];
  /** Why some lanes are merged, when they are. */
  mergeNote: string | null;
  /** Every allocation (launch) the job ran in: nodes, joined, left, which held Yoda (see src/report/allocations.ts). */
  allocations: import('../status/allocations.js').AllocationInfo[];
  /** Remote inputs fetched to the nodes and the worker time spent waiting for them (null: the job reads none). */
  prefetch: import('../droid/prefetch-file.js').PrefetchSummary | null;
}
