// The real Slurm test cluster works: multi-node srun, sbatch + srun, signals to the batch shell,
// and detectLaunch on the environments Slurm really gives.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectLaunch } from '../../src/batch/launch.js';
import { slurmAvailable, startCluster, type SlurmCluster } from './cluster.js';

const available = slurmAvailable();
const inCI = process.env.CI === 'true';
if (!available.ok && !inCI) console.log(`Slurm cluster tests skipped: ${available.why}`);

async function waitForFile(file: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${file}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of text.split('\0')) {
    const i = entry.indexOf('=');
    if (i > 0) env[entry.slice(0, i)] = entry.slice(i + 1);
  }
  return env;
}

describe.runIf(inCI && !available.ok)('Slurm in CI', () => {
  it('is installed (CI runs .ci/install-slurm.sh; these tests never skip there)', () => {
    throw new Error(`Slurm cluster tests cannot run in CI: ${available.ok ? '' : available.why}`);
  });
});

describe.skipIf(!available.ok)('real Slurm cluster (3 nodes)', () => {
  let cluster: SlurmCluster;
  const script = (name: string, body: string) => {
    const file = path.join(cluster.base, name);
    writeFileSync(file, `#!/bin/bash\n${body}\n`, { mode: 0o755 });
    return file;
  };

  beforeAll(async () => {
    const t0 = Date.now();
    cluster = await startCluster({ nodes: 3 });
    console.log(`Slurm cluster up in ${Date.now() - t0} ms under ${cluster.base}`);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('srun -N3 runs ranks 0..2 on n1..n3', async () => {
    const r = await cluster.run('srun', [
      '-N3',
      '--ntasks-per-node=1',
      'bash',
      '-c',
      'echo $SLURM_PROCID $SLURMD_NODENAME $SLURM_NODEID',
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').sort()).toEqual(['0 n1 0', '1 n2 1', '2 n3 2']);
  });

  it('an sbatch -N2 job running srun completes', async () => {
    const out = path.join(cluster.base, 'sbatch-srun.txt');
    const job = script(
      'sbatch-srun.sh',
      `srun --ntasks-per-node=1 bash -c 'echo $SLURM_PROCID $SLURMD_NODENAME' > ${out}`,
    );
    const id = await cluster.sbatch(['-N2', '-t', '2', '-o', path.join(cluster.base, 'sbatch-srun.%j.out'), job]);
    expect(await cluster.waitJob(id, 60_000)).toEqual({ state: 'COMPLETED', exitCode: '0:0' });
    expect(readFileSync(out, 'utf8').trim().split('\n').sort()).toEqual(['0 n1', '1 n2']);
  });

  it('scancel --batch --signal=USR1 reaches a trap in the batch script', async () => {
    const ready = path.join(cluster.base, 'usr1.ready');
    const got = path.join(cluster.base, 'usr1.got');
    const job = script(
      'usr1.sh',
      [
        `trap 'echo got USR1 > ${got}; exit 0' USR1`,
        `touch ${ready}`,
        'for i in $(seq 600); do sleep 0.1 & wait $!; done',
        'exit 3',
      ].join('\n'),
    );
    const id = await cluster.sbatch(['-N1', '-t', '2', '-o', path.join(cluster.base, 'usr1.%j.out'), job]);
    await waitForFile(ready, 30_000);
    const r = await cluster.run('scancel', ['--batch', '--signal=USR1', String(id)]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await cluster.waitJob(id, 30_000)).toEqual({ state: 'COMPLETED', exitCode: '0:0' });
    expect(readFileSync(got, 'utf8')).toBe('got USR1\n');
  });

  it('detectLaunch reads the real step and batch environments', async () => {
    const dir = cluster.base;
    const job = script(
      'envs.sh',
      [`env -0 > ${dir}/env.batch`, `srun --ntasks-per-node=1 bash -c 'env -0 > ${dir}/env.step.$SLURM_PROCID'`].join(
        '\n',
      ),
    );
    const id = await cluster.sbatch(['-N3', '-t', '2', '-o', path.join(dir, 'envs.%j.out'), job]);
    expect((await cluster.waitJob(id, 60_000)).state).toBe('COMPLETED');
    const host = os.hostname();
    for (let rank = 0; rank < 3; rank++) {
      const env = parseEnv(readFileSync(path.join(dir, `env.step.${rank}`), 'utf8'));
      expect(detectLaunch(env, (p) => readFileSync(p, 'utf8'), host)).toEqual({
        kind: 'slurm',
        rank,
        size: 3,
        localRank: 0,
        node: `n${rank + 1}`,
        nodeIndex: rank,
        nodes: ['n1', 'n2', 'n3'],
        jobId: String(id),
        cpusOnNode: 1,
      });
    }
    const batch = parseEnv(readFileSync(path.join(dir, 'env.batch'), 'utf8'));
    expect(detectLaunch(batch, undefined, host)).toMatchObject({
      kind: 'local',
      rank: 0,
      size: 1,
      node: 'n1',
      jobId: String(id),
    });
  });
});
