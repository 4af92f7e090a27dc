// Where a job's delivery stands, from its replayed journal: groups to merge, outputs to stage out (see the README's
// "Merge" and "Stage-out"). One home for "is there delivery work left", read by `yoda run`, rank 0 and `yoda status`.
import { RangeState, type JournalState } from '../journal/replay.js';
import { MergeGroups } from './merge-groups.js';
import { planOf, type JobDescription } from './workdir.js';

/** Merge and stage-out counts of a job. Units are ranges without merge, merge groups with it. */
export interface DeliveryCounts {
  /** Merge groups in all (0 without merge), merged, complete but not merged (the next run merges them). */
  groups: number;
  merged: number;
  toMerge: number;
  /** Units at the destination, and final ones (done ranges, or merged groups) not there yet. */
  staged: number;
  toStage: number;
}

/** The delivery counts of a job (all 0 when it has neither merge nor stageOut). */
export function deliveryCounts(d: JobDescription, j: JournalState): DeliveryCounts {
  const merge = d.spec.merge;
  let groups = 0;
  let toMerge = 0;
  if (merge) {
    const g = new MergeGroups(planOf(d), merge.per);
    groups = g.count;
    for (let k = 0; k < g.count; k++) if (!j.merged.has(k) && allDone(j, g.first(k), g.last(k))) toMerge += 1;
  }
  const staged = merge ? j.stagedGroups.size : j.stagedCount;
  const final = merge ? j.merged.size : j.counts.done;
  return { groups, merged: j.merged.size, toMerge, staged, toStage: d.spec.stageOut ? final - staged : 0 };
}

/** Merges and transfers a run would do now (they count as work left, like ranges). */
export function deliveryLeft(d: JobDescription, j: JournalState): number {
  if (!d.spec.merge && !d.spec.stageOut) return 0;
  const c = deliveryCounts(d, j);
  return c.toMerge + c.toStage;
}

/** True when every final output is delivered: merged (with merge) and staged (with stageOut). */
export function allDelivered(d: JobDescription, c: DeliveryCounts): boolean {
  return (!d.spec.merge || c.merged === c.groups) && (!d.spec.stageOut || c.toStage === 0);
}

function allDone(j: JournalState, first: number, last: number): boolean {
  for (let i = first; i <= last; i++) if (j.state[i] !== RangeState.done) return false;
  return true;
}
