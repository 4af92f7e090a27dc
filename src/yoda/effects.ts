// What Yoda's state machine asks its shell to do, and what it reacts to.
import type { DroidMessage, YodaMessage } from '../protocol/messages.js';
import type { JournalRecord } from '../journal/records.js';
import type { Outcome } from './state.js';
import { EXIT } from '../util/errors.js';

/** Something that happened to Yoda. */
export type YodaEvent =
  | { type: 'message'; from: string; msg: DroidMessage }
  | { type: 'tick' }
  | { type: 'drain'; reason: string; graceSeconds: number }
  /** Droids that held ranges in flight at a take-over are known to be gone, and why (see yoda/holders.ts). */
  | { type: 'holdersGone'; droids: string[]; why: string }
  | { type: 'journalFailed'; error: string }
  /** Stage-out: a range's outputs were delivered and verified at the destination. */
  | { type: 'staged'; i: number; out: string[]; bytes: number; adler32: string[] | null }
  /** Stage-out: a range's delivery failed on every attempt; `file` is the output that could not be delivered. */
  | { type: 'stageFailed'; i: number; file: string; msg: string }
  /** Merge: group g's range outputs (`inputs` of them) were merged into `out`. */
  | { type: 'merged'; g: number; out: string; inputs: number; bytes: number; adler32: string }
  /** Merge: group g's merge failed on every attempt. */
  | { type: 'mergeFailed'; g: number; msg: string };

/** Something Yoda's shell must do. */
export type YodaEffect =
  | { type: 'send'; to: string; msg: YodaMessage }
  | { type: 'journal'; records: JournalRecord[] }
  | { type: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; msg: string; data?: Record<string, unknown> }
  /** Stage-out: deliver the outputs of done range `i` (with merge: merged group `i`) (answered by a staged or stageFailed event). */
  | { type: 'stage'; i: number; id: string; outputs: string[] }
  /** Stage-out: give up these ranges' transfers (a drain's grace is over): they are delivered by the next run. */
  | { type: 'stopStage'; r: number[] }
  /** Merge: merge group g's range outputs (`inputs`, in order) into `output` (answered by merged or mergeFailed). */
  | { type: 'merge'; g: number; id: string; inputs: string[]; output: string }
  /** Merge: kill these groups' merges (a drain's grace is over): they are merged by the next run. */
  | { type: 'stopMerge'; g: number[] }
  /** Delete these files once every journal record before this effect is written (merged range outputs). */
  | { type: 'deleteFiles'; files: string[] }
  | { type: 'finish'; outcome: Outcome; exitCode: number };

/** Exit code of each outcome (see the README's exit-code table). */
export const EXIT_CODES: Record<Outcome, number> = {
  complete: EXIT.complete,
  fatal: EXIT.fatal,
  drained: EXIT.stopped,
  failed: EXIT.failed,
};
