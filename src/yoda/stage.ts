// Stage-out in Yoda's state machine: which done ranges (or, with merge, merged groups) wait for delivery, which are
// being delivered, what came of it. Pure like step.ts: the shell (src/stageout/stager.ts) runs the transfers it asks
// for and reports back as events. A unit `k` is a range index, or a merge group index when the job merges.
import type { YodaEffect } from './effects.js';
import type { StageState, YodaState } from './state.js';

// The name of unit k, and how a journal record addresses it.
function unitId(s: YodaState, k: number): string {
  return s.merge ? s.merge.groups.id(k) : s.plan.range(k).id;
}
function unitKey(s: YodaState, k: number): { i: number } | { g: number } {
  return s.merge ? { g: k } : { i: k };
}

/** A range became done (or, with merge, a group was merged): its outputs wait for delivery. */
export function queueStage(s: YodaState, i: number, outputs: string[]): void {
  if (!s.stage) return;
  s.stage.queue.push(i);
  s.stage.outputs.set(i, outputs);
}

/** Starts transfers up to `parallel` at once; none while draining (queued ones are left for the next run). */
export function pumpStage(s: YodaState, now: number, out: YodaEffect[]): void {
  const g = s.stage;
  if (!g || (s.phase !== 'running' && s.phase !== 'ending')) return;
  while (g.running.size < g.parallel && g.queue.length > 0) {
    const i = g.queue.shift()!;
    g.running.set(i, now);
    out.push({ type: 'stage', i, id: unitId(s, i), outputs: g.outputs.get(i) ?? [] });
  }
}

/** Ranges not delivered yet that this run still has to deal with (queued or being transferred). */
export function stagePending(s: YodaState): number {
  return s.stage ? s.stage.queue.length + s.stage.running.size : 0;
}

// The transfer of unit i ended: its bookkeeping, or null when no transfer of it runs (a late or repeated report).
function endTransfer(s: YodaState, i: number): StageState | null {
  const g = s.stage;
  const started = g?.running.get(i);
  if (!g || started === undefined) return null;
  g.running.delete(i);
  g.outputs.delete(i);
  return g;
}

/** A transfer ended well: one staged record (a report for a range not in transfer is ignored). */
export function onStaged(
  s: YodaState,
  e: { i: number; out: string[]; bytes: number; adler32: string[] | null },
  now: number,
  out: YodaEffect[],
): void {
  const started = s.stage?.running.get(e.i) ?? now;
  const g = endTransfer(s, e.i);
  if (!g) return;
  g.timing.count += 1;
  g.timing.sumMs += now - started;
  g.staged += 1;
  g.bytes += e.bytes;
  const id = unitId(s, e.i);
  out.push({
    type: 'journal',
    records: [{ t: 'staged', ...unitKey(s, e.i), id, at: now, out: e.out, bytes: e.bytes, adler32: e.adler32 }],
  });
}

/** A transfer failed on every attempt: recorded (ERR_STAGE_OUT), said naming the file; the run will end with exit 3. */
export function onStageFailed(
  s: YodaState,
  e: { i: number; file: string; msg: string },
  now: number,
  out: YodaEffect[],
): void {
  const g = endTransfer(s, e.i);
  if (!g) return;
  g.failed += 1;
  const id = unitId(s, e.i);
  out.push({
    type: 'journal',
    records: [{ t: 'stagefail', ...unitKey(s, e.i), id, at: now, code: 'ERR_STAGE_OUT', file: e.file, msg: e.msg }],
  });
  out.push({
    type: 'log',
    level: 'error',
    msg: `stage-out of ${id} failed on every attempt: ${e.file}: ${e.msg}`,
  });
}
