// The node's CPUs, cores, sockets, NUMA nodes and GPUs, parsed (purely) from a snapshot of sysfs/procfs.
import { parseCpuList } from '../util/cpu-list.js';

/** Topology files of one logical CPU (/sys/devices/system/cpu/cpuN/topology/*). */
export interface CpuFiles {
  coreId?: string;
  packageId?: string;
  threadSiblings?: string;
}

/** One NVIDIA GPU: /proc/driver/nvidia/gpus/<bus>/information and its PCI device's numa_node. */
export interface NvidiaGpuFiles {
  information: string;
  numaNode?: string;
}

/** One KFD node (/sys/class/kfd/kfd/topology/nodes/N): properties and io_links/{*}/properties. */
export interface KfdNodeFiles {
  properties: string;
  ioLinks?: string[];
}

/** Raw contents of the files buildTopology parses; read-topology.ts fills it, fixtures record it. */
export interface SysfsSnapshot {
  /** /sys/devices/system/cpu/online */
  online: string;
  /** keyed by CPU id */
  cpus: Record<string, CpuFiles>;
  /** /sys/devices/system/node/node<N>/cpulist keyed by N; absent = no NUMA information */
  nodes?: Record<string, string>;
  /** keyed by PCI bus id */
  nvidia?: Record<string, NvidiaGpuFiles>;
  /** `nvidia-smi -L` output, used when /proc/driver/nvidia gave nothing */
  nvidiaSmi?: string;
  /** AMD GPUs through the KFD topology, keyed by KFD node id */
  kfd?: Record<string, KfdNodeFiles>;
}

/** The GPU visibility variables that buildTopology honours. */
export interface GpuEnv {
  CUDA_VISIBLE_DEVICES?: string;
  ROCR_VISIBLE_DEVICES?: string;
  HIP_VISIBLE_DEVICES?: string;
}

/** One logical CPU (hardware thread); `core` is an index into Topology.cores. */
export interface Cpu {
  id: number;
  core: number;
  socket: number;
  numa: number;
}

/** One physical core; `id` is a node-wide index (sysfs core_id repeats across sockets). */
export interface Core {
  id: number;
  socket: number;
  numa: number;
  threads: number[];
}

/** One socket (physical package). */
export interface Socket {
  id: number;
  cpus: number[];
  numaNodes: number[];
}

/** One NUMA node that holds CPUs (memory-only nodes such as KNL MCDRAM are left out). */
export interface NumaNode {
  id: number;
  cpus: number[];
  socket: number;
}

/** A GPU this process may use. `index` is the ordinal the process sees (after *_VISIBLE_DEVICES);
 * give a child process `uuid` (or `physical`) in its *_VISIBLE_DEVICES, not `index`. */
export interface Gpu {
  index: number;
  physical: number;
  vendor: 'nvidia' | 'amd';
  name?: string;
  uuid?: string;
  bus?: string;
  numa?: number;
  socket?: number;
}

/** The node as the planner sees it; `allowed` is this process' CPU affinity (online CPUs only);
 * `numaNodes` are sorted by socket, then id. */
export interface Topology {
  cpus: Cpu[];
  cores: Core[];
  sockets: Socket[];
  numaNodes: NumaNode[];
  gpus: Gpu[];
  allowed: number[];
  warnings: string[];
}

const num = (s: string | undefined): number | undefined => {
  const n = s === undefined ? NaN : Number(s.trim());
  return Number.isInteger(n) ? n : undefined;
};

// Every online CPU's NUMA node: from node*/cpulist, or node 0 for all when that is missing.
function numaOf(files: SysfsSnapshot, online: number[]): Map<number, number> {
  const map = new Map<number, number>();
  const nodes = Object.entries(files.nodes ?? {}).sort(([a], [b]) => Number(a) - Number(b));
  for (const [id, list] of nodes) for (const c of parseCpuList(list)) if (!map.has(c)) map.set(c, Number(id));
  const fallback = nodes.find(([, list]) => parseCpuList(list).some((c) => online.includes(c)));
  for (const c of online) if (!map.has(c)) map.set(c, fallback ? Number(fallback[0]) : 0);
  return map;
}

function buildCpus(files: SysfsSnapshot) {
  const online = parseCpuList(files.online);
  const numa = numaOf(files, online);
  // Group hardware threads into cores: by thread_siblings_list when known, else (package, core_id).
  const groups = new Map<string, { socket: number; threads: number[] }>();
  for (const id of online) {
    const f = files.cpus[String(id)] ?? {};
    const socket = num(f.packageId) ?? 0;
    const sib = f.threadSiblings ? parseCpuList(f.threadSiblings) : [];
    const key = sib.length > 0 ? `${socket}:s${sib[0]}` : `${socket}:c${num(f.coreId) ?? `cpu${id}`}`;
    const g = groups.get(key) ?? { socket, threads: [] };
    g.threads.push(id);
    groups.set(key, g);
  }
  const cores: Core[] = [...groups.values()]
    .map((g) => ({ id: 0, socket: g.socket, numa: numa.get(g.threads[0])!, threads: g.threads.sort((a, b) => a - b) }))
    .sort((a, b) => a.socket - b.socket || a.numa - b.numa || a.threads[0] - b.threads[0]);
  for (const [i, c] of cores.entries()) c.id = i;
  const cpus: Cpu[] = cores
    .flatMap((c) => c.threads.map((id) => ({ id, core: c.id, socket: c.socket, numa: numa.get(id)! })))
    .sort((a, b) => a.id - b.id);
  const numaIds = [...new Set(cpus.map((c) => c.numa))].sort((a, b) => a - b);
  // By socket, then id: the order the planner fills them in and `yoda plan` draws them.
  const numaNodes: NumaNode[] = numaIds
    .map((id) => {
      const mine = cpus.filter((c) => c.numa === id);
      return { id, cpus: mine.map((c) => c.id), socket: mine[0].socket };
    })
    .sort((a, b) => a.socket - b.socket || a.id - b.id);
  const socketIds = [...new Set(cpus.map((c) => c.socket))].sort((a, b) => a - b);
  const sockets: Socket[] = socketIds.map((id) => ({
    id,
    cpus: cpus.filter((c) => c.socket === id).map((c) => c.id),
    numaNodes: numaNodes.filter((n) => n.socket === id).map((n) => n.id),
  }));
  return { cpus, cores, sockets, numaNodes };
}

