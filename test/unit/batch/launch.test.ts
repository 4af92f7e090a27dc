import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkOneRankPerNode, detectLaunch, type Env } from '../../../src/batch/launch.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const fixture = (name: string) => readFileSync(path.join(dir, name), 'utf8');

// Parse a recorded `env` dump (KEY=VALUE lines, # comments).
function loadEnv(name: string): Env {
  const env: Env = {};
  for (const line of fixture(name).split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const i = line.indexOf('=');
    env[line.slice(0, i)] = line.slice(i + 1);
  }
  return env;
}

const nodefiles: Record<string, string> = {
  '/var/spool/torque/aux//4711.pbs01.cluster.example': fixture('pbs-torque-nodefile.txt'),
  '/var/spool/pbs/aux/91823.pbspro-srv': fixture('pbs-pro-nodefile.txt'),
};
const readFile = (p: string) => {
  if (!(p in nodefiles)) throw new Error(`ENOENT: no such file or directory, open '${p}'`);
  return nodefiles[p];
};

describe('detectLaunch on recorded environments', () => {
  it('Slurm: rank 2 of a 3-node srun step', () => {
    expect(detectLaunch(loadEnv('slurm-step-3nodes-rank2.env'), readFile, 'vm')).toEqual({
      kind: 'slurm',
      rank: 2,
      size: 3,
      localRank: 0,
      node: 'n3',
      nodeIndex: 2,
      nodes: ['n1', 'n2', 'n3'],
      jobId: '1',
      cpusOnNode: 1,
    });
  });

  it('Slurm: a step on part of the job uses the step node list (srun -N2 -r1 in a 3-node job)', () => {
    const info = detectLaunch(loadEnv('slurm-step-subset-rank1.env'), readFile, 'vm');
    expect(info).toMatchObject({
      kind: 'slurm',
      rank: 1,
      size: 2,
      node: 'n3',
      nodeIndex: 1,
      nodes: ['n2', 'n3'],
      jobId: '2',
    });
  });

  it('Slurm: the batch script itself is not a rank although it has SLURM_PROCID=0', () => {
    const env = loadEnv('slurm-batch-script.env');
    expect(env.SLURM_PROCID).toBe('0');
    expect(detectLaunch(env, readFile, 'vm')).toEqual({
      kind: 'local',
      rank: 0,
      size: 1,
      localRank: 0,
      node: 'n1',
      nodeIndex: 0,
      nodes: ['n1'],
      jobId: '1',
      cpusOnNode: 1,
    });
  });

  it('Slurm: an salloc shell on a login node (outside the node list) is local', () => {
    const env = {
      SLURM_JOB_ID: '77',
      SLURM_JOBID: '77',
      SLURM_JOB_NODELIST: 'n[1-2]',
      SLURM_NODELIST: 'n[1-2]',
      SLURM_JOB_NUM_NODES: '2',
    };
    expect(detectLaunch(env, readFile, 'login1')).toEqual({
      kind: 'local',
      rank: 0,
      size: 1,
      localRank: 0,
      node: 'login1',
      nodeIndex: 0,
      nodes: ['login1'],
      jobId: '77',
    });
  });

  it('srun --mpi=pmi2 and --mpi=pmix: MPI numbers equal the step, so kind is slurm', () => {
    for (const name of ['srun-mpi-pmi2-rank2.env', 'srun-mpi-pmix-rank2.env']) {
      expect(detectLaunch(loadEnv(name), readFile, 'vm'), name).toMatchObject({
        kind: 'slurm',
        rank: 2,
        size: 3,
        node: 'n2',
        nodeIndex: 1,
        nodes: ['n1', 'n2'],
      });
    }
  });

  it("Open MPI mpirun inside a Slurm job: the rank is Open MPI's, not the orted step's", () => {
    const env = loadEnv('openmpi-mpirun-in-slurm-rank1.env');
    expect(env.SLURM_PROCID).toBe('0');
    expect(detectLaunch(env, readFile, 'vm')).toEqual({
      kind: 'openmpi',
      rank: 1,
      size: 4,
      localRank: 1,
      node: 'n1',
      nodeIndex: 0,
      nodes: ['n1', 'n2'],
      jobId: '2',
      cpusOnNode: 2,
    });
  });

  it('Open MPI mpiexec without a batch system (PMIX_RANK is set too; Open MPI wins)', () => {
    expect(detectLaunch(loadEnv('openmpi-mpiexec-rank2.env'), undefined, 'vm.example.org')).toEqual({
      kind: 'openmpi',
      rank: 2,
      size: 3,
      localRank: 2,
      node: 'vm',
      nodeIndex: 0,
      nodes: ['vm'],
    });
  });

  it('MPICH Hydra mpiexec (PMI_RANK, PMI_SIZE, MPI_LOCALRANKID)', () => {
    expect(detectLaunch(loadEnv('mpich-hydra-rank2.env'), undefined, 'vm')).toMatchObject({
      kind: 'pmi',
      rank: 2,
      size: 3,
      localRank: 2,
    });
  });

  it('PMIx without Open MPI variables', () => {
    expect(detectLaunch(loadEnv('prterun-pmix-rank1.env'), undefined, 'vm')).toEqual({
      kind: 'pmix',
      rank: 1,
      size: 4,
      localRank: 1,
      node: 'vm',
      nodeIndex: 0,
      nodes: ['vm'],
    });
  });

  it('PBS (Torque): a pbsdsh task is slot PBS_VNODENUM of the node file', () => {
    expect(detectLaunch(loadEnv('pbs-torque-pbsdsh-task.env'), readFile, 'node02')).toEqual({
      kind: 'pbs',
      rank: 3,
      size: 6,
      localRank: 1,
      node: 'node02.cluster.example',
      nodeIndex: 1,
      nodes: ['node01.cluster.example', 'node02.cluster.example', 'node03.cluster.example'],
      jobId: '4711.pbs01.cluster.example',
    });
  });

  it('PBS Pro: a pbsdsh task with one slot per chunk', () => {
    expect(detectLaunch(loadEnv('pbs-pro-pbsdsh-task.env'), readFile, 'x1000c0s1b0n0')).toEqual({
      kind: 'pbs',
      rank: 2,
      size: 3,
      localRank: 0,
      node: 'x1000c0s1b0n0',
      nodeIndex: 2,
      nodes: ['x1000c0s0b0n0', 'x1000c0s0b0n1', 'x1000c0s1b0n0'],
      jobId: '91823.pbspro-srv',
      cpusOnNode: 64,
    });
  });

  it('PBS: the job script itself (PBS_TASKNUM=1) is local, with the job id', () => {
    expect(detectLaunch(loadEnv('pbs-pro-batch-script.env'), readFile, 'x1000c0s0b0n0')).toEqual({
      kind: 'local',
      rank: 0,
      size: 1,
      localRank: 0,
      node: 'x1000c0s0b0n0',
      nodeIndex: 0,
      nodes: ['x1000c0s0b0n0'],
      jobId: '91823.pbspro-srv',
      cpusOnNode: 64,
    });
  });

  it('PBS: mpiexec ranks take the MPI rank and find their node in the node file', () => {
    expect(detectLaunch(loadEnv('pbs-pro-mpiexec-hydra-rank1.env'), readFile, 'x1000c0s0b0n1.hsn.example')).toEqual({
      kind: 'pmi',
      rank: 1,
      size: 3,
      localRank: 0,
      node: 'x1000c0s0b0n1',
      nodeIndex: 1,
      nodes: ['x1000c0s0b0n0', 'x1000c0s0b0n1', 'x1000c0s1b0n0'],
      jobId: '91823.pbspro-srv',
      cpusOnNode: 64,
    });
  });

  it('no batch variables: local rank 0 of 1 on the given host (short form)', () => {
    expect(detectLaunch({ PATH: '/usr/bin' }, undefined, 'login1.example.org')).toEqual({
      kind: 'local',
      rank: 0,
      size: 1,
      localRank: 0,
      node: 'login1',
      nodeIndex: 0,
      nodes: ['login1'],
    });
    expect(detectLaunch({ HOSTNAME: 'box.lan' }).node).toBe('box');
    expect(detectLaunch({}).node).toBe('localhost');
  });
});

