// A Droid's state: its slots, their workers, the ranges it holds and what it owes Yoda.
import type { RangeResult, RangeSpec } from '../protocol/messages.js';

/** Fixed facts and knobs of one Droid. */
export interface DroidConfig {
  key: string;
  node: string;
  rank: number;
  pid: number;
  /** The launch (allocation) of this rank, sent at hello: Yoda tells its own allocation's Droids from the others. */
  launch: string | null;
  /** Worker slots from the node's plan (`cores`: width in cores, `cpus`: every pinned hardware thread);
   * a worker whose process tree passes `memoryLimitMB` is killed. */
  slots: { slot: number; cpus: number[]; cores: number; gpus: number[]; log: string; memoryLimitMB: number | null }[];
  /** Fewest extra ranges kept per slot beyond the one it runs; more when ranges are short (slots.ts, sparePerSlot). */
  prefetchPerSlot: number;
  /** Results are sent at least this often, or as soon as `reportBatch` are waiting. */
  reportIntervalMs: number;
  reportBatch: number;
  heartbeatSeconds: number;
  /** A worker must say ready within this time after it starts. */
  startTimeoutSeconds: number;
  /** A slot whose worker fails to start this many times in a row is retired. */
  maxStartFailures: number;
  /** Yoda silent for this long: workers finish what they hold, nothing new starts, the Droid waits for Yoda... */
  yodaTimeoutSeconds: number;
  /** ...and silent this long: the Droid stops its workers and exits with an error. */
  yodaGiveUpSeconds: number;
  /** A range held longer than this is a hang: its worker's whole process tree is killed (null: no limit). */
  rangeTimeoutSeconds: number | null;
  /** Bytes of remote input files kept on the node (inputs.ts; no cap when absent). */
  inputCacheBytes?: number;
  /** Remote input files read per range by the job's `extract` command (ESS style) instead of fetched whole. */
  extractUrls?: string[];
}

/** Life of one slot's worker process. */
export type WorkerPhase = 'none' | 'starting' | 'waiting' | 'busy' | 'stopping' | 'retired';

/** One slot: a worker process and the ranges it holds. */
export interface SlotState {
  slot: number;
  cpus: number[];
  /** The worker's stdout/stderr file, named in error messages. */
  log: string;
  phase: WorkerPhase;
  /** Ranges sent to the worker and not yet reported, with when each was sent. */
  holding: Map<string, { range: RangeSpec; since: number }>;
  /** Most ranges the worker takes in one message (its ready's `batch`; 1 when it gave none). */
  batch: number;
  /** When the worker last got ranges or reported one: a range of a batch starts when the one before it ended. */
  progressAt: number;
  startedAt: number;
  /** A stopping worker that has not exited by then is killed. */
  stopBy: number;
  startFailures: number;
  /** Earliest time the worker may be started again (backoff after a failed start). */
  restartAt: number;
  /** Last failure that retired or delayed this slot, for messages. */
  lastStartError: string | null;
  rangesDone: number;
}

/** A Droid's whole state. */
export interface DroidState {
  config: DroidConfig;
  phase: 'connecting' | 'running' | 'draining' | 'ending' | 'stopped';
  slots: SlotState[];
  /** Ranges received from Yoda and not yet given to a worker. */
  queue: RangeSpec[];
  requestOpen: boolean;
  results: RangeResult[];
  /** The attempt of each range in `results` (by range index): a Droid joining a new Yoda claims those ranges too. */
  resultAttempts: Map<number, number>;
  released: number[];
  firstPendingAt: number | null;
  lastSentToYoda: number;
  lastHeardFromYoda: number;
  /** Yoda has been silent past yodaTimeoutSeconds (warned once). */
  yodaSilent: boolean;
  /** Yoda said it is moving (hand-over): keep workers and results, send nothing until the next Yoda's endpoint. */
  moving: boolean;
  /** Said hello again to a new Yoda (after a hand-over) and waits for its welcome. */
  rejoining: boolean;
  drainDeadline: number | null;
  /** Set once the Droid decided to stop with an error. */
  error: string | null;
  /** The worker log that explains `error`, when a worker's failure is the reason. */
  errorLog: string | null;
  /** What sets the queue depth (slots.ts, sparePerSlot): request round trip to Yoda and range wall time, measured. */
  pace: Pace;
  /** Remote input files fetched to the node (inputs.ts). */
  inputs: InputCache;
}

