// <workdir>/prefetch/<node>.rank<k>.pid<p>.<start>.json: what one Droid's input cache did (files fetched, hits, misses, worker
// time waiting for input). Rewritten while the Droid runs and kept after it ends: `yoda status` and the report add
// them up per node and for the job, over every allocation.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { workdirPaths } from '../workdir/paths.js';
import { writeFileAtomic } from '../workdir/atomic.js';
import type { PrefetchStats } from './state.js';

/** One Droid's prefetch figures, as its file holds them. */
export interface PrefetchFile extends PrefetchStats {
  node: string;
  rank: number;
  droid: string;
  writtenAt: string;
}

/** Prefetch figures of a node, or of the whole job (`yoda status --json`'s `prefetch`). */
export interface PrefetchFigures {
  bytesFetched: number;
  files: number;
  /** Ranges extracted into small files of their own (`extract`, ESS style). */
  extracts: number;
  hits: number;
  misses: number;
  failures: number;
  evicted: number;
  workerWaitSeconds: number;
}

/** The job's prefetch figures: in total and per node (null when no Droid of the job ever fetched an input). */
export interface PrefetchSummary {
  total: PrefetchFigures;
  nodes: (PrefetchFigures & { node: string })[];
}

/** Writes a Droid's prefetch file atomically. */
export function writePrefetchFile(path: string, f: PrefetchFile): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileAtomic(path, `${JSON.stringify(f)}\n`);
}

const zero = (): PrefetchFigures => ({
  bytesFetched: 0,
  files: 0,
  extracts: 0,
  hits: 0,
  misses: 0,
  failures: 0,
  evicted: 0,
  workerWaitSeconds: 0,
});

function add(to: PrefetchFigures, f: PrefetchFile): void {
  to.bytesFetched += f.bytesFetched;
  to.files += f.fetched;
  to.extracts += f.extracted ?? 0;
  to.hits += f.hits;
  to.misses += f.misses;
  to.failures += f.failures;
  to.evicted += f.evicted;
  to.workerWaitSeconds = Math.round((to.workerWaitSeconds + f.workerWaitMs / 1000) * 1000) / 1000;
}

/** Adds up every Droid's prefetch file of `workdir` (files that cannot be read are skipped); null when there are none. */
export function readPrefetchSummary(workdir: string): PrefetchSummary | null {
  const dir = workdirPaths(workdir).prefetch;
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return null;
  }
  const total = zero();
  const nodes = new Map<string, PrefetchFigures & { node: string }>();
  for (const name of names) {
    let f: PrefetchFile;
    try {
      f = JSON.parse(readFileSync(join(dir, name), 'utf8'));
    } catch {
      continue; // being replaced, or cut short by a full disk: the next read sees it
    }
    add(total, f);
    const n = nodes.get(f.node) ?? nodes.set(f.node, { node: f.node, ...zero() }).get(f.node)!;
    add(n, f);
  }
  if (nodes.size === 0) return null;
  return { total, nodes: [...nodes.values()].sort((a, b) => a.node.localeCompare(b.node)) };
}

/** How often a running Droid rewrites its prefetch file, at most (and only when a figure changed). */
const PUBLISH_EVERY_MS = 5000;

/** Keeps one Droid's prefetch file current: rewritten at most every few seconds when a figure changed, and at close. */
export class PrefetchPublisher {
  private last = '';
  private lastAt = 0;

  constructor(
    private readonly path: string,
    private readonly who: { node: string; rank: number; droid: string },
  ) {}

  /** Writes `stats` if they changed and the last write is old enough (or `now` is the Droid's end); never throws. */
  update(stats: PrefetchStats, now: number, final = false): void {
    if (!final && now - this.lastAt < PUBLISH_EVERY_MS) return;
    if (stats.fetched + stats.failures + stats.misses === 0) return; // no remote input so far: no file
    const key = JSON.stringify(stats);
    if (key === this.last) return;
    try {
      writePrefetchFile(this.path, { ...this.who, ...stats, writtenAt: new Date(now).toISOString() });
      this.last = key;
      this.lastAt = now;
    } catch {
      // a full or read-only work directory: the figures are lost, the job is not
    }
  }
}
