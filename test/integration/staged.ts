// Checks on what stage-out delivered: the staged records of a journal, and the files at the destination.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { doneRecords, flakyJob, journalRecords } from './jobs.js';

/** The staged records of a work directory's journal. */
export function stagedRecords(workdir: string) {
  return journalRecords(workdir).flatMap((r) => (r.t === 'staged' ? [r] : []));
}

/** Checks every done range has exactly one staged record and its outputs are byte-identical at `destDir`. */
export function checkDelivered(workdir: string, outputDir: string, destDir: string): void {
  const done = doneRecords(workdir);
  const staged = stagedRecords(workdir);
  expect(staged.map((r) => r.i).sort((a, b) => a - b)).toEqual(done.map((r) => r.i).sort((a, b) => a - b));
  for (const d of done)
    for (const out of d.out) {
      const name = out.slice(outputDir.length + 1);
      expect(readFileSync(join(destDir, name)).equals(readFileSync(out)), name).toBe(true);
    }
  expect(readdirSync(destDir).filter((f) => f.endsWith('.yoda-part'))).toEqual([]);
}

/** A flakyJob of `files` input files of `events` events, 5 per range, whose outputs are delivered per `stageOut`. */
export function stagedJob(dir: string, files: number, stageOut: Record<string, unknown>, events = 20): string {
  return flakyJob(dir, { files, events, per: 5, extra: { stageOut } });
}
