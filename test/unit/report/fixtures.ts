// Handcrafted journals and job descriptions for the report's unit tests.
import type { JobDescription } from '../../../src/job/workdir.js';
import type { JournalRecord } from '../../../src/journal/records.js';

/** Base time of the handcrafted journal (ms since the epoch). */
export const T0 = Date.UTC(2026, 0, 1, 2, 0, 0);
/** Start of the second run: an hour after the first ended. */
export const T1 = T0 + 20_000 + 3_600_000;

const done = (i: number, node: string, slot: number, start: number, end: number, attempt = 1): JournalRecord => ({
  t: 'done',
  i,
  id: `f:${i}`,
  out: [`/o/${i}.out`],
  cpu: (end - start) / 2000,
  wall: (end - start) / 1000,
  start,
  end,
  droid: `d-${node}`,
  node,
  slot,
  attempt,
});
const fail = (
  i: number,
  node: string,
  slot: number,
  start: number,
  end: number,
  fatal: boolean,
  attempt = 1,
): JournalRecord => ({
  t: 'fail',
  i,
  id: `f:${i}`,
  attempt,
  code: fatal ? 'ERR_BAD' : 'ERR_WORKER_DIED',
  msg: `broke ${i}`,
  droid: `d-${node}`,
  node,
  slot,
  start,
  end,
  fatal,
});

/** Two runs: run 1 on n1 (2 slots) and n2 (1 slot) with a retry and a fatal range; run 2 (killed) on n3 with a duplicate. */
export const RECORDS: JournalRecord[] = [
  { t: 'job', hash: 'h', name: 'j', ranges: 6, events: 30, at: T0 },
  { t: 'run', run: 1, at: T0, host: 'login1', pid: 11 },
  { t: 'assign', at: T0, droid: 'd-n1', r: [0, 1], a: [1, 1] },
  fail(2, 'n2', 0, T0, T0 + 5_000, false),
  done(0, 'n1', 0, T0, T0 + 10_000),
  done(1, 'n1', 1, T0, T0 + 10_000),
  fail(4, 'n1', 1, T0 + 10_000, T0 + 12_000, true),
  done(3, 'n1', 0, T0 + 10_000, T0 + 20_000),
  done(2, 'n2', 0, T0 + 5_000, T0 + 20_000, 2),
  { t: 'end', run: 1, at: T0 + 20_000, outcome: 'fatal', exit: 3 },
  { t: 'run', run: 2, at: T1, host: 'login2', pid: 22 },
  done(5, 'n3', 0, T1, T1 + 10_000),
  done(0, 'n3', 0, T1 + 10_000, T1 + 20_000),
];

/** A job.json for a job of `ranges` ranges of 5 events in one file. */
export function description(ranges = 6): JobDescription {
  return {
    version: 1,
    name: 'j',
    hash: 'h',
    jobFile: '/jobs/j.yaml',
    baseDir: '/jobs',
    payloadCwd: '/jobs',
    spec: {
      name: 'j',
      inputs: [{ files: 'in/*.txt', events: ranges * 5 }],
      eventsPerRange: 5,
      payload: {
        mode: 'daemon',
        command: ['python3', 'p.py'],
        coresPerWorker: 1,
        env: {},
        output: '{range}.out',
        startTimeoutSeconds: 120,
      },
      output: 'outputs',
      maxAttempts: 1,
    },
    files: [{ path: '/jobs/in/f.txt', events: ranges * 5 }],
    eventsPerRange: 5,
    totalRanges: ranges,
    totalEvents: ranges * 5,
    outputDir: '/work/outputs',
    created: new Date(T0).toISOString(),
  };
}

/** A synthetic journal of `ranges` ranges of `ms` each, spread over `nodes` x `slots` workers, one run. */
export function bigJournal(ranges: number, nodes: number, slots: number, ms = 60_000): JournalRecord[] {
  const out: JournalRecord[] = [{ t: 'run', run: 1, at: T0, host: 'h', pid: 1 }];
  const workers = nodes * slots;
  for (let i = 0; i < ranges; i++) {
    const w = i % workers;
    const k = Math.floor(i / workers);
    const start = T0 + k * (ms + 50) + (w % 7) * 10;
    out.push(done(i, `nid${String(Math.floor(w / slots)).padStart(4, '0')}`, w % slots, start, start + ms));
  }
  return out;
}
