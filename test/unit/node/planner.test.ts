// planSlots on every fixture: packing, NUMA locality, SMT, reserve, GPUs and impossible requests.
import { describe, expect, it } from 'vitest';
import { planSlots, type PlanRequest, type SlotPlan } from '../../../src/node/planner.js';
import type { Topology } from '../../../src/node/topology.js';
import { fixtureNames, loadTopology } from '../../fixtures/topology/load.js';

const req = (workers: PlanRequest['workers'], more: Partial<PlanRequest> = {}): PlanRequest => ({
  workers,
  policy: 'compact',
  smt: 'one-per-core',
  reserve: 0,
  ...more,
});

// Invariants of any plan: allowed CPUs only, no CPU or core twice, slots pin their own cores' threads.
function check(t: Topology, plan: SlotPlan, smt: PlanRequest['smt']): void {
  const allowed = new Set(t.allowed);
  const cpus = [...plan.slots.flatMap((s) => s.cpus), ...plan.reserved, ...plan.unused];
  expect(new Set(cpus).size).toBe(cpus.length);
  for (const c of cpus) expect(allowed.has(c)).toBe(true);
  const cores = plan.slots.flatMap((s) => s.cores);
  expect(new Set(cores).size).toBe(cores.length);
  plan.slots.forEach((s, i) => {
    expect(s.slot).toBe(i);
    expect(s.width).toBe(s.cores.length);
    const threads = s.cores.map((id) => t.cores[id].threads.filter((x) => allowed.has(x)));
    expect(s.cpus).toEqual(
      threads.flatMap((th) => (smt === 'all-threads' ? th : th.slice(0, 1))).sort((a, b) => a - b),
    );
    expect(s.numa).toEqual([...new Set(s.cores.map((id) => t.cores[id].numa))].sort((a, b) => a - b));
  });
}

describe('2-socket SMT node (64 cores, 128 CPUs, 4 NUMA nodes of 16 cores)', () => {
  const t = loadTopology('two-socket-smt');
  it('cores:8 gives 8 slots, each inside one NUMA node with 8 distinct cores', () => {
    const plan = planSlots(t, req([{ cores: 8 }]));
    check(t, plan, 'one-per-core');
    expect(plan.slots.length).toBe(8);
    for (const s of plan.slots) expect([s.numa.length, new Set(s.cores).size, s.cpus.length]).toEqual([1, 8, 8]);
    expect(plan.slots.map((s) => s.numa[0])).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
    expect(plan.warnings).toEqual([]);
  });
  it("all-threads pins both siblings; reserve takes the last socket's last cores", () => {
    const plan = planSlots(t, req([{ cores: 8 }], { smt: 'all-threads', reserve: 2 }));
    check(t, plan, 'all-threads');
    expect(plan.slots.length).toBe(7);
    expect(plan.slots[0].cpus).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 64, 65, 66, 67, 68, 69, 70, 71]);
    expect(plan.reserved).toEqual([62, 63, 126, 127]);
    expect(plan.unused).toEqual([56, 57, 58, 59, 60, 61, 120, 121, 122, 123, 124, 125]);
    expect(plan.warnings).toEqual(['6 allowed core(s) hold no slot (CPUs 56-61,120-125)']);
  });
  it('scatter round-robins slots across sockets, then NUMA nodes', () => {
    const plan = planSlots(t, req([{ cores: 8, count: 4 }], { policy: 'scatter' }));
    check(t, plan, 'one-per-core');
    expect(plan.slots.map((s) => [s.socket[0], s.numa[0]])).toEqual([
      [0, 0],
      [1, 2],
      [0, 1],
      [1, 3],
    ]);
  });
  it('mixed widths: one 16-core worker in a NUMA node of its own, and 1-core workers filling the rest', () => {
    const plan = planSlots(t, req([{ cores: 1 }, { cores: 16, count: 1 }], { reserve: 1 }));
    check(t, plan, 'one-per-core');
    expect(plan.slots.length).toBe(48);
    const wide = plan.slots.find((s) => s.worker === 1)!;
    expect([wide.slot, wide.numa, wide.cores]).toEqual([47, [0], Array.from({ length: 16 }, (_, i) => i)]);
    expect(plan.slots[0].cores).toEqual([16]);
  });
  it('a slot that fits a NUMA node but finds none free spans adjacent nodes, with a warning', () => {
    const plan = planSlots(
      t,
      req([
        { cores: 12, count: 4 },
        { cores: 8, count: 1 },
      ]),
    );
    check(t, plan, 'one-per-core');
    expect(plan.slots[4].numa).toEqual([0, 1]);
    expect(plan.warnings[0]).toMatch(/8-core slot of workers\[1\].* spans NUMA nodes 0,1/);
  });
  it("whole sockets, NUMA nodes and 'node'", () => {
    expect(planSlots(t, req([{ cores: 'socket' }], { reserve: 1 })).slots.map((s) => s.width)).toEqual([32, 31]);
    expect(planSlots(t, req([{ cores: 'numa' }])).slots.map((s) => s.numa)).toEqual([[0], [1], [2], [3]]);
    const node = planSlots(t, req([{ cores: 'node' }], { reserve: 1 }));
    expect([node.slots.length, node.slots[0].width, node.slots[0].numa]).toEqual([1, 63, [0, 1, 2, 3]]);
  });
});

