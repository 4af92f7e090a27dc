// Yoda's state: the fate of every range and what each Droid holds. Changed only by step().
import type { RangePlan } from '../job/plan.js';
import { RangeState, type JournalState } from '../journal/replay.js';
import { IndexQueue } from './index-queue.js';
import { createLocality, FileReadyQueue, type Locality } from './locality.js';
import type { MergeGroups } from '../job/merge-groups.js';

/** Policy knobs for one run of Yoda. */
export interface YodaConfig {
  jobName: string;
  jobHash: string;
  workdir: string;
  run: number;
  /** The node this Yoda runs on (as Droid keys name nodes). */
  node: string;
  /** This Yoda's launch (allocation) id: its own Droids are those of the same launch; the others joined from elsewhere. */
  launch: string | null;
  maxAttempts: number;
  heartbeatSeconds: number;
  /** A Droid silent for this long is declared lost and its ranges go back to ready. */
  droidTimeoutSeconds: number;
  /** Droids this allocation should bring (its rank count); when all have come and gone, the run ends. */
  expectedDroids: number;
  /** How long to wait for the first Droid, and for Droids to leave once the job is over. */
  joinTimeoutSeconds: number;
  leaveTimeoutSeconds: number;
  /** Seconds between progress lines in the log. */
  progressSeconds: number;
  /** When the allocation ends (epoch ms), or null when unknown; ranges that cannot finish by then are held back. */
  deadline: number | null;
  /** Seconds before the deadline by which everything must be flushed and stopped. */
  marginSeconds: number;
  /**
   * After a take-over, how long a range that another Droid may still be running is held back (unless that Droid comes
   * back and claims it, or is known to be gone): long enough for any Droid to have killed its workers (drain grace,
   * giving up on a silent Yoda).
   */
  holdBackSeconds: number;
  /** Stage-out (the job file's stageOut): transfers at once; absent or null when outputs stay where they are. */
  stageOut?: { parallel: number } | null;
}

/** What Yoda knows of one Droid. */
export interface DroidInfo {
  key: string;
  node: string;
  rank: number;
  /** The launch (allocation) the Droid belongs to. */
  launch: string | null;
  slots: number;
  /** Ranges this Droid holds. */
  holds: Set<number>;
  /** Input files its node holds or fetches, those it was told to fetch next, those it failed to fetch (locality.ts;
   * empty when the job's inputs are all local). */
  files: Set<number>;
  named: Set<number>;
  failed: Set<number>;
  /** An open request waiting for ranges (0 when none). */
  parkedWant: number;
  lastSeen: number;
  lastSent: number;
  gone: boolean;
}

/** How a run ended. */
export type Outcome = 'complete' | 'fatal' | 'drained' | 'failed';

/** Yoda's whole state for one run. */
export interface YodaState {
  config: YodaConfig;
  plan: RangePlan;
  rangeState: Uint8Array;
  failures: Uint16Array;
  /** Key of the Droid holding each assigned range. */
  owner: (string | undefined)[];
  /** Ready ranges: one FIFO, or one per input file when the job has remote inputs (locality.ts). */
  ready: IndexQueue | FileReadyQueue;
  /** Which node holds which remote input file; null when the job's inputs are all local. */
  locality: Locality | null;
  counts: { ready: number; assigned: number; done: number; fatal: number };
  /** Events of the done ranges: in all runs, and in this run (for rates). */
  events: { total: number; done: number; doneThisRun: number };
  droids: Map<string, DroidInfo>;
  /** Droids connected and not gone, and those of them with a parked request. */
  activeCount: number;
  parkedDroids: number;
  phase: 'running' | 'draining' | 'ending' | 'finished';
  outcome: Outcome | null;
  startedAt: number;
  phaseSince: number;
  lastProgressAt: number;
  /** Problems worth counting: frames dropped, stale or duplicate reports. */
  stats: { duplicates: number; stale: number; invalid: number; lostDroids: number };
  /** A drain found Droids of other allocations: they were told Yoda is moving, and the lease is to be released at once. */
  handingOver: boolean;
  /** Why the run stopped early, for the summary. */
  stopReason: string | null;
  /** The last error a Droid left with, and when the last Droid left (0: none has). */
  lastDroidError: string | null;
  lastDroidLeftAt: number;
  /** Wall milliseconds of the ranges done this run, to estimate how long the next one takes. */
  durations: { count: number; sumMs: number };
  /**
   * Ranges in flight at a take-over whose Droid may still run them, with that Droid's key: counted as assigned, owned by
   * nobody, never handed out, until their Droid claims them (hello) or is gone, or `heldBackUntil` passes.
   */
  heldBack: Map<number, string>;
  heldBackUntil: number;
  /** The launch (allocation) of each Droid ranges are held back for, from its join record (null when unknown). */
  holderLaunch: Map<string, string | null>;
  /** Stage-in failures (ERR_STAGE_IN) per range this run: they use no attempt, up to STAGE_IN_ATTEMPTS. */
  stageInFailures: Map<number, number>;
  /** Stage-out of done ranges' outputs (with merge: of merged files); null when the job has none. */
  stage: StageState | null;
  /** Merge of the done ranges' outputs per group; null when the job has none. */
  merge: MergeState | null;
}

