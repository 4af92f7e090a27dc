// Slot-level transitions of a Droid: workers starting, taking ranges, reporting, dying.
import type { RangeResult, RangeSpec } from '../protocol/messages.js';
import { MAX_RANGES_PER_MESSAGE } from '../protocol/worker.js';
import type { DroidEffect } from './effects.js';
import { ERR } from '../protocol/error-codes.js';
import type { DroidState, SlotState } from './state.js';
import { isRemote } from '../job/remote.js';

/** Milliseconds a stopping worker gets to exit before it is killed. */
export const STOP_GRACE_MS = 10_000;

/** A worker is alive (a process exists or is being started). */
export function isLive(slot: SlotState): boolean {
  return slot.phase !== 'none' && slot.phase !== 'retired';
}

/** Starts the worker of `slot`. */
export function startSlot(slot: SlotState, now: number, out: DroidEffect[]): void {
  slot.phase = 'starting';
  slot.startedAt = now;
  slot.lastStartError = null;
  out.push({ type: 'startWorker', slot: slot.slot });
}

/** Asks a worker to finish (no more events) and to exit. */
export function stopSlot(slot: SlotState, now: number, out: DroidEffect[], kill = false): void {
  if (!isLive(slot)) return;
  if (kill || slot.phase === 'starting' || slot.phase === 'stopping') out.push({ type: 'killWorker', slot: slot.slot });
  else out.push({ type: 'stopWorker', slot: slot.slot });
  slot.phase = 'stopping';
  slot.stopBy = now + STOP_GRACE_MS;
}

/** The queued ranges `which` picks fail with `code` without reaching a worker (slot -1); returns how many. */
export function failQueued(
  s: DroidState,
  which: (r: RangeSpec) => boolean,
  code: string,
  message: string,
  now: number,
): number {
  const failed = s.queue.filter(which);
  s.queue = s.queue.filter((r) => !which(r));
  for (const r of failed)
    pushResult(s, { i: r.i, id: r.id, ok: false, code, message, start: now, end: now, slot: -1 }, r.attempt, now);
  return failed.length;
}

/** Gives the next queued ranges to a worker that waits, or tells it to stop when no more will come. */
export function feedSlot(s: DroidState, slot: SlotState, now: number, out: DroidEffect[]): void {
  if (slot.phase !== 'waiting') return;
  if (s.phase !== 'running') return stopSlot(slot, now, out);
  // Ranges whose remote input file is still being fetched wait in the queue (inputs.ts).
  const c = s.inputs;
  const ready =
    c.files.size === 0 && c.extracting.size === 0 ? s.queue.length : s.queue.filter((r) => !isRemote(r.file)).length;
  if (ready === 0) return;
  const usable = s.slots.filter((x) => x.phase !== 'retired').length;
  // Short ranges go several to a message (as many as the worker takes), never more than a fair share of the queue.
  const n = Math.max(1, Math.min(slot.batch, rangesPerMessage(s), Math.ceil(ready / usable)));
  const ranges = ready === s.queue.length ? s.queue.splice(0, n) : takeReady(s, n);
  for (const range of ranges) slot.holding.set(range.id, { range, since: now });
  slot.phase = 'busy';
  slot.progressAt = now;
  out.push({ type: 'feedWorker', slot: slot.slot, ranges });
}

// The first `n` queued ranges whose input is on the node, out of the queue (the others keep their order).
function takeReady(s: DroidState, n: number): RangeSpec[] {
  const taken: RangeSpec[] = [];
  const kept: RangeSpec[] = [];
  for (const r of s.queue) (taken.length < n && !isRemote(r.file) ? taken : kept).push(r);
  s.queue = kept;
  return taken;
}

/**
 * Wall time one message of short ranges should last: long enough that a worker's turn-around between messages
 * (its ready, the Droid's answer: 1-2 ms on a busy 2-core node) is a small part of it, short enough that the job's
 * tail is not held up by a full message. 25 ms gave 90.5-91.3% utilization with 2,000 ranges of 10 ms, 100 ms gives
 * 92.1-92.8%; the payload alone (a plain Python loop per slot) reaches about 97%.
 */
