// The batch scripts around one job in many allocations, on a real 3-node Slurm cluster of 2-CPU nodes: whole
// nodes by default, the CLI found from the checkout, the job's exit code (not srun's), several allocations on one
// work directory (joining, one Yoda, take-over when the allocation holding Yoda is cancelled).
import { execFileSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { slurmAvailable, startCluster, type SlurmCluster } from './cluster.js';
import { checkFlakyOutputs, doneRecords, gatedJob, journalRecords } from '../integration/jobs.js';
import { CLI, jobDirs, killAll, ROOT, waitFor } from '../integration/proc.js';
import type { JobStatus } from '../../src/status/job-status.js';

const available = slurmAvailable();
if (!available.ok && process.env.CI !== 'true') console.log(`Elastic Slurm tests skipped: ${available.why}`);

// A PATH with node but without any `yoda` (nor this checkout's node_modules/.bin, which npx puts on PATH).
const PLAIN_PATH = [path.dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':');
// 2 files x 40 events, ranges of 5: 16 ranges; gated.py holds every range beyond `tickets` until the gate opens.
const FILES = 2;
const EVENTS = 40;
const RANGES = 16;
// Waits: on the idle test cluster a job starts and its Droids join within seconds; the 60-120 s bounds leave room
// for a loaded 2-core machine (three Node processes and six Python workers starting at once) and for a take-over,
// which may wait for the lease timeout (YODA_LEASE_TIMEOUT=5 below) when the drain cannot release the lease.

const status = (workdir: string): JobStatus =>
  JSON.parse(execFileSync(process.execPath, [CLI, 'status', workdir, '--json'], { encoding: 'utf8' })) as JobStatus;
const statusOrNull = (workdir: string): JobStatus | null => {
  try {
    return status(workdir);
  } catch {
    return null; // job.json not written yet
  }
};
// Droids (by node) that joined Yoda, read from Yoda's log lines "joined from nX (rank k, N slots, ...)".
const joins = (workdir: string): { node: string; slots: number }[] => {
  let text = '';
  try {
    text = readdirSync(path.join(workdir, 'logs'))
      .filter((f) => f.startsWith('yoda-rank'))
      .map((f) => readFileSync(path.join(workdir, 'logs', f), 'utf8'))
      .join('\n');
  } catch {
    return [];
  }
  return [...text.matchAll(/joined from (n\d+)[^"]*?\(rank \d+, (\d+) slots/g)].map((m) => ({
    node: m[1],
    slots: Number(m[2]),
  }));
};
const runRecords = (workdir: string) =>
  journalRecords(workdir).filter((r) => r.t === 'run') as unknown as {
    run: number;
    pid: number;
    launch?: string | null;
    takeover?: boolean;
  }[];
const doneCount = (workdir: string) => doneRecords(workdir).length;
// Waits until `done` ranges are done and `inside` allocations are in the job.
const waitDoneWithAllocations = (workdir: string, done: number, inside: number) =>
  waitFor(
    `${done} ranges done with ${inside} allocations in`,
    () =>
      doneCount(workdir) === done &&
      (statusOrNull(workdir)?.allocations.filter((a) => a.leftAt === null).length ?? 0) === inside,
    120_000,
  );
// The launch of the first Yoda of the job and the Slurm job id it ran in.
const firstYoda = (workdir: string) => {
  const holder = runRecords(workdir)[0].launch;
  return { holder, yodaJob: Number(/^slurm:(\d+)\./.exec(holder ?? '')?.[1]) };
};
const noRangeTwice = (workdir: string) => {
  const ids = doneRecords(workdir).map((d) => d.id);
  return { ranges: ids.length, distinct: new Set(ids).size };
};

describe.skipIf(!available.ok)('batch scripts and elastic jobs on a real Slurm cluster of 2-CPU nodes', () => {
  let cluster: SlurmCluster;
  beforeAll(async () => {
    // 2 CPUs per node, as on the cluster where a Droid got 1 slot without --exclusive (the machine has 2 cores).
    cluster = await startCluster({ nodes: 3, cpusPerNode: 2 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  afterEach(async () => {
    killAll();
    await cluster?.cancelAll();
  });

  const setup = (tickets = 0) => {
    const { dir, workdir } = jobDirs('yoda-elastic-');
    const { job, gate } = gatedJob(dir, { files: FILES, events: EVENTS, per: 5, tickets });
    return { dir, workdir, job, gate };
  };
  type T = ReturnType<typeof setup>;
  const sbatch = (
    script: string,
    nodes: number,
    t: T,
    o: { extra?: string[]; env?: Record<string, string>; yoda?: string; runArgs?: string[] } = {},
  ) =>
    cluster.sbatch([
      `-N${nodes}`,
      // --time-min equal to the time (it overrides yoda-backfill.sbatch's): a shorter minimum lets the backfill
      // scheduler start a job with it (it once gave 1 minute, and the 60 s margin drained the job at once); these
      // tests are about allocations, not time limits.
      '-t',
      '10',
      '--time-min=10',
      `--export=${['ALL', `YODA=${o.yoda ?? CLI}`, ...Object.entries(o.env ?? {}).map(([k, v]) => `${k}=${v}`)].join(',')}`,
      '-o',
      path.join(t.dir, 'slurm-%j.out'),
      ...(o.extra ?? []),
      script.includes('/') ? script : path.join(ROOT, 'slurm', script),
      t.job,
      t.workdir,
      ...(o.runArgs ?? []),
    ]);
  const out = (t: T, id: number) => {
    try {
      return readFileSync(path.join(t.dir, `slurm-${id}.out`), 'utf8');
    } catch {
      return '(no output)';
    }
  };

  it('whole nodes by default: each Droid on a 2-CPU node gets 2 slots; the documented opt-out gives 1', async () => {
    const t = setup();
    const id = await sbatch('yoda.sbatch', 3, t);
    // Ranges wait at the gate until all three Droids joined, so every node's rank surely joins (start-up takes seconds).
    const three = await waitFor(
      '3 Droids to join',
      () => (joins(t.workdir).length === 3 ? joins(t.workdir) : null),
      90_000,
    );
    t.gate.open();
    expect(await cluster.waitJob(id, 90_000), out(t, id)).toEqual({ state: 'COMPLETED', exitCode: '0:0' });
    expect(three.map((j) => j.node).sort()).toEqual(['n1', 'n2', 'n3']);
    expect(
      three.map((j) => j.slots),
      out(t, id),
    ).toEqual([2, 2, 2]);
    const show = await cluster.run('scontrol', ['show', 'job', String(id)]);
    expect(show.stdout).toMatch(/OverSubscribe=NO/);

    // Opt-out for shared-node partitions: the command line overrides the script's --exclusive.
    const u = setup();
    // --mem=1: the test nodes declare 1 MB (slurm.conf's RealMemory default).
    const shared = await sbatch('yoda.sbatch', 1, u, { extra: ['--oversubscribe', '-c', '1', '--mem=1'] });
    await waitFor('the Droid to join', () => joins(u.workdir).length === 1, 90_000);
    u.gate.open();
    expect(await cluster.waitJob(shared, 90_000), out(u, shared)).toEqual({ state: 'COMPLETED', exitCode: '0:0' });
    expect(joins(u.workdir).map((j) => j.slots)).toEqual([1]);
  }, 300_000);

  it('finds the CLI of the checkout the script was submitted from when YODA is unset, and says what to set when none', async () => {
    const t = setup();
    t.gate.open();
    // Submitted from a directory that is not a checkout, with no yoda on PATH: only the script's own path leads to dist/.
    const id = await sbatch('yoda.sbatch', 1, t, { yoda: '', env: { PATH: PLAIN_PATH } });
    expect(await cluster.waitJob(id, 90_000), out(t, id)).toEqual({ state: 'COMPLETED', exitCode: '0:0' });
    expect(out(t, id)).toContain(`${path.join(ROOT, 'dist', 'cli', 'main.js')} run ${t.job}`);
    expect(checkFlakyOutputs(t.workdir, FILES, EVENTS)).toEqual([]);

    // A copy of the script outside any checkout: nothing to find, exit 2 naming the variable to set.
    const lost = path.join(t.dir, 'yoda.sbatch');
    copyFileSync(path.join(ROOT, 'slurm', 'yoda.sbatch'), lost);
    const u = setup();
    const bad = await sbatch(lost, 1, u, { yoda: '', env: { PATH: PLAIN_PATH } });
    expect(await cluster.waitJob(bad, 60_000), out(u, bad)).toEqual({ state: 'FAILED', exitCode: '2:0' });
    expect(out(u, bad)).toMatch(
      /cannot find the yoda command.*\n.*set YODA to the CLI of your checkout, e\.g\. sbatch --export=ALL,YODA=/,
    );
  }, 300_000);

  it('exits 0 when the job completes although a non-Yoda rank was killed with SIGKILL (srun exits non-zero)', async () => {
    const t = setup();
    // --droid-timeout 6: the lost Droid's ranges go back within seconds (the default would only make the test slower).
    const id = await sbatch('yoda.sbatch', 3, t, { runArgs: ['--droid-timeout', '6'] });
    await waitFor(
      '3 Droids to join and hold ranges',
      () =>
        joins(t.workdir).length === 3 &&
        new Set(journalRecords(t.workdir).flatMap((r) => (r.t === 'assign' ? [r.droid] : []))).size === 3,
      90_000,
    );
    const victim = rankPid(cluster.env.SLURM_CONF!, 'n2');
    expect(victim, 'the yoda process of the rank on n2').toBeGreaterThan(0);
    process.kill(victim!, 'SIGKILL');
    await waitFor(
      'Yoda to notice the lost Droid',
      () => /Droid \S+ on n2 /.test(readFileSync(path.join(t.workdir, 'logs', 'yoda-rank0.log'), 'utf8')),
      60_000,
    );
    t.gate.open();
    expect(await cluster.waitJob(id, 120_000), out(t, id)).toEqual({ state: 'COMPLETED', exitCode: '0:0' });
    expect(out(t, id)).toMatch(/srun exited with [1-9]\d*; the job's exit code \(yoda status --exit-code\) is 0/);
    expect(noRangeTwice(t.workdir)).toEqual({ ranges: RANGES, distinct: RANGES });
    expect(checkFlakyOutputs(t.workdir, FILES, EVENTS)).toEqual([]);
  }, 300_000);

  it("three 1-node backfill jobs on one work directory: one Yoda, three nodes busy; then a take-over when Yoda's job is cancelled", async () => {
    // Part 1: submitted at once; ranges wait at the gate until all three allocations are in.
    const t = setup();
    const env = { YODA_LEASE_TIMEOUT: '5' }; // a vanished Yoda is taken over after 5 s instead of 20 (test speed only)
    const ids = [
      await sbatch('yoda-backfill.sbatch', 1, t, { env }),
      await sbatch('yoda-backfill.sbatch', 1, t, { env }),
      await sbatch('yoda-backfill.sbatch', 1, t, { env }),
    ];
    const busy = await waitFor(
      'three allocations in, on n1..n3',
      () => {
        const s = statusOrNull(t.workdir);
        const inside = s?.allocations.filter((a) => a.leftAt === null && a.nodes.length > 0) ?? [];
        return inside.length === 3 ? inside : null;
      },
      120_000,
    );
    expect(busy.flatMap((a) => a.nodes).sort()).toEqual(['n1', 'n2', 'n3']);
    expect(busy.filter((a) => a.yoda.length > 0)).toHaveLength(1);
    t.gate.open();
    for (const id of ids)
      expect(await cluster.waitJob(id, 120_000), out(t, id)).toEqual({ state: 'COMPLETED', exitCode: '0:0' });
    expect(runRecords(t.workdir)).toHaveLength(1);
    expect(noRangeTwice(t.workdir)).toEqual({ ranges: RANGES, distinct: RANGES });
    expect(checkFlakyOutputs(t.workdir, FILES, EVENTS)).toEqual([]);

    // Part 2: 5 tickets = 5 of 16 ranges (about 30%) run, then everything waits: cancel the job holding Yoda there.
    const u = setup(5);
    const more = [
      await sbatch('yoda-backfill.sbatch', 1, u, { env }),
      await sbatch('yoda-backfill.sbatch', 1, u, { env }),
      await sbatch('yoda-backfill.sbatch', 1, u, { env }),
    ];
    await waitDoneWithAllocations(u.workdir, 5, 3); // about 30%
    const { holder, yodaJob } = firstYoda(u.workdir);
    expect(more).toContain(yodaJob);
    const cancel = await cluster.run('scancel', [String(yodaJob)]);
    expect(cancel.exitCode, cancel.stderr).toBe(0);
    // The lease is released by the drain, or goes stale after YODA_LEASE_TIMEOUT: either way within a minute.
    await waitFor(
      'another allocation to take Yoda over',
      () => runRecords(u.workdir).some((r) => r.takeover === true),
      120_000,
    );
    u.gate.open();
    expect((await cluster.waitJob(yodaJob, 60_000)).state).toBe('CANCELLED');
    for (const id of more.filter((x) => x !== yodaJob))
      expect(await cluster.waitJob(id, 120_000), out(u, id)).toEqual({ state: 'COMPLETED', exitCode: '0:0' });
    const s = status(u.workdir);
    expect(s.state).toBe('complete');
    expect(s.allocations.flatMap((a) => a.yoda).filter((y) => y.takeover)).toHaveLength(1);
    expect(s.allocations.find((a) => a.launch === holder)?.yoda[0].takeover).toBe(false);
    expect(noRangeTwice(u.workdir)).toEqual({ ranges: RANGES, distinct: RANGES });
    expect(checkFlakyOutputs(u.workdir, FILES, EVENTS)).toEqual([]);
  }, 900_000); // two rounds of three jobs, each wait bounded above

  it('a Yoda killed outright (SIGKILL, no drain): the ranges its allocation held wait until squeue says it ended, not the hold-back time', async () => {
    const t = setup(2);
    const env = { YODA_LEASE_TIMEOUT: '5' };
    const extra = ['-t', '10']; // no drain signal (USR1 180 s before the end) while the test runs
    const ids = [
      await sbatch('yoda-backfill.sbatch', 1, t, { env, extra }),
      await sbatch('yoda-backfill.sbatch', 1, t, { env, extra }),
    ];
    await waitDoneWithAllocations(t.workdir, 2, 2);
    const { holder, yodaJob } = firstYoda(t.workdir);
    expect(ids).toContain(yodaJob);
    // Yoda's process (its Droid too) dies at once, as on an OOM kill; its workers follow (parent-death signal). It
    // reports nothing: the ranges it held stay in flight, and the batch script then ends that allocation. (scancel
    // cannot do this: its SIGKILL is a cancel, which sends SIGTERM first, and Yoda drains cleanly.)
    process.kill(runRecords(t.workdir)[0].pid, 'SIGKILL');
    await waitFor(
      'another allocation to take Yoda over',
      () => runRecords(t.workdir).some((r) => r.takeover === true),
      120_000,
    );
    const why = `their allocation ${holder} has ended`;
    const released = await waitFor(
      "the killed allocation's ranges released on squeue's word",
      () => journalRecords(t.workdir).find((r) => r.t === 'release' && r.why.includes(why)),
      120_000,
    );
    expect(released.t === 'release' && released.r.length).toBeGreaterThan(0);
    t.gate.open();
    const other = ids.find((x) => x !== yodaJob) ?? 0;
    expect(await cluster.waitJob(other, 180_000), out(t, other)).toEqual({ state: 'COMPLETED', exitCode: '0:0' });
    expect(status(t.workdir).state).toBe('complete');
    expect(noRangeTwice(t.workdir)).toEqual({ ranges: RANGES, distinct: RANGES });
    expect(checkFlakyOutputs(t.workdir, FILES, EVENTS)).toEqual([]);
  }, 600_000);

  it('a 1-node job runs, two more submitted later join it: yoda status shows three nodes working; one that leaves early exits 4', async () => {
    const t = setup();
    const first = await sbatch('yoda-backfill.sbatch', 1, t);
    await waitFor(
      'the first allocation to hold ranges',
      () => journalRecords(t.workdir).some((r) => r.t === 'assign'),
      90_000,
    );
    // --grace 1 (the last --grace wins): the leaving allocation's ranges, held at the gate, go back after 1 s, not 120.
    const later = [
      await sbatch('yoda-backfill.sbatch', 1, t, { runArgs: ['--grace', '1'] }),
      await sbatch('yoda-backfill.sbatch', 1, t),
    ];
    const s = await waitFor(
      'three nodes working',
      () => {
        const st = statusOrNull(t.workdir);
        return st &&
          new Set(st.workers.map((w) => w.node)).size === 3 &&
          st.allocations.filter((a) => a.leftAt === null).length === 3
          ? st
          : null;
      },
      120_000,
    );
    expect(new Set(s.workers.map((w) => w.node))).toEqual(new Set(['n1', 'n2', 'n3']));
    const table = execFileSync(process.execPath, [CLI, 'status', t.workdir], { encoding: 'utf8' });
    expect(
      table.split('\n').filter((l) => /^slurm:\d+\.\d+\s+n\d\s.*\sin\s/.test(l)),
      table,
    ).toHaveLength(3);
    // A joined allocation drained (USR1 to its batch shell) while the job goes on elsewhere: it exits 4, ranges left.
    const sig = await cluster.run('scancel', ['--batch', '--signal=USR1', String(later[0])]);
    expect(sig.exitCode, sig.stderr).toBe(0);
    expect(await cluster.waitJob(later[0], 90_000), out(t, later[0])).toEqual({ state: 'FAILED', exitCode: '4:0' });
    expect(out(t, later[0])).toMatch(/the job's exit code \(yoda status --exit-code\) is 4/);
    expect(status(t.workdir).state).toBe('running');
    t.gate.open();
    for (const id of [first, later[1]])
      expect(await cluster.waitJob(id, 120_000), out(t, id)).toEqual({ state: 'COMPLETED', exitCode: '0:0' });
    expect(
      status(t.workdir).allocations.find((a) => a.launch?.startsWith(`slurm:${later[0]}.`))?.leftAt,
    ).not.toBeNull();
    expect(runRecords(t.workdir)).toHaveLength(1);
    expect(noRangeTwice(t.workdir)).toEqual({ ranges: RANGES, distinct: RANGES });
  }, 600_000);
});

// The pid of the `yoda run` task that Slurm started on `node` of the cluster whose config is `conf`.
function rankPid(conf: string, node: string): number | null {
  for (const d of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const env = readFileSync(`/proc/${d}/environ`, 'latin1').split('\0');
      if (
        !env.includes(`SLURM_CONF=${conf}`) ||
        !env.includes(`SLURMD_NODENAME=${node}`) ||
        !env.some((e) => e.startsWith('SLURM_STEP_ID='))
      )
        continue;
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'latin1').split('\0');
      if (cmd.some((a) => a.endsWith('main.js')) && cmd.includes('run')) return Number(d);
    } catch {
      /* gone, or not ours to read */
    }
  }
  return null;
}
