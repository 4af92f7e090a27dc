// Small job files for integration tests, written into a temp directory.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { parseJournal } from '../../src/journal/frame.js';
import type { JournalRecord } from '../../src/journal/records.js';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ROOT } from './proc.js';

/** Writes `files` input files of `events` lines and a job file running test/fixtures/payloads/flaky.py. */
export function flakyJob(
  dir: string,
  o: {
    files?: number;
    events?: number;
    per?: number;
    env?: Record<string, string>;
    maxAttempts?: number;
    extra?: Record<string, unknown>;
  } = {},
): string {
  mkdirSync(join(dir, 'in'), { recursive: true });
  for (let f = 0; f < (o.files ?? 2); f++) {
    writeFileSync(
      join(dir, 'in', `f${f}.txt`),
      Array.from({ length: o.events ?? 40 }, (_, e) => `event ${e}\n`).join(''),
    );
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
    for (const line of readFileSync(r.out[0], 'utf8').split('\n').filter(Boolean))
      seen.set(line, (seen.get(line) ?? 0) + 1);
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

// Inputs for the montecarlo example in `dir`/inputs, made by its own make_inputs.py.
function makeMontecarloInputs(dir: string, files: number, events: number): void {
  const script = join(ROOT, 'examples', 'montecarlo', 'make_inputs.py');
  const args = ['--files', String(files), '--events', String(events), '--out', join(dir, 'inputs')];
  execFileSync('python3', [script, ...args], { stdio: 'ignore' });
}

/** A small montecarlo job in `dir` (inputs made by examples/montecarlo/make_inputs.py); verify with verify.py. */
export function montecarloJob(
  dir: string,
  o: { files?: number; events?: number; per?: number; env?: Record<string, string> } = {},
): string {
  const example = join(ROOT, 'examples', 'montecarlo');
  makeMontecarloInputs(dir, o.files ?? 2, o.events ?? 60);
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

/** Runs examples/montecarlo/verify.py on a work directory (`args` before it); returns its exit code and output. */
export function verifyMontecarlo(workdir: string, args: string[] = []): { code: number; output: string } {
  try {
    return {
      code: 0,
      output: execFileSync('python3', [join(ROOT, 'examples', 'montecarlo', 'verify.py'), ...args, workdir], {
        encoding: 'utf8',
        stdio: 'pipe',
      }),
    };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { code: err.status, output: `${err.stdout}${err.stderr}` };
  }
}

/** A gate a test holds shut: see test/fixtures/payloads/gated.py. `open()` releases every waiting range. */
export interface Gate {
  dir: string;
  open(): void;
}

/** A gate directory in `dir` (nothing waits on it until a payload is given its path). */
export function makeGate(dir: string): Gate {
  const gate = join(dir, 'gate');
  mkdirSync(gate, { recursive: true });
  return { dir: gate, open: () => writeFileSync(join(gate, 'open'), '') };
}

/**
 * A flakyJob() (same inputs, same output lines, so checkFlakyOutputs() applies) run by gated.py: exactly
 * `tickets` ranges run, then every worker waits, holding its range, until the test calls `gate.open()`.
 * A test that needs a job still running (with ranges done and ranges in flight) gets one for sure this way.
 */
export function gatedJob(
  dir: string,
  o: {
    files?: number;
    events?: number;
    per?: number;
    tickets?: number;
    maxAttempts?: number;
    extra?: Record<string, unknown>;
  } = {},
): { job: string; gate: Gate } {
  const gate = makeGate(dir);
  const payload = {
    ...(o.extra?.payload as Record<string, unknown> | undefined),
    command: ['python3', join(ROOT, 'test/fixtures/payloads/gated.py')],
    env: { GATE_DIR: gate.dir, GATE_TICKETS: String(o.tickets ?? 0) },
  };
  const job = flakyJob(dir, {
    files: o.files,
    events: o.events,
    per: o.per,
    maxAttempts: o.maxAttempts,
    extra: { ...o.extra, payload },
  });
  return { job, gate };
}

/**
 * The shipped montecarlo example (examples/montecarlo/job.yaml and payload.py, symlinked unchanged into `dir`)
 * over small inputs made by its own make_inputs.py in `dir`/inputs: the real example, sized for seconds.
 * The default job is 4 files x 400 events; 2 x 40 gives 4 ranges of 20 events.
 */
export function montecarloExample(dir: string, o: { files?: number; events?: number } = {}): string {
  const example = join(ROOT, 'examples', 'montecarlo');
  for (const f of ['job.yaml', 'payload.py', 'merge.py', 'extract.py']) symlinkSync(join(example, f), join(dir, f));
  makeMontecarloInputs(dir, o.files ?? 2, o.events ?? 40);
  return join(dir, 'job.yaml');
}
