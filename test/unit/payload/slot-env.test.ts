// The environment of a slot's worker: OpenMP threads and places, the core-count variable, GPU visibility.
import { describe, expect, it } from 'vitest';
import { planSlots } from '../../../src/node/planner.js';
import type { Gpu } from '../../../src/node/topology.js';
import { gpuEnv, slotEnv } from '../../../src/node/slot-env.js';
import { workerEnv, type WorkerSetup } from '../../../src/payload/worker-env.js';
import { loadTopology } from '../../fixtures/topology/load.js';

const opts = { coreCountVariable: 'ATHENA_PROC_NUMBER', manageGpus: false };

describe('slotEnv', () => {
  it('one place per core: single threads with one-per-core, SMT siblings together with all-threads', () => {
    const t = loadTopology('two-socket-smt');
    const one = planSlots(t, { workers: [{ cores: 2, count: 1 }], policy: 'compact', smt: 'one-per-core', reserve: 0 })
      .slots[0];
    expect(slotEnv(one, t, opts)).toEqual({
      OMP_NUM_THREADS: '2',
      OMP_PLACES: '{0},{1}',
      OMP_PROC_BIND: 'close',
      ATHENA_PROC_NUMBER: '2',
      YODA_CORES: '2',
    });
    const all = planSlots(t, { workers: [{ cores: 2, count: 1 }], policy: 'compact', smt: 'all-threads', reserve: 0 })
      .slots[0];
    expect(slotEnv(all, t, { ...opts, coreCountVariable: 'NCORES' })).toEqual({
      OMP_NUM_THREADS: '4',
      OMP_PLACES: '{0,64},{1,65}',
      OMP_PROC_BIND: 'close',
      NCORES: '4',
      YODA_CORES: '2',
    });
  });

  it('gives each slot its GPUs by UUID when GPUs are managed, and none to a slot without', () => {
    const t = loadTopology('four-gpu');
    const plan = planSlots(t, {
      workers: [
        { cores: 8, count: 1, gpus: 1 },
        { cores: 1, count: 1, gpus: 0 },
      ],
      policy: 'compact',
      smt: 'one-per-core',
      reserve: 0,
    });
    const env = plan.slots.map((s) => slotEnv(s, t, { ...opts, manageGpus: true }).CUDA_VISIBLE_DEVICES);
    expect(env).toEqual([t.gpus[0].uuid, '']);
    expect(slotEnv(plan.slots[0], t, opts)).not.toHaveProperty('CUDA_VISIBLE_DEVICES');
  });

  it('on AMD nodes sets ROCR_VISIBLE_DEVICES and clears the HIP and CUDA lists that HIP would apply on top', () => {
    const amd: Gpu[] = [0, 1].map((i) => ({ index: i, physical: i, vendor: 'amd' }));
    expect(gpuEnv([amd[1]], amd)).toEqual({
      ROCR_VISIBLE_DEVICES: '1',
      HIP_VISIBLE_DEVICES: null,
      CUDA_VISIBLE_DEVICES: null,
    });
    expect(gpuEnv([], [])).toEqual({ CUDA_VISIBLE_DEVICES: '' });
  });

  it('workerEnv: payload.env wins over the slot variables; null removes an inherited one', () => {
    const w = {
      env: { OMP_PROC_BIND: 'false' },
      slotEnv: { OMP_NUM_THREADS: '2', OMP_PROC_BIND: 'close', HIP_VISIBLE_DEVICES: null },
      node: 'n',
      slot: 3,
      cpus: [4, 5],
      gpus: [1],
      workdir: '/w',
      outputDir: '/o',
    } as unknown as WorkerSetup;
    const env = workerEnv(w, { HIP_VISIBLE_DEVICES: '0', PATH: '/bin' });
    expect(env).toMatchObject({
      OMP_NUM_THREADS: '2',
      OMP_PROC_BIND: 'false',
      PATH: '/bin',
      YODA_CPUS: '4,5',
      YODA_GPUS: '1',
      YODA_SLOT: '3',
    });
    expect(env).not.toHaveProperty('HIP_VISIBLE_DEVICES');
  });
});
