// Who am I in this allocation? Rank, size and node from Slurm, PBS, Open MPI, MPICH/PMI or PMIx variables.
//
// Rules (pure: the environment, the node file reader and the host name are all passed in):
// - The rank comes from the MPI launcher when there is one (OMPI_COMM_WORLD_* > PMIX_* > PMI_*): `mpirun`
//   or `mpiexec` inside an allocation starts its own daemons with srun / tm_spawn, so SLURM_PROCID or
//   PBS_TASKNUM there belong to the daemon, not to the rank. When the MPI numbers equal the Slurm step's
//   (srun --mpi=pmi2/pmix), srun launched the rank and the kind is 'slurm'.
// - Slurm counts only inside a step: the batch script itself also has SLURM_PROCID=0 (seen on Slurm 22.05),
//   so a step is SLURM_PROCID plus SLURM_STEP_ID (or SLURM_STEPID).
// - PBS counts only in a task spawned by pbsdsh: the job script itself is task 1 (PBS_TASKNUM=1, and on
//   Torque PBS_VNODENUM=0 too). A pbsdsh task's rank is PBS_VNODENUM, its slot in PBS_NODEFILE, and size
//   is the number of slots; `pbsdsh -u` on a node file with several slots per host leaves gaps in ranks,
//   so ask for one slot per node (PBS Pro: select=N:mpiprocs=1) to run one rank per node.
// - The node name is SLURMD_NODENAME under Slurm (several slurmd's may share one host name, and srun
//   passes the batch shell's HOSTNAME on to every task), else the given host name (short form).
// - `nodes` lists the nodes of the step / job when a scheduler tells them, else just this node.
// - A job script with no launcher, or no batch system at all: kind 'local', rank 0 of 1.
import { YodaError } from '../util/errors.js';
import { expandHostlist } from './hostlist.js';

// Where the rank numbers came from.
export type LaunchKind = 'local' | 'slurm' | 'pbs' | 'openmpi' | 'pmi' | 'pmix';

// This process's place in the allocation.
export interface LaunchInfo {
  kind: LaunchKind;
  rank: number;
  size: number;
  localRank: number;
  node: string;
  nodeIndex: number;
  nodes: string[];
  jobId?: string;
  cpusOnNode?: number;
}

// The environment as read: process.env or a recorded one.
export type Env = Record<string, string | undefined>;

// Reads a whole text file (PBS_NODEFILE); injected to keep detectLaunch pure.
export type ReadFile = (path: string) => string;

interface Ranks {
  rank: number;
  size: number;
  localRank?: number;
}

function present(env: Env, name: string): boolean {
  return env[name] !== undefined && env[name] !== '';
}

function int(env: Env, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v.trim())) throw new YodaError('BAD_ENVIRONMENT', `${name}="${v}" is not a non-negative integer`);
  return Number(v.trim());
}

function need(env: Env, name: string, why: string): number {
  const v = int(env, name);
  if (v === undefined) throw new YodaError('BAD_ENVIRONMENT', `${name} is not set (needed ${why})`);
  return v;
}

function first(env: Env, names: string[]): { name: string; value: string } | undefined {
  const name = names.find((n) => present(env, n));
  return name === undefined ? undefined : { name, value: env[name] as string };
}

const short = (host: string) => host.trim().split('.')[0];

function mpiRanks(env: Env, step: Ranks | undefined): { kind: LaunchKind; ranks: Ranks } | undefined {
  if (present(env, 'OMPI_COMM_WORLD_RANK')) {
    return {
      kind: 'openmpi',
      ranks: {
        rank: need(env, 'OMPI_COMM_WORLD_RANK', 'for the Open MPI rank'),
        size: need(env, 'OMPI_COMM_WORLD_SIZE', 'with OMPI_COMM_WORLD_RANK'),
        localRank: int(env, 'OMPI_COMM_WORLD_LOCAL_RANK'),
      },
    };
  }
  if (present(env, 'PMIX_RANK')) {
    const size = int(env, 'PMIX_SIZE') ?? step?.size;
    if (size === undefined)
      throw new YodaError(
        'BAD_ENVIRONMENT',
        'PMIX_RANK is set but PMIX_SIZE is not (and no Slurm step gives the size)',
      );
    return {
      kind: 'pmix',
      ranks: {
        rank: need(env, 'PMIX_RANK', 'for the PMIx rank'),
        size,
        localRank: int(env, 'PMIX_LOCAL_RANK') ?? step?.localRank,
      },
    };
  }
  if (present(env, 'PMI_RANK')) {
    return {
      kind: 'pmi',
      ranks: {
        rank: need(env, 'PMI_RANK', 'for the PMI rank'),
        size: need(env, 'PMI_SIZE', 'with PMI_RANK'),
        localRank: int(env, 'MPI_LOCALRANKID') ?? int(env, 'PMI_LOCAL_RANK') ?? step?.localRank,
      },
    };
  }
  return undefined;
}

