// Child process: writes a journal of N done ranges (as Yoda would), then times replaying it (one pass, as Yoda resumes).
import { appendFileSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { frameRecord } from '../src/journal/frame.js';
import { replayJournalFile } from '../src/journal/read.js';
import type { JournalRecord } from '../src/journal/records.js';
import { childConfig, toParent } from './child.js';

/** Size and place of the journal to build. */
export interface ReplayConfig {
  ranges: number;
  dir: string;
  /** Ranges per assign record (one per answer Yoda sent). */
  perAnswer: number;
}

/** The lines of one answer: its assign record, then a done record per range. */
function answerLines(first: number, n: number, at: number, droid: string): string[] {
  const r = Array.from({ length: n }, (_, k) => first + k);
  const lines = [frameRecord({ t: 'assign', at, droid, r, a: r.map(() => 1) })];
  for (const i of r) {
    const file = `EVNT.12345678._${String(Math.floor(i / 100)).padStart(6, '0')}.pool.root.1`;
    const id = `${file}:${(i % 100) * 100}-${(i % 100) * 100 + 99}`;
    const done: JournalRecord = {
      t: 'done',
      i,
      id,
      out: [`/lustre/scratch/user/job/outputs/${id.replace(/[^A-Za-z0-9._-]+/g, '_')}.HITS.pool.root`],
      cpu: 61.234567,
      wall: 63.5,
      attempt: 1,
      droid,
      node: 'nid001234',
      slot: i % 64,
      start: at + 1000,
      end: at + 64_500,
    };
    lines.push(frameRecord(done));
  }
  return lines;
}

/** Writes the journal to `path`; returns how many records it holds. */
function build(c: ReplayConfig, path: string): number {
  const t0 = Date.now();
  let records = 3; // job, run, end
  appendFileSync(
    path,
    frameRecord({
      t: 'job',
      hash: 'bench00000000000',
      name: 'replay',
      ranges: c.ranges,
      events: c.ranges * 100,
      at: t0,
    }),
  );
  appendFileSync(path, frameRecord({ t: 'run', run: 1, at: t0, host: 'nid000001', pid: 4242 }));
  let chunk: string[] = [];
  for (let first = 0; first < c.ranges; first += c.perAnswer) {
    const lines = answerLines(
      first,
      Math.min(c.perAnswer, c.ranges - first),
      t0 + first,
      `droid-${first % 1000}-nid00${first % 1000}-4242`,
    );
    records += lines.length;
    chunk.push(...lines);
    if (chunk.length >= 20_000) {
      appendFileSync(path, chunk.join(''));
      chunk = [];
    }
  }
  appendFileSync(
    path,
    chunk.join('') + frameRecord({ t: 'end', run: 1, at: Date.now(), outcome: 'complete', exit: 0 }),
  );
  return records;
}

function main(): void {
  const c = childConfig<ReplayConfig>();
  rmSync(c.dir, { recursive: true, force: true });
  mkdirSync(c.dir, { recursive: true });
  const path = join(c.dir, 'journal.log');
  const records = build(c, path);
  const bytes = statSync(path).size;
  (globalThis as { gc?: () => void }).gc?.();
  const rss0 = process.memoryUsage.rss();
  const t0 = performance.now();
  const { parsed, state } = replayJournalFile(path, c.ranges);
  const seconds = (performance.now() - t0) / 1000;
  const rss1 = process.memoryUsage.rss();
  const ok = state.counts.done === c.ranges && parsed.droppedBytes === 0;
  toParent({
    type: 'replay',
    ranges: c.ranges,
    seconds,
    bytes,
    records,
    ok,
    rssMB: rss1 / 2 ** 20,
    addedRssMB: (rss1 - rss0) / 2 ** 20,
  });
  rmSync(c.dir, { recursive: true, force: true });
}

process.on('message', (m: { type: string }) => m.type === 'stop' && process.exit(0));
process.on('disconnect', () => process.exit(0));
try {
  main();
} catch (e) {
  toParent({ type: 'error', message: (e as Error).stack ?? String(e) });
  process.exit(1);
}
