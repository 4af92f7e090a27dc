// Small job files for integration tests, written into a temp directory.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseJournal } from '../../src/journal/frame.js';
import type { JournalRecord } from '../../src/journal/records.js';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ROOT } from './proc.js';

/** Writes `files` input files of `events` lines and a job file running test/fixtures/payloads/flaky.py. */
export function flakyJob(dir: string, o: { files?: number; events?: number; per?: number; env?: Record<string, string>; maxAttempts?: number; extra?: Record<string, unknown> } = {}): string {
  mkdirSync(join(dir, 'in'), { recursive: true });
  for (let f = 0; f < (o.files ?? 2); f++) {
    writeFileSync(join(dir, 'in', `f${f}.txt`), Array.from({ length: o.events ?? 40 }, (_, e) => `event ${e}\n`).join(''));
  }
  const job = {
    name: 'flaky',
    inputs: [{ files: 'in/*.txt', events: o.events ?? 40 }],
    eventsPerRange: o.per ?? 5,
    payload: { command: ['python3', join(ROOT, 'test/fixtures/payloads/flaky.py')], env: o.env ?? {} },
    maxAttempts: o.maxAttempts ?? 3,
    ...o.extra,
  };
  const path = join(dir, 'job.yaml');
  writeFileSync(path, stringify(job));
  return path;
}

/** Every done record of a work directory's journal (parsing the framed lines directly). */
export function doneRecords(workdir: string): { i: number; id: string; out: string[] }[] {
  return journalRecords(workdir).flatMap((r) => (r.t === 'done' ? [r] : []));
}

/** The intact records of a work directory's journal ([] before it exists); a torn tail is skipped. */
export function journalRecords(workdir: string): JournalRecord[] {
  const path = join(workdir, 'journal.log');
  return existsSync(path) ? parseJournal(readFileSync(path)).records : [];
}

/** Checks every event of every input appears exactly once across the done outputs; returns problems found. */
export function checkFlakyOutputs(workdir: string, files: number, events: number): string[] {
  const seen = new Map<string, number>();
  for (const r of doneRecords(workdir)) {
    for (const line of readFileSync(r.out[0], 'utf8').split('\n').filter(Boolean)) seen.set(line, (seen.get(line) ?? 0) + 1);
  }
  const problems: string[] = [];
  for (let f = 0; f < files; f++) {
    for (let e = 0; e < events; e++) {
      const n = seen.get(`f${f}.txt ${e}`) ?? 0;
      if (n !== 1) problems.push(`f${f}.txt ${e} seen ${n} times`);
    }
  }
  return problems;
}

/** A small montecarlo job in `dir` (inputs made by examples/montecarlo/make_inputs.py); verify with verify.py. */
export function montecarloJob(dir: string, o: { files?: number; events?: number; per?: number; env?: Record<string, string> } = {}): string {
  const example = join(ROOT, 'examples', 'montecarlo');
  execFileSync('python3', [join(example, 'make_inputs.py'), '--files', String(o.files ?? 2), '--events', String(o.events ?? 60), '--out', join(dir, 'inputs')], { stdio: 'ignore' });
  const job = {
    name: 'mc-test',
    inputs: [{ files: 'inputs/*.evgen', eventsCommand: ['python3', join(example, 'payload.py'), '--count', '{file}'] }],
    eventsPerRange: o.per ?? 5,
    payload: { command: ['python3', join(example, 'payload.py')], env: o.env ?? {} },
  };
  const path = join(dir, 'job.yaml');
  writeFileSync(path, stringify(job));
  return path;
}

/** Runs examples/montecarlo/verify.py on a work directory; returns its exit code and output. */
export function verifyMontecarlo(workdir: string): { code: number; output: string } {
  try {
    return { code: 0, output: execFileSync('python3', [join(ROOT, 'examples', 'montecarlo', 'verify.py'), workdir], { encoding: 'utf8', stdio: 'pipe' }) };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { code: err.status, output: `${err.stdout}${err.stderr}` };
  }
}
