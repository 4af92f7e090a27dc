// The PBS path without a PBS server: slurm/yoda.pbs with a recorded-style PBS environment, launching
// ranks with Open MPI's mpiexec over the hostfile it builds from PBS_NODEFILE.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkFlakyOutputs, flakyJob } from './jobs.js';
import { CLI, jobDirs, killAll, ROOT, start } from './proc.js';

function openMpi(): string | null {
  try {
    return execFileSync('mpiexec', ['--version'], { encoding: 'utf8' }).match(/Open MPI|OpenRTE/) ? null : 'mpiexec is not Open MPI';
  } catch {
    return 'mpiexec not found (Debian package openmpi-bin)';
  }
}
const missing = openMpi();
if (missing && process.env.CI !== 'true') console.log(`PBS/mpiexec tests skipped: ${missing}`);
const asRoot = { OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1', OMPI_MCA_plm: 'isolated', OMPI_MCA_btl_vader_single_copy_mechanism: 'none' };

describe.skipIf(missing !== null && process.env.CI !== 'true')('PBS allocation launched with mpiexec', () => {
  afterEach(killAll);

  it('slurm/yoda.pbs runs the job from PBS_NODEFILE with mpiexec (one rank per host)', async () => {
    const { dir, workdir } = jobDirs('yoda-pbs-');
    const job = flakyJob(dir, { files: 2, events: 20, per: 5 });
    const nodefile = join(dir, 'nodefile');
    writeFileSync(nodefile, `${hostname()}\n${hostname()}\n`); // PBS lists a host once per slot
    const env = { ...asRoot, PBS_JOBID: '4242.pbs-server', PBS_NODEFILE: nodefile, PBS_O_WORKDIR: dir, JOBFILE: job, WORKDIR: workdir, YODA: CLI };
    const p = start('bash', [join(ROOT, 'slurm', 'yoda.pbs')], { log: join(dir, 'pbs.out'), env });
    const { code } = await p.exit;
    const out = readFileSync(join(dir, 'pbs.out'), 'utf8');
    expect(code, out).toBe(0);
    expect(out).toMatch(/yoda.pbs: job 4242.pbs-server on 1 node\(s\): mpiexec -n 1/);
    expect(checkFlakyOutputs(workdir, 2, 20)).toEqual([]);
  });

  it('two mpiexec ranks (Open MPI variables) share the job through the work directory', async () => {
    const { dir, workdir } = jobDirs('yoda-mpi-');
    const job = flakyJob(dir, { files: 2, events: 40, per: 5, env: { FLAKY_SLEEP: '0.05' } });
    const p = start('mpiexec', ['-n', '2', '--oversubscribe', process.execPath, CLI, 'run', job, '--workdir', workdir, '--allow-shared-node'], { log: join(dir, 'mpi.out'), env: { ...asRoot, PBS_JOBID: '4243.pbs' } });
    const { code } = await p.exit;
    const out = readFileSync(join(dir, 'mpi.out'), 'utf8');
    expect(code, out).toBe(0);
    expect(out).toMatch(/2 ranks \(openmpi\)/);
    const log = readFileSync(join(workdir, 'logs', 'yoda-rank0.log'), 'utf8');
    expect(log.match(/joined from/g)).toHaveLength(2);
    expect(checkFlakyOutputs(workdir, 2, 40)).toEqual([]);
  });
});
