import { describe, expect, it } from 'vitest';
import type { DroidEffect } from '../../../src/droid/effects.js';
import { config, Droid, ofType, range, toYoda } from './harness.js';

/** The request for `want` more ranges, with nothing to report. */
const asksFor = (want: number) => [{ type: 'report', results: [], released: [], want }];

describe('Droid state machine', () => {
  it('says hello, starts one worker per slot when welcomed and asks for slots x (1 + prefetch) ranges', () => {
    const d = new Droid();
    expect(toYoda(d.on({ type: 'connected' }))).toEqual([
      expect.objectContaining({ type: 'hello', droid: 'd0', slots: 2, cores: 2, pid: 42 }),
    ]);
    const out = d.welcome();
    expect(ofType(out, 'startWorker').map((e) => e.slot)).toEqual([0, 1]);
    expect(toYoda(out)).toEqual([{ type: 'report', results: [], released: [], want: 4 }]);
    expect(toYoda(d.welcome())).toEqual([]); // one open request at a time
  });

  it('feeds a ready worker from its queue and reports the result with the next request', () => {
    const d = new Droid();
    d.welcome();
    d.on({ type: 'yoda', msg: { type: 'ranges', ranges: [0, 1, 2, 3].map(range) } });
    const fed = d.on({ type: 'worker', slot: 0, report: { type: 'ready' } });
    expect(ofType(fed, 'feedWorker')).toEqual([{ type: 'feedWorker', slot: 0, ranges: [range(0)] }]);
    const done = d.on(
      { type: 'worker', slot: 0, report: { type: 'done', id: 'f:0', outputs: ['/o/0'], cpu: 1, wall: 2 } },
      50,
    );
    // 4 wanted in all, 3 queued, none running now: the result goes with a request for 1 more.
    expect(toYoda(done)).toEqual([
      {
        type: 'report',
        want: 1,
        released: [],
        results: [expect.objectContaining({ i: 0, ok: true, outputs: ['/o/0'], start: 0, end: 50, slot: 0 })],
      },
    ]);
    const out = d.on({ type: 'worker', slot: 0, report: { type: 'ready' } });
    expect(ofType(out, 'feedWorker')[0].ranges).toEqual([range(1)]);
    expect(toYoda(out)).toEqual([]);
  });

  it('fails the ranges of a worker that dies, and restarts it', () => {
    const d = new Droid();
    d.welcome();
    expect(toYoda(d.on({ type: 'yoda', msg: { type: 'ranges', ranges: [range(0)] } }))).toEqual(asksFor(3)); // fewer than wanted: asks for the rest
    d.on({ type: 'worker', slot: 0, report: { type: 'ready' } });
    d.on({ type: 'workerExited', slot: 0, code: 139, signal: null });
    expect(d.s.results).toEqual([expect.objectContaining({ i: 0, ok: false, code: 'ERR_WORKER_DIED' })]);
    expect(ofType(d.on({ type: 'tick' }, 10), 'startWorker')).toEqual([{ type: 'startWorker', slot: 0 }]);
  });

  it('retires a slot whose worker exits at start again and again, and stops with an error naming the log when none is left', () => {
    const d = new Droid();
    d.welcome();
    let out: DroidEffect[] = [];
    for (let n = 0; n < 3; n++) {
      for (const slot of [0, 1]) out = d.on({ type: 'workerExited', slot, code: 127, signal: null });
      d.on({ type: 'tick' }, 10_000);
    }
    expect(d.s.slots.map((x) => x.phase)).toEqual(['retired', 'retired']);
    const bye = toYoda(out).find((m) => m.type === 'bye');
    expect(bye).toMatchObject({ type: 'bye', reason: 'error' });
    expect(bye?.type === 'bye' && bye.error).toContain('/w/logs/workers/n0.');
    expect(ofType(out, 'exit')).toEqual([
      {
        type: 'exit',
        code: 5,
        error: expect.stringContaining('exited with code 127 before it was ready'),
        workerLog: expect.stringMatching(/\.log$/),
      },
    ]);
  });

  it('drains: hands queued ranges back, lets busy workers finish, then says bye', () => {
    const d = new Droid();
    d.welcome();
    expect(toYoda(d.on({ type: 'yoda', msg: { type: 'ranges', ranges: [0, 1, 2].map(range) } }))).toEqual(asksFor(1)); // fewer than wanted: asks for the rest
    d.on({ type: 'worker', slot: 0, report: { type: 'ready' } });
    d.on({ type: 'worker', slot: 1, report: { type: 'ready' } });
    const out = d.on({ type: 'yoda', msg: { type: 'end', reason: 'drain', graceSeconds: 30 } });
    expect(toYoda(out)).toEqual([expect.objectContaining({ type: 'report', released: [2], want: 0 })]);
    d.on({ type: 'worker', slot: 0, report: { type: 'done', id: 'f:0', outputs: [], cpu: 0, wall: 0 } });
    expect(ofType(d.on({ type: 'worker', slot: 0, report: { type: 'ready' } }), 'stopWorker')).toEqual([
      { type: 'stopWorker', slot: 0 },
    ]);
    d.on({ type: 'workerExited', slot: 0, code: 0, signal: null });
    d.on({ type: 'yoda', msg: { type: 'heartbeat' } }, 20_000);
    const late = d.on({ type: 'tick' }, 11_000); // grace over: slot 1 still busy
    expect(ofType(late, 'killWorker')).toEqual([{ type: 'killWorker', slot: 1 }]);
    expect(toYoda(late)).toContainEqual(
      expect.objectContaining({ type: 'report', results: [expect.objectContaining({ i: 0, ok: true })] }),
    );
    const end = d.on({ type: 'workerExited', slot: 1, code: null, signal: 'SIGKILL' });
    const msgs = toYoda(end);
    expect(msgs[0]).toMatchObject({ type: 'report', released: [1], results: [] });
    expect(msgs[1]).toMatchObject({ type: 'bye', reason: 'drained' });
    expect(ofType(end, 'exit')).toEqual([{ type: 'exit', code: 0, error: null, workerLog: null }]);
  });

  it('stops a worker that reports a FATAL code, and treats a report for an unknown range as a broken worker', () => {
    const d = new Droid();
    d.welcome();
    expect(toYoda(d.on({ type: 'yoda', msg: { type: 'ranges', ranges: [range(0), range(1)] } }))).toEqual(asksFor(2)); // fewer than wanted: asks for the rest
    d.on({ type: 'worker', slot: 0, report: { type: 'ready' } });
    const out = d.on({
      type: 'worker',
      slot: 0,
      report: { type: 'failed', id: 'f:0', code: 'ERR_FATAL_CONFIG', message: 'bad' },
    });
    expect(ofType(out, 'stopWorker')).toEqual([{ type: 'stopWorker', slot: 0 }]);
    d.on({ type: 'worker', slot: 1, report: { type: 'ready' } });
    const broken = d.on({
      type: 'worker',
      slot: 1,
      report: { type: 'done', id: 'nope', outputs: [], cpu: 0, wall: 0 },
    });
    expect(ofType(broken, 'killWorker')).toEqual([{ type: 'killWorker', slot: 1 }]);
    expect(d.s.results.map((r) => !r.ok && r.code)).toEqual(['ERR_FATAL_CONFIG', 'ERR_WORKER_PROTOCOL']);
  });

  it('kills the process tree of a worker that holds a range past rangeTimeoutSeconds and fails it with ERR_RANGE_TIMEOUT', () => {
    const d = new Droid();
    d.welcome();
    expect(toYoda(d.on({ type: 'yoda', msg: { type: 'ranges', ranges: [range(0)] } }))).toEqual(asksFor(3)); // fewer than wanted: asks for the rest
    d.on({ type: 'worker', slot: 0, report: { type: 'ready' } });
    d.on({ type: 'worker', slot: 1, report: { type: 'ready' } });
    d.on({ type: 'yoda', msg: { type: 'heartbeat' } }, 59_000);
    expect(ofType(d.on({ type: 'tick' }, 500), 'killWorker')).toEqual([]);
    const out = d.on({ type: 'tick' }, 1_000);
    expect(ofType(out, 'killWorker')).toEqual([{ type: 'killWorker', slot: 0 }]);
    // Slot 1 waits with nothing queued: the failure goes to Yoda at once.
    const sent = toYoda(out).flatMap((m) => (m.type === 'report' ? m.results : []));
    expect(sent).toEqual([expect.objectContaining({ i: 0, ok: false, code: 'ERR_RANGE_TIMEOUT' })]);
    d.on({ type: 'workerExited', slot: 0, code: null, signal: 'SIGKILL' });
    expect(d.s.results).toEqual([]); // the kill does not fail the range a second time
  });

  it('keeps its workers going while Yoda is briefly silent, and gives up after yodaGiveUpSeconds', () => {
    const d = new Droid();
    d.s.config = { ...config, rangeTimeoutSeconds: null };
    d.welcome();
    expect(toYoda(d.on({ type: 'yoda', msg: { type: 'ranges', ranges: [range(0)] } }))).toEqual(asksFor(3)); // fewer than wanted: asks for the rest
    d.on({ type: 'worker', slot: 0, report: { type: 'ready' } });
    d.on({ type: 'worker', slot: 1, report: { type: 'ready' } });
    const warn = d.on({ type: 'tick' }, 31_000);
    expect(
      ofType(warn, 'log')
        .map((l) => l.msg)
        .join(),
    ).toMatch(/Yoda silent for 30 s: workers finish what they hold/);
    expect(ofType(warn, 'killWorker')).toEqual([]);
    expect(d.s.phase).toBe('running');
    const stop = d.on({ type: 'tick' }, 90_000);
    expect(d.s.error).toMatch(/lost Yoda: silent for 120 s/);
    expect(ofType(stop, 'killWorker')).toEqual([{ type: 'killWorker', slot: 0 }]);
  });
  it('kills a worker over its memory limit and fails the range it holds with ERR_MEMORY_LIMIT, even while draining', () => {
    const d = new Droid();
    d.welcome();
    expect(toYoda(d.on({ type: 'yoda', msg: { type: 'ranges', ranges: [range(0), range(1)] } }))).toEqual(asksFor(2)); // fewer than wanted: asks for the rest
    d.on({ type: 'worker', slot: 0, report: { type: 'ready' } });
    d.on({ type: 'worker', slot: 1, report: { type: 'ready' } });
    const out = d.on({ type: 'workerOverMemory', slot: 0, rssMB: 310, limitMB: 100 });
    expect(ofType(out, 'killWorker')).toEqual([{ type: 'killWorker', slot: 0 }]);
    expect(ofType(out, 'log')[0].msg).toMatch(
      /slot 0: .* 310 MB .* limit of 100 MB .*failing the range in hand with ERR_MEMORY_LIMIT; see \/w\/logs\/workers\/n0.0.log/,
    );
    expect(d.s.results).toEqual([
      expect.objectContaining({
        i: 0,
        ok: false,
        code: 'ERR_MEMORY_LIMIT',
        message: expect.stringContaining('310 MB'),
      }),
    ]);
    expect(
      d.on({ type: 'workerOverMemory', slot: 0, rssMB: 320, limitMB: 100 }).filter((e) => e.type === 'killWorker'),
    ).toHaveLength(1);
    d.on({ type: 'workerExited', slot: 0, code: null, signal: 'SIGKILL' });
    expect(d.s.results).toHaveLength(1);
    expect(ofType(d.on({ type: 'tick' }, 10), 'startWorker')).toEqual([{ type: 'startWorker', slot: 0 }]);
    d.on({ type: 'drain', reason: 'test', graceSeconds: 30 });
    d.on({ type: 'workerOverMemory', slot: 1, rssMB: 200, limitMB: 100 });
    expect(d.s.results.map((r) => [r.i, !r.ok && r.code])).toEqual([
      [0, 'ERR_MEMORY_LIMIT'],
      [1, 'ERR_MEMORY_LIMIT'],
    ]);
  });

  it('counts a worker over its memory limit before it was ready as a failed start, and ignores a slot without a worker', () => {
    const d = new Droid();
    d.welcome();
    const out = d.on({ type: 'workerOverMemory', slot: 1, rssMB: 150, limitMB: 100 });
    expect(ofType(out, 'killWorker')).toEqual([{ type: 'killWorker', slot: 1 }]);
    const exit = d.on({ type: 'workerExited', slot: 1, code: null, signal: 'SIGKILL' });
    expect(ofType(exit, 'log')[0].msg).toMatch(/slot 1: .*150 MB.* before it was ready \(1\/3\)/);
    expect(d.on({ type: 'workerOverMemory', slot: 1, rssMB: 150, limitMB: 100 })).toEqual([]);
    expect(d.s.results).toEqual([]);
  });
});