describe('KNL (68 cores x 4 threads, SNC-4)', () => {
  const t = loadTopology('knl-snc4-flat');
  it('one-per-core pins each 1-core worker to the first hardware thread of its core', () => {
    const plan = planSlots(t, req([{ cores: 1 }], { reserve: 2 }));
    check(t, plan, 'one-per-core');
    expect(plan.slots.length).toBe(66);
    expect(plan.slots.map((s) => s.cpus[0])).toEqual(Array.from({ length: 66 }, (_, i) => i));
    expect(plan.reserved).toEqual([66, 67, 134, 135, 202, 203, 270, 271]);
  });
  it('a slot wider than a NUMA node spans adjacent nodes without a warning', () => {
    const plan = planSlots(t, req([{ cores: 34 }], { smt: 'all-threads' }));
    check(t, plan, 'all-threads');
    expect(plan.slots.map((s) => [s.numa, s.cpus.length])).toEqual([
      [[0, 1], 136],
      [[2, 3], 136],
    ]);
    expect(plan.warnings).toEqual([]);
  });
});

describe('4-GPU node (2 sockets x 16 cores, 2 GPUs per socket)', () => {
  const t = loadTopology('four-gpu');
  it('{cores:8, gpus:1} gives each slot one GPU on its own socket', () => {
    const plan = planSlots(t, req([{ cores: 8, gpus: 1 }]));
    check(t, plan, 'one-per-core');
    expect(plan.slots.map((s) => [s.socket, s.gpus])).toEqual([
      [[0], [0]],
      [[0], [1]],
      [[1], [2]],
      [[1], [3]],
    ]);
    expect(plan.slots[0].cpus).toEqual([0, 2, 4, 6, 8, 10, 12, 14]);
    expect(plan.warnings).toEqual([]);
  });
  it('with a reserve, the slots that fit still get local GPUs; GPUs limit a fill', () => {
    expect(planSlots(t, req([{ cores: 8, gpus: 1 }], { reserve: 1 })).slots.map((s) => s.gpus)).toEqual([
      [0],
      [1],
      [2],
    ]);
    const small = planSlots(t, req([{ cores: 4, gpus: 1 }]));
    expect(small.slots.map((s) => [s.socket[0], s.gpus[0]])).toEqual([
      [0, 0],
      [0, 1],
      [1, 2],
      [1, 3],
    ]);
    expect(small.warnings).toEqual(['16 allowed core(s) hold no slot (CPUs 16-31,48-63)']);
  });
  it('only GPUs in CUDA_VISIBLE_DEVICES are shared out, near their socket', () => {
    const plan = planSlots(loadTopology('four-gpu', { CUDA_VISIBLE_DEVICES: '3,2' }), req([{ cores: 4, gpus: 1 }]));
    expect(plan.slots.map((s) => [s.socket[0], s.gpus[0]])).toEqual([
      [1, 0],
      [1, 1],
    ]);
  });
  it('throws when a slot asks for more GPUs than are left', () => {
    expect(() => planSlots(t, req([{ cores: 8, gpus: 3, count: 2 }]))).toThrow(
      /workers\[0\] \{cores: 8, count: 2, gpus: 3\} cannot be met: slot 2 needs 8 cores and 3 GPU\(s\).* 1 of 4 GPUs free/,
    );
    expect(() => planSlots(loadTopology('vm-2core'), req([{ cores: 1, gpus: 1 }]))).toThrow(/0 of 0 GPUs free/);
  });
});

