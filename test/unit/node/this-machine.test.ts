// read-topology on this machine, and on a recorded sysfs tree laid out in a temporary directory.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  gpuEnvOf,
  readAllowed,
  readSnapshot,
  readTopology,
  recordTopology,
  topologyFromFile,
  type TopologyFile,
} from '../../../src/node/read-topology.js';
import { buildTopology } from '../../../src/node/topology.js';
import { readFixture } from '../../fixtures/topology/load.js';

describe('read-topology on this machine', () => {
  it('reads a snapshot that parses into a consistent topology', () => {
    const topo = readTopology({ env: {} });
    expect(topo.cpus.length).toBeGreaterThan(0);
    expect(topo.allowed.length).toBeGreaterThan(0);
    expect(topo.cores.flatMap((c) => c.threads).sort((a, b) => a - b)).toEqual(topo.cpus.map((c) => c.id));
    expect(topo.numaNodes.flatMap((n) => n.cpus).sort((a, b) => a - b)).toEqual(topo.cpus.map((c) => c.id));
    for (const c of topo.allowed) expect(topo.cpus.some((x) => x.id === c)).toBe(true);
  });

  it('records this node in the topology-file format, GPU visibility included, and builds the same topology from it', () => {
    expect(gpuEnvOf({ HIP_VISIBLE_DEVICES: '1', HOME: '/home/x' })).toEqual({ HIP_VISIBLE_DEVICES: '1' });
    const env = { CUDA_VISIBLE_DEVICES: 'GPU-none' };
    const f = JSON.parse(JSON.stringify(recordTopology({ env }))) as TopologyFile;
    expect(f.env).toEqual(env);
    expect(f.allowed).toMatch(/^[\d,-]+$/);
    expect(topologyFromFile(f)).toEqual(readTopology({ env }));
  });
});

describe('read-topology on a recorded tree', () => {
  const root = mkdtempSync(join(tmpdir(), 'yoda-sysfs-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const put = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), `${text}\n`);
  };

  it('reads CPUs, NUMA nodes, NVIDIA GPUs with PCI numa_node, and Cpus_allowed_list', () => {
    const gpu = readFixture('four-gpu').snapshot;
    put('sys/devices/system/cpu/online', gpu.online);
    for (const [id, f] of Object.entries(gpu.cpus)) {
      put(`sys/devices/system/cpu/cpu${id}/topology/core_id`, f.coreId!);
      put(`sys/devices/system/cpu/cpu${id}/topology/physical_package_id`, f.packageId!);
      put(`sys/devices/system/cpu/cpu${id}/topology/thread_siblings_list`, f.threadSiblings!);
    }
    for (const [id, list] of Object.entries(gpu.nodes!)) put(`sys/devices/system/node/node${id}/cpulist`, list);
    for (const [bus, f] of Object.entries(gpu.nvidia!)) {
      put(`proc/driver/nvidia/gpus/${bus}/information`, f.information);
      put(`sys/bus/pci/devices/${bus.toLowerCase()}/numa_node`, f.numaNode!);
    }
    put('proc/self/status', 'Name:\tnode\nCpus_allowed:\tffff\nCpus_allowed_list:\t0-15\n');
    const snap = readSnapshot({ root });
    expect(snap).toEqual(gpu);
    expect(readAllowed(root)).toEqual(Array.from({ length: 16 }, (_, i) => i));
    const topo = readTopology({ root, env: { CUDA_VISIBLE_DEVICES: '3,1' } });
    expect(topo.gpus.map((g) => [g.index, g.physical, g.socket])).toEqual([
      [0, 3, 1],
      [1, 1, 0],
    ]);
    expect(topo).toEqual(buildTopology(gpu, readAllowed(root), { CUDA_VISIBLE_DEVICES: '3,1' }));
  });

  it('fails clearly without sysfs', () => {
    expect(() => readSnapshot({ root: join(root, 'nothing') })).toThrow(/cannot read .*online/);
  });
});
