// A Droid across a hand-over, in fake time: told Yoda is moving, it keeps its workers and its results; said hello again
// to the new Yoda, it lists what it holds; welcomed, it reports there. Also: a refusal on rejoin, a job that completes
// before the (re)join, and a pause of the Droid's own process.
import { describe, expect, it } from 'vitest';
import type { WorkerReport } from '../../../src/protocol/worker.js';
import { config, Droid, ofType, range, toYoda } from './harness.js';

/** A welcomed Droid with range 0 in slot 0, range 1 (second attempt) in slot 1, and ranges 2, 3 queued. */
function busyDroid(): Droid {
  const d = new Droid();
  d.s.config = { ...config, rangeTimeoutSeconds: null }; // long silences below are Yoda's; no range hangs
  toYoda(d.on({ type: 'connected' })); // the first hello
  d.welcome();
  expect(
    toYoda(
      d.on({
        type: 'yoda',
        msg: { type: 'ranges', ranges: [range(0), { ...range(1), attempt: 2 }, range(2), range(3)] },
      }),
    ),
  ).toEqual([]);
  d.on({ type: 'worker', slot: 0, report: { type: 'ready' } });
  d.on({ type: 'worker', slot: 1, report: { type: 'ready' } });
  expect(d.s.slots.map((x) => x.phase)).toEqual(['busy', 'busy']);
  return d;
}

const moving = { type: 'yoda', msg: { type: 'moving', reason: 'received SIGTERM' } } as const;
const welcome = {
  type: 'yoda',
  msg: { type: 'welcome', job: { name: 'j', hash: 'h', workdir: '/w', totalRanges: 9, heartbeatSeconds: 1 } },
} as const;
const done = (id: string, cpu: number | null = 1): WorkerReport => ({
  type: 'done',
  id,
  outputs: [`/o/${id}`],
  cpu,
  wall: 1,
});
const workerEffects = ['startWorker', 'stopWorker', 'killWorker', 'drainWorker'] as const;

describe('Droid across a hand-over', () => {
  it('on moving keeps its workers running and asks for nothing; results wait for the next Yoda', () => {
    const d = busyDroid();
    const out = d.on(moving, 10);
    expect(d.s.moving).toBe(true);
    for (const t of workerEffects) expect(ofType(out, t)).toEqual([]);
    expect(toYoda(out)).toEqual([]);
    // A worker finishes and takes the next queued range; no report, no request, not even after reportIntervalMs.
    const fin = d.on({ type: 'worker', slot: 0, report: done('f:0') }, 10);
    expect(toYoda(fin)).toEqual([]);
    expect(ofType(d.on({ type: 'worker', slot: 0, report: { type: 'ready' } }), 'feedWorker')).toEqual([
      { type: 'feedWorker', slot: 0, ranges: [range(2)] },
    ]);
    const later = [d.on({ type: 'tick' }, config.reportIntervalMs + 1), d.on({ type: 'tick' }, 5_000)].flat();
    expect(toYoda(later).filter((m) => m.type !== 'heartbeat')).toEqual([]);
    for (const t of workerEffects) expect(ofType(later, t)).toEqual([]);
    expect(d.s.results).toEqual([expect.objectContaining({ i: 0, ok: true })]);
    // A refusal from the moving Yoda (a report it no longer takes) is no error.
    d.on({ type: 'yoda', msg: { type: 'refuse', reason: 'unknown Droid: say hello first' } });
    expect(d.s.error).toBeNull();
    expect(d.s.phase).toBe('running');
  });

  it('on reconnect says hello listing the ranges it holds (workers and queue) with their attempts', () => {
    const d = busyDroid();
    d.on(moving, 10);
    const out = d.on({ type: 'connected' }, 500);
    expect(toYoda(out)).toEqual([
      expect.objectContaining({ type: 'hello', droid: 'd0', held: [0, 1, 2, 3], attempts: [1, 2, 1, 1] }),
    ]);
    expect(ofType(out, 'log').map((l) => l.msg)).toEqual(['joining the new Yoda, still holding 4 range(s)']);
    expect(d.s.rejoining).toBe(true);
    expect(d.s.moving).toBe(false);
    for (const t of workerEffects) expect(ofType(out, t)).toEqual([]);
  });

  it('also claims the ranges it finished while Yoda was moving, whose results the new Yoda has not seen yet', () => {
    const d = busyDroid();
    d.on(moving, 10);
    d.on({ type: 'worker', slot: 1, report: done('f:1') }, 10); // range 1 (attempt 2) done, its result kept
    const out = d.on({ type: 'connected' }, 500);
    // Without range 1 in held, a new Yoda holding it back for this Droid would take its result as another's.
    expect(toYoda(out)).toEqual([
      expect.objectContaining({ type: 'hello', held: [0, 2, 3, 1], attempts: [1, 1, 1, 2] }),
    ]);
  });

  it('sends the results of held ranges to the new Yoda only once it is welcomed, and starts no worker again', () => {
    const d = busyDroid();
    d.on(moving, 10);
    d.on({ type: 'worker', slot: 0, report: done('f:0') }, 10);
    toYoda(d.on({ type: 'connected' }, 10));
    // Between hello and welcome: a result comes in, time passes; nothing goes out yet.
    const waiting = [
      d.on({ type: 'worker', slot: 1, report: done('f:1') }, 10),
      d.on({ type: 'tick' }, config.reportIntervalMs + 1),
    ].flat();
    expect(toYoda(waiting).filter((m) => m.type !== 'heartbeat')).toEqual([]);
    const out = d.on(welcome, 10);
    expect(ofType(out, 'startWorker')).toEqual([]);
    expect(ofType(out, 'log').map((l) => l.msg)).toEqual(['welcomed by the new Yoda of job j; workers kept']);
    // Both workers now wait with 2 ranges queued: the first report after the welcome carries both results.
    const after = [...out, ...d.on({ type: 'tick' }, config.reportIntervalMs + 1)];
    const reports = toYoda(after).filter((m) => m.type === 'report');
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({
      type: 'report',
      released: [],
      results: [expect.objectContaining({ i: 0, ok: true }), expect.objectContaining({ i: 1, ok: true })],
    });
    expect(d.s.results).toEqual([]);
  });

  it('stops with an error when the new Yoda refuses its rejoin', () => {
    const d = busyDroid();
    d.on(moving, 10);
    toYoda(d.on({ type: 'connected' }, 10));
    const out = d.on({ type: 'yoda', msg: { type: 'refuse', reason: "protocol version 1 is not Yoda's 2" } }, 10);
    expect(d.s.error).toBe("Yoda refused this Droid: protocol version 1 is not Yoda's 2");
    expect(d.s.phase).toBe('draining');
    expect(ofType(out, 'killWorker').map((e) => e.slot)).toEqual([0, 1]);
    d.on({ type: 'workerExited', slot: 0, code: null, signal: 'SIGKILL' });
    const end = d.on({ type: 'workerExited', slot: 1, code: null, signal: 'SIGKILL' });
    expect(toYoda(end).map((m) => m.type)).toContain('bye');
    expect(ofType(end, 'exit')).toEqual([
      expect.objectContaining({ code: 5, error: expect.stringContaining('refused') }),
    ]);
  });

  it('leaves with 0 when the new Yoda says the job is complete before welcoming its rejoin', () => {
    const d = busyDroid();
    d.on(moving, 10);
    toYoda(d.on({ type: 'connected' }, 10));
    const out = d.on({ type: 'yoda', msg: { type: 'end', reason: 'complete', graceSeconds: 0 } }, 10);
    expect(d.s.phase).toBe('ending');
    expect(d.s.rejoining).toBe(false);
    expect(toYoda(out)).toEqual([expect.objectContaining({ type: 'report', released: [2, 3] })]);
    d.on({ type: 'worker', slot: 0, report: done('f:0') });
    d.on({ type: 'worker', slot: 0, report: { type: 'ready' } });
    d.on({ type: 'worker', slot: 1, report: done('f:1') });
    d.on({ type: 'worker', slot: 1, report: { type: 'ready' } });
    d.on({ type: 'workerExited', slot: 0, code: 0, signal: null });
    const end = d.on({ type: 'workerExited', slot: 1, code: 0, signal: null });
    expect(toYoda(end).map((m) => m.type)).toEqual(['report', 'bye']);
    expect(ofType(end, 'exit')).toEqual([{ type: 'exit', code: 0, error: null, workerLog: null }]);
  });

  it('a first hello answered with the end of the job: no worker starts, the Droid says bye and exits 0', () => {
    const d = new Droid();
    toYoda(d.on({ type: 'connected' }));
    const out = d.on({ type: 'yoda', msg: { type: 'end', reason: 'complete', graceSeconds: 0 } }, 10);
    expect(ofType(out, 'startWorker')).toEqual([]);
    expect(toYoda(out)).toEqual([{ type: 'bye', reason: 'job complete' }]);
    expect(ofType(out, 'exit')).toEqual([{ type: 'exit', code: 0, error: null, workerLog: null }]);
  });
});

