// Exit codes of `yoda run`, shared by the CLI, the README and the batch scripts.
import { isYodaError } from '../util/errors.js';

/** Every exit code yoda returns. */
export const EXIT = {
  /** Every range done. */
  complete: 0,
  /** An unexpected internal error (a bug: please report it with the log). */
  internal: 1,
  /** Bad command line, job file, input or work directory: nothing was started. */
  badInput: 2,
  /** Finished, but some ranges are fatal (failed on every attempt). */
  fatal: 3,
  /** Stopped early (signal or time limit) with ranges left: run again to resume. */
  stopped: 4,
  /** The run failed (payload cannot start, Droids lost, journal unwritable): run again once fixed. */
  failed: 5,
} as const;

/** The exit code for an error that ended a command. */
export function exitCodeFor(e: unknown): number {
  if (isYodaError(e, 'BAD_USAGE', 'BAD_JOB_FILE', 'BAD_INPUT', 'WORKDIR_MISMATCH', 'WORKDIR_UNUSABLE')) return EXIT.badInput;
  if (isYodaError(e, 'RENDEZVOUS')) return EXIT.failed;
  return EXIT.internal;
}
