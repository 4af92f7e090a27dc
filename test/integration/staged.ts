// Checks on what stage-out delivered: the staged records of a journal, and the files at the destination.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  expect(staged.map((r) => r.i ?? -1).sort((a, b) => a - b)).toEqual(done.map((r) => r.i).sort((a, b) => a - b));
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

/**
 * A gate for a command: `script(body)` is a bash script that logs its arguments to GATE/calls, then runs `body` at once
 * for the first `tickets` calls and, for later ones, marks GATE/waiting.<pid> and waits for GATE/open first
 * (`open()` creates it, `close()` removes it again).
 */
export function commandGate(dir: string, tickets: number) {
  const gate = join(dir, 'gate');
  mkdirSync(gate, { recursive: true });
  const script = (body: string) => `#!/bin/bash
echo "$*" >> "${gate}/calls"
for k in $(seq 1 ${tickets}); do mkdir "${gate}/ticket$k" 2>/dev/null && ${body}; done
touch "${gate}/waiting.$$"
while [ ! -e "${gate}/open" ]; do sleep 0.05; done
${body}
`;
  const calls = () =>
    existsSync(join(gate, 'calls')) ? readFileSync(join(gate, 'calls'), 'utf8').trim().split('\n') : [];
  const waiting = () => readdirSync(gate).filter((f) => f.startsWith('waiting.')).length;
  const open = () => writeFileSync(join(gate, 'open'), '');
  const close = () => rmSync(join(gate, 'open'), { force: true });
  return { gate, script, calls, waiting, open, close };
}

/** An xrdcp first on PATH (in `bin`) that copies at once for the first `tickets` calls; see commandGate. */
export function gatedXrdcp(dir: string, tickets: number) {
  const g = commandGate(dir, tickets);
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'xrdcp'), g.script('exec /usr/bin/xrdcp "$@"'));
  chmodSync(join(bin, 'xrdcp'), 0o755);
  return { ...g, bin };
}