describe('a paused Droid', () => {
  it('gives Yoda the paused time back: a pause longer than yodaGiveUpSeconds is not taken for a lost Yoda', () => {
    const d = busyDroid();
    d.on({ type: 'yoda', msg: { type: 'heartbeat' } }, 1_000);
    // The process was stopped for 125 s (over the 120 s give-up): the shell reports the late timer, then ticks.
    const paused = d.on({ type: 'paused', ms: 125_000 }, 125_000);
    expect(ofType(paused, 'log').map((l) => l.msg)).toEqual([
      expect.stringMatching(/this Droid did not run for 125\.0 s .*Yoda gets that time back/),
    ]);
    const tick = d.on({ type: 'tick' });
    expect(d.s.error).toBeNull();
    expect(d.s.yodaSilent).toBe(false);
    expect(ofType(tick, 'killWorker')).toEqual([]);
    // The same silence without the pause: lost Yoda.
    const other = busyDroid();
    other.on({ type: 'yoda', msg: { type: 'heartbeat' } }, 1_000);
    const lost = other.on({ type: 'tick' }, 125_000);
    expect(other.s.error).toMatch(/lost Yoda: silent for 120 s/);
    expect(toYoda(lost).filter((m) => m.type !== 'heartbeat')).toEqual([
      { type: 'report', results: [], released: [2, 3], want: 0 },
    ]);
  });

  it('never credits Yoda with more than the time that passed', () => {
    const d = busyDroid();
    d.on({ type: 'yoda', msg: { type: 'heartbeat' } }, 1_000);
    d.on({ type: 'paused', ms: 500_000 }, 2_000);
    expect(d.s.lastHeardFromYoda).toBe(d.now);
  });
});

describe('a result whose payload CPU was not measured', () => {
  it('goes to Yoda with cpu null, not 0', () => {
    const d = busyDroid();
    const out = [
      d.on({ type: 'worker', slot: 0, report: done('f:0', null) }, 10),
      d.on({ type: 'tick' }, config.reportIntervalMs + 1),
    ].flat();
    const results = toYoda(out).flatMap((m) => (m.type === 'report' ? m.results : []));
    expect(results).toEqual([expect.objectContaining({ i: 0, ok: true, cpu: null })]);
  });
});
