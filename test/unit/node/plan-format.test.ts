// formatPlan: the per-NUMA-node core map and the slot table a user checks before an allocation.
import { describe, expect, it } from 'vitest';
import { formatPlan } from '../../../src/node/plan-format.js';
import { planSlots } from '../../../src/node/planner.js';
import { loadTopology } from '../../fixtures/topology/load.js';

describe('formatPlan', () => {
  it('draws the 4-GPU node: one line per NUMA node, a slot table and the GPUs', () => {
    const t = loadTopology('four-gpu');
    const plan = planSlots(t, { workers: [{ cores: 8, gpus: 1 }], policy: 'compact', smt: 'all-threads', reserve: 1 });
    expect(formatPlan(plan, t)).toBe(
      [
        'socket 0 numa 0: [ 0 0 0 0 0 0 0 0 1 1 1 1 1 1 1 1 ]',
        'socket 1 numa 1: [ 2 2 2 2 2 2 2 2 . . . . . . . R ]',
        '(one mark per core: slot number, R = reserved for the Droid, . = allowed but unused, x = not allowed)',
        'slot  worker  width  numa  socket  cpus                                             gpus',
        '0     0       8      0     0       0,2,4,6,8,10,12,14,32,34,36,38,40,42,44,46       0',
        '1     0       8      0     0       16,18,20,22,24,26,28,30,48,50,52,54,56,58,60,62  1',
        '2     0       8      1     1       1,3,5,7,9,11,13,15,33,35,37,39,41,43,45,47       2',
        'reserved cpus: 31,63',
        'unused cpus: 17,19,21,23,25,27,29,49,51,53,55,57,59,61',
        'gpu 0: Tesla V100-SXM2-16GB socket 0 numa 0 GPU-00000000-7b3a-1f0e-4a1e-3b5c7d9e0f10',
        'gpu 1: Tesla V100-SXM2-16GB socket 0 numa 0 GPU-00000001-7b3a-1f0e-4a1e-3b5c7d9e0f11',
        'gpu 2: Tesla V100-SXM2-16GB socket 1 numa 1 GPU-00000002-7b3a-1f0e-4a1e-3b5c7d9e0f12',
        'gpu 3: Tesla V100-SXM2-16GB socket 1 numa 1 GPU-00000003-7b3a-1f0e-4a1e-3b5c7d9e0f13',
        'warning: 7 allowed core(s) hold no slot (CPUs 17,19,21,23,25,27,29,49,51,53,55,57,59,61)',
      ].join('\n'),
    );
  });

  it('marks disallowed cores and pads two-digit slot numbers', () => {
    const t = loadTopology('cgroup-subset');
    const text = formatPlan(
      planSlots(t, { workers: [{ cores: 1 }], policy: 'compact', smt: 'one-per-core', reserve: 1 }),
      t,
    );
    const lines = text.split('\n');
    expect(lines[0]).toBe(`socket 0 numa 0: [ ${Array(26).fill(' x').join(' ')}  0  1  2  3  4  5 ]`);
    expect(lines[1]).toBe(`socket 1 numa 1: [  6  7  8  9 10  R ${Array(26).fill(' x').join(' ')} ]`);
  });
});
