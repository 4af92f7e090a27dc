// Replay: a pure fold of journal records into the fate of every range.
import type { EndRecord, JobRecord, JournalRecord, RetryRecord, RunRecord } from './records.js';
import { STAGE_IN_CODE } from '../protocol/error-codes.js';

/** Range states as stored in `JournalState.state`. */
export const RangeState = { ready: 0, assigned: 1, done: 2, fatal: 3 } as const;

/** One failed attempt, kept for status and summaries. */
export interface FailureInfo {
  i: number;
  id: string;
  attempt: number;
  code: string;
  msg: string;
  node: string;
  fatal: boolean;
}

/** What a journal says about a job. `assigned` means in flight in the latest run (or lost with it). */
export interface JournalState {
  job: JobRecord | null;
  lastRun: RunRecord | null;
  /** The end record of the latest run; null while it runs, or when it was killed. */
  lastEnd: EndRecord | null;
  runs: number;
  state: Uint8Array;
  /** Failed attempts per range; the next attempt's number is failures + 1. */
  failures: Uint16Array;
  counts: { ready: number; assigned: number; done: number; fatal: number };
  /** Done records that named an already-done range: must stay 0. */
  duplicateDone: number;
  failureLog: FailureInfo[];
  cpuSeconds: number;
  /** Done ranges whose CPU was not measured (cpu null): not counted in cpuSeconds, never as 0. */
  cpuNotMeasured: number;
  /** The highest lease epoch seen so far (records without `e` are epoch 0). */
  epoch: number;
  /** Records ignored because a newer epoch had already written (late writes of a deposed Yoda). */
  fenced: number;
  /** The Droid each range was last assigned to (read only for ranges in flight). */
  assignedTo: (string | undefined)[];
  /**
   * Ranges that were in flight when the latest `run` record came (a new Yoda took over), with the Droid that held
   * them: that Droid may still be running them, so the new Yoda holds them back until it is known to be gone.
   */
  inFlightAtRun: Map<number, string>;
  /** The launch (allocation) of every Droid that joined, from its join record (null when its launcher gave none). */
  droidLaunch: Map<string, string | null>;
  /** Stage-out: 1 for each done range whose outputs were delivered (a staged record honoured). */
  staged: Uint8Array;
  stagedCount: number;
  stagedBytes: number;
  /** Staged records for a range already staged: must stay 0. */
  duplicateStaged: number;
  /** The last delivery failure of each done range not staged (since its last done record). */
  stageFailures: Map<number, { id: string; file: string; msg: string }>;
  /** Merge (job file's merge): the merged groups, each with its merged file and size (the first merged record honoured). */
  merged: Map<number, { out: string; bytes: number }>;
  /** The last merge failure of each group not merged. */
  mergeFailures: Map<number, { id: string; msg: string }>;
  /** Merged groups whose file was delivered by stage-out, and the last delivery failure of those not delivered. */
  stagedGroups: Set<number>;
  groupStageFailures: Map<number, { id: string; file: string; msg: string }>;
}

/** An empty state for a job of `ranges` ranges. */
export function emptyJournalState(ranges: number): JournalState {
  return {
    job: null,
    lastRun: null,
    lastEnd: null,
    runs: 0,
    state: new Uint8Array(ranges),
    failures: new Uint16Array(ranges),
    counts: { ready: ranges, assigned: 0, done: 0, fatal: 0 },
    duplicateDone: 0,
    failureLog: [],
    cpuSeconds: 0,
    cpuNotMeasured: 0,
    epoch: 0,
    fenced: 0,
    assignedTo: new Array(ranges),
    inFlightAtRun: new Map(),
    droidLaunch: new Map(),
    staged: new Uint8Array(ranges),
    stagedCount: 0,
    stagedBytes: 0,
    duplicateStaged: 0,
    stageFailures: new Map(),
    merged: new Map(),
    mergeFailures: new Map(),
    stagedGroups: new Set(),
    groupStageFailures: new Map(),
  };
}

const STATE_NAMES = ['ready', 'assigned', 'done', 'fatal'] as const;

function move(s: JournalState, i: number, to: number): void {
  s.counts[STATE_NAMES[s.state[i]]] -= 1;
  s.counts[STATE_NAMES[to]] += 1;
  s.state[i] = to;
}

/** Fencing: true when `r` is of an older epoch than the `highest` seen before it (a deposed Yoda's late write). */
export function isFenced(r: JournalRecord, highest: number): boolean {
  return (r.e ?? 0) < highest;
}

/** The records replay honours, in order: every record but the late writes of deposed Yodas. */
export function unfenced(records: readonly JournalRecord[]): JournalRecord[] {
  let highest = 0;
  return records.filter((r) => {
    if (isFenced(r, highest)) return false;
    highest = r.e ?? 0;
    return true;
  });
}

