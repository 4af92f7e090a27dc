// The environment a slot's worker gets from the plan: OpenMP threads and places, its core count, its GPUs.
import type { Slot } from './planner.js';
import type { Gpu, Topology } from './topology.js';

/** Variables set for a slot's worker; null removes an inherited variable. The job's payload.env wins over these. */
export type SlotEnv = Record<string, string | null>;

/** What slotEnv needs beside the slot. */
export interface SlotEnvOptions {
  /** Variable that tells the payload its CPU count (payload.coreCountVariable). */
  coreCountVariable: string;
  /** GPUs are handed out per slot: set *_VISIBLE_DEVICES (empty for a slot without GPUs). */
  manageGpus: boolean;
}

// OMP_PLACES as explicit lists: one place per core, holding the core's pinned hardware threads.
function ompPlaces(slot: Pick<Slot, 'cores' | 'cpus'>, topo: Pick<Topology, 'cores'>): string {
  const pinned = new Set(slot.cpus);
  return slot.cores
    .map((id) => topo.cores[id].threads.filter((t) => pinned.has(t)))
    .filter((threads) => threads.length > 0)
    .map((threads) => `{${threads.join(',')}}`)
    .join(',');
}

// A GPU as a child process must name it: the UUID when known, else the ordinal among all devices.
const gpuId = (g: Gpu) => g.uuid ?? String(g.physical);

/** The GPU visibility variables of a slot holding `mine` out of the node's `all` GPUs. */
export function gpuEnv(mine: Gpu[], all: Gpu[]): SlotEnv {
  const list = (vendor: Gpu['vendor']) =>
    mine
      .filter((g) => g.vendor === vendor)
      .map(gpuId)
      .join(',');
  const hasAmd = all.some((g) => g.vendor === 'amd');
  const hasNvidia = all.some((g) => g.vendor === 'nvidia');
  const env: SlotEnv = {};
  if (hasNvidia || !hasAmd) env.CUDA_VISIBLE_DEVICES = list('nvidia');
  // HIP also reads CUDA_VISIBLE_DEVICES and HIP_VISIBLE_DEVICES on top of ROCR's list: clear them on AMD nodes.
  if (hasAmd)
    Object.assign(env, {
      ROCR_VISIBLE_DEVICES: list('amd'),
      HIP_VISIBLE_DEVICES: null,
      ...(hasNvidia ? {} : { CUDA_VISIBLE_DEVICES: null }),
    });
  return env;
}

/** The variables a slot's worker gets: thread counts, OpenMP places and binding, core count, GPUs. */
export function slotEnv(slot: Slot, topo: Pick<Topology, 'cores' | 'gpus'>, o: SlotEnvOptions): SlotEnv {
  const width = String(Math.max(1, slot.cpus.length));
  return {
    OMP_NUM_THREADS: width,
    OMP_PLACES: ompPlaces(slot, topo),
    OMP_PROC_BIND: 'close',
    [o.coreCountVariable]: width,
    YODA_CORES: String(slot.width),
    ...(o.manageGpus
      ? gpuEnv(
          slot.gpus.map((i) => topo.gpus[i]),
          topo.gpus,
        )
      : {}),
  };
}
