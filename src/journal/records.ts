// The records of the job journal (journal.log in the work directory); replay folds them into Yoda's state.

/**
 * The lease epoch of the Yoda that wrote a record (its fencing token). Every record a Yoda writes carries it;
 * records of journals written before leases existed have none and count as epoch 0. Replay ignores a record whose
 * epoch is lower than the highest epoch already seen in the file (a late write by a deposed Yoda).
 */
export interface Epoch {
  e?: number;
}

/** First record of every journal: which job this work directory belongs to. */
export interface JobRecord {
  t: 'job';
  hash: string;
  name: string;
  ranges: number;
  events: number;
  at: number;
}

/** One Yoda (one `yoda run` or `yoda serve`, or a hand-over) started on this work directory: always its first record. */
export interface RunRecord {
  t: 'run';
  run: number;
  at: number;
  host: string;
  pid: number;
  /** The launch id of this Yoda's allocation (src/batch/allocation-end.ts `launchId()`), null when the launcher gives none. */
  launch?: string | null;
  /** The lease epoch this Yoda holds (also in `e`). */
  epoch?: number;
  /** True when this Yoda took the job over from another live or stale Yoda, false after a clean end (or a first run). */
  takeover?: boolean;
}

/** A Droid welcomed by Yoda: its node, rank, launch (allocation), slots and cores. */
export interface JoinRecord {
  t: 'join';
  at: number;
  droid: string;
  node: string;
  rank: number;
  launch: string | null;
  slots: number;
  cores: number;
}

/** A Droid left: said bye (`lost` false) or was declared lost (`lost` true). */
export interface LeaveRecord {
  t: 'leave';
  at: number;
  droid: string;
  why: string;
  lost: boolean;
}

/** Ranges handed to a Droid: parallel arrays of range index and attempt number. */
export interface AssignRecord {
  t: 'assign';
  at: number;
  droid: string;
  r: number[];
  a: number[];
}

/** A range finished: its outputs are in place. At most one per range is ever honoured. */
export interface DoneRecord {
  t: 'done';
  i: number;
  id: string;
  out: string[];
  /** Payload CPU seconds; null when not measured (a command run without the exec helper). */
  cpu: number | null;
  wall: number;
  start: number;
  end: number;
  droid: string;
  node: string;
  slot: number;
  attempt: number;
}

/** A range attempt failed; `fatal` when it used its last attempt. */
export interface FailRecord {
  t: 'fail';
  i: number;
  id: string;
  attempt: number;
  code: string;
  msg: string;
  droid: string;
  node: string;
  slot: number;
  start: number;
  end: number;
  fatal: boolean;
}

/** Assigned ranges handed back without burning an attempt (lost Droid, drain). */
export interface ReleaseRecord {
  t: 'release';
  at: number;
  r: number[];
  why: string;
}

/** Done ranges to run again because their outputs are gone (`yoda run --rerun-missing`): done -> ready. */
export interface RedoRecord {
  t: 'redo';
  at: number;
  r: number[];
  why: string;
}

/** Fatal ranges given fresh attempts (`yoda run --retry-fatal`): fatal -> ready, their failure count starts again. */
export interface RetryRecord {
  t: 'retry';
  at: number;
  r: number[];
}

/** A merge group's ranges were merged into one file (`merge` in the job file). At most one per group is honoured. */
export interface MergedRecord {
  t: 'merged';
  /** The group (see src/job/merge-groups.ts) and its name. */
  g: number;
  id: string;
  at: number;
  /** The group's first and last range. */
  r: [number, number];
  /** How many range outputs went in, and the merged file. */
  inputs: number;
  out: string;
  bytes: number;
  /** Adler-32 of the merged file (eight hex digits). */
  adler32: string;
}

/** A group's merge failed on every attempt (ERR_MERGE): the run ends with exit 3; the next run tries again. */
export interface MergeFailRecord {
  t: 'mergefail';
  g: number;
  id: string;
  at: number;
  code: string;
  msg: string;
}

/**
 * A done range's outputs (`i`), or a merged group's file (`g`, with merge), were delivered to the stage-out destination
 * and verified there. At most one per range or group is honoured.
 */
export interface StagedRecord {
  t: 'staged';
  i?: number;
  g?: number;
  id: string;
  at: number;
  /** The outputs' URLs (or paths) at the destination. */
  out: string[];
  bytes: number;
  /** Adler-32 of each output (eight hex digits), null when the job's checksum is none. */
  adler32: string[] | null;
}

/** A delivery (range `i` or merged group `g`) failed on every attempt (ERR_STAGE_OUT): the run ends with exit 3 naming `file`; the next run tries again. */
export interface StageFailRecord {
  t: 'stagefail';
  i?: number;
  g?: number;
  id: string;
  at: number;
  code: string;
  file: string;
  msg: string;
}

/** A run ended; `exit` is the exit code Yoda returned. */
export interface EndRecord {
  t: 'end';
  run: number;
  at: number;
  outcome: 'complete' | 'fatal' | 'drained' | 'failed';
  exit: number;
}

/** Any journal record, with the epoch of the Yoda that wrote it. */
export type JournalRecord = (
  | JobRecord
  | RunRecord
  | JoinRecord
  | LeaveRecord
  | AssignRecord
  | DoneRecord
  | FailRecord
  | ReleaseRecord
  | RedoRecord
  | RetryRecord
  | MergedRecord
  | MergeFailRecord
  | StagedRecord
  | StageFailRecord
  | EndRecord
) &
  Epoch;
