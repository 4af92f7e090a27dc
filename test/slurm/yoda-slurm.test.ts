// Yoda in a real Slurm allocation: sbatch over three nodes, srun, a backfill drain and resubmit, a time limit.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { slurmAvailable, startCluster, type SlurmCluster } from './cluster.js';
import {
  checkFlakyOutputs,
  doneRecords,
  flakyJob,
  journalRecords,
  makeGate,
  montecarloExample,
  montecarloJob,
  verifyMontecarlo,
} from '../integration/jobs.js';
import { CLI, jobDirs, killAll, ROOT, waitFor } from '../integration/proc.js';

const available = slurmAvailable();
if (!available.ok && process.env.CI !== 'true') console.log(`Yoda-on-Slurm tests skipped: ${available.why}`);

// The Droids Yoda has handed ranges to so far (from the journal's assign records).
const droidsAssigned = (workdir: string) =>
  new Set(journalRecords(workdir).flatMap((r) => (r.t === 'assign' ? [r.droid] : []))).size;

// Yoda's log in the work directory ('' before it exists).
const yodaLog = (workdir: string) => {
  try {
    return readFileSync(path.join(workdir, 'logs', 'yoda-rank0.log'), 'utf8');
  } catch {
    return '';
  }
};

const done = (workdir: string) => {
  try {
    return doneRecords(workdir).length;
  } catch {
    return 0;
  }
};

