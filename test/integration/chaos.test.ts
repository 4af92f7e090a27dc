// Chaos: SIGKILL random parts (Yoda, a Droid, a worker, the whole tree) at random moments, resume, and
// finish with verify.py passing and no range done twice. YODA_CHAOS_CYCLES=1000 for a long run.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { doneRecords, montecarloJob, verifyMontecarlo } from './jobs.js';
import { CLI, jobDirs, killAll, killGroup, start, workerGroups, yoda, type Started } from './proc.js';

const CYCLES = Number(process.env.YODA_CHAOS_CYCLES ?? 50);
afterEach(killAll);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('chaos', () => {
  it(`${CYCLES} cycles of random SIGKILLs, then a clean finish: verify.py passes, no range done twice`, async () => {
    const { dir, workdir } = jobDirs('yoda-chaos-');
    const job = montecarloJob(dir, { files: 3, events: 400, per: 5, env: { MONTECARLO_SLEEP: '0.03' } });
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const kills: Record<string, number> = { yoda: 0, droid: 0, worker: 0, tree: 0 };
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const rank = (r: number): Started =>
        start(process.execPath, [CLI, 'run', job, '--workdir', workdir, '--allow-shared-node', '--droid-timeout', '3', '--rendezvous-timeout', '20', '-q'], {
          log: join(dir, `cycle.log`), env: { PMI_RANK: String(r), PMI_SIZE: '2' },
        });
      const ranks = [rank(0), rank(1)];
      await sleep(100 + random() * 1400);
      const target = (['yoda', 'droid', 'worker', 'tree'] as const)[Math.floor(random() * 4)];
      kills[target] += 1;
      if (target === 'yoda') killGroup(ranks[0].child.pid);
      if (target === 'droid') killGroup(ranks[1].child.pid);
      if (target === 'worker') {
        const workers = workerGroups(workdir);
        if (workers.length > 0) killGroup(workers[Math.floor(random() * workers.length)]);
      }
      await sleep(target === 'tree' ? 0 : random() * 500);
      for (const r of ranks) killGroup(r.child.pid);
      for (const g of workerGroups(workdir)) killGroup(g);
      await Promise.all(ranks.map((r) => r.exit));
    }
    const before = doneRecords(workdir).length;
    const final = await yoda(['run', job, '--workdir', workdir], { log: join(dir, 'final.log') });
    expect(final.code, final.output).toBe(0);
    console.log(`chaos: ${CYCLES} cycles, kills ${JSON.stringify(kills)}, ${before}/240 ranges done before the clean run`);
    const ids = doneRecords(workdir).map((d) => d.id);
    expect(ids).toHaveLength(240);
    expect(new Set(ids).size).toBe(240);
    const v = verifyMontecarlo(workdir);
    expect(v.code, v.output).toBe(0);
  });
});
