// Shape checks for decoded frames: anything that fails is dropped and counted, never trusted.

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function fields(o: Obj, spec: Record<string, (v: unknown) => boolean>, optional: string[] = []): string | null {
  for (const [key, ok] of Object.entries(spec)) {
    if (o[key] === undefined && optional.includes(key)) continue;
    if (!ok(o[key])) return `field ${key} has an invalid value`;
  }
  return null;
}

const isStrArray = (v: unknown) => Array.isArray(v) && v.length <= 10_000 && v.every(isStr);
const isIntArray = (v: unknown) => Array.isArray(v) && v.length <= 1_000_000 && v.every(isInt);

function checkResult(v: unknown): string | null {
  if (!isObj(v)) return 'result is not a map';
  const base = fields(v, { i: isInt, id: isStr, ok: (x) => typeof x === 'boolean', start: isNum, end: isNum, slot: isInt });
  if (base) return base;
  return v.ok
    ? fields(v, { outputs: isStrArray, cpu: isNum, wall: isNum })
    : fields(v, { code: isStr, message: isStr });
}

function checkRange(v: unknown): string | null {
  if (!isObj(v)) return 'range is not a map';
  return fields(
    v,
    { i: isInt, id: isStr, file: isStr, first: isInt, last: isInt, attempt: isInt, guid: isStr, scope: isStr },
    ['guid', 'scope'],
  );
}

function firstProblem(items: unknown, check: (v: unknown) => string | null, max: number): string | null {
  if (!Array.isArray(items)) return 'list expected';
  if (items.length > max) return `list of ${items.length} exceeds ${max}`;
  for (const item of items) {
    const p = check(item);
    if (p) return p;
  }
  return null;
}

/** Returns null when `v` is a valid DroidMessage, else what is wrong with it. */
export function checkDroidMessage(v: unknown): string | null {
  if (!isObj(v) || !isStr(v.type)) return 'not a message';
  switch (v.type) {
    case 'hello':
      return fields(v, { version: isInt, droid: isStr, node: isStr, rank: isInt, pid: isInt, slots: isInt, cores: isInt });
    case 'report':
      return fields(v, { want: isInt, released: isIntArray }) ?? firstProblem(v.results, checkResult, 100_000);
    case 'heartbeat':
      return null;
    case 'bye':
      return fields(v, { reason: isStr, error: isStr }, ['error']);
    default:
      return `unknown message type ${JSON.stringify(v.type).slice(0, 40)}`;
  }
}

/** Returns null when `v` is a valid YodaMessage, else what is wrong with it. */
export function checkYodaMessage(v: unknown): string | null {
  if (!isObj(v) || !isStr(v.type)) return 'not a message';
  switch (v.type) {
    case 'welcome':
      return isObj(v.job)
        ? fields(v.job, { name: isStr, hash: isStr, workdir: isStr, totalRanges: isInt, heartbeatSeconds: isNum })
        : 'field job has an invalid value';
    case 'refuse':
      return fields(v, { reason: isStr });
    case 'ranges':
      return firstProblem(v.ranges, checkRange, 1_000_000);
    case 'heartbeat':
      return null;
    case 'end':
      return fields(v, { reason: (x) => x === 'complete' || x === 'drain', graceSeconds: isNum });
    default:
      return `unknown message type ${JSON.stringify(v.type).slice(0, 40)}`;
  }
}
