// Remote input files read per range (the input entry's `extract` command, ESS style): each range of such a file has
// its events extracted into a small local file of its own, ahead of the payload; the worker gets that file and
// `fileFirst` (event e is the file's (e - fileFirst)-th). The small file is deleted once its range has ended. Pure.
import type { RangeSpec } from '../protocol/messages.js';
import type { DroidEffect } from './effects.js';
import { STAGE_IN_CODE } from '../protocol/error-codes.js';
import { failQueued } from './slots.js';
import type { DroidState } from './state.js';

/** A range of a file read per range came in: its extraction starts (it waits in the queue meanwhile). */
export function admitExtract(s: DroidState, r: RangeSpec, out: DroidEffect[]): RangeSpec {
  s.inputs.stats.misses += 1;
  s.inputs.extracting.add(r.i);
  out.push({ type: 'extract', range: r });
  return r;
}

/** Range `i`'s small file is there: the queued range reads it now (a range gone meanwhile just has it deleted). */
export function onExtracted(s: DroidState, i: number, local: string, bytes: number, out: DroidEffect[]): void {
  const c = s.inputs;
  c.extracting.delete(i);
  const k = s.queue.findIndex((r) => r.i === i && c.extractUrls.has(r.file));
  if (k < 0) return void out.push({ type: 'evict', local });
  const r = s.queue[k];
  s.queue[k] = { ...r, file: local, fileFirst: r.first, source: r.file };
  c.extracted.set(i, local);
  c.stats.extracted += 1;
  c.stats.bytesFetched += bytes;
}

/** Range `i`'s events could not be extracted on any try: it fails with ERR_STAGE_IN (no payload attempt used). */
export function onExtractFailed(s: DroidState, i: number, message: string, now: number, out: DroidEffect[]): void {
  const c = s.inputs;
  if (!c.extracting.delete(i)) return;
  c.stats.failures += 1;
  const n = failQueued(s, (r) => r.i === i && c.extractUrls.has(r.file), STAGE_IN_CODE, message, now);
  if (n > 0) out.push({ type: 'log', level: 'warn', msg: `${message}; the range goes back to Yoda` });
}

/** The small files of ranges no longer queued or running are deleted. */
export function dropEndedExtracts(s: DroidState, out: DroidEffect[]): void {
  const c = s.inputs;
  const live = new Set<number>();
  for (const r of s.queue) live.add(r.i);
  for (const x of s.slots) for (const h of x.holding.values()) live.add(h.range.i);
  for (const [i, local] of c.extracted) {
    if (live.has(i)) continue;
    c.extracted.delete(i);
    out.push({ type: 'evict', local });
  }
}
