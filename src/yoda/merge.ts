// Merge in Yoda's state machine: which groups are complete and wait for their merge, which merge runs, what came of it.
// Pure like step.ts: the shell (src/merge/merger.ts) runs the merge commands it asks for and reports back as events.
import type { MergeGroups } from '../job/merge-groups.js';
import type { YodaEffect } from './effects.js';
import { queueStage } from './stage.js';
import type { MergeState, YodaState } from './state.js';

/**
 * The merge state of a run: `merged` are the groups the journal says are merged, `doneOutputs` the outputs of the done
 * ranges (those of unmerged groups are kept), `isDone` tells the done ranges.
 */
export function createMergeState(
  groups: MergeGroups,
  outputOf: (g: number) => string,
  spec: { parallel: number; deleteInputs: boolean },
  merged: ReadonlySet<number>,
  isDone: (i: number) => boolean,
  doneOutputs: ReadonlyMap<number, string[]>,
): MergeState {
  const left = new Int32Array(groups.count);
  const outputs = new Map<number, string[]>();
  const queue: number[] = [];
  for (let g = 0; g < groups.count; g++) {
    if (merged.has(g)) {
      left[g] = -1;
      continue;
    }
    for (let i = groups.first(g); i <= groups.last(g); i++) {
      if (!isDone(i)) left[g] += 1;
      else outputs.set(i, doneOutputs.get(i) ?? []);
    }
    if (left[g] === 0) {
      left[g] = -1;
      queue.push(g);
    }
  }
  return {
    groups,
    outputOf,
    ...spec,
    left,
    outputs,
    queue,
    running: new Map(),
    timing: { count: 0, sumMs: 0 },
    merged: merged.size,
    failed: 0,
    drainUntil: null,
  };
}

/** A range just became done: its outputs wait for its group's merge, queued once the group is complete. */
export function mergeRangeDone(m: MergeState, i: number, outputs: string[]): void {
  const g = m.groups.groupOf(i);
  if (m.left[g] <= 0) return; // the group is merged already (a range redone after its merge goes nowhere)
  m.outputs.set(i, outputs);
  m.left[g] -= 1;
  if (m.left[g] === 0) {
    m.left[g] = -1;
    m.queue.push(g);
  }
}

// The range outputs of group g, in range order.
function groupInputs(m: MergeState, g: number): string[] {
  const files: string[] = [];
  for (let i = m.groups.first(g); i <= m.groups.last(g); i++) files.push(...(m.outputs.get(i) ?? []));
  return files;
}

/**
 * Merges at once: `parallel`, and at the tail (every range done) as many as Yoda's node has worker slots, since they
 * are idle then and the job's end waits for the last merges.
 */
export function mergesAtOnce(s: YodaState, m: MergeState): number {
  if (s.phase !== 'ending') return m.parallel;
  let slots = 0;
  for (const d of s.droids.values()) if (d.node === s.config.node) slots = Math.max(slots, d.slots);
  return Math.max(m.parallel, slots);
}

/** Starts merges up to mergesAtOnce(); none while draining (queued ones are left for the next run). */
export function pumpMerge(s: YodaState, now: number, out: YodaEffect[]): void {
  const m = s.merge;
  if (!m || (s.phase !== 'running' && s.phase !== 'ending')) return;
  const limit = mergesAtOnce(s, m);
  while (m.running.size < limit && m.queue.length > 0) {
    const g = m.queue.shift()!;
    m.running.set(g, now);
    out.push({ type: 'merge', g, id: m.groups.id(g), inputs: groupInputs(m, g), output: m.outputOf(g) });
  }
}

/** Groups this run still has to merge (queued or being merged). */
export function mergePending(s: YodaState): number {
  return s.merge ? s.merge.queue.length + s.merge.running.size : 0;
}

/** A merge ended well: one merged record, the range outputs deleted if asked (after the record), the file staged. */
export function onMerged(
  s: YodaState,
  e: { g: number; out: string; inputs: number; bytes: number; adler32: string },
  now: number,
  out: YodaEffect[],
): void {
  const m = s.merge;
  const started = m?.running.get(e.g);
  if (!m || started === undefined) return; // a late or repeated report
  m.running.delete(e.g);
  m.timing.count += 1;
  m.timing.sumMs += now - started;
  const inputs = groupInputs(m, e.g);
  for (let i = m.groups.first(e.g); i <= m.groups.last(e.g); i++) m.outputs.delete(i);
  m.merged += 1;
  const { g, out: file, bytes, adler32 } = e;
  const r: [number, number] = [m.groups.first(g), m.groups.last(g)];
  const id = m.groups.id(g);
  out.push({
    type: 'journal',
    records: [{ t: 'merged', g, id, at: now, r, inputs: e.inputs, out: file, bytes, adler32 }],
  });
  out.push({ type: 'log', level: 'info', msg: `merged ${id}: ${e.inputs} output(s), ${bytes} bytes -> ${file}` });
  if (m.deleteInputs) out.push({ type: 'deleteFiles', files: inputs });
  queueStage(s, g, [file]);
}

/** A merge failed on every attempt: recorded (ERR_MERGE), said naming the group; the run will end with exit 3. */
export function onMergeFailed(s: YodaState, e: { g: number; msg: string }, now: number, out: YodaEffect[]): void {
  const m = s.merge;
  if (!m?.running.delete(e.g)) return;
  m.failed += 1;
  const id = m.groups.id(e.g);
  out.push({ type: 'journal', records: [{ t: 'mergefail', g: e.g, id, at: now, code: 'ERR_MERGE', msg: e.msg }] });
  out.push({ type: 'log', level: 'error', msg: `the merge of ${id} failed on every attempt: ${e.msg}` });
}