describe('cgroup subset (12 of 64 CPUs allowed)', () => {
  const t = loadTopology('cgroup-subset');
  it('never uses a disallowed CPU', () => {
    for (const smt of ['one-per-core', 'all-threads'] as const) {
      const plan = planSlots(t, req([{ cores: 1 }], { smt, reserve: 1 }));
      check(t, plan, smt);
      expect(plan.slots.length).toBe(11);
      expect(plan.reserved).toEqual([37]);
    }
    expect(planSlots(t, req([{ cores: 'socket' }])).slots.map((s) => s.cpus)).toEqual([
      [26, 27, 28, 29, 30, 31],
      [32, 33, 34, 35, 36, 37],
    ]);
  });
  it('a 16-core worker is refused, naming the request and what is available', () => {
    expect(() => planSlots(t, req([{ cores: 16, count: 1 }]))).toThrow(
      'slot plan: workers[0] {cores: 16, count: 1} cannot be met: slot 1 needs 16 cores, but 12 of 12 allowed cores are free (allowed CPUs 26-37 on 2 NUMA node(s); 0 reserved, 0 in other slots), 0 of 0 GPUs free',
    );
  });
});

describe('2-core VM', () => {
  const t = loadTopology('vm-2core');
  it('reserve 0 gives 2 slots, reserve 1 gives 1, reserve 2 is refused', () => {
    expect(planSlots(t, req([{ cores: 1 }])).slots.map((s) => s.cpus)).toEqual([[0], [1]]);
    const one = planSlots(t, req([{ cores: 1 }], { reserve: 1 }));
    expect([one.slots.map((s) => s.cpus), one.reserved]).toEqual([[[0]], [1]]);
    expect(() => planSlots(t, req([{ cores: 1 }], { reserve: 2 }))).toThrow(
      /reserve 2 leaves no core for workers: 2 cores are allowed/,
    );
  });
  it('rejects malformed requests', () => {
    expect(() => planSlots(t, req([]))).toThrow(/no workers/);
    expect(() => planSlots(t, req([{ cores: 0 }]))).toThrow(/cores must be a positive integer/);
    expect(() => planSlots(t, req([{ cores: 1, count: 0 }]))).toThrow(/count must be a positive integer/);
    expect(() => planSlots(t, req([{ cores: 'node', count: 2 }]))).toThrow(/only one node/);
    expect(() => planSlots(t, req([{ cores: 1 }], { reserve: -1 }))).toThrow(/reserve must be/);
  });
});

describe('every fixture, policy and SMT mode', () => {
  // Each shape with the cores it needs beside a 1-core reserve.
  const shapes: [PlanRequest['workers'], number][] = [
    [[{ cores: 1 }], 2],
    [[{ cores: 2 }], 3],
    [[{ cores: 'numa' }], 2],
    [[{ cores: 1, count: 1 }, { cores: 1 }], 3],
  ];
  for (const name of fixtureNames) {
    it(`${name}: plans keep every invariant`, () => {
      const t = loadTopology(name);
      for (const [workers] of shapes.filter(([, need]) => t.cores.length >= need)) {
        for (const policy of ['compact', 'scatter'] as const) {
          for (const smt of ['one-per-core', 'all-threads'] as const) {
            check(t, planSlots(t, { workers, policy, smt, reserve: 1 }), smt);
          }
        }
      }
    });
  }
});
