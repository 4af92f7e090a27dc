// Issue 18: input that used to lose or misplace data silently (exit 0, "complete") now works or is refused.
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { doneRecords, flakyJob } from './jobs.js';
import { jobDirs, killAll, ROOT, yoda } from './proc.js';

afterEach(() => killAll());

const FLAKY = join(ROOT, 'test/fixtures/payloads/flaky.py');

/** A job over `files` (paths relative to `dir`), 10 events each in ranges of 5, run by flaky.py. */
function writeJob(
  dir: string,
  files: string[],
  o: { payload?: Record<string, unknown>; name?: string; inputs?: unknown } = {},
): string {
  for (const f of files) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), 'ten events\n');
  }
  const job = {
    name: 'data',
    inputs: o.inputs ?? [{ files, events: 10 }],
    eventsPerRange: 5,
    payload: { command: ['python3', FLAKY], ...o.payload },
  };
  const path = join(dir, o.name ?? 'job.yaml');
  writeFileSync(path, stringify(job));
  return path;
}

const run = (job: string, workdir: string, dir: string, log: string, extra: string[] = []) =>
  yoda(['run', job, '--workdir', workdir, '-q', ...extra], { log: join(dir, log) });

describe('outputs: one file per range, inside the output directory', () => {
  it('gives every range its own output when file names differ only in unusual characters (#1)', async () => {
    const { dir, workdir } = jobDirs();
    const names = ['x y.dat', 'x_y.dat', 'x+y.dat', 'x:y.dat', 'xé.dat'];
    const r = await run(
      writeJob(
        dir,
        names.map((n) => `in/${n}`),
      ),
      workdir,
      dir,
      'a.log',
    );
    expect(r.code, r.output).toBe(0);
    const outs = readdirSync(join(workdir, 'outputs'));
    expect(outs).toHaveLength(10);
    expect(outs).toContain('x_y.dat_0-4.out');
    expect(outs).toContain('x%20y.dat_0-4.out');
    const recorded = doneRecords(workdir).map((d) => d.out[0]);
    expect(new Set(recorded).size).toBe(10);
    for (const out of recorded) expect(readFileSync(out, 'utf8').split('\n').filter(Boolean)).toHaveLength(5);
  });

  it('names outputs of same-named files in different folders visibly and uniquely (#19)', async () => {
    const { dir, workdir } = jobDirs();
    const r = await run(writeJob(dir, ['in/d1/same.dat', 'in/d2/same.dat']), workdir, dir, 'a.log');
    expect(r.code, r.output).toBe(0);
    const outs = readdirSync(join(workdir, 'outputs'));
    expect(outs).toHaveLength(4);
    for (const o of outs) expect(o.startsWith('.'), o).toBe(false);
    expect(outs.filter((o) => o.includes('same.dat_0-4'))).toHaveLength(2);
  });

  it('refuses an output template without {range} (#2)', async () => {
    const { dir, workdir } = jobDirs();
    const r = await run(writeJob(dir, ['in/a.dat'], { payload: { output: 'same.out' } }), workdir, dir, 'a.log');
    expect(r.code).toBe(2);
    expect(r.output).toMatch(/payload.output: must contain \{range\}/);
    expect(existsSync(workdir)).toBe(false);
  });

  it('refuses an output template that leaves the output directory (#3)', async () => {
    const { dir, workdir } = jobDirs();
    const r = await run(
      writeJob(dir, ['in/a.dat'], { payload: { output: '../../../{range}.out' } }),
      workdir,
      dir,
      'a.log',
    );
    expect(r.code).toBe(2);
    expect(r.output).toMatch(/payload.output: must stay inside the output directory/);
    expect(existsSync(workdir)).toBe(false);
  });
});

