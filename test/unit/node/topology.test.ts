// buildTopology on every recorded fixture, and GPU discovery/visibility rules.
import { describe, expect, it } from 'vitest';
import { buildTopology, type SysfsSnapshot, type Topology } from '../../../src/node/topology.js';
import { fixtureNames, loadTopology, readFixture } from '../../fixtures/topology/load.js';

// Facts every topology must satisfy whatever the node.
function consistent(t: Topology): void {
  const ids = t.cpus.map((c) => c.id);
  expect(t.cores.flatMap((c) => c.threads).sort((a, b) => a - b)).toEqual(ids);
  expect(t.numaNodes.flatMap((n) => n.cpus).sort((a, b) => a - b)).toEqual(ids);
  expect(t.sockets.flatMap((s) => s.cpus).sort((a, b) => a - b)).toEqual(ids);
  for (const [i, c] of t.cores.entries()) expect(c.id).toBe(i);
  for (const cpu of t.cpus) {
    const core = t.cores[cpu.core];
    expect(core.threads).toContain(cpu.id);
    expect([core.socket, core.numa]).toEqual([cpu.socket, cpu.numa]);
  }
}

describe('buildTopology on the fixtures', () => {
  it.each(fixtureNames)('%s is consistent', (name) => consistent(loadTopology(name)));

  it('2-socket SMT node: 128 CPUs, 64 cores of 2 threads, 4 NUMA nodes, 2 per socket', () => {
    const t = loadTopology('two-socket-smt');
    expect([t.cpus.length, t.cores.length, t.sockets.length, t.numaNodes.length]).toEqual([128, 64, 2, 4]);
    expect(t.cores[0].threads).toEqual([0, 64]);
    expect(t.cores[63]).toEqual({ id: 63, socket: 1, numa: 3, threads: [63, 127] });
    expect(t.sockets.map((s) => s.numaNodes)).toEqual([
      [0, 1],
      [2, 3],
    ]);
  });

  it('KNL SNC-4 flat: 68 cores x 4 threads; memory-only MCDRAM nodes are left out', () => {
    const t = loadTopology('knl-snc4-flat');
    expect([t.cpus.length, t.cores.length, t.sockets.length]).toEqual([272, 68, 1]);
    expect(t.numaNodes.map((n) => [n.id, n.cpus.length])).toEqual([
      [0, 68],
      [1, 68],
      [2, 68],
      [3, 68],
    ]);
    expect(t.cores[17].threads).toEqual([17, 85, 153, 221]);
  });

  it('4-GPU node: interleaved numbering groups siblings per socket; GPUs sorted by bus with NUMA affinity', () => {
    const t = loadTopology('four-gpu');
    expect(t.cores.slice(0, 2).map((c) => c.threads)).toEqual([
      [0, 32],
      [2, 34],
    ]);
    expect(t.cores[16]).toMatchObject({ socket: 1, numa: 1, threads: [1, 33] });
    expect(t.gpus.map((g) => [g.index, g.bus, g.numa, g.socket])).toEqual([
      [0, '0000:18:00.0', 0, 0],
      [1, '0000:3b:00.0', 0, 0],
      [2, '0000:86:00.0', 1, 1],
      [3, '0000:af:00.0', 1, 1],
    ]);
    expect(t.gpus[0]).toMatchObject({
      vendor: 'nvidia',
      name: 'Tesla V100-SXM2-16GB',
      uuid: 'GPU-00000000-7b3a-1f0e-4a1e-3b5c7d9e0f10',
    });
  });

  it('cgroup subset: allowed is the 12 CPUs of the cgroup, topology still shows the whole node', () => {
    const t = loadTopology('cgroup-subset');
    expect(t.cpus.length).toBe(64);
    expect(t.allowed).toEqual([26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37]);
  });

  it('NUMA nodes come sorted by socket, then id, whatever the kernel numbered first', () => {
    const cpus = {
      0: { packageId: '1', coreId: '0' },
      1: { packageId: '1', coreId: '1' },
      2: { packageId: '0', coreId: '0' },
      3: { packageId: '0', coreId: '1' },
    };
    const t = buildTopology({ online: '0-3', cpus, nodes: { 0: '0', 1: '1', 2: '2-3' } }, [0, 1, 2, 3]);
    expect(t.numaNodes.map((n) => [n.socket, n.id])).toEqual([
      [0, 2],
      [1, 0],
      [1, 1],
    ]);
    expect(t.sockets.map((s) => s.numaNodes)).toEqual([[2], [0, 1]]);
  });

  it('2-core VM without NUMA information: one NUMA node 0', () => {
    const t = loadTopology('vm-2core');
    expect(t.numaNodes).toEqual([{ id: 0, cpus: [0, 1], socket: 0 }]);
    expect(t.gpus).toEqual([]);
  });
});