/**
 * Builds the state of a new run from what the journal says happened before. A range in flight when this run began is
 * held back when `holderGone` cannot tell that the Droid which held it is gone (see YodaState.heldBack).
 */
export function createYodaState(
  config: YodaConfig,
  plan: RangePlan,
  past: JournalState,
  now: number,
  holderGone: (droid: string) => boolean,
  /** With stageOut: the outputs of the done ranges (with merge: merged groups) not delivered yet (queued for delivery). */
  unstaged: Map<number, string[]> = new Map(),
  /** With merge: its state, built from the journal (see createMergeState). */
  merge: MergeState | null = null,
): YodaState {
  const total = plan.total;
  const rangeState = new Uint8Array(total);
  // Room for a second entry per range: a range adopted after a hand-over keeps its stale entry (dispatch skips it)
  // and may be queued again if released later.
  const locality = createLocality(plan);
  const ready = locality ? new FileReadyQueue(plan) : new IndexQueue(2 * total);
  const counts = { ready: 0, assigned: 0, done: 0, fatal: 0 };
  const events = { total: plan.totalEvents, done: 0, doneThisRun: 0 };
  const heldBack = new Map<number, string>();
  for (const [i, droid] of past.inFlightAtRun) {
    if (i < total && past.state[i] === RangeState.ready && !holderGone(droid)) heldBack.set(i, droid);
  }
  for (let i = 0; i < total; i++) {
    const s = past.state[i];
    if (s === RangeState.done) {
      counts.done += 1;
      events.done += plan.eventsOf(i);
    } else if (s === RangeState.fatal) counts.fatal += 1;
    else if (heldBack.has(i)) {
      counts.assigned += 1;
      rangeState[i] = RangeState.assigned;
      continue;
    } else {
      ready.push(i);
      counts.ready += 1;
    }
    rangeState[i] = s === RangeState.assigned ? RangeState.ready : s;
  }
  return {
    config,
    plan,
    rangeState,
    failures: Uint16Array.from(past.failures),
    owner: new Array(total),
    ready,
    locality,
    counts,
    events,
    droids: new Map(),
    activeCount: 0,
    parkedDroids: 0,
    phase: 'running',
    outcome: null,
    startedAt: now,
    phaseSince: now,
    lastProgressAt: now,
    stats: { duplicates: 0, stale: 0, invalid: 0, lostDroids: 0 },
    handingOver: false,
    stopReason: null,
    lastDroidError: null,
    lastDroidLeftAt: 0,
    durations: { count: 0, sumMs: 0 },
    heldBack,
    heldBackUntil: now + config.holdBackSeconds * 1000,
    holderLaunch: new Map([...new Set(heldBack.values())].map((d) => [d, past.droidLaunch.get(d) ?? null])),
    stage: config.stageOut
      ? createStageState(config.stageOut.parallel, merge ? past.stagedGroups.size : past.stagedCount, unstaged)
      : null,
    stageInFailures: new Map(),
    merge,
  };
}

/** Stage-out bookkeeping of one run (null in YodaState when the job has no stageOut). */
export interface StageState {
  /** Transfers at once (stageOut.parallel). */
  parallel: number;
  /** Done ranges waiting for a transfer, in order, with their outputs in `outputs`. */
  queue: number[];
  outputs: Map<number, string[]>;
  /** Units whose transfer runs now, with when it started. */
  running: Map<number, number>;
  /** Transfers that ended well this run, and their summed wall time (to reserve time for the last one at a time limit). */
  timing: { count: number; sumMs: number };
  /** Ranges (with merge: groups) delivered (all runs), delivered bytes (this run), deliveries that failed on every attempt (this run). */
  staged: number;
  bytes: number;
  failed: number;
  /** While draining: running transfers are given up (left for the next run) after this time (epoch ms). */
  drainUntil: number | null;
}

/** The stage-out state of a run: `unstaged` are done ranges not delivered yet, with their outputs. */
export function createStageState(parallel: number, staged: number, unstaged: Map<number, string[]>): StageState {
  return {
    parallel,
    queue: [...unstaged.keys()].sort((a, b) => a - b),
    outputs: new Map(unstaged),
    running: new Map(),
    timing: { count: 0, sumMs: 0 },
    staged,
    bytes: 0,
    failed: 0,
    drainUntil: null,
  };
}

/** Merge bookkeeping of one run (null in YodaState when the job has no merge). */
export interface MergeState {
  groups: MergeGroups;
  /** Where group g's merged file goes. */
  outputOf: (g: number) => string;
  /** Merges at once (merge.parallel); delete the range outputs once merged (merge.deleteInputs). */
  parallel: number;
  deleteInputs: boolean;
  /** Per group: ranges not done yet; -1 once merged (or queued or merging: see `queue` and `running`). */
  left: Int32Array;
  /** The outputs of the done ranges of groups not merged yet. */
  outputs: Map<number, string[]>;
  /** Complete groups waiting for a merge, in order; groups being merged now, with when their merge started. */
  queue: number[];
  running: Map<number, number>;
  /** Merges that ended well this run, and their summed wall time (to reserve time for the last one at a time limit). */
  timing: { count: number; sumMs: number };
  /** Groups merged (all runs); merges that failed on every attempt (this run). */
  merged: number;
  failed: number;
  /** While draining: running merges are given up (left for the next run) after this time (epoch ms). */
  drainUntil: number | null;
}