describe('detectLaunch errors name the variable and its value', () => {
  const step = () => loadEnv('slurm-step-3nodes-rank2.env');
  it.each<[string, Env, string]>([
    [
      'non-numeric SLURM_PROCID',
      { ...step(), SLURM_PROCID: 'two' },
      'SLURM_PROCID="two" is not a non-negative integer',
    ],
    ['negative SLURM_NODEID', { ...step(), SLURM_NODEID: '-1' }, 'SLURM_NODEID="-1" is not a non-negative integer'],
    ['rank beyond size', { ...step(), SLURM_PROCID: '3' }, 'rank 3 is not below size 3'],
    [
      'node id beyond list',
      { ...step(), SLURM_NODEID: '5' },
      'SLURM_NODEID=5 is out of range for SLURM_STEP_NODELIST=n[1-3]',
    ],
    [
      'node name mismatch',
      { ...step(), SLURMD_NODENAME: 'n1' },
      'SLURM_NODEID=2 points at n3 in SLURM_STEP_NODELIST=n[1-3] but SLURMD_NODENAME=n1',
    ],
    [
      'node count mismatch',
      { ...step(), SLURM_STEP_NUM_NODES: '4' },
      'SLURM_STEP_NODELIST=n[1-3] names 3 nodes but the node count says 4',
    ],
    ['bad node list', { ...step(), SLURM_STEP_NODELIST: 'n[1-3' }, 'bad hostlist expression "n[1-3"'],
    ['OMPI rank without size', { OMPI_COMM_WORLD_RANK: '1' }, 'OMPI_COMM_WORLD_SIZE is not set'],
    ['PMI size not a number', { PMI_RANK: '0', PMI_SIZE: '4x' }, 'PMI_SIZE="4x" is not a non-negative integer'],
    ['PMIx without size', { PMIX_RANK: '0' }, 'PMIX_RANK is set but PMIX_SIZE is not'],
    [
      'pbsdsh slot out of range',
      { ...loadEnv('pbs-pro-pbsdsh-task.env'), PBS_VNODENUM: '7' },
      'PBS_VNODENUM=7 is out of range',
    ],
    [
      'unreadable node file',
      { ...loadEnv('pbs-pro-pbsdsh-task.env'), PBS_NODEFILE: '/nope' },
      'cannot read PBS_NODEFILE=/nope: ENOENT',
    ],
    [
      'MPI rank on a host outside the node file',
      { ...loadEnv('pbs-pro-mpiexec-hydra-rank1.env'), PBS_NODENUM: undefined },
      'this node (vm) is not in PBS_NODEFILE=/var/spool/pbs/aux/91823.pbspro-srv (x1000c0s0b0n0,x1000c0s0b0n1,x1000c0s1b0n0)',
    ],
  ])('%s', (_what, env, message) => {
    expect(() => detectLaunch(env, readFile, 'vm')).toThrow(message);
  });

  it('asks for a readFile when PBS_NODEFILE must be read', () => {
    expect(() => detectLaunch(loadEnv('pbs-pro-pbsdsh-task.env'))).toThrow(
      'PBS_NODEFILE=/var/spool/pbs/aux/91823.pbspro-srv is set but no readFile',
    );
  });
});

describe('checkOneRankPerNode', () => {
  const info = detectLaunch(loadEnv('openmpi-mpirun-in-slurm-rank1.env'), readFile, 'vm');
  it('reports a second rank on a node unless shared nodes are allowed', () => {
    expect(checkOneRankPerNode(info, false)).toMatch(/^rank 1 of 4 is local rank 1 on node n1 \(openmpi launch\)/);
    expect(checkOneRankPerNode(info, true)).toBeNull();
  });
  it('accepts the first rank on each node', () => {
    expect(checkOneRankPerNode(detectLaunch(loadEnv('slurm-step-3nodes-rank2.env'), readFile, 'vm'), false)).toBeNull();
    expect(checkOneRankPerNode(detectLaunch({}), false)).toBeNull();
  });
});
