// The worker channel (Droid <-> payload worker): every message both ways, and the one parser of worker lines.
// UTF-8 JSON objects, one per line, over the UNIX stream socket in YODA_CONTROL_FD; docs/worker-protocol.md.
import { isErrorCode } from './error-codes.js';

/** Longest control line accepted from a worker; longer means a broken worker. */
export const MAX_CONTROL_LINE = 1024 * 1024;

/** One range as a worker receives it: events first..last (0-based, inclusive) of input file `file`. */
export interface WorkerRange {
  id: string;
  /** Absolute path of the input file. */
  file: string;
  first: number;
  last: number;
  /** Suggested absolute output path (in the output directory). */
  output: string;
  /** 1 for the first try. */
  attempt: number;
  guid?: string;
  scope?: string;
  /** With `extract` (ESS style): `file` holds only this range's events and event e is its (e - fileFirst)-th; absent
   * (0) when `file` is the whole input file. `source` is then the remote file the events came from. */
  fileFirst?: number;
  source?: string;
}

/** Droid -> worker. */
export type ToWorker =
  /** One answer per ready: ranges to process, at most the `batch` the worker's ready offered (1 when it gave none). */
  | { type: 'ranges'; ranges: WorkerRange[] }
  /** The other answer to ready: finish and exit 0. */
  | { type: 'no_more_events' }
  /** The job drains: finish the range in hand within graceSeconds (SIGTERM follows at once, SIGKILL at the end). */
  | { type: 'drain'; graceSeconds: number };

/** Worker -> Droid: a range processed. `cpu` (required) and `wall` (optional) are seconds >= 0 for this range. */
export interface DoneMessage {
  type: 'done';
  id: string;
  outputs: string[];
  cpu: number;
  wall?: number;
}

/** Worker -> Droid: a range failed with ERR_<NAME> (FATAL in the name: the worker exits after it). */
export interface FailedMessage {
  type: 'failed';
  id: string;
  code: string;
  message: string;
}

/** Worker -> Droid: ready for ranges; `batch` (optional, default 1) is the most it takes in one `ranges` message. */
export interface ReadyMessage {
  type: 'ready';
  batch?: number;
}

/** Most ranges the Droid puts in one message, whatever a worker offers. */
export const MAX_RANGES_PER_MESSAGE = 256;

/** Worker -> Droid. */
export type FromWorker = ReadyMessage | DoneMessage | FailedMessage;

/** A worker's report as the Droid's state machine sees it: checked, outputs resolved; `wall` null when not given. */
export type WorkerReport =
  | ReadyMessage
  /** `cpu` null: not measured (a command-mode range run without the exec helper), never a false 0. */
  | { type: 'done'; id: string; outputs: string[]; cpu: number | null; wall: number | null }
  | { type: 'failed'; id: string; code: string; message: string };

type Kind = 'string' | 'strings' | 'seconds' | 'seconds?' | 'code' | 'text?' | 'count?';
/** Field rules per message; `satisfies` makes the compiler check they name exactly the type's fields. */
type Spec<T> = { [K in Exclude<keyof T, 'type'>]-?: Kind };
const DONE: Spec<DoneMessage> = { id: 'string', outputs: 'strings', cpu: 'seconds', wall: 'seconds?' };
const FAILED: Spec<FailedMessage> = { id: 'string', code: 'code', message: 'text?' };
const READY: Spec<ReadyMessage> = { batch: 'count?' };
/** The field rules, exported for the unit test that checks them against the types. */
export const WORKER_MESSAGE_FIELDS = { ready: READY, done: DONE, failed: FAILED } as const satisfies Record<
  FromWorker['type'],
  Record<string, Kind>
>;

function checkField(v: unknown, kind: Kind): string | null {
  switch (kind) {
    case 'string':
      return typeof v === 'string' && v !== '' ? null : 'a non-empty string';
    case 'strings':
      return Array.isArray(v) && v.every((x) => typeof x === 'string' && x !== '') ? null : 'a list of paths';
    case 'seconds':
      return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? null : 'a number of seconds >= 0';
    case 'seconds?':
      return v === undefined || (typeof v === 'number' && Number.isFinite(v) && v >= 0)
        ? null
        : 'absent or a number of seconds >= 0';
    case 'code':
      return isErrorCode(v) ? null : 'ERR_ followed by capitals, digits or _';
    case 'text?':
      return v === undefined || typeof v === 'string' ? null : 'absent or a string';
    case 'count?':
      return v === undefined || (Number.isInteger(v) && (v as number) >= 1) ? null : 'absent or an integer >= 1';
  }
}

/** A parsed worker line: the message, or why it is not one (with the range id when the line named one). */
export type ParsedWorkerLine = { ok: true; msg: FromWorker } | { ok: false; why: string; id?: string };

/** Parses one control line from a worker, as strictly as Yoda's frames; unknown fields are ignored. */
export function parseWorkerLine(line: string): ParsedWorkerLine {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return { ok: false, why: `not JSON: ${JSON.stringify(line.slice(0, 80))}` };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    return { ok: false, why: `not a JSON object: ${line.slice(0, 80)}` };
  const o = v as Record<string, unknown>;
  const type = o.type;
  if (type !== 'ready' && type !== 'done' && type !== 'failed')
    return { ok: false, why: `unknown message type ${JSON.stringify(type)?.slice(0, 40)}` };
  const id = typeof o.id === 'string' && o.id !== '' ? o.id : undefined;
  for (const [field, kind] of Object.entries(WORKER_MESSAGE_FIELDS[type]) as [string, Kind][]) {
    const expected = checkField(o[field], kind);
    if (expected)
      return {
        ok: false,
        why: `${type}: ${field} must be ${expected} (got ${JSON.stringify(o[field])?.slice(0, 60) ?? 'nothing'})`,
        ...(id ? { id } : {}),
      };
  }
  switch (type) {
    case 'ready':
      return { ok: true, msg: o.batch === undefined ? { type } : { type, batch: o.batch as number } };
    case 'done':
      return {
        ok: true,
        msg: {
          type,
          id: o.id as string,
          outputs: o.outputs as string[],
          cpu: o.cpu as number,
          ...(o.wall !== undefined ? { wall: o.wall as number } : {}),
        },
      };
    case 'failed':
      return {
        ok: true,
        msg: {
          type,
          id: o.id as string,
          code: o.code as string,
          message: typeof o.message === 'string' ? o.message.slice(0, 2000) : '',
        },
      };
  }
}

/** The line sent to a worker. */
export function toWorkerLine(m: ToWorker): string {
  return `${JSON.stringify(m)}\n`;
}

/** Parses a line a worker receives (for the helpers); null when it is not a message the worker knows. */
export function parseToWorker(line: string): ToWorker | { type: 'unknown'; raw: unknown } | null {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  if (o.type === 'no_more_events') return { type: 'no_more_events' };
  if (o.type === 'drain')
    return { type: 'drain', graceSeconds: typeof o.graceSeconds === 'number' ? o.graceSeconds : 0 };
  if (o.type === 'ranges' && Array.isArray(o.ranges) && o.ranges.length > 0)
    return { type: 'ranges', ranges: o.ranges as WorkerRange[] };
  return { type: 'unknown', raw: v };
}
