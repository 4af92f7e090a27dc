// Queue depth by Little's law (slots.ts, sparePerSlot and heldPerSlot): the Droid keeps enough spare ranges per slot
// to cover a round trip to Yoda at the measured range rate, and a message's worth of short ranges. Driven in fake
// time: a Yoda that answers each request after a fixed round trip with what was asked for, and workers whose ranges
// take a fixed wall time.
import { describe, expect, it } from 'vitest';
import { MAX_SPARE_PER_SLOT, sparePerSlot } from '../../../src/droid/slots.js';
import { MAX_RANGES_PER_MESSAGE } from '../../../src/protocol/worker.js';
import { Droid, range, toYoda } from './harness.js';

interface Run {
  /** `want` of every request the Droid sent, in order. */
  wants: number[];
  /** Ranges the Droid held (queued and in its workers) at most, after the first request was answered. */
  maxHeld: number;
  /** Milliseconds the slots together waited with nothing to run, after the first request was answered. */
  idleMs: number;
  spare: number;
}

/** Runs `total` ranges of `rangeMs` each with a Yoda `roundTripMs` away; 2 slots (see harness.ts). */
function simulate(rangeMs: number, roundTripMs: number, total: number): Run {
  const d = new Droid();
  const wants: number[] = [];
  let next = 0;
  let answerAt: number | null = null;
  let answerCount = 0;
  let warm = false;
  let maxHeld = 0;
  let idleMs = 0;
  const busyUntil = new Map<number, { at: number; id: string }>();
  const watch = (msgs: ReturnType<typeof toYoda>) => {
    for (const m of msgs) {
      if (m.type !== 'report' || m.want === 0) continue;
      wants.push(m.want);
      answerAt = d.now + roundTripMs;
      answerCount = m.want;
    }
  };
  const feedEffects = (out: ReturnType<Droid['on']>) => {
    watch(toYoda(out));
    for (const e of out)
      if (e.type === 'feedWorker') busyUntil.set(e.slot, { at: d.now + rangeMs, id: e.ranges[0].id });
  };
  watch(toYoda(d.welcome()));
  for (const slot of [0, 1]) feedEffects(d.on({ type: 'worker', slot, report: { type: 'ready' } }));
  for (let step = 0; step < 100_000 && (next < total || busyUntil.size > 0); step++) {
    const doneAt = Math.min(...[...busyUntil.values()].map((b) => b.at));
    const t = Math.min(doneAt, answerAt ?? Infinity);
    if (!Number.isFinite(t)) break;
    const dt = t - d.now;
    if (warm) idleMs += dt * (2 - busyUntil.size);
    if (answerAt !== null && t === answerAt) {
      const n = Math.min(answerCount, total - next);
      const ranges = Array.from({ length: n }, () => range(next++));
      answerAt = null;
      warm = true;
      feedEffects(d.on({ type: 'yoda', msg: { type: 'ranges', ranges } }, dt));
    } else {
      const [slot, b] = [...busyUntil.entries()].find(([, x]) => x.at === t)!;
      busyUntil.delete(slot);
      feedEffects(
        d.on(
          {
            type: 'worker',
            slot,
            report: { type: 'done', id: b.id, outputs: [`/o/${b.id}`], cpu: 0, wall: rangeMs / 1000 },
          },
          dt,
        ),
      );
      feedEffects(d.on({ type: 'worker', slot, report: { type: 'ready' } }));
    }
    if (warm) maxHeld = Math.max(maxHeld, d.s.queue.length + busyUntil.size);
  }
  toYoda(d.on({ type: 'tick' }, 1_000)); // the last results
  return { wants, maxHeld, idleMs, spare: sparePerSlot(d.s) };
}

describe("queue depth (Little's law)", () => {
  it('with 1 s ranges and a 5 ms round trip it keeps one spare range per slot, no more', () => {
    const r = simulate(1_000, 5, 40);
    expect(r.spare).toBe(1);
    expect(r.maxHeld).toBeLessThanOrEqual(4); // 2 slots x (1 running + 1 spare)
    expect(Math.max(...r.wants.slice(1))).toBeLessThanOrEqual(2);
  });

  it('with 1 ms ranges and a 5 ms round trip it asks for more, and the slots are not starved', () => {
    const fixed = simulate(1_000, 5, 40); // for the request pattern of the fixed depth
    const r = simulate(1, 5, 2_000);
    expect(r.spare).toBe(10); // 2 x 5 ms / 1 ms
    expect(Math.max(...r.wants)).toBeGreaterThan(Math.max(...fixed.wants));
    expect(r.maxHeld).toBeGreaterThan(4);
    // Idle only while the first requests measure the pace: under 5% of the slots' time.
    expect(r.idleMs / (2 * 1_000)).toBeLessThan(0.05);
  });

  it('never keeps more than the cap, however short the ranges', () => {
    const r = simulate(0, 1_000, 3_000);
    expect(r.spare).toBe(MAX_SPARE_PER_SLOT);
    // Per slot: a message's worth (at most MAX_RANGES_PER_MESSAGE) and as many again, or the spare ones if more.
    const perMessage = MAX_RANGES_PER_MESSAGE;
    expect(r.maxHeld).toBeLessThanOrEqual(2 * (perMessage + Math.max(perMessage, MAX_SPARE_PER_SLOT)));
  });
});
