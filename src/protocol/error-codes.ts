// The registry of range error codes (ERR_*): every code the runtime itself produces, with its meaning.
// Payloads may report their own ERR_<NAME> codes too; a name containing FATAL means the worker cannot go on.

/** Every ERR_* code the runtime produces for a range, with what it means (docs/worker-protocol.md lists them). */
export const RANGE_ERRORS = {
  /** The worker died (exit or signal) while it held the range. */
  ERR_WORKER_DIED: 'the worker process ended while it held the range',
  /** The worker sent a malformed message about the range, or broke the dialogue (it is then killed). */
  ERR_WORKER_PROTOCOL:
    'the worker broke the control protocol (malformed report, unknown range, control channel closed while running)',
  /** A done report whose outputs break the output rules (empty list, not a regular file, stale, outside). */
  ERR_OUTPUT_INVALID:
    'a reported output breaks the output rules (empty list, not a regular file, older than the attempt, outside the output and work directories)',
  /** A reported output (or command mode's {output}) does not exist. */
  ERR_OUTPUT_MISSING: 'a reported output does not exist',
  /** The worker's process tree passed the slot's memory limit and was killed. */
  ERR_MEMORY_LIMIT: "the worker's process tree passed payload.memoryLimitMBPerCore and was killed",
  /** The range was held longer than payload.rangeTimeoutSeconds; the worker was killed. */
  ERR_RANGE_TIMEOUT: 'no result within payload.rangeTimeoutSeconds; the worker was killed',
  /** Command mode: the command could not be started. */
  ERR_COMMAND_START: 'command mode: the command could not be started',
  /** A failed report without a valid ERR_<NAME> code. */
  ERR_PAYLOAD: 'the payload reported a failure without a valid ERR_<NAME> code',
  /** A helper: the payload's process function raised an exception that is not a PayloadError. */
  ERR_EXCEPTION: "the helper caught an exception from the payload's function",
  /** Stage-out: a done range's output could not be delivered and verified at the destination on any attempt. */
  ERR_STAGE_OUT: 'stage-out: an output could not be copied to the destination and verified there on any attempt',
  /** Event streaming: the range's remote input file could not be fetched to the node (burns no payload attempt). */
  ERR_STAGE_IN: "stage-in: the range's remote input file could not be fetched to the node on any try",
  /** Merge: a group's merge command failed (or wrote nothing) on every attempt. */
  ERR_MERGE: "merge: the job's merge command failed on a group on every attempt",
} as const;

/** The stage-in failure code: a range failing with it uses none of the payload's maxAttempts... */
export const STAGE_IN_CODE = 'ERR_STAGE_IN';
/** ...but is fatal after this many in one run (each already retried by the Droid's fetcher, with backoff). */
export const STAGE_IN_ATTEMPTS = 10;

/** A code the runtime produces. */
export type RangeErrorCode = keyof typeof RANGE_ERRORS;

/** The shape of every error code on the worker channel and in the journal: ERR_ then capitals, digits, _. */
export const ERROR_CODE_PATTERN = /^ERR_[A-Z0-9_]+$/;

/** True for a well-formed code. */
export function isErrorCode(code: unknown): code is string {
  return typeof code === 'string' && ERROR_CODE_PATTERN.test(code);
}

/** A fatal code (the worker cannot go on: it exits after reporting and a new one is started). */
export function isFatalCode(code: string): boolean {
  return code.includes('FATAL');
}

/** The command-mode code for an exit code or a signal. */
export function commandFailureCode(exitCode: number | undefined, signal: string | undefined): string {
  return signal ? `ERR_SIGNAL_${signal.replace(/^SIG/, '')}` : `ERR_EXIT_${exitCode}`;
}

/** The codes by name, so code refers to ERR.WORKER_DIED instead of writing the string. */
export const ERR = Object.fromEntries(Object.keys(RANGE_ERRORS).map((k) => [k.slice(4), k])) as {
  [K in RangeErrorCode as K extends `ERR_${infer N}` ? N : never]: K;
};
