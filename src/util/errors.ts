// One error base for the whole runtime: decisions read `code` and fields, never message text.

/** Error codes the runtime raises; each maps to an exit code in cli/exit-codes.ts. */
export type ErrorCode =
  | 'BAD_USAGE'
  | 'BAD_JOB_FILE'
  | 'BAD_INPUT'
  | 'WORKDIR_MISMATCH'
  | 'WORKDIR_UNUSABLE'
  | 'RENDEZVOUS';

/** A runtime error with a machine-readable code and optional facts. */
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