export const MESSAGE_TARGET_MS = 100;

/**
 * Ranges measured before several go to one message: a pace taken from a handful of fast ranges (the first ones
 * failing at once, say) must not make one node take, and hold, many ranges that then turn out slow.
 */
export const BATCH_AFTER_RANGES = 16;

/**
 * Ranges one message to a worker should carry (if it takes several) to last MESSAGE_TARGET_MS, from the measured
 * range time (1 until enough are measured).
 */
export function rangesPerMessage(s: DroidState): number {
  const { rangeMs, ranges } = s.pace;
  if (rangeMs === null || ranges < BATCH_AFTER_RANGES) return 1;
  return Math.max(1, Math.min(MAX_RANGES_PER_MESSAGE, Math.floor(MESSAGE_TARGET_MS / Math.max(rangeMs, 0.01))));
}

/**
 * Ranges a Droid keeps per slot: a message's worth that its worker runs (one range at a time for a worker that takes
 * one) and spare ones to cover the round trip to Yoda, at least a whole next message (so a worker's next message is
 * not cut short by an empty queue).
 */
export function heldPerSlot(s: DroidState): number {
  const perMessage = rangesPerMessage(s);
  return perMessage + Math.max(perMessage, sparePerSlot(s));
}

/** Most spare ranges kept per slot, however short the ranges (Yoda's tail cap applies as well). */
export const MAX_SPARE_PER_SLOT = 64;
/** A request answered later than this waited for work at Yoda: counted as this long, not as a slow network. */
export const MAX_ROUND_TRIP_SAMPLE_MS = 1_000;
// Weight of a new sample in the moving means.
const ALPHA = 0.2;

function mean(old: number | null, sample: number): number {
  return old === null ? sample : old + ALPHA * (sample - old);
}

/** A request for ranges left for Yoda now (its answer measures the round trip). */
export function noteRequest(s: DroidState, now: number): void {
  s.pace.requestedAt = now;
}

/** Ranges arrived from Yoda: the open request's round trip is a sample. */
export function noteRangesArrived(s: DroidState, now: number): void {
  if (s.pace.requestedAt === null) return;
  s.pace.roundTripMs = mean(s.pace.roundTripMs, Math.min(now - s.pace.requestedAt, MAX_ROUND_TRIP_SAMPLE_MS));
  s.pace.requestedAt = null;
}

/** A worker reported a range that began at `start` (handed out, or the end of its batch's previous range). */
export function noteRangeEnded(s: DroidState, start: number, now: number): void {
  s.pace.rangeMs = mean(s.pace.rangeMs, Math.max(0, now - start));
  s.pace.ranges += 1;
}

/**
 * Spare ranges to keep per slot beyond the one it runs (Little's law): a slot runs roundTrip / rangeWall ranges
 * during one round trip to Yoda, twice over since one request is open at a time (the request sent as an answer
 * arrives asks only for what is missing then, and the ranges held must last until its own answer); never fewer
 * than `prefetchPerSlot` (at least 1), at most MAX_SPARE_PER_SLOT.
 */
export function sparePerSlot(s: DroidState): number {
  const min = Math.max(1, s.config.prefetchPerSlot);
  const { roundTripMs, rangeMs } = s.pace;
  if (roundTripMs === null || rangeMs === null) return min;
  const cover = Math.ceil((2 * roundTripMs) / Math.max(rangeMs, 0.1));
  return Math.min(MAX_SPARE_PER_SLOT, Math.max(min, cover));
}

/** Records the outcome of a range a worker held. */
export function pushResult(s: DroidState, result: RangeResult, attempt: number, now: number): void {
  s.results.push(result);
  s.resultAttempts.set(result.i, attempt);
  s.firstPendingAt ??= now;
}

/**
 * Fails the range in hand (the first one a worker holds: it runs a message's ranges in order) with `code`, burning an
 * attempt, and puts the rest of its message back at the head of the queue: they were never started (while draining
 * they go back to Yoda). When `release` (draining), releases them all, the range in hand too, burning no attempt.
 */
