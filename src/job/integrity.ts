// Is what the journal says still true on disk? Outputs of done ranges that are gone, input files changed since.
import { existsSync, statSync } from 'node:fs';
import type { JournalRecord, RedoRecord } from '../journal/records.js';
import { RangeState, type JournalState } from '../journal/replay.js';
import { currentOutputPath, planOf, type JobDescription } from './workdir.js';
import { MergeGroups } from './merge-groups.js';

/** Outputs are looked for only up to this many done ranges (each is one stat on a shared file system). */
export const MAX_OUTPUTS_CHECKED = 200_000;

/** What was found: done ranges whose outputs are gone, input files that changed or vanished since the job was created. */
export interface Integrity {
  /** False when the job has more done ranges than MAX_OUTPUTS_CHECKED (outputs then not looked for). */
  outputsChecked: boolean;
  /** Done ranges with an output missing (index, id, the first missing output). */
  missingOutputs: { i: number; range: string; output: string }[];
  /** Input files whose size or modification time differ from when the job was created, or that are gone. */
  changedInputs: { file: string; why: string }[];
}

/** The outputs of each done range, from the done record that counts (the first after the range was last made ready). */
export function doneOutputs(records: readonly JournalRecord[]): Map<number, { id: string; out: string[] }> {
  const outs = new Map<number, { id: string; out: string[] }>();
  for (const r of records) {
    if (r.t === 'done' && !outs.has(r.i)) outs.set(r.i, { id: r.id, out: r.out });
    else if (r.t === 'redo') for (const i of r.r) outs.delete(i);
  }
  return outs;
}

/** Input files that changed since job.json recorded their size and time (files recorded without them are skipped). */
export function changedInputs(d: JobDescription): Integrity['changedInputs'] {
  const changed: Integrity['changedInputs'] = [];
  for (const f of d.files) {
    if (f.size === undefined || f.mtimeMs === undefined) continue;
    let st;
    try {
      st = statSync(f.path);
    } catch {
      changed.push({ file: f.path, why: 'it is gone' });
      continue;
    }
    if (st.size !== f.size) changed.push({ file: f.path, why: `its size changed (${f.size} -> ${st.size} bytes)` });
    else if (st.mtimeMs !== f.mtimeMs)
      changed.push({ file: f.path, why: `it was modified (${new Date(st.mtimeMs).toISOString()})` });
  }
  return changed;
}

/** Checks the done ranges' outputs and the input files of the job in a work directory (records are read only when needed). */
export function checkIntegrity(
  d: JobDescription,
  j: JournalState,
  journal: { readonly records: readonly JournalRecord[] },
): Integrity {
  const outputsChecked = j.counts.done <= MAX_OUTPUTS_CHECKED;
  const missingOutputs: Integrity['missingOutputs'] = [];
  if (outputsChecked) {
    const groups = d.spec.merge && j.merged.size > 0 ? new MergeGroups(planOf(d), d.spec.merge.per) : null;
    for (const [i, { id, out }] of doneOutputs(journal.records)) {
      // A range delivered by stage-out, or merged, may have its local outputs removed: they live on in what was made of them.
      if (j.state[i] !== RangeState.done || j.staged[i] === 1) continue;
      if (groups && j.merged.has(groups.groupOf(i))) continue;
      const gone = out.map((o) => currentOutputPath(d, o)).find((o) => !existsSync(o));
      if (gone) missingOutputs.push({ i, range: id, output: gone });
    }
  }
  return { outputsChecked, missingOutputs, changedInputs: changedInputs(d) };
}

/** Lines telling a person what was found and what to do (empty when all is well). */
export function integrityAdvice(x: Integrity, workdir: string): string[] {
  const lines: string[] = [];
  if (x.missingOutputs.length > 0) {
    const eg = x.missingOutputs
      .slice(0, 3)
      .map((m) => `${m.range} (${m.output})`)
      .join(', ');
    lines.push(
      `${x.missingOutputs.length} done range(s) have lost their output, e.g. ${eg}: run again with --rerun-missing (yoda run <job file> --workdir ${workdir} --rerun-missing) to redo them`,
    );
  }
  if (x.changedInputs.length > 0) {
    const eg = x.changedInputs
      .slice(0, 3)
      .map((c) => `${c.file}: ${c.why}`)
      .join('; ');
    lines.push(
      `${x.changedInputs.length} input file(s) changed since the job was created (${eg}): outputs made from them may be stale; --fresh runs the job again from scratch`,
    );
  }
  return lines;
}

/** The `redo` record for the done ranges whose outputs are gone (null when none is), and their ids. */
export function redoMissing(
  d: JobDescription,
  j: JournalState,
  journal: { readonly records: readonly JournalRecord[] },
  at: number,
): { record: RedoRecord; ranges: string[] } | null {
  const missing = checkIntegrity(d, j, journal).missingOutputs;
  if (missing.length === 0) return null;
  return {
    record: { t: 'redo', at, r: missing.map((m) => m.i), why: 'output missing' },
    ranges: missing.map((m) => m.range),
  };
}
