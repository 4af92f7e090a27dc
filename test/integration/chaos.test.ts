// Chaos: SIGKILL random parts (Yoda, a Droid, a worker, the whole tree) at random moments, resume, and
// finish with verify.py passing and no range done twice. YODA_CHAOS_CYCLES=1000 for a long run.
//
// Each cycle first reaches a random *stage* of a run, by waiting for it (so a slow machine hits the same
// moments as a fast one): just started, ranges handed out, or a range recorded done in this cycle. Only
// then does it wait a short random time and kill; the random times pick arbitrary moments inside a stage,
// they never stand in for waiting on the machine.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { doneRecords, journalRecords, montecarloJob, verifyMontecarlo } from './jobs.js';
import { CLI, jobDirs, killAll, killGroup, start, waitFor, workerGroups, yoda, type Started } from './proc.js';

const CYCLES = Number(process.env.YODA_CHAOS_CYCLES ?? 30);
// Each cycle reaches a stage of a run before it kills, so 30 cycles hit at least as many meaningful moments as
// 50 blind ones did (on a slow machine many of those killed processes still starting). The job: 2 files x 150
// events in ranges of 5, 60 ranges of about 0.2 s (MONTECARLO_SLEEP makes kills land mid-range), enough that
// 30 cycles rarely finish it; verify.py's serial re-simulation of 300 events takes seconds.
const FILES = 2;
const EVENTS = 150;
const RANGES = (FILES * EVENTS) / 5;
afterEach(killAll);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('chaos', () => {
  // A cycle starts two `yoda` processes and waits for a stage: 2-3 s on the 2-core CI VM under other work, 4 s
  // with two CPU burners beside it (30 cycles: 1-2 min in all). The timeout only catches a hang, so it allows
  // 15 s a cycle, plus 2 min for the clean finish.
  it(`${CYCLES} cycles of random SIGKILLs, then a clean finish: verify.py passes, no range done twice`, {
    timeout: 120_000 + CYCLES * 15_000,
  }, async () => {
    const { dir, workdir } = jobDirs('yoda-chaos-');
    const job = montecarloJob(dir, { files: FILES, events: EVENTS, per: 5, env: { MONTECARLO_SLEEP: '0.03' } });
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const kills: Record<string, number> = { yoda: 0, droid: 0, worker: 0, tree: 0 };
    const stages: Record<string, number> = { starting: 0, assigned: 0, done: 0, ended: 0 };
    const count = (t: string) => journalRecords(workdir).filter((r) => r.t === t).length;
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const assignsBefore = count('assign');
      const doneBefore = count('done');
      const rank = (r: number): Started =>
        start(
          process.execPath,
          [
            CLI,
            'run',
            job,
            '--workdir',
            workdir,
            '--allow-shared-node',
            '--droid-timeout',
            '3',
            '--rendezvous-timeout',
            '20',
            '-q',
          ],
          {
            log: join(dir, `cycle.log`),
            env: { PMI_RANK: String(r), PMI_SIZE: '2' },
          },
        );
      const ranks = [rank(0), rank(1)];
      // Yoda exiting first (the job is complete, or this run failed) ends a stage's wait too. Rank 1 may leave
      // early by itself (it can find the endpoint of the Yoda killed last cycle); rank 0's Droid goes on.
      let exited = false;
      void ranks[0].exit.then(() => (exited = true));
      const stage = (['starting', 'assigned', 'done'] as const)[Math.floor(random() * 3)];
      if (stage === 'assigned')
        await waitFor(`cycle ${cycle}: ranges handed out`, () => exited || count('assign') > assignsBefore);
      if (stage === 'done') await waitFor(`cycle ${cycle}: a range done`, () => exited || count('done') > doneBefore);
      stages[exited ? 'ended' : stage] += 1;
      await sleep(random() * (stage === 'starting' ? 1000 : 300));
      const target = (['yoda', 'droid', 'worker', 'tree'] as const)[Math.floor(random() * 4)];
      kills[target] += 1;
      if (target === 'yoda') killGroup(ranks[0].child.pid);
      if (target === 'droid') killGroup(ranks[1].child.pid);
      if (target === 'worker') {
        const workers = workerGroups(workdir);
        if (workers.length > 0) killGroup(workers[Math.floor(random() * workers.length)]);
      }
      // Let the survivors react (lose the Droid, replace the worker...) for a random moment, then kill the rest.
      await sleep(target === 'tree' ? 0 : random() * 500);
      for (const r of ranks) killGroup(r.child.pid);
      for (const g of workerGroups(workdir)) killGroup(g);
      await Promise.all(ranks.map((r) => r.exit));
    }
    const before = doneRecords(workdir).length;
    const final = await yoda(['run', job, '--workdir', workdir], { log: join(dir, 'final.log') });
    expect(final.code, final.output).toBe(0);
    console.log(
      `chaos: ${CYCLES} cycles, stages ${JSON.stringify(stages)}, kills ${JSON.stringify(kills)}, ${before}/${RANGES} ranges done before the clean run`,
    );
    const ids = doneRecords(workdir).map((d) => d.id);
    expect(ids).toHaveLength(RANGES);
    expect(new Set(ids).size).toBe(RANGES);
    const v = verifyMontecarlo(workdir);
    expect(v.code, v.output).toBe(0);
  });
});
