// Handing ranges out: capacity-based, batched, capped near the end so the tail stays balanced.
import { RangeState } from '../journal/replay.js';
import type { RangeSpec } from '../protocol/messages.js';
import type { YodaEffect } from './effects.js';
import { FileReadyQueue, holdFile, nextFileFor, nextReadyFor } from './locality.js';
import type { DroidInfo, YodaState } from './state.js';

/** How many ranges one answer may carry: ceil(ready / active Droids), Raythena's tail rule. */
export function answerCap(s: YodaState): number {
  return Math.max(1, Math.ceil(s.counts.ready / Math.max(1, s.activeCount)));
}

/** Sets a Droid's parked request (0: none), keeping the count of parked Droids exact. */
export function park(s: YodaState, d: DroidInfo, want: number): void {
  s.parkedDroids += (want > 0 ? 1 : 0) - (d.parkedWant > 0 ? 1 : 0);
  d.parkedWant = want;
}

/** Answers a request of `want` ranges now, or parks it until ranges are ready. */
export function serve(s: YodaState, d: DroidInfo, want: number, now: number, out: YodaEffect[]): void {
  if (s.phase !== 'running' || d.gone || want <= 0) return;
  if (s.counts.ready === 0) return park(s, d, want);
  park(s, d, 0);
  const n = Math.min(want, answerCap(s), s.counts.ready);
  const ranges: RangeSpec[] = new Array(n);
  const indexes: number[] = new Array(n);
  const attempts: number[] = new Array(n);
  for (let k = 0; k < n; k++) {
    let i = nextReady(s, d);
    // A range taken out of ready by a late report stays queued; skip it here.
    while (s.rangeState[i] !== RangeState.ready) i = nextReady(s, d);
    s.rangeState[i] = RangeState.assigned;
    s.owner[i] = d.key;
    d.holds.add(i);
    const g = s.plan.range(i);
    if (s.locality) holdFile(s.locality, d, g.file);
    const file = s.plan.files[g.file];
    const attempt = s.failures[i] + 1;
    ranges[k] = { i, id: g.id, file: file.path, first: g.first, last: g.last, attempt };
    if (file.guid !== undefined) ranges[k].guid = file.guid;
    if (file.scope !== undefined) ranges[k].scope = file.scope;
    indexes[k] = i;
    attempts[k] = attempt;
  }
  s.counts.ready -= n;
  s.counts.assigned += n;
  d.lastSent = now;
  out.push({ type: 'journal', records: [{ t: 'assign', at: now, droid: d.key, r: indexes, a: attempts }] });
  // With remote inputs: the file the Droid's node should fetch next, before its ranges come (locality.ts).
  const next =
    s.locality && s.ready instanceof FileReadyQueue ? nextFileFor(s.ready, s.locality, d, d.slots) : undefined;
  const prefetch = next === undefined ? {} : { prefetch: [s.plan.files[next].path] };
  out.push({ type: 'send', to: d.key, msg: { type: 'ranges', ranges, ...prefetch } });
}

// The next queued range for `d`: the queue's front, or with remote inputs, one of a file its node holds (locality.ts).
function nextReady(s: YodaState, d: DroidInfo): number {
  return s.locality && s.ready instanceof FileReadyQueue ? nextReadyFor(s.ready, s.locality, d) : s.ready.shift();
}

/** Serves parked requests after ranges became ready again (no walk over the Droids when none is parked). */
export function serveParked(s: YodaState, now: number, out: YodaEffect[]): void {
  if (s.parkedDroids === 0) return;
  for (const d of s.droids.values()) {
    if (s.counts.ready === 0) return;
    if (d.parkedWant > 0) serve(s, d, d.parkedWant, now, out);
  }
}

/** Puts a range back in the ready queue (no attempt burned by this call). */
export function makeReady(s: YodaState, i: number): void {
  if (s.rangeState[i] === RangeState.assigned) s.counts.assigned -= 1;
  s.rangeState[i] = RangeState.ready;
  s.owner[i] = undefined;
  s.ready.push(i);
  s.counts.ready += 1;
}
