// The records of the job journal (journal.log in the work directory); replay folds them into Yoda's state.

/** First record of every journal: which job this work directory belongs to. */
export interface JobRecord {
  t: 'job';
  hash: string;
  name: string;
  ranges: number;
  events: number;
  at: number;
}

/** One `yoda run` (one allocation) started on this work directory. */
export interface RunRecord {
  t: 'run';
  run: number;
  at: number;
  host: string;
  pid: number;
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
  cpu: number;
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

/** A run ended; `exit` is the exit code Yoda returned. */
export interface EndRecord {
  t: 'end';
  run: number;
  at: number;
  outcome: 'complete' | 'fatal' | 'drained' | 'failed';
  exit: number;
}

/** Any journal record. */
export type JournalRecord =
  | JobRecord
  | RunRecord
  | AssignRecord
  | DoneRecord
  | FailRecord
  | ReleaseRecord
  | EndRecord;