describe('the same input file reached twice', () => {
  it('is refused when listed via a symlink and its target (#6)', async () => {
    const { dir, workdir } = jobDirs();
    writeJob(dir, ['in/real.dat']);
    symlinkSync(join(dir, 'in/real.dat'), join(dir, 'in/alias.lnk'));
    const job = writeJob(dir, [], { inputs: [{ files: ['in/real.dat', 'in/alias.lnk'], events: 10 }] });
    const r = await run(job, workdir, dir, 'a.log');
    expect(r.code).toBe(2);
    expect(r.output).toMatch(/alias.lnk is listed twice \(it is .*real.dat/);
  });

  it('resumes when the same files are written as absolute paths instead of relative ones (issue 16 #8)', async () => {
    const { dir, workdir } = jobDirs();
    const first = await run(writeJob(dir, ['in/a.dat']), workdir, dir, 'a.log');
    expect(first.code, first.output).toBe(0);
    const again = await run(
      writeJob(dir, [], { name: 'abs.yaml', inputs: [{ files: [join(dir, 'in/a.dat')], events: 10 }] }),
      workdir,
      dir,
      'b.log',
    );
    expect(again.code, again.output).toBe(0);
    expect(again.output).toMatch(/resuming job data/);
    expect(again.output).not.toMatch(/changed: inputs/);
  });
});

describe('a work directory that was moved, or outputs and inputs changed behind its back', () => {
  it('is relocatable: a moved work directory resumes in its new place (#4)', async () => {
    const { dir } = jobDirs();
    const { job, workdir } = { job: flakyJob(dir, { files: 1, events: 10 }), workdir: join(dir, 'w') };
    const first = await run(job, workdir, dir, 'a.log');
    expect(first.code, first.output).toBe(0);
    renameSync(workdir, join(dir, 'w2'));
    const status = await yoda(['status', join(dir, 'w2'), '--json'], { log: join(dir, 's.log') });
    expect(status.code, status.output).toBe(0);
    const s = JSON.parse(status.output) as {
      state: string;
      job: { outputDir: string };
      integrity: { missingOutputs: unknown[] };
    };
    expect(s.job.outputDir).toBe(join(dir, 'w2', 'outputs'));
    expect(s.integrity.missingOutputs).toEqual([]);
    // A resume with a range to do writes into the new place, not the old one.
    rmSync(join(dir, 'w2', 'outputs', 'f0.txt_5-9.out'));
    const again = await run(job, join(dir, 'w2'), dir, 'b.log', ['--rerun-missing']);
    expect(again.code, again.output).toBe(0);
    expect(existsSync(join(dir, 'w2', 'outputs', 'f0.txt_5-9.out'))).toBe(true);
    expect(existsSync(workdir)).toBe(false);
  });

  it('notices a deleted output and a changed input, and --rerun-missing redoes the range (#5)', async () => {
    const { dir, workdir } = jobDirs();
    const job = flakyJob(dir, { files: 1, events: 10 });
    expect((await run(job, workdir, dir, 'a.log')).code).toBe(0);
    rmSync(join(workdir, 'outputs', 'f0.txt_0-4.out'));
    utimesSync(join(dir, 'in', 'f0.txt'), new Date(), new Date(Date.now() + 5000));
    const status = await yoda(['status', workdir], { log: join(dir, 's.log') });
    expect(status.output).toMatch(/1 done range\(s\) have lost their output, e.g. f0.txt:0-4 .*--rerun-missing/);
    expect(status.output).toMatch(/1 input file\(s\) changed since the job was created .*f0.txt: it was modified/);
    const plain = await run(job, workdir, dir, 'b.log');
    expect(plain.output).toMatch(/warning: 1 done range\(s\) have lost their output/);
    expect(existsSync(join(workdir, 'outputs', 'f0.txt_0-4.out'))).toBe(false);
    const redo = await run(job, workdir, dir, 'c.log', ['--rerun-missing']);
    expect(redo.code, redo.output).toBe(0);
    expect(redo.output).toMatch(/1 done range\(s\) lost their output and will run again \(f0.txt:0-4\)/);
    expect(readFileSync(join(workdir, 'outputs', 'f0.txt_0-4.out'), 'utf8')).toBe(
      'f0.txt 0\nf0.txt 1\nf0.txt 2\nf0.txt 3\nf0.txt 4\n',
    );
    const after = JSON.parse((await yoda(['status', workdir, '--json'], { log: join(dir, 't.log') })).output) as {
      state: string;
      ranges: { done: number };
      journal: { duplicateDone: number };
      integrity: { missingOutputs: unknown[] };
    };
    expect(after).toMatchObject({
      state: 'complete',
      ranges: { done: 2 },
      journal: { duplicateDone: 0 },
      integrity: { missingOutputs: [] },
    });
  });
});
