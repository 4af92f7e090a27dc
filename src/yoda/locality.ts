// Locality-aware dispatch for jobs with remote input files: each Droid fetches the files of its ranges into its node's
// cache, so Yoda gives a Droid ranges of the files its node holds (or is fetching) first, then ranges of a file no
// node holds yet (consecutive ranges of one file stay on one node), and only then ranges of another node's file
// (the tail: idle slots cost more than one more fetch). How many ranges an answer carries is unchanged (dispatch.ts).
import { isRemote } from '../job/remote.js';
import type { RangePlan } from '../job/plan.js';

/** The ready ranges of a job, one FIFO per input file; files with ready ranges kept in the order they got them. */
export class FileReadyQueue {
  private readonly queues: number[][];
  private readonly heads: Int32Array;
  /** Files with queued ranges (maybe only stale ones, which dispatch skips), in the order they got them. */
  private readonly queued = new Set<number>();
  private count = 0;

  constructor(private readonly plan: RangePlan) {
    this.queues = plan.files.map(() => []);
    this.heads = new Int32Array(plan.files.length);
  }

  /** Number of queued range indexes (stale ones included, as IndexQueue counts them). */
  get size(): number {
    return this.count;
  }

  /** Appends range `i` to its file's queue. */
  push(i: number): void {
    const f = this.plan.fileOf(i);
    this.queues[f].push(i);
    this.queued.add(f);
    this.count += 1;
  }

  /** True when file `f` has queued ranges. */
  has(f: number): boolean {
    return this.queued.has(f);
  }

  /** The first file with queued ranges that `ok` accepts, or undefined. */
  firstFile(ok: (f: number) => boolean): number | undefined {
    for (const f of this.queued) if (ok(f)) return f;
    return undefined;
  }

  /** How many ranges of file `f` are queued (stale ones included). */
  countOf(f: number): number {
    return this.queues[f].length - this.heads[f];
  }

  /** Removes and returns the front range of file `f`; call only when has(f). */
  shiftFrom(f: number): number {
    const q = this.queues[f];
    const i = q[this.heads[f]++];
    this.count -= 1;
    if (this.heads[f] === q.length) {
      q.length = 0;
      this.heads[f] = 0;
      this.queued.delete(f);
    }
    return i;
  }

  /** Removes and returns the front range of the first file with queued ranges; call only when size > 0. */
  shift(): number {
    return this.shiftFrom(this.firstFile(() => true)!);
  }
}

/** Which input files each node holds: a file's index by URL, which files nodes fetch whole (remote, no `extract`),
 * and how many live Droids hold or fetch each file. */
export interface Locality {
  fileIndex: Map<string, number>;
  fetched: boolean[];
  holders: Uint32Array;
}

/** Locality for a job whose nodes fetch remote input files whole; null when none is (shared file system, `extract`). */
export function createLocality(plan: RangePlan): Locality | null {
  const fetched = plan.files.map((f) => isRemote(f.path) && f.extract === undefined);
  if (!fetched.includes(true)) return null;
  return {
    fileIndex: new Map(plan.files.map((f, k) => [f.path, k])),
    fetched,
    holders: new Uint32Array(plan.files.length),
  };
}

/** What locality needs of a Droid: the input files its node holds or is fetching, those Yoda told it to fetch next
 * and it has not listed yet, and those its node could not fetch (it gets their ranges only at the tail). */
export interface FileHolder {
  files: Set<number>;
  named: Set<number>;
  failed: Set<number>;
}

/** The next ready range for Droid `d`: from a file it holds, else from one nobody holds, else from any file. */
export function nextReadyFor(q: FileReadyQueue, l: Locality, d: FileHolder): number {
  for (const f of d.files) if (q.has(f)) return q.shiftFrom(f);
  const f = q.firstFile((g) => l.holders[g] === 0 && !d.failed.has(g)) ?? q.firstFile(() => true)!;
  return q.shiftFrom(f);
}

/**
 * The file Droid `d` should fetch next, ahead of its ranges, once the ranges left of the files it holds would last
 * its slots about one more round: the first file no node holds, now counted as `d`'s. Undefined when none is due.
 */
export function nextFileFor(q: FileReadyQueue, l: Locality, d: FileHolder, slots: number): number | undefined {
  let left = 0;
  for (const f of d.files) left += q.countOf(f);
  if (left > slots) return undefined;
  const f = q.firstFile((g) => l.holders[g] === 0 && l.fetched[g] && !d.failed.has(g));
  if (f !== undefined) {
    holdFile(l, d, f);
    d.named.add(f);
  }
  return f;
}

/** Droid `d` got a range of file `f`: its node now holds (or fetches) that file (if nodes fetch it whole). */
export function holdFile(l: Locality, d: FileHolder, f: number): void {
  if (d.files.has(f) || !l.fetched[f]) return;
  d.files.add(f);
  l.holders[f] += 1;
}

/**
 * After Droid `d`'s report was applied: files whose fetch failed on its node (`stageInFailed`) are avoided for it;
 * with `cached` (what its node's cache holds or fetches), its files are those, the files of the ranges it still
 * holds (`held`), and the files Yoda named that its list does not show yet (it sent the list before it knew).
 */
export function afterReport(
  l: Locality,
  d: FileHolder,
  stageInFailed: number[],
  cached: string[] | undefined,
  held: Iterable<number>,
): void {
  for (const f of stageInFailed) d.failed.add(f);
  if (!cached) return;
  const named = [...d.named];
  dropFiles(l, d);
  for (const url of cached) {
    const f = l.fileIndex.get(url);
    if (f === undefined) continue;
    holdFile(l, d, f);
    d.named.delete(f);
    d.failed.delete(f);
  }
  for (const f of held) holdFile(l, d, f);
  for (const f of named) if (d.named.has(f) && !d.failed.has(f)) holdFile(l, d, f);
}

/** Droid `d`'s files no longer count (it is gone, or it told what its node holds now). */
export function dropFiles(l: Locality, d: FileHolder): void {
  for (const f of d.files) l.holders[f] -= 1;
  d.files.clear();
}