// "Key:   value" lines (nvidia information files) or "key value" lines (kfd properties).
function fields(text: string, sep: RegExp): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = sep.exec(line);
    if (m) out.set(m[1].trim(), m[2].trim());
  }
  return out;
}

function nvidiaGpus(files: SysfsSnapshot): Gpu[] {
  const entries = Object.entries(files.nvidia ?? {}).sort(([a], [b]) => a.toLowerCase().localeCompare(b.toLowerCase()));
  if (entries.length > 0) {
    return entries.map(([bus, f], physical) => {
      const info = fields(f.information, /^([^:]+):\s*(.*)$/);
      const numa = num(f.numaNode);
      return {
        index: physical,
        physical,
        vendor: 'nvidia' as const,
        name: info.get('Model'),
        uuid: info.get('GPU UUID'),
        bus: (info.get('Bus Location') ?? bus).toLowerCase(),
        numa: numa !== undefined && numa >= 0 ? numa : undefined,
      };
    });
  }
  const gpus: Gpu[] = [];
  for (const line of (files.nvidiaSmi ?? '').split('\n')) {
    const m = /^GPU (\d+): (.*?)(?: \(UUID: ([^)]+)\))?\s*$/.exec(line);
    if (m) gpus.push({ index: Number(m[1]), physical: Number(m[1]), vendor: 'nvidia', name: m[2], uuid: m[3] });
  }
  return gpus;
}

// KFD nodes with SIMDs are GPUs; their io link to a CPU node gives the NUMA node.
function amdGpus(files: SysfsSnapshot): Gpu[] {
  const nodes = Object.entries(files.kfd ?? {}).sort(([a], [b]) => Number(a) - Number(b));
  const gpus: Gpu[] = [];
  for (const [, f] of nodes) {
    const p = fields(f.properties, /^(\S+)\s+(\S+)\s*$/);
    if (!((num(p.get('simd_count')) ?? 0) > 0)) continue;
    const links = (f.ioLinks ?? []).map((l) => fields(l, /^(\S+)\s+(\S+)\s*$/));
    const cpuLink = links.find((l) =>
      nodes.some(([id, n]) => id === l.get('node_to') && /^simd_count\s+0\s*$/m.test(n.properties)),
    );
    const uid = p.get('unique_id');
    const target = num(p.get('gfx_target_version'));
    const name = target
      ? `gfx${Math.floor(target / 10000)}${Math.floor(target / 100) % 100}${(target % 100).toString(16)}`
      : undefined;
    gpus.push({
      index: gpus.length,
      physical: gpus.length,
      vendor: 'amd',
      name,
      uuid: uid && uid !== '0' ? `GPU-${BigInt(uid).toString(16).padStart(16, '0')}` : undefined,
      numa: num(cpuLink?.get('node_to')),
    });
  }
  return gpus;
}

// Applies a *_VISIBLE_DEVICES list (indexes or UUIDs/UUID prefixes); like CUDA, stops at a bad entry.
function visible(gpus: Gpu[], spec: string | undefined, name: string, warnings: string[]): Gpu[] {
  if (spec === undefined) return gpus;
  const out: Gpu[] = [];
  for (const raw of spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const g = /^\d+$/.test(raw)
      ? gpus[Number(raw)]
      : gpus.find((x) => x.uuid !== undefined && (x.uuid.startsWith(raw) || x.uuid.startsWith(`GPU-${raw}`)));
    if (!g) {
      warnings.push(
        `${name}=${spec}: "${raw}" matches no GPU of this node, so it and the entries after it are ignored`,
      );
      break;
    }
    if (!out.includes(g)) out.push(g);
  }
  return out;
}

/** Builds the node topology from a snapshot, this process' allowed CPUs and the GPU variables. */
export function buildTopology(files: SysfsSnapshot, allowed: number[], gpuEnv: GpuEnv = {}): Topology {
  const warnings: string[] = [];
  const { cpus, cores, sockets, numaNodes } = buildCpus(files);
  const online = new Set(cpus.map((c) => c.id));
  const nvidia = visible(nvidiaGpus(files), gpuEnv.CUDA_VISIBLE_DEVICES, 'CUDA_VISIBLE_DEVICES', warnings);
  const rocr = visible(amdGpus(files), gpuEnv.ROCR_VISIBLE_DEVICES, 'ROCR_VISIBLE_DEVICES', warnings);
  const amd = visible(rocr, gpuEnv.HIP_VISIBLE_DEVICES, 'HIP_VISIBLE_DEVICES', warnings);
  const gpus = [...nvidia, ...amd].map((g, index) => {
    const node = numaNodes.find((n) => n.id === g.numa);
    return { ...g, index, numa: node?.id, socket: node?.socket };
  });
  const offline = allowed.filter((c) => !online.has(c));
  if (offline.length > 0) warnings.push(`allowed CPUs ${offline.join(',')} are not online; ignored`);
  return {
    cpus,
    cores,
    sockets,
    numaNodes,
    gpus,
    allowed: [...new Set(allowed)].filter((c) => online.has(c)).sort((a, b) => a - b),
    warnings,
  };
}
