// `yoda fill` on a real 3-node Slurm cluster of 2-CPU nodes: allocations sized to the idle nodes and their windows
// (another job holding a node, a reservation ahead), rounds until the job is complete, a refused sbatch.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { slurmAvailable, startCluster, type SlurmCluster } from './cluster.js';
import { checkFlakyOutputs, doneRecords, gatedJob } from '../integration/jobs.js';
import { CLI, jobDirs, killAll, start, waitFor, type Started } from '../integration/proc.js';
import { expandHostlist } from '../../src/batch/hostlist.js';
import { readStatus } from '../../src/status/job-status.js';

const available = slurmAvailable();
if (!available.ok && process.env.CI !== 'true') console.log(`yoda fill Slurm tests skipped: ${available.why}`);

// 2 files x 40 events, ranges of 5: 16 ranges; gated.py holds every range until the gate opens (tickets: 0).
const FILES = 2;
const EVENTS = 40;
const RANGES = 16;
// Bounds: on the idle test cluster an allocation starts and its Droids join within seconds; 60-120 s leave room for a
// loaded 2-core machine. `--interval 2`: rounds every 2 s so a freed node is seen at once.

describe.skipIf(!available.ok)('yoda fill on a real Slurm cluster of 2-CPU nodes', () => {
  let cluster: SlurmCluster;
  beforeAll(async () => {
    cluster = await startCluster({ nodes: 3, cpusPerNode: 2 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  afterEach(async () => {
    killAll();
    await cluster?.cancelAll();
  });

  const setup = () => {
    const { dir, workdir } = jobDirs('yoda-fill-');
    return { dir, workdir, ...gatedJob(dir, { files: FILES, events: EVENTS, per: 5 }) };
  };
  type T = ReturnType<typeof setup>;
  // `yoda fill` with the test's sbatch arguments after `--` (the CLI of this checkout, outputs beside the job).
  const fill = (t: T, args: string[], logName = 'fill.log'): Started & { text: () => string } => {
    const log = path.join(t.dir, logName);
    const extra = ['--', `--export=ALL,YODA=${CLI}`, '-o', path.join(t.dir, 'slurm-%j.out')];
    const p = start(
      process.execPath,
      [CLI, 'fill', t.job, '--workdir', t.workdir, '--interval', '2', '--time-min', '1', ...args, ...extra],
      { cwd: t.dir, log, env: cluster.env },
    );
    return { ...p, text: () => readFileSync(log, 'utf8') };
  };
  const exitOf = async (p: Started, ms: number) => {
    let code: number | null | undefined;
    void p.exit.then((e) => {
      code = e.code;
    });
    await waitFor('yoda fill to exit', () => code !== undefined, ms);
    return code;
  };
  const submitted = (text: string) =>
    [...text.matchAll(/submitted job (\d+) \((\d+) node/g)].map((m) => ({ id: m[1], nodes: Number(m[2]) }));
  const nodesOf = async (id: string) => {
    const r = await cluster.run('squeue', ['-h', '-j', id, '-o', '%T %N']);
    const [state, list] = r.stdout.trim().split(/\s+/);
    return state === 'RUNNING' && list ? expandHostlist(list) : null;
  };
  const noRangeTwice = (workdir: string) => {
    const ids = doneRecords(workdir).map((d) => d.id);
    return { ranges: ids.length, distinct: new Set(ids).size };
  };

  // Polls an asynchronous check (squeue) every 200 ms until it returns a value.
  const until = async <V>(what: string, check: () => Promise<V | null>, ms: number): Promise<V> => {
    const end = Date.now() + ms;
    for (;;) {
      const v = await check();
      if (v !== null) return v;
      if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const openNodes = (workdir: string) => {
    try {
      return readStatus(workdir)
        .allocations.filter((a) => a.leftAt === null)
        .flatMap((a) => a.nodes)
        .sort();
    } catch {
      return [];
    }
  };

  it('all three nodes idle: one 3-node allocation completes the job, each range once, exit 0', async () => {
    const t = setup();
    const p = fill(t, ['--time-max', '10']);
    const first = await waitFor('a submission', () => submitted(p.text())[0], 60_000);
    expect(first.nodes, p.text()).toBe(3);
    expect(p.text()).toMatch(
      /submit: sbatch --job-name=yoda-fill --comment=yoda-fill:[0-9a-f]{12} --partition=debug --nodes=3 --time=10 --time-min=1 /,
    );
    expect((await until('the allocation to run', () => nodesOf(first.id), 90_000)).sort()).toEqual(['n1', 'n2', 'n3']);
    t.gate.open();
    expect(await exitOf(p, 120_000), p.text()).toBe(0);
    expect(p.text()).toMatch(/the job is complete \(16\/16 done\)/);
    // It never asked for more: the one allocation held every node the job could use.
    expect(submitted(p.text())).toHaveLength(1);
    expect(noRangeTwice(t.workdir)).toEqual({ ranges: RANGES, distinct: RANGES });
    expect(checkFlakyOutputs(t.workdir, FILES, EVENTS)).toEqual([]);
  }, 300_000);

  it('n1 held by another job: fill takes the 2 free nodes; a restarted fill finds its allocation; when that job is cancelled, a round submits for n1', async () => {
    const hold = await cluster.sbatch(['-w', 'n1', '-N1', '--exclusive', '-o', '/dev/null', '--wrap', 'sleep 600']);
    await until(
      'the other job to run on n1',
      async () => ((await nodesOf(String(hold)))?.join() === 'n1' ? true : null),
      60_000,
    );
    const t = setup();
    const p = fill(t, ['--time-max', '10']);
    const first = await waitFor('a submission', () => submitted(p.text())[0], 60_000);
    expect(first.nodes, p.text()).toBe(2);
    expect(p.text()).toMatch(/submit: sbatch .* --nodes=2 --time=10 .*# 2 of 2 idle node\(s\) n2,n3 free for 0:10/);
    expect((await until('our allocation to run', () => nodesOf(first.id), 90_000)).sort()).toEqual(['n2', 'n3']);
    await waitFor('both Droids to join', () => openNodes(t.workdir).join() === 'n2,n3', 90_000);
    // Restart: SIGTERM stops fill (exit 4, its allocation runs on); a new fill finds that allocation by its comment.
    process.kill(-p.child.pid!, 'SIGTERM');
    expect(await exitOf(p, 30_000), p.text()).toBe(4);
    expect(await nodesOf(first.id)).not.toBeNull();
    const q = fill(t, ['--time-max', '10'], 'fill-2.log');
    // Rounds go on with every node busy and nothing pending: no submission (checked after two rounds).
    await waitFor('two rounds of the new fill', () => (q.text().match(/round \d+/g) ?? []).length >= 2, 60_000);
    expect(q.text()).toMatch(new RegExp(`ours: pending -; running ${first.id}\n`));
    expect(submitted(q.text()), q.text()).toHaveLength(0);

    const cancel = await cluster.run('scancel', [String(hold)]);
    expect(cancel.exitCode, cancel.stderr).toBe(0);
    const second = await waitFor('a submission for the freed node', () => submitted(q.text())[0], 60_000);
    expect(second.nodes, q.text()).toBe(1);
    expect(await until('it to run on n1', () => nodesOf(second.id), 90_000)).toEqual(['n1']);
    await waitFor('three nodes in the job', () => openNodes(t.workdir).join() === 'n1,n2,n3', 90_000);
    t.gate.open();
    expect(await exitOf(q, 120_000), q.text()).toBe(0);
    expect(submitted(q.text())).toHaveLength(1);
    expect(noRangeTwice(t.workdir)).toEqual({ ranges: RANGES, distinct: RANGES });
    expect(checkFlakyOutputs(t.workdir, FILES, EVENTS)).toEqual([]);
  }, 400_000);

  it('a reservation on n3 soon: --dry-run plans n3 to end before it and submits nothing; a partition sbatch refuses: exit 2', async () => {
    const made = await cluster.run('scontrol', [
      'create',
      'reservation',
      'reservationname=fillsoon',
      'starttime=now+10minutes',
      'duration=30',
      'nodes=n3',
      'users=root',
      'flags=ignore_jobs',
    ]);
    expect(made.exitCode, made.stderr).toBe(0);
    try {
      const shown = (await cluster.run('scontrol', ['show', 'res', 'fillsoon'])).stdout;
      const [y, mo, d, h, mi, s] = (/StartTime=(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)/.exec(shown) ?? [])
        .slice(1)
        .map(Number);
      const resStart = new Date(y, mo - 1, d, h, mi, s).getTime(); // Slurm's local time
      expect(resStart).toBeGreaterThan(Date.now());
      const t = setup();
      const p = fill(t, ['--time-max', '60', '--dry-run']);
      expect(await exitOf(p, 60_000), p.text()).toBe(0);
      const text = p.text();
      expect(text).toMatch(/window n3: 0:\d\d left \(reservation fillsoon from /);
      expect(text).toMatch(/window n1: no end ahead/);
      const subs = [
        ...text.matchAll(
          /submit: sbatch .*--nodes=(\d+) --time=(\d+) --time-min=(\d+) .*# .* idle node\(s\) (\S+) free/g,
        ),
      ].map((m) => ({ nodes: Number(m[1]), time: Number(m[2]), timeMin: Number(m[3]), on: m[4] }));
      expect(
        subs.map((x) => ({ nodes: x.nodes, on: x.on })),
        text,
      ).toEqual([
        { nodes: 2, on: 'n1,n2' },
        { nodes: 1, on: 'n3' },
      ]);
      expect(subs[0].time).toBe(60);
      // n3's allocation ends before the reservation starts, even if it started at once.
      expect(Date.now() + subs[1].time * 60_000).toBeLessThan(resStart);
      expect(subs[1].time).toBeGreaterThanOrEqual(1);
      expect(subs[1].timeMin).toBeLessThanOrEqual(subs[1].time);
      const q = await cluster.run('squeue', ['-h', '-o', '%i %j']);
      expect(q.stdout.trim(), 'a dry run submits nothing').toBe('');
    } finally {
      await cluster.run('scontrol', ['delete', 'reservation=fillsoon']);
    }

    const u = setup();
    const bad = fill(u, ['--partition', 'nosuch']);
    expect(await exitOf(bad, 60_000), bad.text()).toBe(2);
    expect(bad.text()).toMatch(
      /yoda: sbatch refused the allocation \(partition nosuch, account \(default\)\): .*invalid partition/i,
    );
    expect(bad.text()).toMatch(/Check --partition and --account/);
    expect((await cluster.run('squeue', ['-h', '-o', '%i'])).stdout.trim()).toBe('');
  }, 300_000);
});