/** Folds one record into the state (mutating it; no I/O). Out-of-range indexes are ignored. */
export function foldRecord(s: JournalState, r: JournalRecord): void {
  const n = s.state.length;
  if (isFenced(r, s.epoch)) {
    s.fenced += 1;
    return;
  }
  s.epoch = r.e ?? 0;
  switch (r.t) {
    case 'job':
      s.job = r;
      return;
    case 'run':
      s.runs += 1;
      s.lastRun = r;
      s.lastEnd = null;
      // Whatever the previous run still held goes back to ready; who held it is kept (see inFlightAtRun).
      s.inFlightAtRun = new Map();
      for (let i = 0; i < n; i++) {
        if (s.state[i] !== RangeState.assigned) continue;
        s.inFlightAtRun.set(i, s.assignedTo[i] ?? '');
        move(s, i, RangeState.ready);
      }
      return;
    case 'assign':
      for (const i of r.r) {
        if (i >= n || s.state[i] !== RangeState.ready) continue;
        move(s, i, RangeState.assigned);
        s.assignedTo[i] = r.droid;
      }
      return;
    case 'done':
      if (r.i >= n) return;
      if (s.state[r.i] === RangeState.done) {
        s.duplicateDone += 1;
        return;
      }
      move(s, r.i, RangeState.done);
      if (typeof r.cpu === 'number') s.cpuSeconds += r.cpu;
      else s.cpuNotMeasured += 1;
      return;
    case 'fail':
      if (r.i >= n || s.state[r.i] === RangeState.done) return;
      if (r.code !== STAGE_IN_CODE) s.failures[r.i] += 1; // a stage-in failure uses no attempt
      s.failureLog.push({
        i: r.i,
        id: r.id,
        attempt: r.attempt,
        code: r.code,
        msg: r.msg,
        node: r.node,
        fatal: r.fatal,
      });
      move(s, r.i, r.fatal ? RangeState.fatal : RangeState.ready);
      return;
    case 'release':
      for (const i of r.r) if (i < n && s.state[i] === RangeState.assigned) move(s, i, RangeState.ready);
      return;
    case 'redo':
      // A done range whose output is gone runs again; its next done record is honoured, not a duplicate.
      for (const i of r.r) {
        if (i >= n || s.state[i] !== RangeState.done) continue;
        move(s, i, RangeState.ready);
        unstage(s, i);
      }
      return;
    case 'staged':
      if (r.g !== undefined) return foldGroupStaged(s, r.g, r.bytes);
      if (r.i === undefined || r.i >= n || s.state[r.i] !== RangeState.done) return;
      if (s.staged[r.i] === 1) {
        s.duplicateStaged += 1;
        return;
      }
      s.staged[r.i] = 1;
      s.stagedCount += 1;
      s.stagedBytes += r.bytes;
      s.stageFailures.delete(r.i);
      return;
    case 'stagefail':
      if (r.g !== undefined) {
        if (s.merged.has(r.g) && !s.stagedGroups.has(r.g))
          s.groupStageFailures.set(r.g, { id: r.id, file: r.file, msg: r.msg });
      } else if (r.i !== undefined && r.i < n && s.state[r.i] === RangeState.done && s.staged[r.i] === 0)
        s.stageFailures.set(r.i, { id: r.id, file: r.file, msg: r.msg });
      return;
    case 'merged':
      if (s.merged.has(r.g)) return;
      s.merged.set(r.g, { out: r.out, bytes: r.bytes });
      s.mergeFailures.delete(r.g);
      return;
    case 'mergefail':
      if (!s.merged.has(r.g)) s.mergeFailures.set(r.g, { id: r.id, msg: r.msg });
      return;
    case 'retry':
      // --retry-fatal: a fatal range gets maxAttempts fresh attempts; its old failures stay in failureLog.
      for (const i of r.r) {
        if (i >= n || s.state[i] !== RangeState.fatal) continue;
        move(s, i, RangeState.ready);
        s.failures[i] = 0;
      }
      return;
    case 'end':
      s.lastEnd = r;
      return;
    case 'join':
      s.droidLaunch.set(r.droid, r.launch);
      return;
    case 'leave':
      return;
  }
}

// A merged group's file delivered: honoured once (a repeat is counted as a duplicate, like a range's).
function foldGroupStaged(s: JournalState, g: number, bytes: number): void {
  if (!s.merged.has(g)) return;
  if (s.stagedGroups.has(g)) {
    s.duplicateStaged += 1;
    return;
  }
  s.stagedGroups.add(g);
  s.stagedBytes += bytes;
  s.groupStageFailures.delete(g);
}

// A range run again (redo) is delivered again once done again; its bytes stay counted (they were delivered).
function unstage(s: JournalState, i: number): void {
  s.stageFailures.delete(i);
  if (s.staged[i] === 0) return;
  s.staged[i] = 0;
  s.stagedCount -= 1;
}

/** Done ranges whose outputs are not delivered yet (for a job with stageOut). */
export function unstagedDone(s: JournalState): number[] {
  const r: number[] = [];
  for (let i = 0; i < s.state.length; i++) if (s.state[i] === RangeState.done && s.staged[i] === 0) r.push(i);
  return r;
}

/** Folds a whole record list for a job of `ranges` ranges. */
export function replay(records: JournalRecord[], ranges: number): JournalState {
  const s = emptyJournalState(ranges);
  for (const r of records) foldRecord(s, r);
  return s;
}

/** The record that gives every fatal range of `s` fresh attempts (`yoda run --retry-fatal`), or null when none is fatal. */
export function retryFatalRecord(s: JournalState, at: number): RetryRecord | null {
  const r: number[] = [];
  for (let i = 0; i < s.state.length; i++) if (s.state[i] === RangeState.fatal) r.push(i);
  return r.length > 0 ? { t: 'retry', at, r } : null;
}
