// The status of a job, read from its work directory: while it runs and after it ended.
import { hostname } from 'node:os';
import { replayJournalFile } from '../journal/read.js';
import { RangeState, type JournalState } from '../journal/replay.js';
import { planOf, requireJobDescription, type JobDescription } from '../job/workdir.js';
import { workdirPaths } from '../workdir/paths.js';
import { liveWorkers, type WorkerStatus } from './workers.js';
import { readEndpoint, type EndpointFile } from '../runtime/rendezvous.js';
import type { ParsedJournal } from '../journal/frame.js';
import { latestRunStats, type NodeStats } from './nodes.js';
import { type PrefetchSummary, readPrefetchSummary } from '../droid/prefetch-file.js';
import { pidAlive } from '../util/pid-alive.js';
import { checkIntegrity, type Integrity } from '../job/integrity.js';
import { allocationsOf, type AllocationInfo } from './allocations.js';
import { allDelivered, deliveryCounts, type DeliveryCounts } from '../job/delivery.js';

/** Where a job stands. `stopped` = drained with ranges left (resumable); `interrupted` = killed mid-run. */
export type JobState = 'new' | 'running' | 'complete' | 'fatal' | 'stopped' | 'failed' | 'interrupted';

/** The shape printed by `yoda status --json`. */
export interface JobStatus {
  state: JobState;
  job: { name: string; hash: string; jobFile: string; workdir: string; outputDir: string };
  /** Disjoint counts: `failed` are ranges waiting for another attempt after a failure. */
  ranges: { total: number; done: number; ready: number; assigned: number; failed: number; fatal: number };
  events: { total: number; done: number };
  runs: number;
  lastRun: {
    run: number;
    host: string;
    pid: number;
    startedAt: string;
    endedAt: string | null;
    exitCode: number | null;
  } | null;
  fatal: { range: string; code: string; message: string }[];
  recentFailures: { range: string; attempt: number; code: string; message: string; node: string }[];
  cpuSeconds: number;
  /** Done ranges whose payload CPU was not measured (a command without the exec helper): not in cpuSeconds. */
  cpuNotMeasured: number;
  /** Events per second in the latest run, and its estimated time to completion at that rate. */
  rate: { eventsPerSecond: number; etaSeconds: number | null };
  /** What each node did in the latest run. */
  nodes: NodeStats[];
  /** When the allocation of a running job ends, when known. */
  allocation: { endsAt: string; secondsLeft: number } | null;
  /** `corruptLines`: bad lines between good records (set aside, kept out of replay); `fencedRecords`: late records of a deposed Yoda, ignored. */
  journal: { droppedBytes: number; duplicateDone: number; corruptLines: number; fencedRecords: number };
  /** Live workers of the Droids that run now: node, slot, pid, cpus, gpus (from <workdir>/nodes). */
  workers: WorkerStatus[];
  /** Done ranges whose outputs are gone, input files changed since the job was created. */
  integrity: Integrity;
  /** Every allocation the job ran in: launch id, nodes, joined and left, which held Yoda (epoch, take-over). */
  allocations: AllocationInfo[];
  /** Merge (null when the job has none): groups merged, waiting for their merge, failed on every attempt. */
  merge: MergeStatus | null;
  /** Stage-out (null when the job has none): done ranges (with merge: merged files) delivered, waiting, failed; bytes. */
  stageOut: StageOutStatus | null;
  /** Remote inputs fetched to the nodes (null when the job reads none): per node and in total, every allocation. */
  prefetch: PrefetchSummary | null;
}

/** Where the merge of the done ranges' outputs stands (see the README's "Merge" and "Stage-out"). */
export interface MergeStatus {
  /** Groups in all, merged (one merged record each), complete and waiting for their merge, not complete yet. */
  groups: number;
  merged: number;
  pending: number;
  waiting: number;
  /** Complete groups whose last merge failed on every attempt (the next run tries again), with why. */
  failed: number;
  failures: { group: string; message: string }[];
}

/** Where the delivery of the final outputs stands (see the README's "Merge" and "Stage-out"). */
export interface StageOutStatus {
  destination: string;
  /** What is delivered: each done range's outputs, or with merge each group's merged file. */
  unit: 'range' | 'group';
  /** Units whose outputs are at the destination, verified (one staged record each). */
  staged: number;
  /** Final units not delivered yet (being delivered, or left for the next run). */
  pending: number;
  /** Units whose last delivery failed on every attempt (the next run tries again). */
  failed: number;
  /** Bytes delivered. */
  bytes: number;
  /** The failed ones: range or group, the file that could not be delivered, why. */
  failures: { range: string; file: string; message: string }[];
}

// The merge part of the status, from the replayed journal.
function mergeOf(d: JobDescription, j: JournalState, c: DeliveryCounts): MergeStatus | null {
  if (!d.spec.merge) return null;
  const failed = [...j.mergeFailures.values()];
  return {
    groups: c.groups,
    merged: c.merged,
    pending: c.toMerge - failed.length,
    waiting: c.groups - c.merged - c.toMerge,
    failed: failed.length,
    failures: failed.map((f) => ({ group: f.id, message: f.msg })),
  };
}