describe.skipIf(!available.ok)('yoda in a real Slurm allocation', () => {
  let cluster: SlurmCluster;
  beforeAll(async () => {
    cluster = await startCluster({ nodes: 3 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  afterEach(killAll);

  function setup(o: Parameters<typeof flakyJob>[1]) {
    const { dir, workdir } = jobDirs('yoda-slurm-');
    return { dir, workdir, job: flakyJob(dir, o) };
  }
  const sbatch = (
    script: string,
    nodes: number,
    t: { dir: string; job: string; workdir: string },
    extra: string[] = [],
    env: Record<string, string> = {},
  ) =>
    cluster.sbatch([
      `-N${nodes}`,
      '-t',
      '5',
      `--export=${['ALL', `YODA=${CLI}`, ...Object.entries(env).map(([k, v]) => `${k}=${v}`)].join(',')}`,
      '-o',
      path.join(t.dir, 'slurm-%j.out'),
      ...extra,
      path.join(ROOT, 'slurm', script),
      t.job,
      t.workdir,
    ]);
  const slurmOut = (t: { dir: string }, id: number) => readFileSync(path.join(t.dir, `slurm-${id}.out`), 'utf8');

  // The batch tests wait on Slurm too: scheduling, srun, and marking the job done took up to 45 s a test on this
  // 2-core VM with two CPU burners beside it (the work itself is a few seconds). Their timeouts only catch a hang.
  const BATCH_TIMEOUT = 300_000;

  it('sbatch -N3 slurm/yoda.sbatch examples/montecarlo/job.yaml: one Droid on each of n1..n3, verify.py passes', {
    timeout: BATCH_TIMEOUT,
  }, async () => {
    const { dir, workdir } = jobDirs('yoda-slurm-');
    // The shipped job and payload on 3 files x 60 events: 9 ranges of 20, seconds of work (the full size is
    // run by test/integration/examples.test.ts).
    const t = { dir, workdir, job: montecarloExample(dir, { files: 3, events: 60 }) };
    // Every range waits until each of the 3 Droids holds one (Yoda starts handing out ranges as soon as the
    // first Droid joins), so each node surely runs some, however late its rank starts.
    const gate = makeGate(dir);
    const id = await sbatch('yoda.sbatch', 3, t, [], { MONTECARLO_GATE: path.join(gate.dir, 'open') });
    await waitFor('a range handed to each of the 3 Droids', () => droidsAssigned(t.workdir) === 3, 120_000);
    gate.open();
    const end = await cluster.waitJob(id, 120_000);
    const out = slurmOut(t, id);
    expect(end, out).toEqual({ state: 'COMPLETED', exitCode: '0:0' });
    expect(out).toMatch(/starting job montecarlo .* 9 ranges of 20 events, 9 to do, 3 ranks \(slurm\)/);
    const joined =
      readFileSync(path.join(t.workdir, 'logs', 'yoda-rank0.log'), 'utf8').match(/joined from (n\d)/g) ?? [];
    expect(joined.map((j) => j.slice(-2)).sort()).toEqual(['n1', 'n2', 'n3']);
    const nodes = new Set(readFileSync(path.join(t.workdir, 'journal.log'), 'utf8').match(/"node":"n\d"/g));
    expect(nodes).toEqual(new Set(['"node":"n1"', '"node":"n2"', '"node":"n3"']));
    const v = verifyMontecarlo(t.workdir);
    expect(v.code, v.output).toBe(0);
    expect(v.output).toMatch(/^OK montecarlo: 9 done ranges, 180 events of 3 input files byte-identical/m);
  });

  it('an interactive srun over two nodes runs the job to the end', async () => {
    const t = setup({ files: 2, events: 20, per: 5 });
    const r = await cluster.run(
      'srun',
      ['-N2', '--ntasks-per-node=1', '-t', '5', CLI, 'run', t.job, '--workdir', t.workdir],
      { timeoutMs: 120_000 },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/2 ranks \(slurm\)/);
    expect(checkFlakyOutputs(t.workdir, 2, 20)).toEqual([]);
  });

  it('backfill: USR1 drains (exit 4), and submitting the same script again completes the rest; verify.py passes', {
    timeout: BATCH_TIMEOUT,
  }, async () => {
    const { dir, workdir } = jobDirs('yoda-slurm-');
    // Ranges wait at a gate until Yoda drains: the job is surely still running when USR1 comes.
    const gate = makeGate(dir);
    const t = {
      dir,
      workdir,
      job: montecarloJob(dir, { files: 2, events: 60, per: 5, env: { MONTECARLO_GATE: path.join(gate.dir, 'open') } }),
    };
    const first = await sbatch('yoda-backfill.sbatch', 2, t, ['--time-min=1']);
    await waitFor('ranges handed to both Droids', () => droidsAssigned(t.workdir) === 2, 120_000);
    const sig = await cluster.run('scancel', ['--batch', '--signal=USR1', String(first)]);
    expect(sig.exitCode, sig.stderr).toBe(0);
    // Once Yoda drains (no new ranges), release the ranges in flight: they finish within the grace period.
    await waitFor('Yoda to start draining', () => /draining \(/.test(yodaLog(t.workdir)), 60_000);
    gate.open();
    const end1 = await cluster.waitJob(first, 120_000);
    expect(end1.exitCode, slurmOut(t, first)).toBe('4:0');
    expect(slurmOut(t, first)).toMatch(
      /stopped early \(received SIGUSR1\): \d+ range\(s\) left for the next allocation/,
    );
    const partial = done(t.workdir);
    expect(partial).toBeLessThan(24);
    const second = await sbatch('yoda-backfill.sbatch', 2, t, ['--time-min=1']);
    const end2 = await cluster.waitJob(second, 120_000);
    expect(end2, slurmOut(t, second)).toEqual({ state: 'COMPLETED', exitCode: '0:0' });
    expect(slurmOut(t, second)).toMatch(new RegExp(`resuming job mc-test .* ${24 - partial} to do`));
    const ids = doneRecords(t.workdir).map((d) => d.id);
    expect(new Set(ids).size).toBe(24);
    expect(ids).toHaveLength(24);
    const v = verifyMontecarlo(t.workdir);
    expect(v.code, v.output).toBe(0);
  });

  it('holds back ranges that cannot finish before the time limit, and exits 4 before Slurm kills it', async () => {
    // 1 minute allocation, 10 s margin, ranges of about 12 s on 2 nodes: two rounds fit, a third would not.
    const t = setup({ files: 1, events: 40, per: 5, env: { FLAKY_SLEEP: '12' } });
    const r = await cluster.run(
      'srun',
      ['-N2', '--ntasks-per-node=1', '-t', '1', CLI, 'run', t.job, '--workdir', t.workdir, '--margin', '10'],
      { timeoutMs: 120_000 },
    );
    expect(r.exitCode, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/allocation ends at .*a range takes about \d+ s/);
    expect(r.stderr).not.toMatch(/DUE TO TIME LIMIT/);
    const journal = readFileSync(path.join(t.workdir, 'journal.log'), 'utf8');
    expect(journal).not.toMatch(/"t":"fail"/); // nothing was started that had to be killed
    expect(done(t.workdir)).toBeGreaterThanOrEqual(2);
    expect(done(t.workdir)).toBeLessThan(8);
  });
});
