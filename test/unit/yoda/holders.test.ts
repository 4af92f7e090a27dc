// Judging the Droids ranges are held back for after a take-over: by their process on this node, or by asking the batch
// system whether their allocation ended (a fake batch system here: the squeue answers are tested in batch/).
import { describe, expect, it } from 'vitest';
import { HolderWatch } from '../../../src/yoda/holders.js';

const FAR_A = 'droid-0-n1-100';
const FAR_B = 'droid-0-n2-200';
const OWN = 'droid-1-n3-300';
const DEAD_HERE = 'droid-0-here-999999999'; // no such pid

function watch(ended: Set<string>) {
  const asked: string[] = [];
  const w = new HolderWatch('here', 'slurm:3.0', async (launch) => {
    asked.push(launch);
    return ended.has(launch);
  });
  const gone: { droids: string[]; why: string }[] = [];
  const check = async (held: Map<string, string | null>, now: number) => {
    w.check(held, now, (droids, why) => gone.push({ droids, why }));
    await new Promise((r) => setImmediate(r));
  };
  return { asked, gone, check };
}

describe('HolderWatch', () => {
  it('reports the Droids of an allocation the batch system calls ended, and only those', async () => {
    const h = watch(new Set(['slurm:1.0']));
    await h.check(
      new Map([
        [FAR_A, 'slurm:1.0'],
        [FAR_B, 'slurm:2.0'],
        [OWN, 'slurm:3.0'],
      ]),
      0,
    );
    expect(h.asked.sort()).toEqual(['slurm:1.0', 'slurm:2.0']); // never its own allocation: alive while it runs
    expect(h.gone).toEqual([
      { droids: [FAR_A], why: 'their allocation slurm:1.0 has ended (the batch system says so)' },
    ]);
  });

  it('asks at most every 3 s, and never about a Droid without a launch', async () => {
    const h = watch(new Set());
    const held = new Map<string, string | null>([
      [FAR_A, 'slurm:1.0'],
      [FAR_B, null],
    ]);
    await h.check(held, 0);
    await h.check(held, 2_999);
    expect(h.asked).toEqual(['slurm:1.0']);
    await h.check(held, 3_000);
    expect(h.asked).toEqual(['slurm:1.0', 'slurm:1.0']);
    expect(h.gone).toEqual([]);
  });

  it('a Droid of this node whose process ended is gone at once, without asking', async () => {
    const h = watch(new Set());
    await h.check(new Map([[DEAD_HERE, 'slurm:1.0']]), 0);
    expect(h.gone).toEqual([{ droids: [DEAD_HERE], why: 'their Droid is gone (its process on this node ended)' }]);
    expect(h.asked).toEqual([]);
  });
});
