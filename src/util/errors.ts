// One error base and one exit-code table for the whole runtime: decisions read `code` and fields, never message text.

/** Every exit code yoda returns (the README's table, the --help epilog and the batch scripts say the same). */
export const EXIT = {
  /** Every range done. */
  complete: 0,
  /** An unexpected internal error (a bug: please report it with the log). */
  internal: 1,
  /** Bad command line, job file, input, environment or work directory: nothing was started. */
  badInput: 2,
  /** Finished, but some ranges are fatal (failed on every attempt). */
  fatal: 3,
  /** Stopped early (signal or time limit) with ranges left: run again to resume. */
  stopped: 4,
  /** The run failed (payload cannot start, Droids lost, journal unwritable): run again once fixed. */
  failed: 5,
} as const;

/** What each exit code of `yoda run` means and what to do, for --help (the README's table says the same). */
export const EXIT_HELP: [ExitCode, string][] = [
  [EXIT.complete, 'every range done'],
  [EXIT.badInput, 'bad command line, job file, input, environment or work directory (nothing was started)'],
  [EXIT.fatal, 'finished, but some ranges are fatal (they failed on every attempt)'],
  [EXIT.stopped, 'stopped early (signal or time limit) with ranges left: run the same command again to resume'],
  [EXIT.failed, 'the run failed (payload cannot start, Droids lost, journal unwritable): see the log, fix, run again'],
  [EXIT.internal, 'internal error (a bug: please report it with logs/ from the work directory)'],
];

/** An exit code of yoda. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * Error codes the runtime raises, each with the exit code it ends a command with. A code is a failure the user can
 * act on; the message says what to do, the facts carry the values (path, field, value...).
 */
export const ERROR_EXIT = {
  /** A command-line option is missing, malformed or out of range. */
  BAD_USAGE: EXIT.badInput,
  /** The job file cannot be read, parsed or validated. */
  BAD_JOB_FILE: EXIT.badInput,
  /** An input file is missing, unreadable, listed twice or holds no events. */
  BAD_INPUT: EXIT.badInput,
  /** The batch system's environment (Slurm, PBS, MPI variables, node files) makes no sense. */
  BAD_ENVIRONMENT: EXIT.badInput,
  /** This node's CPU topology cannot be read. */
  BAD_TOPOLOGY: EXIT.badInput,
  /** The work directory holds another job. */
  WORKDIR_MISMATCH: EXIT.badInput,
  /** The work directory cannot be created, read or written (read-only, full, corrupt job.json). */
  WORKDIR_UNUSABLE: EXIT.badInput,
  /** The network address Yoda should bind cannot be used. */
  BAD_ADDRESS: EXIT.badInput,
  /** A stop signal arrived before the job ran (while loading or counting events): nothing ran; run again. */
  STOPPED: EXIT.stopped,
  /** A rank could not find or join Yoda. */
  RENDEZVOUS: EXIT.failed,
  /** The journal cannot be written during a run. */
  JOURNAL_FAILED: EXIT.failed,
  /** This Yoda lost its lease on the work directory (paused past the lease timeout, another Yoda took over): it stopped writing. */
  LEASE_LOST: EXIT.failed,
  /** The batch system refused a submission (`yoda fill`: bad partition, account or limits); the message names them. */
  SUBMIT_REFUSED: EXIT.badInput,
} as const satisfies Record<string, ExitCode>;

/** Error codes the runtime raises; each maps to an exit code in ERROR_EXIT. */
export type ErrorCode = keyof typeof ERROR_EXIT;

/** A runtime error with a machine-readable code and facts as fields. */
export class YodaError extends Error {
  readonly code: ErrorCode;
  readonly facts: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, facts: Record<string, unknown> = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'YodaError';
    this.code = code;
    this.facts = facts;
  }
}

/** True when `e` is a YodaError with one of the given codes. */
export function isYodaError(e: unknown, ...codes: ErrorCode[]): e is YodaError {
  return e instanceof YodaError && (codes.length === 0 || codes.includes(e.code));
}

/** The exit code for an error that ended a command: its code's, or 1 (a bug) for anything else. */
export function exitCodeFor(e: unknown): ExitCode {
  return e instanceof YodaError ? ERROR_EXIT[e.code] : EXIT.internal;
}

/** The errno code of a Node system error (ENOENT, EROFS...), or undefined. */
export function errnoOf(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
