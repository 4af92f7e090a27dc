// One sample of every message each way, typed by the unions so that a new kind or field fails to compile until
// it has a sample here; and the mutations (a field removed, a field of the wrong type) the guards must refuse.
import {
  PROTOCOL_VERSION,
  type DroidMessage,
  type RangeResult,
  type RangeSpec,
  type YodaMessage,
} from '../../../src/protocol/messages.js';

export const range: RangeSpec = { i: 3, id: 'f.dat:30-39', file: '/in/f.dat', first: 30, last: 39, attempt: 2 };
export const rangeWithIds: RangeSpec = {
  ...range,
  i: 4,
  id: 'f.dat:40-49',
  first: 40,
  last: 49,
  guid: 'A1B2-C3',
  scope: 'mc23',
};
export const done: RangeResult = {
  i: 3,
  id: 'f.dat:30-39',
  ok: true,
  outputs: ['/out/3.root'],
  cpu: 1.5,
  wall: 2.25,
  start: 1_700_000_000_000,
  end: 1_700_000_002_250,
  slot: 1,
};
/** A command run without the exec helper: its CPU was not measured. */
export const doneNotMeasured: RangeResult = { ...done, i: 5, id: 'f.dat:50-59', cpu: null };
export const failed: RangeResult = {
  i: 4,
  id: 'f.dat:40-49',
  ok: false,
  code: 'ERR_CRASH',
  message: 'segfault',
  start: 1_700_000_000_000,
  end: 1_700_000_000_500,
  slot: 0,
};

/** Every Droid -> Yoda message kind, with its variants (optional fields present and absent). */
export const droidSamples: Record<DroidMessage['type'], DroidMessage[]> = {
  hello: [
    {
      type: 'hello',
      version: PROTOCOL_VERSION,
      droid: 'd-1',
      node: 'nid001',
      rank: 1,
      pid: 4242,
      slots: 4,
      cores: 8,
      launch: 'slurm:12.0',
      held: [],
      attempts: [],
    },
    {
      type: 'hello',
      version: PROTOCOL_VERSION,
      droid: 'd-2',
      node: 'nid002',
      rank: 2,
      pid: 7,
      slots: 1,
      cores: 1,
      launch: null,
      held: [5, 9],
      attempts: [1, 2],
    },
  ],
  report: [
    { type: 'report', results: [], released: [], want: 4 },
    { type: 'report', results: [done, failed], released: [7, 8], want: 0 },
    { type: 'report', results: [doneNotMeasured], released: [], want: 1 },
  ],
  heartbeat: [{ type: 'heartbeat' }],
  bye: [
    { type: 'bye', reason: 'drained' },
    { type: 'bye', reason: 'error', error: 'slot 0: worker exited with code 127 before it was ready' },
  ],
};

/** Every Yoda -> Droid message kind, with its variants. */
export const yodaSamples: Record<YodaMessage['type'], YodaMessage[]> = {
  welcome: [
    {
      type: 'welcome',
      job: { name: 'mc', hash: 'abc123', workdir: '/scratch/mc', totalRanges: 1000, heartbeatSeconds: 2.5 },
    },
  ],
  refuse: [{ type: 'refuse', reason: 'protocol version 1, this Yoda speaks 2' }],
  ranges: [
    { type: 'ranges', ranges: [] },
    { type: 'ranges', ranges: [range, rangeWithIds] },
  ],
  heartbeat: [{ type: 'heartbeat' }],
  end: [
    { type: 'end', reason: 'complete', graceSeconds: 0 },
    { type: 'end', reason: 'drain', graceSeconds: 120.5 },
  ],
  moving: [{ type: 'moving', reason: 'allocation ends in 60 s' }],
};

export const allDroid = Object.values(droidSamples).flat();
export const allYoda = Object.values(yodaSamples).flat();

/** Fields that may be absent (by key, in any map of a message). */
const OPTIONAL = new Set(['error', 'guid', 'scope']);
/** Fields that may be null (launch: string | null; cpu: number | null, not measured). */
const NULLABLE = new Set(['launch', 'cpu']);

/** A value of another type than `v` (and, for numbers, the out-of-range values a guard must also refuse). */
function wrongValues(key: string, v: unknown): unknown[] {
  if (typeof v === 'string') return [7, null, ['x']];
  if (typeof v === 'boolean') return ['yes', 1];
  if (v === null) return key === 'cpu' ? ['1', {}, Number.NaN] : [7, {}]; // cpu: a number or null
  if (Array.isArray(v)) return ['x', { 0: 1 }, null];
  if (typeof v === 'object') return ['x', [], null];
  if (typeof v === 'number') {
    // Counts and indexes are non-negative integers; times and durations are finite numbers.
    const real = ['cpu', 'wall', 'start', 'end', 'heartbeatSeconds', 'graceSeconds'].includes(key);
    if (real) return ['1', null, Number.POSITIVE_INFINITY, Number.NaN];
    return key === 'slot' ? ['1', null, -2, 1.5] : ['1', null, -1, 1.5]; // slot -1: a range that reached no worker
  }
  return [];
}

const show = (v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : JSON.stringify(v));

/** One broken copy of a message: where it was broken, how, and the copy. */
export interface Mutation {
  path: string;
  how: string;
  message: Record<string, unknown>;
}

// The maps inside a message whose fields the guard checks: the message itself, its job, first range and results.
function innerMaps(m: Record<string, unknown>): [string, (copy: Record<string, unknown>) => Record<string, unknown>][] {
  const out: [string, (copy: Record<string, unknown>) => Record<string, unknown>][] = [['', (c) => c]];
  if (m.job) out.push(['job.', (c) => c.job as Record<string, unknown>]);
  for (const list of ['ranges', 'results'] as const) {
    const items = m[list];
    if (!Array.isArray(items)) continue;
    for (let k = 0; k < items.length; k++)
      out.push([`${list}[${k}].`, (c) => (c[list] as Record<string, unknown>[])[k]]);
  }
  return out;
}

/** Every way of breaking `m` that must be refused: each required field removed, each field given a wrong value. */
export function mutations(m: object): Mutation[] {
  const out: Mutation[] = [];
  for (const [prefix, pick] of innerMaps(m as Record<string, unknown>)) {
    for (const [key, value] of Object.entries(pick(m as Record<string, unknown>))) {
      if (key === 'type' && prefix === '') continue;
      if (!OPTIONAL.has(key)) {
        const copy = structuredClone(m) as Record<string, unknown>;
        delete pick(copy)[key];
        out.push({ path: prefix + key, how: 'missing', message: copy });
      }
      for (const wrong of wrongValues(key, value).filter((w) => !(w === null && NULLABLE.has(key)))) {
        const copy = structuredClone(m) as Record<string, unknown>;
        pick(copy)[key] = wrong;
        out.push({ path: prefix + key, how: `= ${show(wrong)}`, message: copy });
      }
      // An element of a list of strings or numbers (outputs, released, held, attempts) of the wrong kind.
      if (Array.isArray(value) && value.length > 0 && typeof value[0] !== 'object') {
        for (const wrong of typeof value[0] === 'string' ? [7, null] : ['1', -1, 1.5, null]) {
          const copy = structuredClone(m) as Record<string, unknown>;
          (pick(copy)[key] as unknown[])[0] = wrong;
          out.push({ path: `${prefix}${key}[0]`, how: `= ${show(wrong)}`, message: copy });
        }
      }
    }
  }
  return out;
}
