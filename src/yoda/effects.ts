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
  /** Droids that held ranges in flight at a take-over are known to be gone (their process on this node ended). */
  | { type: 'holdersGone'; droids: string[] }
  | { type: 'journalFailed'; error: string };

/** Something Yoda's shell must do. */
export type YodaEffect =
  | { type: 'send'; to: string; msg: YodaMessage }
  | { type: 'journal'; records: JournalRecord[] }
  | { type: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; msg: string; data?: Record<string, unknown> }
  | { type: 'finish'; outcome: Outcome; exitCode: number };

/** Exit code of each outcome (see the README's exit-code table). */
export const EXIT_CODES: Record<Outcome, number> = {
  complete: EXIT.complete,
  fatal: EXIT.fatal,
  drained: EXIT.stopped,
  failed: EXIT.failed,
};