/** Moving means of what the Droid measured, in ms (null: nothing measured yet), and when the open request left. */
export interface Pace {
  requestedAt: number | null;
  roundTripMs: number | null;
  rangeMs: number | null;
  /** Ranges measured into rangeMs so far. */
  ranges: number;
}

/** A new Droid, before Yoda has welcomed it. */
export function createDroidState(config: DroidConfig, now: number): DroidState {
  return {
    config,
    phase: 'connecting',
    slots: config.slots.map(({ slot, cpus, log }) => ({
      slot,
      cpus,
      log,
      phase: 'none',
      holding: new Map(),
      batch: 1,
      progressAt: 0,
      startedAt: 0,
      stopBy: 0,
      startFailures: 0,
      restartAt: 0,
      lastStartError: null,
      rangesDone: 0,
    })),
    queue: [],
    requestOpen: false,
    results: [],
    resultAttempts: new Map(),
    released: [],
    firstPendingAt: null,
    lastSentToYoda: now,
    lastHeardFromYoda: now,
    yodaSilent: false,
    moving: false,
    rejoining: false,
    drainDeadline: null,
    error: null,
    errorLog: null,
    pace: { requestedAt: null, roundTripMs: null, rangeMs: null, ranges: 0 },
    inputs: createInputCache(config.inputCacheBytes ?? Number.POSITIVE_INFINITY, config.extractUrls),
  };
}

/** One remote file on this node: its local copy (null while being fetched), size and last use (epoch ms). */
export interface CachedInput {
  local: string | null;
  bytes: number;
  lastUsed: number;
  /** Fetched ahead on Yoda's word and no range of it came yet: not evicted. */
  ahead: boolean;
}

/** What the node's input cache did so far: files fetched and their bytes, ranges whose file was here (hits) or had
 * to be fetched (misses), fetches failed on every try, files evicted, and worker time spent waiting for input. */
export interface PrefetchStats {
  fetched: number;
  /** Ranges whose events were extracted into a small file of their own (`extract`). */
  extracted: number;
  bytesFetched: number;
  hits: number;
  misses: number;
  failures: number;
  evicted: number;
  workerWaitMs: number;
}

/** The node's input cache: remote files by URL, the bytes they take and the cap, and what happened so far. */
export interface InputCache {
  files: Map<string, CachedInput>;
  capBytes: number;
  usedBytes: number;
  stats: PrefetchStats;
  /** Slots whose worker waits with only ranges of files still being fetched queued, since when (epoch ms). */
  waitingSince: Map<number, number>;
  /** The files held changed since Yoda was last told (the next report lists them, for locality-aware dispatch). */
  changed: boolean;
  /** Remote files read per range (`extract`): ranges being extracted, and the small file of each extracted one. */
  extractUrls: Set<string>;
  extracting: Set<number>;
  extracted: Map<number, string>;
}

/** An empty cache holding at most `capBytes` (files a queued or running range needs are kept even past it). */
export function createInputCache(capBytes: number, extractUrls: string[] = []): InputCache {
  return {
    files: new Map(),
    capBytes,
    usedBytes: 0,
    stats: { fetched: 0, extracted: 0, bytesFetched: 0, hits: 0, misses: 0, failures: 0, evicted: 0, workerWaitMs: 0 },
    waitingSince: new Map(),
    changed: false,
    extractUrls: new Set(extractUrls),
    extracting: new Set(),
    extracted: new Map(),
  };
}