export function clearHolding(
  s: DroidState,
  slot: SlotState,
  code: string,
  message: string,
  now: number,
  release = s.phase === 'draining',
): void {
  let inHand = !release;
  const notStarted: RangeSpec[] = [];
  for (const { range, since } of slot.holding.values()) {
    const start = Math.max(since, slot.progressAt);
    if (release || (!inHand && (s.phase === 'draining' || s.phase === 'stopped'))) s.released.push(range.i);
    else if (!inHand) notStarted.push(range);
    else
      pushResult(
        s,
        { i: range.i, id: range.id, ok: false, code, message, start, end: now, slot: slot.slot },
        range.attempt,
        now,
      );
    inHand = false;
  }
  s.queue.unshift(...notStarted);
  slot.holding.clear();
}

/** How a log line says what clearHolding() does with a slot's ranges (`what`: the failure code). */
function holdingFate(slot: SlotState, what: string): string {
  const n = slot.holding.size;
  if (n === 0) return '';
  return ` and failing the range in hand with ${what}${n > 1 ? ` (the ${n - 1} not started are run again)` : ''}`;
}

/** Handles the exit of a worker process. */
export function onWorkerExit(
  s: DroidState,
  slot: SlotState,
  code: number | null,
  signal: string | null,
  now: number,
  out: DroidEffect[],
): void {
  const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  const c = s.config;
  if (slot.phase === 'starting') {
    slot.startFailures += 1;
    slot.lastStartError ??= `worker ${how} before it was ready`;
    const retire = slot.startFailures >= c.maxStartFailures;
    out.push({
      type: 'log',
      level: retire ? 'error' : 'warn',
      msg: `slot ${slot.slot}: ${slot.lastStartError} (${slot.startFailures}/${c.maxStartFailures}); see ${slot.log}${retire ? '; slot retired' : ''}`,
    });
    slot.phase = retire ? 'retired' : 'none';
    slot.restartAt = now + 500 * 2 ** slot.startFailures;
    return;
  }
  if (s.phase === 'draining' && slot.holding.size > 0) {
    // The drain told it (drain message, SIGTERM) and killed it at the end of the grace: nothing unexpected.
    out.push({
      type: 'log',
      level: 'info',
      msg: `slot ${slot.slot}: drain: worker ${how} holding ${slot.holding.size} range(s); they go back to Yoda without burning an attempt`,
    });
  } else if (slot.phase !== 'stopping' || slot.holding.size > 0) {
    out.push({
      type: 'log',
      level: 'warn',
      msg: `slot ${slot.slot}: worker ${how} unexpectedly holding ${slot.holding.size} range(s); see ${slot.log}`,
    });
  }
  clearHolding(s, slot, ERR.WORKER_DIED, `worker ${how} while processing the range; see ${slot.log}`, now);
  slot.phase = 'none';
  slot.restartAt = now;
  slot.lastStartError = null;
}

/** Kills a worker whose process tree's resident memory passed its slot's limit; its range in hand fails with ERR_MEMORY_LIMIT. */
export function onOverMemory(
  s: DroidState,
  slot: SlotState,
  rssMB: number,
  limitMB: number,
  now: number,
  out: DroidEffect[],
): void {
  if (!isLive(slot)) return;
  const what = `the worker's process tree uses ${rssMB} MB of resident memory, over the slot's limit of ${limitMB} MB (payload.memoryLimitMBPerCore)`;
  out.push({
    type: 'log',
    level: 'warn',
    msg: `slot ${slot.slot}: ${what}: killing it${holdingFate(slot, ERR.MEMORY_LIMIT)}; see ${slot.log}`,
  });
  if (slot.phase === 'starting') {
    slot.lastStartError = `${what} before it was ready`;
    out.push({ type: 'killWorker', slot: slot.slot });
    return;
  }
  // The payload's own doing: the range in hand fails (an attempt is burned) even while draining.
  clearHolding(s, slot, ERR.MEMORY_LIMIT, `${what}: it was killed; see ${slot.log}`, now, false);
  stopSlot(slot, now, out, true);
}