// The stage-out part of the status, from the replayed journal.
function stageOutOf(d: JobDescription, j: JournalState, c: DeliveryCounts): StageOutStatus | null {
  const spec = d.spec.stageOut;
  if (!spec) return null;
  const failures = [...(d.spec.merge ? j.groupStageFailures : j.stageFailures).values()];
  return {
    destination: spec.destination,
    unit: d.spec.merge ? 'group' : 'range',
    staged: c.staged,
    pending: c.toStage - failures.length,
    failed: failures.length,
    bytes: j.stagedBytes,
    failures: failures.map((f) => ({ range: f.id, file: f.file, message: f.msg })),
  };
}

/** Whether the run that published the endpoint is alive (null: on another host, cannot tell). */
function yodaAlive(ep: EndpointFile | null): boolean | null {
  if (!ep) return false;
  return ep.host === hostname() ? pidAlive(ep.pid) : null;
}

function stateOf(j: JournalState, total: number, alive: boolean | null, delivered: boolean): JobState {
  if (!j.lastRun) return 'new';
  if (j.lastEnd) {
    const o = j.lastEnd.outcome;
    return o === 'drained' ? 'stopped' : o;
  }
  if (j.counts.done === total && delivered) return 'complete';
  return alive === false ? 'interrupted' : 'running';
}

/** Builds the status from job.json and the journal (with the journal already replayed). */
export function statusOf(
  workdir: string,
  d: JobDescription,
  j: JournalState,
  parsed: ParsedJournal,
  endpoint: EndpointFile | null,
  now = Date.now(),
  /** false: skip the look at every done output and input file on disk (for a loop that does not show it). */
  checkFiles = true,
): JobStatus {
  const alive = yodaAlive(endpoint);
  const plan = planOf(d);
  let eventsDone = 0;
  let failed = 0;
  for (let i = 0; i < d.totalRanges; i++) {
    if (j.state[i] === RangeState.done) eventsDone += plan.eventsOf(i);
    else if (j.state[i] === RangeState.ready && j.failures[i] > 0) failed += 1;
  }
  const lastFailure = new Map(j.failureLog.map((f) => [f.i, f]));
  const fatal = [...lastFailure.values()]
    .filter((f) => j.state[f.i] === RangeState.fatal)
    .map((f) => ({ range: f.id, code: f.code, message: f.msg }));
  const run = j.lastRun;
  const latest = latestRunStats(parsed.records, plan, now);
  const delivery = deliveryCounts(d, j);
  const state = stateOf(j, d.totalRanges, alive, allDelivered(d, delivery));
  const remaining = d.totalEvents - eventsDone;
  const deadline = state === 'running' ? (endpoint?.deadline ?? null) : null;
  return {
    state,
    job: {
      name: d.name,
      hash: d.hash,
      jobFile: d.jobFile,
      workdir: workdirPaths(workdir).root,
      outputDir: d.outputDir,
    },
    ranges: {
      total: d.totalRanges,
      done: j.counts.done,
      ready: j.counts.ready - failed,
      assigned: j.counts.assigned,
      failed,
      fatal: j.counts.fatal,
    },
    events: { total: d.totalEvents, done: eventsDone },
    runs: j.runs,
    lastRun: run && {
      run: run.run,
      host: run.host,
      pid: run.pid,
      startedAt: new Date(run.at).toISOString(),
      endedAt: j.lastEnd ? new Date(j.lastEnd.at).toISOString() : null,
      exitCode: j.lastEnd?.exit ?? null,
    },
    fatal,
    recentFailures: j.failureLog
      .slice(-20)
      .map((f) => ({ range: f.id, attempt: f.attempt, code: f.code, message: f.msg, node: f.node })),
    cpuSeconds: Math.round(j.cpuSeconds * 1000) / 1000,
    cpuNotMeasured: j.cpuNotMeasured,
    rate: {
      eventsPerSecond: latest.eventsPerSecond,
      etaSeconds: latest.eventsPerSecond > 0 && remaining > 0 ? Math.round(remaining / latest.eventsPerSecond) : null,
    },
    nodes: latest.nodes,
    allocation: deadline
      ? { endsAt: new Date(deadline).toISOString(), secondsLeft: Math.max(0, Math.round((deadline - now) / 1000)) }
      : null,
    journal: {
      droppedBytes: parsed.droppedBytes,
      duplicateDone: j.duplicateDone,
      corruptLines: parsed.corrupt.length,
      fencedRecords: j.fenced,
    },
    workers: liveWorkers(workdir, endpoint),
    integrity: checkFiles
      ? checkIntegrity(d, j, parsed)
      : { outputsChecked: false, missingOutputs: [], changedInputs: [] },
    allocations: allocationsOf(parsed.records, state === 'running'),
    merge: mergeOf(d, j, delivery),
    stageOut: stageOutOf(d, j, delivery),
    prefetch: readPrefetchSummary(workdir),
  };
}

/** Reads a work directory and returns its status; errors when it holds no job. */
export function readStatus(workdir: string): JobStatus {
  const d = requireJobDescription(workdir);
  const { parsed, state } = replayJournalFile(workdirPaths(workdir).journal, d.totalRanges, true);
  return statusOf(workdir, d, state, parsed, readEndpoint(workdirPaths(workdir).endpoint));
}