interface Place {
  node: string;
  nodeIndex: number;
  nodes: string[];
}

function slurmPlace(env: Env, inStep: boolean, host: string): Place {
  const listVars = inStep
    ? ['SLURM_STEP_NODELIST', 'SLURM_NODELIST', 'SLURM_JOB_NODELIST']
    : ['SLURM_JOB_NODELIST', 'SLURM_NODELIST'];
  const list = first(env, listVars);
  const node = present(env, 'SLURMD_NODENAME') ? (env.SLURMD_NODENAME as string) : host;
  if (!list) return { node, nodeIndex: 0, nodes: [node] };
  const nodes = expandHostlist(list.value);
  const count = inStep
    ? (int(env, 'SLURM_STEP_NUM_NODES') ?? int(env, 'SLURM_NNODES'))
    : int(env, 'SLURM_JOB_NUM_NODES');
  if (count !== undefined && count !== nodes.length) {
    throw new YodaError(
      'BAD_ENVIRONMENT',
      `${list.name}=${list.value} names ${nodes.length} nodes but the node count says ${count}`,
    );
  }
  const id = inStep ? int(env, 'SLURM_NODEID') : undefined;
  if (id === undefined) return { node, nodeIndex: indexOf(nodes, node, list), nodes };
  if (id >= nodes.length)
    throw new YodaError('BAD_ENVIRONMENT', `SLURM_NODEID=${id} is out of range for ${list.name}=${list.value}`);
  if (present(env, 'SLURMD_NODENAME') && nodes[id] !== node) {
    throw new YodaError(
      'BAD_ENVIRONMENT',
      `SLURM_NODEID=${id} points at ${nodes[id]} in ${list.name}=${list.value} but SLURMD_NODENAME=${node}`,
    );
  }
  return { node: nodes[id], nodeIndex: id, nodes };
}

function indexOf(nodes: string[], node: string, src: { name: string; value: string }): number {
  const i = nodes.findIndex((n) => n === node || short(n) === short(node));
  if (i < 0) throw new YodaError('BAD_ENVIRONMENT', `this node (${node}) is not in ${src.name}=${src.value}`);
  return i;
}

function readSlots(env: Env, readFile: ReadFile | undefined): string[] | undefined {
  const file = env.PBS_NODEFILE;
  if (!file) return undefined;
  if (!readFile)
    throw new YodaError('BAD_ENVIRONMENT', `PBS_NODEFILE=${file} is set but no readFile function was given to read it`);
  let text: string;
  try {
    text = readFile(file);
  } catch (e) {
    throw new YodaError('BAD_ENVIRONMENT', `cannot read PBS_NODEFILE=${file}: ${(e as Error).message}`);
  }
  const slots = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  if (slots.length === 0) throw new YodaError('BAD_ENVIRONMENT', `PBS_NODEFILE=${file} lists no hosts`);
  return slots;
}

function check(info: LaunchInfo, src: string): LaunchInfo {
  if (info.size < 1) throw new YodaError('BAD_ENVIRONMENT', `${src}: size ${info.size} is less than 1`);
  if (info.rank >= info.size)
    throw new YodaError('BAD_ENVIRONMENT', `${src}: rank ${info.rank} is not below size ${info.size}`);
  return info;
}

type Extra = Pick<LaunchInfo, 'jobId' | 'cpusOnNode'>;

function extra(jobId: string | undefined, cpusOnNode: number | undefined): Extra {
  const out: Extra = {};
  if (jobId !== undefined) out.jobId = jobId;
  if (cpusOnNode !== undefined) out.cpusOnNode = cpusOnNode;
  return out;
}

function local(node: string, x: Extra): LaunchInfo {
  return { kind: 'local', rank: 0, size: 1, localRank: 0, node, nodeIndex: 0, nodes: [node], ...x };
}

function fromMpi(m: { kind: LaunchKind; ranks: Ranks }, place: Place, x: Extra, src: string): LaunchInfo {
  return check(
    { kind: m.kind, rank: m.ranks.rank, size: m.ranks.size, localRank: m.ranks.localRank ?? 0, ...place, ...x },
    src,
  );
}

