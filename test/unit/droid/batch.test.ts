// Several ranges per worker message (slots.ts, feedSlot and rangesPerMessage): a worker that offers a batch in its
// ready gets as many short ranges as fill about MESSAGE_TARGET_MS, never more than it offered nor more than its fair
// share of the queue; a worker that offers none gets one at a time. Driven in fake time: a Yoda that answers each
// request after a fixed round trip, and workers that run the ranges of a message one after another.
import { describe, expect, it } from 'vitest';
import { BATCH_AFTER_RANGES, heldPerSlot, MESSAGE_TARGET_MS } from '../../../src/droid/slots.js';
import type { RangeResult, RangeSpec } from '../../../src/protocol/messages.js';
import { Droid, ofType, range, toYoda } from './harness.js';

interface Run {
  /** Ranges in each message to a worker, in order. */
  sizes: number[];
  /** Milliseconds the slots together waited with nothing to run, after the first request was answered. */
  idleMs: number;
  /** Milliseconds from the first answer to the last range's end. */
  spanMs: number;
  results: RangeResult[];
  /** Reports that asked Yoda for ranges while it still had some (a real Yoda holds a request it cannot serve). */
  requests: number;
}

/** Runs `total` ranges of `rangeMs` each on 2 slots whose workers offer `offer` ranges per message (none: 1). */
function simulate(rangeMs: number, total: number, offer?: number, roundTripMs = 1): Run {
  const d = new Droid();
  const sizes: number[] = [];
  const results: RangeResult[] = [];
  let next = 0;
  let answer = null as { at: number; count: number } | null;
  let firstAnswer: number | null = null;
  let idleMs = 0;
  let requests = 0;
  // Per busy slot: the ranges of its message still to run, and when the one in hand ends.
  const busy = new Map<number, { left: RangeSpec[]; at: number }>();
  const ready = { type: 'ready' as const, ...(offer !== undefined ? { batch: offer } : {}) };
  const effects = (out: ReturnType<Droid['on']>) => {
    for (const m of toYoda(out)) {
      if (m.type !== 'report') continue;
      results.push(...m.results);
      if (m.want > 0) {
        answer = { at: d.now + roundTripMs, count: m.want };
        if (next < total) requests += 1;
      }
    }
    for (const e of ofType(out, 'feedWorker')) {
      sizes.push(e.ranges.length);
      busy.set(e.slot, { left: [...e.ranges], at: d.now + rangeMs });
    }
  };
  effects(d.welcome());
  for (const slot of [0, 1]) effects(d.on({ type: 'worker', slot, report: ready }));
  for (let step = 0; step < 1_000_000 && (next < total || busy.size > 0); step++) {
    const t = Math.min(...[...busy.values()].map((b) => b.at), answer?.at ?? Infinity);
    if (!Number.isFinite(t)) break;
    const dt = t - d.now;
    if (firstAnswer !== null) idleMs += dt * (2 - busy.size);
    if (answer !== null && t === answer.at) {
      const n = Math.min(answer.count, total - next);
      const ranges = Array.from({ length: n }, () => range(next++));
      answer = null;
      firstAnswer ??= t;
      effects(d.on({ type: 'yoda', msg: { type: 'ranges', ranges } }, dt));
      continue;
    }
    const [slot, b] = [...busy.entries()].find(([, x]) => x.at === t)!;
    const r = b.left.shift()!;
    const done = { type: 'done' as const, id: r.id, outputs: [`/o/${r.id}`], cpu: 0, wall: rangeMs / 1000 };
    effects(d.on({ type: 'worker', slot, report: done }, dt));
    if (b.left.length > 0) b.at = d.now + rangeMs;
    else {
      busy.delete(slot);
      effects(d.on({ type: 'worker', slot, report: ready }));
    }
  }
  effects(d.on({ type: 'tick' }, 1_000)); // the last results
  return { sizes, idleMs, spanMs: d.now - 1_000 - (firstAnswer ?? 0), results, requests };
}

