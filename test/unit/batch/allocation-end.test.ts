// allocationEnd() against fake squeue and qstat commands put first on PATH: answers, no limit, garbage, failures.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { allocationEnd } from '../../../src/batch/allocation-end.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A directory holding a fake `name` that records its arguments, prints `stdout` and exits with `code`. */
function fakeCommand(name: string, stdout: string, code = 0): { env: NodeJS.ProcessEnv; args: () => string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'yoda-fake-batch-'));
  dirs.push(dir);
  const out = join(dir, 'out.txt');
  writeFileSync(out, stdout);
  const argsFile = join(dir, 'args.txt');
  writeFileSync(join(dir, name), `#!/bin/sh\nprintf '%s\\n' "$@" > '${argsFile}'\ncat '${out}'\nexit ${code}\n`);
  chmodSync(join(dir, name), 0o755);
  return { env: { PATH: `${dir}:${process.env.PATH}` }, args: () => readFileSync(argsFile, 'utf8').trim().split('\n') };
}

const qstat = (limit: string, used?: string) =>
  `Job Id: 42.pbs01\n    Job_Name = yoda\n    Resource_List.walltime = ${limit}\n${used ? `    resources_used.walltime = ${used}\n` : ''}    queue = workq\n`;

describe('allocationEnd', () => {
  it('reads the end time squeue prints (Slurm local time) and asks about this job only', async () => {
    const fake = fakeCommand('squeue', '2026-12-01T10:30:00\n');
    const r = await allocationEnd({ ...fake.env, SLURM_JOB_ID: '1234' });
    expect(r).toEqual({ end: new Date(2026, 11, 1, 10, 30, 0), warning: null });
    expect(fake.args()).toEqual(['-h', '-j', '1234', '-o', '%e']);
  });

  it('prefers SLURM_JOB_END_TIME over asking squeue', async () => {
    const fake = fakeCommand('squeue', 'garbage');
    expect(await allocationEnd({ ...fake.env, SLURM_JOB_ID: '1', SLURM_JOB_END_TIME: '1800000000' })).toEqual({
      end: new Date(1_800_000_000_000),
      warning: null,
    });
  });

  it('gives no deadline and no warning when squeue says N/A (no time limit)', async () => {
    for (const answer of ['N/A\n', 'Unknown\n', '\n']) {
      const fake = fakeCommand('squeue', answer);
      expect(await allocationEnd({ ...fake.env, SLURM_JOB_ID: '7' })).toEqual({ end: null, warning: null });
    }
  });

  it('turns an unreadable squeue answer or SLURM_JOB_END_TIME into a warning, never a throw', async () => {
    for (const answer of ['tomorrow-ish\n', '2026-13-45T99:00:00\n', '\u0000\u00ff binary']) {
      const fake = fakeCommand('squeue', answer);
      const r = await allocationEnd({ ...fake.env, SLURM_JOB_ID: '7' });
      expect(r.end).toBeNull();
      expect(r.warning).toMatch(
        /cannot tell when the allocation ends \(SLURM_JOB_END_TIME \/ squeue\): cannot parse squeue end time .*going on without a deadline/,
      );
    }
    const r = await allocationEnd({ PATH: process.env.PATH, SLURM_JOB_ID: '7', SLURM_JOB_END_TIME: 'soon' });
    expect(r).toEqual({ end: null, warning: expect.stringMatching(/SLURM_JOB_END_TIME="soon" is not epoch seconds/) });
  });

  it('gives no deadline when squeue fails, whatever it printed', async () => {
    const fake = fakeCommand('squeue', '2026-12-01T10:30:00\n', 1);
    expect((await allocationEnd({ ...fake.env, SLURM_JOB_ID: '7' })).end).toBeNull();
    // No squeue on PATH at all: the same, and no throw.
    const empty = mkdtempSync(join(tmpdir(), 'yoda-no-squeue-'));
    dirs.push(empty);
    expect((await allocationEnd({ PATH: empty, SLURM_JOB_ID: '7' })).end).toBeNull();
  });

  it('computes the end from the PBS walltime limit minus what is used', async () => {
    const fake = fakeCommand('qstat', qstat('02:00:00', '00:30:00'));
    const before = Date.now();
    const r = await allocationEnd({ ...fake.env, PBS_JOBID: '42.pbs01' });
    const after = Date.now();
    expect(fake.args()).toEqual(['-f', '42.pbs01']);
    expect(r.warning).toBeNull();
    const end = r.end?.getTime() ?? Number.NaN;
    expect(end).toBeGreaterThanOrEqual(before + 5400_000);
    expect(end).toBeLessThanOrEqual(after + 5400_000);
  });

  it('gives no deadline without a PBS walltime limit, a warning for a garbled one, and nothing when qstat fails', async () => {
    expect(
      await allocationEnd({ ...fakeCommand('qstat', 'Job Id: 42\n    queue = workq\n').env, PBS_JOBID: '42' }),
    ).toEqual({ end: null, warning: null });
    const garbled = await allocationEnd({ ...fakeCommand('qstat', qstat('soon')).env, PBS_JOBID: '42' });
    expect(garbled).toEqual({
      end: null,
      warning: expect.stringMatching(/\(qstat -f\): cannot parse Resource_List\.walltime = soon/),
    });
    expect(
      (await allocationEnd({ ...fakeCommand('qstat', qstat('02:00:00'), 153).env, PBS_JOBID: '42' })).end,
    ).toBeNull();
  });

  it('gives no deadline and no warning outside a batch job', async () => {
    expect(await allocationEnd({ PATH: process.env.PATH })).toEqual({ end: null, warning: null });
  });
});