describe('GPU visibility', () => {
  it('CUDA_VISIBLE_DEVICES by index renumbers what this process sees, keeping the physical index', () => {
    const t = loadTopology('four-gpu', { CUDA_VISIBLE_DEVICES: '2,0' });
    expect(t.gpus.map((g) => [g.index, g.physical, g.socket])).toEqual([
      [0, 2, 1],
      [1, 0, 0],
    ]);
  });
  it('CUDA_VISIBLE_DEVICES by UUID or UUID prefix', () => {
    const t = loadTopology('four-gpu', { CUDA_VISIBLE_DEVICES: 'GPU-00000003-7b3a-1f0e-4a1e-3b5c7d9e0f13,00000001' });
    expect(t.gpus.map((g) => g.physical)).toEqual([3, 1]);
  });
  it('an unknown entry hides it and every later entry, with a warning', () => {
    const t = loadTopology('four-gpu', { CUDA_VISIBLE_DEVICES: '1,7,2' });
    expect(t.gpus.map((g) => g.physical)).toEqual([1]);
    expect(t.warnings[0]).toMatch(/CUDA_VISIBLE_DEVICES=1,7,2: "7" matches no GPU/);
  });
  it('an empty CUDA_VISIBLE_DEVICES hides every GPU', () => {
    expect(loadTopology('four-gpu', { CUDA_VISIBLE_DEVICES: '' }).gpus).toEqual([]);
  });

  const vm = readFixture('vm-2core').snapshot;
  it('falls back to `nvidia-smi -L` output (affinity unknown)', () => {
    const snap: SysfsSnapshot = {
      ...vm,
      nvidiaSmi:
        'GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-aaaa)\n  MIG 1g.5gb Device 0: (UUID: MIG-bbbb)\nGPU 1: NVIDIA A100-SXM4-40GB (UUID: GPU-cccc)\n',
    };
    const t = buildTopology(snap, [0, 1], { CUDA_VISIBLE_DEVICES: 'GPU-cccc' });
    expect(t.gpus).toEqual([
      {
        index: 0,
        physical: 1,
        vendor: 'nvidia',
        name: 'NVIDIA A100-SXM4-40GB',
        uuid: 'GPU-cccc',
        numa: undefined,
        socket: undefined,
      },
    ]);
  });

  it('AMD GPUs from the KFD topology, with ROCR_VISIBLE_DEVICES then HIP_VISIBLE_DEVICES', () => {
    const gpu = (uid: string) => `cpu_cores_count 0\nsimd_count 440\nunique_id ${uid}\ngfx_target_version 90010\n`;
    const snap: SysfsSnapshot = {
      ...vm,
      kfd: {
        0: { properties: 'cpu_cores_count 2\nsimd_count 0\n' },
        1: { properties: gpu('1311768467463790320'), ioLinks: ['type 2\nnode_from 1\nnode_to 0\nweight 20'] },
        2: { properties: gpu('81985529216486895'), ioLinks: ['type 2\nnode_from 2\nnode_to 0\nweight 20'] },
      },
    };
    const all = buildTopology(snap, [0, 1]);
    expect(all.gpus.map((g) => [g.index, g.vendor, g.name, g.uuid, g.numa])).toEqual([
      [0, 'amd', 'gfx90a', 'GPU-123456789abcdef0', 0],
      [1, 'amd', 'gfx90a', 'GPU-0123456789abcdef', 0],
    ]);
    const some = buildTopology(snap, [0, 1], {
      ROCR_VISIBLE_DEVICES: 'GPU-0123456789abcdef,0',
      HIP_VISIBLE_DEVICES: '1',
    });
    expect(some.gpus.map((g) => [g.index, g.physical])).toEqual([[0, 0]]);
  });

  it('ignores allowed CPUs that are not online, with a warning', () => {
    const t = buildTopology(vm, [0, 1, 5]);
    expect(t.allowed).toEqual([0, 1]);
    expect(t.warnings).toEqual(['allowed CPUs 5 are not online; ignored']);
  });
});
