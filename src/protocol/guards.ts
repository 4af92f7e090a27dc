// Shape checks for decoded frames: anything that fails is dropped and counted, never trusted.
// They run for every range of every report, so each spec is a fixed list walked without allocating.
import { PROTOCOL_VERSION } from './messages.js';

type Obj = Record<string, unknown>;
type Check = (v: unknown) => boolean;
/** A field: its key, its check, and whether it may be absent. */
type Field = readonly [key: string, ok: Check, optional?: boolean];

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isStrOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';
const isNumOrNull = (v: unknown): v is number | null => v === null || isNum(v);

function fields(o: Obj, spec: readonly Field[]): string | null {
  for (let k = 0; k < spec.length; k++) {
    const [key, ok, optional] = spec[k];
    const value = o[key];
    if (value === undefined && optional) continue;
    if (!ok(value)) return `field ${key} has an invalid value`;
  }
  return null;
}

function arrayOf(v: unknown, max: number, ok: Check): boolean {
  if (!Array.isArray(v) || v.length > max) return false;
  for (let k = 0; k < v.length; k++) if (!ok(v[k])) return false;
  return true;
}

const isStrArray = (v: unknown) => arrayOf(v, 10_000, isStr);
const isIntArray = (v: unknown) => arrayOf(v, 1_000_000, isInt);

const RESULT: readonly Field[] = [
  ['i', isInt],
  ['id', isStr],
  ['ok', isBool],
  ['start', isNum],
  ['end', isNum],
  ['slot', (v: unknown) => Number.isInteger(v) && (v as number) >= -1], // -1: on no slot (a stage-in failure)
];
const RESULT_OK: readonly Field[] = [
  ['outputs', isStrArray],
  ['cpu', isNumOrNull],
  ['wall', isNum],
];
const RESULT_FAILED: readonly Field[] = [
  ['code', isStr],
  ['message', isStr],
];
const RANGE: readonly Field[] = [
  ['i', isInt],
  ['id', isStr],
  ['file', isStr],
  ['first', isInt],
  ['last', isInt],
  ['attempt', isInt],
  ['guid', isStr, true],
  ['scope', isStr, true],
];
const HELLO: readonly Field[] = [
  ['version', isInt],
  ['droid', isStr],
  ['node', isStr],
  ['rank', isInt],
  ['pid', isInt],
  ['slots', isInt],
  ['cores', isInt],
  ['launch', isStrOrNull],
  ['held', isIntArray],
  ['attempts', isIntArray],
];
const MOVING: readonly Field[] = [['reason', isStr]];
const REPORT: readonly Field[] = [
  ['want', isInt],
  ['released', isIntArray],
  ['cached', (v) => arrayOf(v, 1_000_000, isStr), true],
];
const BYE: readonly Field[] = [
  ['reason', isStr],
  ['error', isStr, true],
];
const JOB: readonly Field[] = [
  ['name', isStr],
  ['hash', isStr],
  ['workdir', isStr],
  ['totalRanges', isInt],
  ['heartbeatSeconds', isNum],
];
const REFUSE: readonly Field[] = [['reason', isStr]];
const PREFETCH: readonly Field[] = [['prefetch', isStrArray, true]];
const END: readonly Field[] = [
  ['reason', (x) => x === 'complete' || x === 'drain'],
  ['graceSeconds', isNum],
];

function checkResult(v: unknown): string | null {
  if (!isObj(v)) return 'result is not a map';
  return fields(v, RESULT) ?? fields(v, v.ok ? RESULT_OK : RESULT_FAILED);
}

function checkRange(v: unknown): string | null {
  return isObj(v) ? fields(v, RANGE) : 'range is not a map';
}

function firstProblem(items: unknown, check: (v: unknown) => string | null, max: number): string | null {
  if (!Array.isArray(items)) return 'list expected';
  if (items.length > max) return `list of ${items.length} exceeds ${max}`;
  for (let k = 0; k < items.length; k++) {
    const p = check(items[k]);
    if (p) return p;
  }
  return null;
}

const arrayLength = (v: unknown) => (Array.isArray(v) ? v.length : -1);

const unknownType = (type: unknown) => `unknown message type ${JSON.stringify(type).slice(0, 40)}`;

/** Returns null when `v` is a valid DroidMessage, else what is wrong with it. */
export function checkDroidMessage(v: unknown): string | null {
  if (!isObj(v) || !isStr(v.type)) return 'not a message';
  switch (v.type) {
    case 'hello':
      // The version first: a Droid of another version gets a clear refusal, not a dropped frame.
      if (v.version !== undefined && isInt(v.version) && v.version !== PROTOCOL_VERSION)
        return fields(v, HELLO.slice(0, 7));
      return (
        fields(v, HELLO) ??
        (arrayLength(v.held) !== arrayLength(v.attempts) ? 'fields held and attempts differ in length' : null)
      );
    case 'report':
      return fields(v, REPORT) ?? firstProblem(v.results, checkResult, 100_000);
    case 'heartbeat':
      return null;
    case 'bye':
      return fields(v, BYE);
    default:
      return unknownType(v.type);
  }
}

/** Returns null when `v` is a valid YodaMessage, else what is wrong with it. */
export function checkYodaMessage(v: unknown): string | null {
  if (!isObj(v) || !isStr(v.type)) return 'not a message';
  switch (v.type) {
    case 'welcome':
      return isObj(v.job) ? fields(v.job, JOB) : 'field job has an invalid value';
    case 'refuse':
      return fields(v, REFUSE);
    case 'ranges':
      return firstProblem(v.ranges, checkRange, 1_000_000) ?? fields(v, PREFETCH);
    case 'heartbeat':
      return null;
    case 'end':
      return fields(v, END);
    case 'moving':
      return fields(v, MOVING);
    default:
      return unknownType(v.type);
  }
}
