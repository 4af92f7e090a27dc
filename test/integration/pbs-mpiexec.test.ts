// The PBS path without a PBS server: slurm/yoda.pbs with a recorded-style PBS environment, launching
// ranks with Open MPI's mpiexec over the hostfile it builds from PBS_NODEFILE.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkFlakyOutputs, doneRecords, flakyJob, gatedJob, journalRecords } from './jobs.js';
import { CLI, jobDirs, killAll, ROOT, start, waitFor } from './proc.js';

function openMpi(): string | null {
  try {
    return execFileSync('mpiexec', ['--version'], { encoding: 'utf8' }).match(/Open MPI|OpenRTE/)
      ? null
      : 'mpiexec is not Open MPI';
  } catch {
    return 'mpiexec not found (Debian package openmpi-bin)';
  }
}
const missing = openMpi();
if (missing && process.env.CI !== 'true') console.log(`PBS/mpiexec tests skipped: ${missing}`);
const asRoot = {
  OMPI_ALLOW_RUN_AS_ROOT: '1',
  OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1',
  OMPI_MCA_plm: 'isolated',
  OMPI_MCA_btl_vader_single_copy_mechanism: 'none',
};

describe.skipIf(missing !== null && process.env.CI !== 'true')('PBS allocation launched with mpiexec', () => {
  afterEach(killAll);

  it('slurm/yoda.pbs runs the job from PBS_NODEFILE with mpiexec (one rank per host)', async () => {
    const { dir, workdir } = jobDirs('yoda-pbs-');
    const job = flakyJob(dir, { files: 2, events: 20, per: 5 });
    const nodefile = join(dir, 'nodefile');
    writeFileSync(nodefile, `${hostname()}\n${hostname()}\n`); // PBS lists a host once per slot
    const env = {
      ...asRoot,
      PBS_JOBID: '4242.pbs-server',
      PBS_NODEFILE: nodefile,
      PBS_O_WORKDIR: dir,
      JOBFILE: job,
      WORKDIR: workdir,
      YODA: CLI,
    };
    const p = start('bash', [join(ROOT, 'slurm', 'yoda.pbs')], { log: join(dir, 'pbs.out'), env });
    const { code } = await p.exit;
    const out = readFileSync(join(dir, 'pbs.out'), 'utf8');
    expect(code, out).toBe(0);
    expect(out).toMatch(/yoda.pbs: job 4242.pbs-server on 1 node\(s\): mpiexec -n 1/);
    expect(checkFlakyOutputs(workdir, 2, 20)).toEqual([]);
  });

  it('two mpiexec ranks (Open MPI variables) share the job through the work directory', async () => {
    const { dir, workdir } = jobDirs('yoda-mpi-');
    // Every range waits at the gate until both ranks have joined: rank 0 cannot finish the job alone first.
    const { job, gate } = gatedJob(dir, { files: 2, events: 40, per: 5, tickets: 0 });
    const p = start(
      'mpiexec',
      ['-n', '2', '--oversubscribe', process.execPath, CLI, 'run', job, '--workdir', workdir, '--allow-shared-node'],
      { log: join(dir, 'mpi.out'), env: { ...asRoot, PBS_JOBID: '4243.pbs' } },
    );
    const rank0 = join(workdir, 'logs', 'yoda-rank0.log');
    await waitFor(
      'both ranks to join',
      () => existsSync(rank0) && (readFileSync(rank0, 'utf8').match(/joined from/g) ?? []).length === 2,
    );
    gate.open();
    const { code } = await p.exit;
    const out = readFileSync(join(dir, 'mpi.out'), 'utf8');
    expect(code, out).toBe(0);
    expect(out).toMatch(/2 ranks \(openmpi\)/);
    const log = readFileSync(join(workdir, 'logs', 'yoda-rank0.log'), 'utf8');
    expect(log.match(/joined from/g)).toHaveLength(2);
    expect(checkFlakyOutputs(workdir, 2, 40)).toEqual([]);
  });

  it('slurm/yoda.pbs: SIGKILL of one mpiexec rank leaves the other running; the job completes and the script exits 0', async () => {
    const { dir, workdir } = jobDirs('yoda-pbs-');
    // Every range waits at the gate until the test opens it, so rank 1 surely holds ranges when it is killed.
    const { job, gate } = gatedJob(dir, { files: 2, events: 20, per: 5 });
    const nodefile = join(dir, 'nodefile');
    // Two host names of this machine: two unique hosts, so two ranks, one per "host" (--map-by node).
    writeFileSync(nodefile, `${hostname()}\n${hostname()}\nlocalhost\n`);
    const jobId = `4244.pbs-server-${process.pid}`;
    const env = {
      ...asRoot,
      PBS_JOBID: jobId,
      PBS_NODEFILE: nodefile,
      PBS_O_WORKDIR: dir,
      JOBFILE: job,
      WORKDIR: workdir,
      YODA: CLI,
      // --droid-timeout 6: the lost rank's ranges go back within seconds (the default only makes the test slower).
      YODA_OPTS: '--allow-shared-node --droid-timeout 6',
    };
    const p = start('bash', [join(ROOT, 'slurm', 'yoda.pbs')], { log: join(dir, 'pbs.out'), env });
    const assigned = () => new Set(journalRecords(workdir).flatMap((r) => (r.t === 'assign' ? [r.droid] : []))).size;
    await waitFor('ranges handed to both ranks', () => assigned() === 2, 60_000);
    const victim = rankOne(jobId);
    expect(victim, 'the yoda process of mpiexec rank 1').toBeGreaterThan(0);
    process.kill(victim!, 'SIGKILL');
    await waitFor(
      'Yoda to declare the killed rank lost',
      () =>
        / lost|not heard/.test(
          readFileSync(join(workdir, 'logs', 'yoda-rank0.log'), 'utf8')
            .split('\n')
            .filter((l) => /Droid \S+ on /.test(l))
            .join('\n'),
        ),
      60_000,
    );
    gate.open();
    const { code } = await p.exit;
    const out = readFileSync(join(dir, 'pbs.out'), 'utf8');
    expect(out).toMatch(/mpiexec -n 2 --hostfile \S+ --map-by node --enable-recovery/);
    expect(code, out).toBe(0);
    expect(out).toMatch(/the job's exit code \(yoda status --exit-code\) is 0/);
    const ids = doneRecords(workdir).map((d) => d.id);
    expect(new Set(ids).size).toBe(8);
    expect(ids).toHaveLength(8);
    expect(checkFlakyOutputs(workdir, 2, 20)).toEqual([]);
  });
});

describe.skipIf(missing !== null && process.env.CI !== 'true')('slurm/yoda.pbs finds the yoda CLI', () => {
  afterEach(killAll);
  // A PATH with node and mpiexec but no `yoda` (nor node_modules/.bin, which npx puts on PATH).
  const PLAIN_PATH = [dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':');

  it('with YODA unset, runs the checkout in PBS_O_WORKDIR (dist/cli/main.js); a copy outside any checkout exits 2 naming YODA', async () => {
    const { dir, workdir } = jobDirs('yoda-pbs-');
    const job = flakyJob(dir, { files: 1, events: 10, per: 5 });
    const nodefile = join(dir, 'nodefile');
    writeFileSync(nodefile, `${hostname()}\n`);
    const env = {
      ...asRoot,
      PATH: PLAIN_PATH,
      YODA: '',
      PBS_JOBID: '4245.pbs-server',
      PBS_NODEFILE: nodefile,
      JOBFILE: job,
      WORKDIR: workdir,
    };
    // Run from a copy in a spool-like directory, as PBS does: only PBS_O_WORKDIR (qsub's directory) leads to the checkout.
    const spool = join(dir, 'spool.pbs');
    copyFileSync(join(ROOT, 'slurm', 'yoda.pbs'), spool);
    const ok = start('bash', [spool], { log: join(dir, 'ok.out'), env: { ...env, PBS_O_WORKDIR: ROOT } });
    const r = { code: (await ok.exit).code, out: readFileSync(join(dir, 'ok.out'), 'utf8') };
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(`${join(ROOT, 'dist', 'cli', 'main.js')} run ${job}`);
    expect(checkFlakyOutputs(workdir, 1, 10)).toEqual([]);

    const bad = start('bash', [spool], {
      log: join(dir, 'bad.out'),
      env: { ...env, PBS_O_WORKDIR: dir, WORKDIR: join(dir, 'w2') },
    });
    const { code } = await bad.exit;
    const out = readFileSync(join(dir, 'bad.out'), 'utf8');
    expect(code, out).toBe(2);
    expect(out).toMatch(
      /cannot find the yoda command.*\n.*set YODA to the CLI of your checkout: qsub -v JOBFILE=\.\.\.,WORKDIR=\.\.\.,YODA=/,
    );
  });
});

// The pid of the `yoda run` that mpiexec started as rank 1 of the PBS job `jobId`.
function rankOne(jobId: string): number | null {
  for (const d of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const env = readFileSync(`/proc/${d}/environ`, 'latin1').split('\0');
      if (!env.includes(`PBS_JOBID=${jobId}`) || !env.includes('OMPI_COMM_WORLD_RANK=1')) continue;
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'latin1').split('\0');
      if (cmd.some((a) => a.endsWith('main.js')) && cmd.includes('run')) return Number(d);
    } catch {
      /* gone */
    }
  }
  return null;
}
