// What happens to a done range's outputs: merged with their group (merge), delivered (stageOut), or both in turn.
// The step function sees one interface; merge.ts and stage.ts keep their own bookkeeping.
import type { YodaEffect, YodaEvent } from './effects.js';
import { mergePending, mergeRangeDone, onMerged, onMergeFailed, pumpMerge } from './merge.js';
import { onStaged, onStageFailed, pumpStage, queueStage, stagePending } from './stage.js';
import type { YodaState } from './state.js';

/** The events the delivery shell reports: a merge or a transfer ended. */
export type DeliveryEvent = Extract<YodaEvent, { type: 'staged' | 'stageFailed' | 'merged' | 'mergeFailed' }>;

/** A merge or a transfer ended: journaled, and what it unblocks queued. */
export function onDeliveryEvent(s: YodaState, e: DeliveryEvent, now: number, out: YodaEffect[]): void {
  if (e.type === 'staged') onStaged(s, e, now, out);
  else if (e.type === 'stageFailed') onStageFailed(s, e, now, out);
  else if (e.type === 'merged') onMerged(s, e, now, out);
  else onMergeFailed(s, e, now, out);
}

/** A range became done: its outputs go to its group's merge, or straight to stage-out. */
export function outputsDone(s: YodaState, i: number, outputs: string[]): void {
  if (s.merge) mergeRangeDone(s.merge, i, outputs);
  else queueStage(s, i, outputs);
}

/** Starts the merges and transfers there is room for. */
export function pumpDelivery(s: YodaState, now: number, out: YodaEffect[]): void {
  pumpMerge(s, now, out);
  pumpStage(s, now, out);
}

/**
 * Seconds to keep for the job's last merge and its transfer before a time limit: their mean wall time this run, with a
 * 25% safety factor (0 for a step not seen yet, or when every group is merged already).
 */
export function tailSeconds(s: YodaState): number {
  const mean = (t: { count: number; sumMs: number }) => (t.count === 0 ? 0 : t.sumMs / t.count / 1000);
  const m = s.merge;
  const mergeLeft = m !== null && m.merged < m.groups.count;
  return 1.25 * ((mergeLeft ? mean(m.timing) : 0) + (s.stage ? mean(s.stage.timing) : 0));
}

/** Merges and transfers this run still has to do (queued or running). */
export function deliveryPending(s: YodaState): number {
  return mergePending(s) + stagePending(s);
}

/** Merges and transfers running now. */
export function deliveryRunning(s: YodaState): number {
  return (s.merge?.running.size ?? 0) + (s.stage?.running.size ?? 0);
}

/** Merges or deliveries that failed on every attempt this run (the run ends with exit 3). */
export function deliveryFailed(s: YodaState): number {
  return (s.merge?.failed ?? 0) + (s.stage?.failed ?? 0);
}

/** A drain: running merges and transfers get `graceSeconds`, queued ones wait for the next run. */
export function drainDelivery(s: YodaState, graceSeconds: number, now: number): void {
  const until = now + graceSeconds * 1000;
  for (const line of [s.merge, s.stage]) if (line) line.drainUntil = Math.min(line.drainUntil ?? until, until);
}

/** Past a drain's grace time: running merges and transfers are stopped and queued again (the next run redoes them). */
export function giveUpDelivery(s: YodaState, now: number, out: YodaEffect[]): void {
  const merges = giveUp(s, s.merge, 'merge(s)', now, out);
  if (merges.length > 0) out.push({ type: 'stopMerge', g: merges });
  const transfers = giveUp(s, s.stage, 'transfer(s)', now, out);
  if (transfers.length > 0) out.push({ type: 'stopStage', r: transfers });
}

// One line of work (merges or transfers) past its grace time while draining: its running units go back to its queue
// (said in the log); returns them, none when it is not time.
function giveUp(
  s: YodaState,
  line: { running: Map<number, number>; queue: number[]; drainUntil: number | null } | null,
  what: string,
  now: number,
  out: YodaEffect[],
): number[] {
  if (!line || s.phase !== 'draining' || line.drainUntil === null || now < line.drainUntil) return [];
  const stopped = [...line.running.keys()];
  if (stopped.length === 0) return [];
  out.push({
    type: 'log',
    level: 'warn',
    msg: `${stopped.length} ${what} did not finish within the grace time: stopped, left for the next run with ${line.queue.length} queued`,
  });
  line.queue.push(...stopped);
  line.running.clear();
  return stopped;
}