function pbsTask(env: Env, slots: string[], x: Extra): LaunchInfo {
  const vnode = need(env, 'PBS_VNODENUM', 'in a pbsdsh task');
  if (vnode >= slots.length)
    throw new YodaError(
      'BAD_ENVIRONMENT',
      `PBS_VNODENUM=${vnode} is out of range: PBS_NODEFILE lists ${slots.length} slots`,
    );
  const node = slots[vnode];
  const nodes = [...new Set(slots)];
  const localRank = slots.slice(0, vnode).filter((s) => s === node).length;
  return check(
    { kind: 'pbs', rank: vnode, size: slots.length, localRank, node, nodeIndex: nodes.indexOf(node), nodes, ...x },
    'PBS task',
  );
}

function pbsPlace(env: Env, slots: string[], host: string): Place {
  const nodes = [...new Set(slots)];
  let nodeIndex = nodes.findIndex((n) => short(n) === host);
  if (nodeIndex < 0) {
    const num = int(env, 'PBS_NODENUM');
    if (num === undefined || num >= nodes.length) {
      throw new YodaError(
        'BAD_ENVIRONMENT',
        `this node (${host}) is not in PBS_NODEFILE=${env.PBS_NODEFILE} (${nodes.join(',')})`,
      );
    }
    nodeIndex = num;
  }
  return { node: nodes[nodeIndex], nodeIndex, nodes };
}

// Work out this process's rank, size and node from the environment (see the rules above).
export function detectLaunch(env: Env, readFile?: ReadFile, hostname?: string): LaunchInfo {
  const host = short(hostname || env.HOSTNAME || 'localhost');
  const slurmJob = first(env, ['SLURM_JOB_ID', 'SLURM_JOBID']);
  const inStep =
    !!slurmJob && present(env, 'SLURM_PROCID') && (present(env, 'SLURM_STEP_ID') || present(env, 'SLURM_STEPID'));
  const step: Ranks | undefined = inStep
    ? {
        rank: need(env, 'SLURM_PROCID', 'in a Slurm step'),
        size:
          int(env, 'SLURM_STEP_NUM_TASKS') ??
          int(env, 'SLURM_NTASKS') ??
          need(env, 'SLURM_NPROCS', 'for the Slurm step size'),
        localRank: int(env, 'SLURM_LOCALID') ?? 0,
      }
    : undefined;
  const mpi = mpiRanks(env, step);

  if (slurmJob) {
    const x = extra(slurmJob.value, int(env, 'SLURM_CPUS_ON_NODE'));
    if (mpi && (!step || mpi.ranks.rank !== step.rank || mpi.ranks.size !== step.size)) {
      return fromMpi(mpi, slurmPlace(env, inStep, host), x, `${mpi.kind} in a Slurm job`);
    }
    // The batch script, or an salloc shell on a login node: not a rank, whatever the node list says.
    if (!step) return local(present(env, 'SLURMD_NODENAME') ? (env.SLURMD_NODENAME as string) : host, x);
    const localRank = mpi?.ranks.localRank ?? step.localRank ?? 0;
    return check(
      { kind: 'slurm', rank: step.rank, size: step.size, localRank, ...slurmPlace(env, true, host), ...x },
      'Slurm step',
    );
  }

  if (present(env, 'PBS_JOBID')) {
    const x = extra(env.PBS_JOBID, int(env, 'NCPUS'));
    const task = int(env, 'PBS_TASKNUM');
    if (!mpi && (task === undefined || task <= 1)) return local(host, x);
    const slots = readSlots(env, readFile);
    if (!mpi) {
      if (!slots)
        throw new YodaError('BAD_ENVIRONMENT', `PBS_TASKNUM=${task} (a pbsdsh task) but PBS_NODEFILE is not set`);
      return pbsTask(env, slots, x);
    }
    if (slots) return fromMpi(mpi, pbsPlace(env, slots, host), x, `${mpi.kind} in a PBS job`);
    return fromMpi(mpi, { node: host, nodeIndex: 0, nodes: [host] }, x, mpi.kind);
  }

  if (mpi) return fromMpi(mpi, { node: host, nodeIndex: 0, nodes: [host] }, {}, mpi.kind);
  return local(host, {});
}

// One rank per node unless allowed: returns the error to report for a second rank on a node, else null.
export function checkOneRankPerNode(info: LaunchInfo, allowSharedNode: boolean): string | null {
  if (info.localRank === 0 || allowSharedNode) return null;
  return (
    `rank ${info.rank} of ${info.size} is local rank ${info.localRank} on node ${info.node} (${info.kind} launch): ` +
    'Yoda runs one rank per node; launch one task per node (srun --ntasks-per-node=1, mpiexec -ppn 1 / ' +
    '--map-by ppr:1:node, pbsdsh -u) or allow shared nodes explicitly'
  );
}