describe('several ranges per worker message', () => {
  it('short ranges go many to a message, about MESSAGE_TARGET_MS worth, and the slots are not starved', () => {
    const r = simulate(2, 4_000, 256);
    const target = MESSAGE_TARGET_MS / 2;
    expect(Math.max(...r.sizes)).toBe(target);
    expect(r.sizes.filter((n) => n === target).length).toBeGreaterThan(r.sizes.length / 2);
    expect(r.results.filter((x) => x.ok)).toHaveLength(4_000);
    expect(r.idleMs / (2 * r.spanMs)).toBeLessThan(0.05);
  });

  it('very short ranges (0.5 ms, messages of up to 200): the slots are still not starved', () => {
    const r = simulate(0.5, 4_000, 256);
    expect(r.results.filter((x) => x.ok)).toHaveLength(4_000);
    expect(r.idleMs / (2 * r.spanMs)).toBeLessThan(0.05);
  });

  it('asks Yoda once a message is missing, not for every range that ends, and the slots are not starved', () => {
    // With workers that take batches and with single-range workers (command mode, helpers of old), near and far.
    for (const offer of [256, undefined])
      for (const roundTripMs of [1, 20]) {
        const r = simulate(2, 4_000, offer, roundTripMs);
        expect(r.results.filter((x) => x.ok)).toHaveLength(4_000);
        // A message's worth is 50 ranges of 2 ms: a request per range would be 4,000; one per message about 80.
        expect(r.requests).toBeLessThan(200);
        expect(r.idleMs / (2 * r.spanMs)).toBeLessThan(0.05);
      }
  });

  it('never more than the worker offered', () => {
    const r = simulate(0.5, 1_000, 8);
    expect(Math.max(...r.sizes)).toBe(8);
    expect(r.results).toHaveLength(1_000);
  });

  it('a worker that offers no batch (a single-range worker) gets exactly one range per message', () => {
    const r = simulate(0.5, 500);
    expect(new Set(r.sizes)).toEqual(new Set([1]));
    expect(r.results).toHaveLength(500);
  });

  it('long ranges go one at a time even to a worker that takes many', () => {
    const r = simulate(1_000, 20, 256);
    expect(new Set(r.sizes)).toEqual(new Set([1]));
  });

  it('at the tail a message holds at most a fair share of what is queued', () => {
    const r = simulate(0.1, 300, 256);
    expect(r.results).toHaveLength(300);
    // Never one slot taking everything while the other waits: every message leaves the other slot its half.
    expect(Math.max(...r.sizes)).toBeLessThanOrEqual(150);
  });

  it('a range of a message starts when the one before it was reported, as its result says', () => {
    const r = simulate(2, 200, 256);
    const bySlot = new Map<number, RangeResult[]>();
    for (const x of r.results) bySlot.set(x.slot, [...(bySlot.get(x.slot) ?? []), x]);
    for (const list of bySlot.values()) {
      list.sort((a, b) => a.start - b.start);
      for (const x of list) expect(x.end - x.start).toBeLessThanOrEqual(2 + 1e-9);
    }
  });
});

const done = (id: string) => ({ type: 'done' as const, id, outputs: [`/o/${id}`], cpu: 0, wall: null });

describe('hang check with several ranges per message', () => {
  it('counts from the last report, not from when the message was sent', () => {
    const d = new Droid();
    toYoda(d.welcome());
    toYoda(d.on({ type: 'yoda', msg: { type: 'ranges', ranges: [0, 1, 2, 3].map(range) } }));
    d.s.pace.rangeMs = 1;
    d.s.pace.ranges = BATCH_AFTER_RANGES; // short ranges measured so far: a worker that takes two gets two in one message
    const fed0 = ofType(d.on({ type: 'worker', slot: 0, report: { type: 'ready', batch: 2 } }), 'feedWorker');
    expect(fed0[0].ranges.map((r) => r.i)).toEqual([0, 1]);
    const fed1 = ofType(d.on({ type: 'worker', slot: 1, report: { type: 'ready' } }), 'feedWorker');
    expect(fed1[0].ranges.map((r) => r.i)).toEqual([2]);
    // rangeTimeoutSeconds is 60. Each range of slot 0 takes 50 s (100 s for its message): no hang. Slot 1 reports
    // nothing for 60 s: a hang.
    expect(ofType(d.on({ type: 'tick' }, 50_000), 'killWorker')).toEqual([]);
    toYoda(d.on({ type: 'worker', slot: 0, report: done('f:0') }));
    expect(ofType(d.on({ type: 'tick' }, 9_999), 'killWorker')).toEqual([]);
    expect(ofType(d.on({ type: 'tick' }, 2), 'killWorker')).toEqual([{ type: 'killWorker', slot: 1 }]);
    // Slot 0's second range, 48 s after its first was reported: still no hang.
    expect(ofType(d.on({ type: 'tick' }, 38_000), 'killWorker').filter((k) => k.slot === 0)).toEqual([]);
    d.take();
  });
});

