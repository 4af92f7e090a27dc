// /proc parsing for the memory watch and the pinning check: stat lines, VmRSS, process trees, thread masks.
import { describe, expect, it } from 'vitest';
import {
  indexProcesses,
  parseProcStat,
  parseVmRssKB,
  processTree,
  readProcessTable,
  residentMB,
  type ProcEntry,
} from '../../../src/node/memory.js';
import { parseAllowedList, readThreadMasks, strayThreads } from '../../../src/node/thread-masks.js';

describe('memory and /proc parsing', () => {
  it('parses a stat line whose command holds spaces and parentheses', () => {
    expect(parseProcStat('4242 (my (odd) prog) S 4200 4242 4242 0 -1 4194560 120 0 0 0')).toEqual({
      pid: 4242,
      ppid: 4200,
      pgid: 4242,
    });
    expect(parseProcStat('garbage')).toBeNull();
  });

  it('reads VmRSS in kB, 0 when absent', () => {
    expect(parseVmRssKB('Name:\tpython3\nVmRSS:\t  307200 kB\nThreads:\t4\n')).toBe(307200);
    expect(parseVmRssKB('Name:\tkthreadd\n')).toBe(0);
  });

  it('a worker tree is its process group plus every descendant, also one that left the group', () => {
    const table: ProcEntry[] = [
      { pid: 1, ppid: 0, pgid: 1 },
      { pid: 100, ppid: 1, pgid: 100 }, // the worker, leading its group
      { pid: 101, ppid: 100, pgid: 100 },
      { pid: 102, ppid: 101, pgid: 102 }, // setsid'd grandchild
      { pid: 103, ppid: 1, pgid: 100 }, // orphaned into init, still in the group
      { pid: 200, ppid: 1, pgid: 200 },
    ];
    const index = indexProcesses(table);
    expect(processTree(index, 100)).toEqual([100, 101, 102, 103]);
    expect(processTree(index, 999)).toEqual([]);
    expect(processTree(index, 200)).toEqual([200]);
  });

  it('reads this process: it is in the table, has resident memory, and its threads have masks', async () => {
    const table = await readProcessTable();
    expect(table.find((p) => p.pid === process.pid)).toMatchObject({ ppid: process.ppid });
    expect(await residentMB([process.pid])).toBeGreaterThan(10);
    expect(await residentMB([2 ** 30])).toBe(0);
    const masks = await readThreadMasks(process.pid);
    expect(masks.size).toBeGreaterThan(1);
    expect((await readThreadMasks(2 ** 30)).size).toBe(0);
  });

  it('a thread is stray when its mask reaches outside the slot; a narrower mask is fine', () => {
    expect(parseAllowedList('Name:\tx\nCpus_allowed_list:\t0-3,8\n')).toEqual([0, 1, 2, 3, 8]);
    expect(parseAllowedList('Name:\tx\n')).toBeNull();
    const masks = new Map([
      [10, [2, 3]],
      [11, [2]],
      [12, [0, 1, 2, 3]],
    ]);
    expect(strayThreads(masks, [2, 3])).toEqual([12]);
  });
});
