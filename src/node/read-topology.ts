// The one place that reads the node's topology files (sync, small files) into a SysfsSnapshot.
import { YodaError } from '../util/errors.js';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatCpuList, parseCpuList } from '../util/cpu-list.js';
import { findOnPath } from '../util/path-lookup.js';
import { parseAllowedList } from './thread-masks.js';
import { buildTopology, type GpuEnv, type KfdNodeFiles, type SysfsSnapshot, type Topology } from './topology.js';

/** Where to read from: `root` prefixes every path (a recorded tree in tests); '' is this machine. */
export interface ReadOptions {
  root?: string;
  /** run `nvidia-smi -L` when /proc/driver/nvidia lists no GPU and it is on PATH (default: root is '') */
  nvidiaSmi?: boolean;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function readKfd(root: string): Record<string, KfdNodeFiles> | undefined {
  const base = `${root}/sys/class/kfd/kfd/topology/nodes`;
  const out: Record<string, KfdNodeFiles> = {};
  for (const id of list(base).filter((n) => /^\d+$/.test(n))) {
    const properties = read(join(base, id, 'properties'));
    if (properties === undefined) continue;
    const links = list(join(base, id, 'io_links')).map((l) => read(join(base, id, 'io_links', l, 'properties')));
    out[id] = { properties, ioLinks: links.filter((l): l is string => l !== undefined) };
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Reads CPU, NUMA and GPU topology files into a snapshot (what fixtures record). */
export function readSnapshot(opts: ReadOptions = {}): SysfsSnapshot {
  const root = opts.root ?? '';
  const cpuDir = `${root}/sys/devices/system/cpu`;
  const online = read(join(cpuDir, 'online'));
  if (online === undefined)
    throw new YodaError('BAD_TOPOLOGY', `cannot read ${cpuDir}/online: is this Linux with sysfs mounted?`);
  const cpus: SysfsSnapshot['cpus'] = {};
  for (const id of parseCpuList(online)) {
    const t = join(cpuDir, `cpu${id}`, 'topology');
    cpus[id] = {
      coreId: read(join(t, 'core_id')),
      packageId: read(join(t, 'physical_package_id')),
      threadSiblings: read(join(t, 'thread_siblings_list')),
    };
  }
  const snap: SysfsSnapshot = { online, cpus };
  const nodeDir = `${root}/sys/devices/system/node`;
  for (const name of list(nodeDir)) {
    const m = /^node(\d+)$/.exec(name);
    const cpulist = m ? read(join(nodeDir, name, 'cpulist')) : undefined;
    if (m && cpulist !== undefined) (snap.nodes ??= {})[m[1]] = cpulist;
  }
  const gpuDir = `${root}/proc/driver/nvidia/gpus`;
  for (const bus of list(gpuDir)) {
    const information = read(join(gpuDir, bus, 'information'));
    if (information === undefined) continue;
    const numaNode = read(`${root}/sys/bus/pci/devices/${bus.toLowerCase()}/numa_node`);
    (snap.nvidia ??= {})[bus] = numaNode === undefined ? { information } : { information, numaNode };
  }
  const smi = (opts.nvidiaSmi ?? root === '') && !snap.nvidia ? findOnPath('nvidia-smi') : null;
  if (smi) {
    try {
      snap.nvidiaSmi = execFileSync(smi, ['-L'], {
        encoding: 'utf8',
        timeout: 20_000,
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    } catch {
      // a broken driver lists no GPU
    }
  }
  const kfd = readKfd(root);
  if (kfd) snap.kfd = kfd;
  return snap;
}

/** This process' allowed CPUs, from Cpus_allowed_list in /proc/self/status. */
export function readAllowed(root = ''): number[] {
  const allowed = parseAllowedList(read(`${root}/proc/self/status`) ?? '');
  if (!allowed) throw new YodaError('BAD_TOPOLOGY', `no Cpus_allowed_list in ${root}/proc/self/status`);
  return allowed;
}

/** The GPU visibility variables of `env` that buildTopology honours. */
export function gpuEnvOf(env: NodeJS.ProcessEnv | GpuEnv = process.env): GpuEnv {
  return {
    CUDA_VISIBLE_DEVICES: env.CUDA_VISIBLE_DEVICES,
    ROCR_VISIBLE_DEVICES: env.ROCR_VISIBLE_DEVICES,
    HIP_VISIBLE_DEVICES: env.HIP_VISIBLE_DEVICES,
  };
}

/** A recorded node (as `yoda plan --save-topology` writes it and test/fixtures/topology/*.json hold). */
export interface TopologyFile {
  description?: string;
  /** This process' allowed CPUs, in Linux list format. */
  allowed: string;
  env?: GpuEnv;
  snapshot: SysfsSnapshot;
}

/** Records this node: what readTopology reads, in the topology-file format. */
export function recordTopology(opts: ReadOptions & { env?: NodeJS.ProcessEnv | GpuEnv } = {}): TopologyFile {
  return {
    allowed: formatCpuList(readAllowed(opts.root ?? '')),
    env: gpuEnvOf(opts.env),
    snapshot: readSnapshot(opts),
  };
}

/** Builds the topology a recorded node file describes. */
export function topologyFromFile(f: TopologyFile): Topology {
  return buildTopology(f.snapshot, parseCpuList(f.allowed), f.env ?? {});
}

/** Reads and builds this node's topology (GPU visibility from `env`, default process.env). */
export function readTopology(opts: ReadOptions & { env?: NodeJS.ProcessEnv | GpuEnv } = {}): Topology {
  return buildTopology(readSnapshot(opts), readAllowed(opts.root ?? ''), gpuEnvOf(opts.env));
}
