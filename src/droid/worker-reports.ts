// A Droid's transitions on its workers' dialogue: ready, a range's outcome, a broken protocol, a hang. No I/O.
import { ERR, isFatalCode } from '../protocol/error-codes.js';
import type { WorkerReport } from '../protocol/worker.js';
import type { DroidEffect } from './effects.js';
import { clearHolding, feedSlot, noteRangeEnded, pushResult, stopSlot } from './slots.js';
import type { DroidState, SlotState } from './state.js';

/** A worker's message: ready (feed it), or the outcome of a range it holds (recorded for the next report). */
export function onReport(s: DroidState, slot: SlotState, r: WorkerReport, now: number, out: DroidEffect[]): void {
  if (r.type === 'ready') {
    if (slot.holding.size > 0)
      return onBroken(s, slot, `said ready while holding ${slot.holding.size} unreported range(s)`, now, out);
    if (slot.phase === 'starting') slot.startFailures = 0;
    slot.batch = r.batch ?? 1;
    if (slot.phase === 'stopping') return;
    slot.phase = 'waiting';
    return feedSlot(s, slot, now, out);
  }
  const held = slot.holding.get(r.id);
  if (!held) return onBroken(s, slot, `reported range ${r.id}, which it does not hold`, now, out);
  slot.holding.delete(r.id);
  slot.rangesDone += 1;
  // A worker runs the ranges of one message one after another: a range began when the one before it was reported.
  const start = Math.max(held.since, slot.progressAt);
  slot.progressAt = now;
  // The pace is that of ranges processed: a range failing at once says nothing of how long the next ones take.
  if (r.type === 'done') noteRangeEnded(s, start, now);
  const base = { i: held.range.i, id: r.id, start, end: now, slot: slot.slot };
  if (r.type === 'done')
    pushResult(
      s,
      { ...base, ok: true, outputs: r.outputs, cpu: r.cpu, wall: r.wall ?? (now - start) / 1000 },
      held.range.attempt,
      now,
    );
  else {
    pushResult(s, { ...base, ok: false, code: r.code, message: r.message }, held.range.attempt, now);
    if (isFatalCode(r.code)) {
      out.push({
        type: 'log',
        level: 'warn',
        msg: `slot ${slot.slot}: worker reported ${r.code} and cannot go on; it will be restarted`,
      });
      stopSlot(slot, now, out);
    }
  }
}

/** A worker broke the protocol: its ranges fail (ERR_WORKER_PROTOCOL) and it is killed. */
export function onBroken(s: DroidState, slot: SlotState, why: string, now: number, out: DroidEffect[]): void {
  out.push({
    type: 'log',
    level: 'error',
    msg: `slot ${slot.slot}: worker broke the payload protocol (${why}); killing it; see ${slot.log}`,
  });
  if (slot.phase === 'starting') slot.lastStartError = `worker broke the payload protocol before it was ready: ${why}`;
  clearHolding(s, slot, ERR.WORKER_PROTOCOL, `worker broke the payload protocol: ${why}; see ${slot.log}`, now);
  if (slot.phase === 'starting') out.push({ type: 'killWorker', slot: slot.slot });
  else stopSlot(slot, now, out, true);
}

/** Kills a worker whose range in hand went past payload.rangeTimeoutSeconds without a report (ERR_RANGE_TIMEOUT). */
export function checkHang(s: DroidState, slot: SlotState, limitSeconds: number, now: number, out: DroidEffect[]): void {
  // The range in hand began when the worker got its message or reported the range before it.
  if (now - slot.progressAt <= limitSeconds * 1000) return;
  out.push({
    type: 'log',
    level: 'warn',
    msg: `slot ${slot.slot}: range held for more than ${limitSeconds} s (payload.rangeTimeoutSeconds): killing the worker's process tree; see ${slot.log}`,
  });
  clearHolding(
    s,
    slot,
    ERR.RANGE_TIMEOUT,
    `no result within ${limitSeconds} s: the worker was killed; see ${slot.log}`,
    now,
  );
  stopSlot(slot, now, out, true);
}
