// Faults with real processes: a Droid killed mid-run, a hung payload, a full disk under the work directory.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkFlakyOutputs, doneRecords, flakyJob, gatedJob, journalRecords } from './jobs.js';
import { CLI, jobDirs, killAll, killGroup, start, waitFor, workerGroups, yoda } from './proc.js';

const mounts: string[] = [];
afterEach(() => {
  killAll();
  for (const m of mounts.splice(0)) execFileSync('umount', ['-l', m]);
});

type Rec = { t: string; [k: string]: unknown };
const journal = (workdir: string) => journalRecords(workdir) as unknown as Rec[];

/** Starts rank `rank` of a 2-rank launch on this machine (PMI variables, as mpiexec would set them). */
const rank = (rank: number, job: string, workdir: string, log: string, extra: string[] = []) =>
  start(
    process.execPath,
    [
      CLI,
      'run',
      job,
      '--workdir',
      workdir,
      '--allow-shared-node',
      ...(extra.length ? extra : ['--droid-timeout', '3']),
    ],
    {
      log,
      env: { PMI_RANK: String(rank), PMI_SIZE: '2' },
    },
  );

describe('faults', () => {
  it('a Droid killed mid-run: its ranges go back to ready within the heartbeat limit, no attempt burned', async () => {
    const { dir, workdir } = jobDirs();
    // Every range waits at the gate, so rank 1 surely still holds its ranges when it is killed.
    const { job, gate } = gatedJob(dir, { files: 2, events: 60, per: 5, tickets: 0 });
    const r0 = rank(0, job, workdir, join(dir, 'rank0.log'));
    const r1 = rank(1, job, workdir, join(dir, 'rank1.log'));
    await waitFor('rank 1 holding ranges', () =>
      journal(workdir).some((r) => r.t === 'assign' && String(r.droid).startsWith('droid-1-')),
    );
    const killedAt = Date.now();
    killGroup(r1.child.pid);
    await r1.exit;
    const lost = (r: Rec) => r.t === 'release' && /droid-1-.*was lost/.test(String(r.why));
    await waitFor('Yoda to release the ranges of the lost rank', () => journal(workdir).some(lost));
    gate.open();
    expect((await r0.exit).code, readFileSync(join(dir, 'rank0.log'), 'utf8')).toBe(0);
    const recs = journal(workdir);
    const release = recs.find(lost);
    expect(release).toBeTruthy();
    // A hang guard, not a benchmark: the release follows the droid timeout (3 s); the rest absorbs a loaded machine.
    expect(Number(release!.at) - killedAt).toBeLessThan(60_000);
    expect(recs.filter((r) => r.t === 'fail')).toEqual([]);
    for (const i of release!.r as number[]) {
      const attempts = recs
        .filter((r) => r.t === 'assign')
        .flatMap((r) => (r.r as number[]).map((x, k) => [x, (r.a as number[])[k]]))
        .filter(([x]) => x === i);
      expect(attempts.map(([, a]) => a)).toEqual([1, 1]); // handed out again with the same attempt number
    }
    expect(checkFlakyOutputs(workdir, 2, 60)).toEqual([]);
  });

  it('a Droid that loses Yoda lets its workers finish, waits a while, then stops them and exits 5 saying why', async () => {
    const { dir, workdir } = jobDirs();
    // The gate stays shut: rank 1's workers hold their ranges when Yoda dies, and never finish them.
    const { job } = gatedJob(dir, { files: 2, events: 60, per: 5, tickets: 0 });
    const r0 = rank(0, job, workdir, join(dir, 'rank0.log'), ['--droid-timeout', '1']);
    const r1 = rank(1, job, workdir, join(dir, 'rank1.log'), ['--droid-timeout', '1']);
    await waitFor('rank 1 holding ranges', () =>
      journal(workdir).some((r) => r.t === 'assign' && String(r.droid).startsWith('droid-1-')),
    );
    killGroup(r0.child.pid);
    const { code } = await r1.exit;
    const out = readFileSync(join(dir, 'rank1.log'), 'utf8');
    expect(code, out).toBe(5);
    expect(out).toMatch(/Yoda silent for 1 s: workers finish what they hold; waiting for Yoda up to 6 s/);
    expect(out).toMatch(/lost Yoda: silent for 6 s/);
    expect(workerGroups(workdir)).toEqual([]);
  });

  it('a rank that arrives after Yoda finished leaves at once with exit 0', async () => {
    const { dir, workdir } = jobDirs();
    const job = flakyJob(dir, { files: 1, events: 10, per: 5 });
    const r0 = rank(0, job, workdir, join(dir, 'rank0.log'));
    expect((await r0.exit).code).toBe(0); // rank 0's own Droid did the whole job
    const late = rank(1, job, workdir, join(dir, 'rank1.log'));
    expect((await late.exit).code).toBe(0);
    expect(readFileSync(join(workdir, 'logs', 'yoda-rank1.log'), 'utf8')).toMatch(
      /Yoda already finished this run; nothing to join/,
    );
  });

  it('a hung payload is killed with its whole process tree at the range time limit, and the range is retried', async () => {
    const { dir, workdir } = jobDirs();
    const job = flakyJob(dir, {
      files: 1,
      events: 20,
      per: 5,
      env: { FLAKY_MODE: 'hang-once', FLAKY_RANGE: 'f0.txt:5-9' },
    });
    writeFileSync(job, readFileSync(job, 'utf8').replace('payload:\n', 'payload:\n  rangeTimeoutSeconds: 2\n'));
    const r = await yoda(['run', job, '--workdir', workdir], { log: join(dir, 'run.log') });
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/range held for more than 2 s/);
    const fails = journal(workdir).filter((x) => x.t === 'fail');
    expect(fails).toEqual([expect.objectContaining({ id: 'f0.txt:5-9', attempt: 1, code: 'ERR_RANGE_TIMEOUT' })]);
    expect(doneRecords(workdir).find((d) => d.id === 'f0.txt:5-9')).toBeTruthy();
    const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    expect(ps).not.toContain(`hung-child-${workdir}`);
  });

  it('a full disk under the work directory: a clear error, a clean stop (exit 5), a journal that replays, and a resume', async () => {
    const { dir, workdir } = jobDirs();
    mkdirSync(workdir);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', workdir], { stdio: 'pipe' });
    } catch (e) {
      if (process.env.CI === 'true') throw e;
      console.log(`full-disk test skipped: cannot mount a small tmpfs here (${(e as Error).message.split('\n')[0]})`);
      return;
    }
    mounts.push(workdir);
    const job = flakyJob(dir, { files: 4, events: 500, per: 1, extra: { output: join(dir, 'out') } });
    execFileSync('dd', ['if=/dev/zero', `of=${join(workdir, 'filler')}`, 'bs=1k', 'count=900'], { stdio: 'pipe' });
    const r = await yoda(['run', job, '--workdir', workdir], { log: join(dir, 'run.log') });
    expect(r.code, r.output).toBe(5);
    expect(r.output).toMatch(/cannot write the journal .*journal.log: .*ENOSPC/);
    const before = doneRecords(workdir).length;
    expect(before).toBeGreaterThan(0);
    const status = JSON.parse((await yoda(['status', workdir, '--json'], { log: join(dir, 's.log') })).output);
    expect(status.ranges.done).toBe(before);
    rmSync(join(workdir, 'filler'));
    const again = await yoda(['run', job, '--workdir', workdir], { log: join(dir, 'again.log') });
    expect(again.code, again.output).toBe(0);
    const ids = doneRecords(workdir).map((d) => d.id);
    expect(new Set(ids).size).toBe(2000);
    expect(ids).toHaveLength(2000);
    expect(workerGroups(workdir)).toEqual([]);
  });
});
