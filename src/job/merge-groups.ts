// Merge groups: which consecutive ranges are merged together (one input file, or N ranges), named and addressed by index.
import { join } from 'node:path';
import type { MergeSpec } from './schema.js';
import { safeRangeName, segmentOf, type RangePlan } from './plan.js';

/** The merge groups of a job: group g holds the ranges first(g)..last(g). */
export class MergeGroups {
  /** Index of the first range of each group, plus the range total at the end. */
  private readonly starts: number[];
  private readonly ids: string[];

  constructor(plan: RangePlan, per: MergeSpec['per']) {
    this.starts = [];
    this.ids = [];
    if (per === 'file') {
      for (let f = 0; f < plan.files.length; f++) {
        const first = plan.firstRangeOf(f);
        if (first === plan.firstRangeOf(f + 1)) continue; // a file of no events has no range to merge
        this.starts.push(first);
        this.ids.push(plan.tagOf(f));
      }
    } else {
      for (let i = 0; i < plan.total; i += per) {
        this.starts.push(i);
        this.ids.push(`ranges-${i}-${Math.min(i + per, plan.total) - 1}`);
      }
    }
    this.starts.push(plan.total);
  }

  /** Number of groups. */
  get count(): number {
    return this.ids.length;
  }

  /** The group of range `i` (binary search over the group starts). */
  groupOf(i: number): number {
    return segmentOf(this.starts, this.ids.length, i);
  }

  /** The first range of group `g`. */
  first(g: number): number {
    return this.starts[g];
  }

  /** The last range of group `g`. */
  last(g: number): number {
    return this.starts[g + 1] - 1;
  }

  /** The name of group `g`: its input file's tag (per: file) or ranges-<first>-<last>. */
  id(g: number): string {
    return this.ids[g];
  }
}

/** Where group `g`'s merged file is written: <outputDir>/merged/<merge.output with {group} replaced>. */
export function mergedPath(outputDir: string, spec: MergeSpec, groupId: string): string {
  return join(outputDir, 'merged', spec.output.replaceAll('{group}', safeRangeName(groupId)));
}