describe('a worker that dies holding a message of several ranges', () => {
  it('fails only the range in hand; the ranges it never started run on another slot, no attempt burned', () => {
    const d = new Droid();
    toYoda(d.welcome());
    toYoda(d.on({ type: 'yoda', msg: { type: 'ranges', ranges: [0, 1, 2, 3].map(range) } }));
    d.s.pace.rangeMs = 1;
    d.s.pace.ranges = BATCH_AFTER_RANGES;
    const fed0 = ofType(d.on({ type: 'worker', slot: 0, report: { type: 'ready', batch: 3 } }), 'feedWorker');
    expect(fed0[0].ranges.map((r) => r.i)).toEqual([0, 1]);
    toYoda(d.on({ type: 'worker', slot: 0, report: done('f:0') }));
    d.on({ type: 'workerExited', slot: 0, code: 139, signal: null });
    // Range 1 was in hand: it fails. Range 2, never started, is fed to slot 1 before the ranges behind it.
    const fed1 = ofType(d.on({ type: 'worker', slot: 1, report: { type: 'ready' } }), 'feedWorker');
    expect(fed1[0].ranges.map((r) => r.i)).toEqual([2]);
    const results = toYoda(d.on({ type: 'tick' }, 60_000)).flatMap((m) => (m.type === 'report' ? m.results : []));
    expect(results.map((r) => [r.i, r.ok, r.ok ? null : r.code])).toEqual([
      [0, true, null],
      [1, false, 'ERR_WORKER_DIED'],
    ]);
    const released = d.take().flatMap((m) => (m.type === 'report' ? m.released : []));
    expect(released).toEqual([]);
  });
});

describe('batching needs a measured pace', () => {
  it('sends one range per message until BATCH_AFTER_RANGES ranges were measured, however fast they were', () => {
    const d = new Droid();
    toYoda(d.welcome());
    toYoda(d.on({ type: 'yoda', msg: { type: 'ranges', ranges: [0, 1, 2, 3].map(range) } }));
    d.s.pace.rangeMs = 1;
    d.s.pace.ranges = BATCH_AFTER_RANGES - 1;
    const fed = ofType(d.on({ type: 'worker', slot: 0, report: { type: 'ready', batch: 4 } }), 'feedWorker');
    expect(fed[0].ranges.map((r) => r.i)).toEqual([0]);
    d.take();
  });

  it('ranges that fail at once are not a pace: they neither batch nor swell what the Droid holds', () => {
    const d = new Droid();
    toYoda(d.welcome());
    const ids = Array.from({ length: 40 }, (_, i) => i);
    toYoda(d.on({ type: 'yoda', msg: { type: 'ranges', ranges: ids.map(range) } }));
    for (const i of ids.slice(0, 2 * BATCH_AFTER_RANGES)) {
      const fed = ofType(d.on({ type: 'worker', slot: 0, report: { type: 'ready', batch: 256 } }), 'feedWorker');
      expect(fed[0].ranges.map((r) => r.i)).toEqual([i]);
      const failed = { type: 'failed' as const, id: `f:${i}`, code: 'ERR_PAYLOAD', message: 'bad input' };
      d.on({ type: 'worker', slot: 0, report: failed }, 1);
    }
    expect(d.s.pace.ranges).toBe(0);
    expect(heldPerSlot(d.s)).toBe(2); // the one in hand and one spare, as before any range was measured
    d.take();
  });
});
