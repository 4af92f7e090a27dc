// Every message between Yoda and its Droids: one tagged union per direction, versioned at hello.

/** Bumped whenever a message changes shape; a Droid of another version is refused at hello.
 * 3: a result's `cpu` may be null (not measured), which a Yoda of version 2 would drop with the whole report.
 * 4: a failed result's `slot` may be -1 (ERR_STAGE_IN: the range never reached a worker).
 * 5: a report may carry `cached`, the remote input files the Droid's node holds, and a ranges answer `prefetch`, the
 *    file to fetch next (locality-aware dispatch). */
export const PROTOCOL_VERSION = 5;

/** One event range as sent to a Droid: events first..last (0-based, inclusive) of one input file. */
export interface RangeSpec {
  /** Index of the range in the job (dense, stable for a given job file). */
  i: number;
  /** Stable readable id, e.g. "evgen_001.dat:0-99". */
  id: string;
  /** Absolute path of the input file. */
  file: string;
  first: number;
  last: number;
  /** Attempt number of this assignment, 1 for the first try. */
  attempt: number;
  guid?: string;
  /** Set by the Droid when it extracted the range's events into a small local `file` (ESS style): the number of that
   * file's first event (event e is the file's (e - fileFirst)-th), and the remote file it came from. */
  fileFirst?: number;
  source?: string;
  scope?: string;
}

/** Outcome of one range, as reported by a Droid. */
export type RangeResult =
  | {
      i: number;
      id: string;
      ok: true;
      outputs: string[];
      /** Payload CPU and wall seconds for this range; cpu is null when it was not measured (a command without the
       * exec helper), never a false 0. */
      cpu: number | null;
      wall: number;
      /** Unix epoch milliseconds when the worker got the range and when it reported it. */
      start: number;
      end: number;
      slot: number;
    }
  | {
      i: number;
      id: string;
      ok: false;
      /** ERR_<NAME>; a name containing FATAL means the worker could not go on. */
      code: string;
      message: string;
      start: number;
      end: number;
      slot: number;
    };

/** Droid -> Yoda. */
export type DroidMessage =
  | {
      type: 'hello';
      version: number;
      droid: string;
      node: string;
      rank: number;
      pid: number;
      slots: number;
      cores: number;
      /** The launch (allocation) this Droid belongs to: launchId() of its rank, null when the launcher gives none. */
      launch: string | null;
      /** Ranges this Droid still holds from an earlier Yoda (after a hand-over), with their attempt numbers. */
      held: number[];
      attempts: number[];
    }
  /** Results since the last report; `want` > 0 asks for that many more ranges (one open request at a time);
   * `cached`: the remote input files (URLs) the node's cache holds or fetches, sent when that changed. */
  | { type: 'report'; results: RangeResult[]; released: number[]; want: number; cached?: string[] }
  | { type: 'heartbeat' }
  | { type: 'bye'; reason: string; error?: string };

/** What a Droid learns about the job at welcome. */
export interface JobInfo {
  name: string;
  hash: string;
  workdir: string;
  totalRanges: number;
  heartbeatSeconds: number;
}

/** Yoda -> Droid. */
export type YodaMessage =
  | { type: 'welcome'; job: JobInfo }
  | { type: 'refuse'; reason: string }
  /** The answer to one request; possibly fewer ranges than wanted, never more; `prefetch`: remote input files the
   * Droid's node should fetch now, ahead of their ranges (its next ones, with locality-aware dispatch). */
  | { type: 'ranges'; ranges: RangeSpec[]; prefetch?: string[] }
  | { type: 'heartbeat' }
  /** No more ranges will come: `complete` when the job is over, `drain` to stop early within graceSeconds. */
  | { type: 'end'; reason: 'complete' | 'drain'; graceSeconds: number }
  /** This Yoda is handing the job over (its allocation ends): keep the workers and what they hold, and follow the
   * endpoint file to the next Yoda. */
  | { type: 'moving'; reason: string };
