// The payload contract with real processes: payloads never outlive their Droid, a drain warns before it kills,
// done reports are checked, control EOF ends a worker, worker logs are capped, command mode measures CPU.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { journalRecords } from './jobs.js';
import { CLI, jobDirs, killAll, killGroup, ROOT, start, waitFor, workerGroups, yoda } from './proc.js';

/** The process runs (a zombie waiting for a reaper counts as gone: it runs nothing). */
function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

afterEach(killAll);

type Rec = { t: string; [k: string]: unknown };
const journal = (workdir: string) => journalRecords(workdir) as unknown as Rec[];
const CONTRACT = join(ROOT, 'test/fixtures/payloads/contract.py');

/** A job over `files` input files of `events` events run by contract.py (or `payload`), records in dir/rec. */
function contractJob(
  dir: string,
  o: {
    files?: string[];
    events?: number;
    per?: number;
    env?: Record<string, string>;
    payload?: Record<string, unknown>;
    maxAttempts?: number;
  } = {},
): { job: string; rec: string } {
  const rec = join(dir, 'rec');
  mkdirSync(rec, { recursive: true });
  mkdirSync(join(dir, 'in'), { recursive: true });
  const files = o.files ?? ['f0.txt'];
  for (const f of files) writeFileSync(join(dir, 'in', f), 'x\n');
  const job = {
    name: 'contract',
    inputs: [{ files: files.map((f) => `in/${f}`), events: o.events ?? 10 }],
    eventsPerRange: o.per ?? 5,
    payload: { command: ['python3', CONTRACT], workers: 2, env: { CONTRACT_DIR: rec, ...o.env }, ...o.payload },
    maxAttempts: o.maxAttempts ?? 1,
  };
  const path = join(dir, 'job.yaml');
  writeFileSync(path, stringify(job));
  return { job: path, rec };
}

const pidsIn = (rec: string, prefix: string) =>
  readdirSync(rec)
    .filter((f) => f.startsWith(`${prefix}.`))
    .map((f) => Number(f.slice(prefix.length + 1)));

describe('payloads do not outlive their Droid', () => {
  it('kill -9 of the whole yoda run (daemon mode): every worker is gone within a second', async () => {
    const { dir, workdir } = jobDirs();
    // busy: mid-range, not reading the control channel (whose EOF would end a reading worker anyway).
    const { job, rec } = contractJob(dir, { env: { CONTRACT_MODE: 'busy' } });
    const run = start(process.execPath, [CLI, 'run', job, '--workdir', workdir], { log: join(dir, 'run.log') });
    const held = await waitFor('two workers holding a range', () =>
      pidsIn(rec, 'held').length === 2 ? pidsIn(rec, 'held') : null,
    );
    killGroup(run.child.pid, 'SIGKILL');
    await run.exit;
    // The kernel's parent-death signal kills at once; the 10 s bound only absorbs a loaded machine observed via /proc.
    await waitFor('the workers to die with their Droid', () => held.every((p) => !pidAlive(p)), 10_000);
    expect(workerGroups(workdir)).toEqual([]);
  });

  it('kill -9 of the whole yoda run (command mode): the running commands are gone within a second', async () => {
    const { dir, workdir } = jobDirs();
    const { job, rec } = contractJob(dir, {
      payload: { mode: 'command', command: ['sh', '-c', `echo $$ > ${'$'}{CONTRACT_DIR}/held.$$; exec sleep 300`] },
    });
    const run = start(process.execPath, [CLI, 'run', job, '--workdir', workdir], { log: join(dir, 'run.log') });
    const held = await waitFor('two commands running', () =>
      pidsIn(rec, 'held').length === 2 ? pidsIn(rec, 'held') : null,
    );
    killGroup(run.child.pid, 'SIGKILL');
    await run.exit;
    // The kernel's parent-death signal kills at once; the 10 s bound only absorbs a loaded machine observed via /proc.
    await waitFor('the commands to die with their Droid', () => held.every((p) => !pidAlive(p)), 10_000);
    expect(workerGroups(workdir)).toEqual([]);
  });

  const mpiexec = (() => {
    try {
      return /Open MPI|OpenRTE/.test(execFileSync('mpiexec', ['--version'], { encoding: 'utf8' }));
    } catch {
      return false;
    }
  })();
  it.runIf(mpiexec)(
    "kill -9 of the rank's process group under mpiexec: every worker is gone within a second",
    async () => {
      const { dir, workdir } = jobDirs();
      const { job, rec } = contractJob(dir, { env: { CONTRACT_MODE: 'busy' } });
      const env = {
        OMPI_ALLOW_RUN_AS_ROOT: '1',
        OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1',
        OMPI_MCA_plm: 'isolated',
        OMPI_MCA_btl_vader_single_copy_mechanism: 'none',
      };
      const run = start('mpiexec', ['-n', '1', process.execPath, CLI, 'run', job, '--workdir', workdir], {
        log: join(dir, 'mpi.log'),
        env,
      });
      // The rank runs in its own process group under mpiexec: killAll() would not reach it if this test failed.
      onTestFinished(() => {
        for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
          try {
            if (readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(`--workdir\0${workdir}\0`))
              killGroup(Number(pid), 'SIGKILL');
          } catch {
            /* gone */
          }
        }
      });
      // mpiexec binds the rank to one core: one worker slot.
      const held = await waitFor('a worker holding a range', () =>
        pidsIn(rec, 'held').length >= 1 ? pidsIn(rec, 'held') : null,
      );
      // The rank (yoda run, the worker's parent) in its process group under mpiexec: kill -9 that group.
      const stat = readFileSync(`/proc/${held[0]}/stat`, 'latin1');
      const rank = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const rankStat = readFileSync(`/proc/${rank}/stat`, 'latin1');
      expect(readFileSync(`/proc/${rank}/cmdline`, 'latin1')).toContain(CLI);
      killGroup(Number(rankStat.slice(rankStat.lastIndexOf(')') + 2).split(' ')[2]), 'SIGKILL');
      await run.exit;
      // The kernel's parent-death signal kills at once; the 10 s bound only absorbs a loaded machine observed via /proc.
      await waitFor('the workers to die with their Droid', () => held.every((p) => !pidAlive(p)), 10_000);
    },
  );

  it('without the exec helper the job still runs, and the log says what is lost', async () => {
    const { dir, workdir } = jobDirs();
    const { job } = contractJob(dir, { events: 10 });
    const r = await yoda(['run', job, '--workdir', workdir], {
      log: join(dir, 'run.log'),
      env: { YODA_EXEC_HELPER: 'off' },
    });
    expect(r.code, r.output).toBe(0);
    expect(readFileSync(join(workdir, 'logs', 'yoda-rank0.log'), 'utf8')).toMatch(
      /exec helper disabled \(YODA_EXEC_HELPER=off\): payload processes start without a parent-death signal/,
    );
  });

  it("a worker's children (plain fork and setsid) end with the worker", async () => {
    const { dir, workdir } = jobDirs();
    const { job, rec } = contractJob(dir, { events: 10, env: { CONTRACT_MODE: 'fork' } });
    const r = await yoda(['run', job, '--workdir', workdir], { log: join(dir, 'run.log') });
    expect(r.code, r.output).toBe(0);
    const children = readdirSync(rec)
      .filter((f) => f.startsWith('children.'))
      .flatMap((f) => readFileSync(join(rec, f), 'utf8').split(' ').map(Number));
    expect(children.length).toBeGreaterThanOrEqual(2);
    // Killed as their worker ends (parent-death signal, process-group kill); the 10 s bound only absorbs a loaded machine.
    await waitFor("the workers' children to be killed", () => children.every((p) => !pidAlive(p)), 10_000);
  });

  it('a rerun first stops a payload process an earlier run left behind', async () => {
    const { dir, workdir } = jobDirs();
    const { job } = contractJob(dir);
    const dead = spawn('true');
    await new Promise((r) => dead.on('exit', r));
    // What a worker of a killed Droid looks like: its own session, the work directory in its environment.
    const leftover = spawn('sleep', ['300'], {
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, YODA_WORKDIR: workdir, YODA_DROID_PID: String(dead.pid), YODA_WORKER_ID: 'old.0' },
    });
    await waitFor('the leftover to run', () => workerGroups(workdir).length === 1);
    const r = await yoda(['run', job, '--workdir', workdir], { log: join(dir, 'run.log') });
    expect(r.code, r.output).toBe(0);
    expect(pidAlive(leftover.pid!)).toBe(false);
    expect(readFileSync(join(workdir, 'logs', 'yoda-rank0.log'), 'utf8')).toMatch(
      new RegExp(`stopped 1 payload process\\(es\\) an earlier run on this node left behind.*pid ${leftover.pid}`),
    );
  });
});

describe('drain and control channel', () => {
  it('a drain sends the drain message and SIGTERM first, SIGKILL only at the end of the grace', async () => {
    const { dir, workdir } = jobDirs();
    const { job, rec } = contractJob(dir, { env: { CONTRACT_MODE: 'hold' } });
    const run = start(process.execPath, [CLI, 'run', job, '--workdir', workdir, '--grace', '2'], {
      log: join(dir, 'run.log'),
    });
    const held = await waitFor('two workers holding a range', () =>
      pidsIn(rec, 'held').length === 2 ? pidsIn(rec, 'held') : null,
    );
    process.kill(run.child.pid!, 'SIGTERM');
    expect((await run.exit).code).toBe(4);
    for (const pid of held) {
      const got = readFileSync(join(rec, `received.${pid}`), 'utf8')
        .trim()
        .split('\n');
      // The ranges line, then the drain message and the signal (in either order), nothing after: then SIGKILL.
      expect(got.slice(1).sort()).toEqual(['SIGTERM', JSON.stringify({ type: 'drain', graceSeconds: 2 })].sort());
      expect(pidAlive(pid)).toBe(false);
    }
    const log = readFileSync(join(workdir, 'logs', 'yoda-rank0.log'), 'utf8');
    expect(log).toMatch(/drain: worker was killed by SIGKILL holding 1 range/);
    expect(log).not.toMatch(/unexpectedly/);
    expect(journal(workdir).filter((x) => x.t === 'fail')).toEqual([]);
  });

  it('command mode: the drain SIGTERMs the running commands and their ranges go back without burning an attempt', async () => {
    const { dir, workdir } = jobDirs();
    const { job, rec } = contractJob(dir, {
      payload: { mode: 'command', command: ['sh', '-c', `echo $$ > ${'$'}{CONTRACT_DIR}/held.$$; sleep 300`] },
    });
    const run = start(process.execPath, [CLI, 'run', job, '--workdir', workdir, '--grace', '60'], {
      log: join(dir, 'run.log'),
    });
    await waitFor('two commands running', () => pidsIn(rec, 'held').length === 2);
    process.kill(run.child.pid!, 'SIGTERM');
    expect((await run.exit).code).toBe(4);
    const recs = journal(workdir);
    expect(recs.filter((x) => x.t === 'fail')).toEqual([]);
    expect(
      recs
        .filter((x) => x.t === 'release')
        .flatMap((x) => x.r as number[])
        .sort(),
    ).toEqual([0, 1]);
  });

  it('a worker that closes its control channel but keeps running is ended and its range fails', async () => {
    const { dir, workdir } = jobDirs();
    const { job, rec } = contractJob(dir, { events: 5, env: { CONTRACT_MODE: 'eof' } });
    const r = await yoda(['run', job, '--workdir', workdir], { log: join(dir, 'run.log') });
    expect(r.code, r.output).toBe(3);
    const fails = journal(workdir).filter((x) => x.t === 'fail');
    expect(fails).toEqual([
      expect.objectContaining({
        code: 'ERR_WORKER_PROTOCOL',
        msg: expect.stringMatching(/closed its control channel but kept running/),
      }),
    ]);
    for (const pid of pidsIn(rec, 'eof')) expect(pidAlive(pid)).toBe(false);
  });
});

describe('done reports are checked', () => {
  it('empty outputs, a directory, a file outside, a stale file, cpu as a string or missing fail the range', async () => {
    const { dir, workdir } = jobDirs();
    const bad = { 0: 'empty', 5: 'dir', 10: 'outside', 15: 'stale', 20: 'cpu-string', 25: 'no-cpu' };
    const { job } = contractJob(dir, { events: 35, env: { CONTRACT_BAD: JSON.stringify(bad) } });
    const r = await yoda(['run', job, '--workdir', workdir], { log: join(dir, 'run.log') });
    expect(r.code, r.output).toBe(3);
    const recs = journal(workdir);
    const codes = Object.fromEntries(recs.filter((x) => x.t === 'fail').map((x) => [x.id, x.code]));
    expect(codes).toEqual({
      'f0.txt:0-4': 'ERR_OUTPUT_INVALID',
      'f0.txt:5-9': 'ERR_OUTPUT_INVALID',
      'f0.txt:10-14': 'ERR_OUTPUT_INVALID',
      'f0.txt:15-19': 'ERR_OUTPUT_INVALID',
      'f0.txt:20-24': 'ERR_WORKER_PROTOCOL',
      'f0.txt:25-29': 'ERR_WORKER_PROTOCOL',
    });
    expect(recs.filter((x) => x.t === 'done').map((x) => x.id)).toEqual(['f0.txt:30-34']);
  });
});

describe('worker logs and command-mode CPU', () => {
  it("a chatty worker's log stays under the cap, with a note saying what was cut", async () => {
    const { dir, workdir } = jobDirs();
    const { job } = contractJob(dir, { events: 5, env: { CONTRACT_MODE: 'chatty', CONTRACT_CHATTY_MB: '6' } });
    const r = await yoda(['run', job, '--workdir', workdir], {
      log: join(dir, 'run.log'),
      env: { YODA_WORKER_LOG_MAX_MB: '1' },
    });
    expect(r.code, r.output).toBe(0);
    const logs = readdirSync(join(workdir, 'logs', 'workers')).filter((f) => f.endsWith('.log'));
    const text = logs.map((f) => readFileSync(join(workdir, 'logs', 'workers', f), 'utf8')).join('');
    for (const f of logs)
      expect(readFileSync(join(workdir, 'logs', 'workers', f)).length).toBeLessThanOrEqual(1024 * 1024);
    expect(text).toMatch(/this log passed its cap of 1\.0 MB \(YODA_WORKER_LOG_MAX_MB\): \d+ bytes cut here/);
  });

  it("command mode measures the payload's CPU time", async () => {
    const { dir, workdir } = jobDirs();
    const burn =
      'import sys,time\nt=time.process_time()\nwhile time.process_time()-t<0.3: pass\nopen(sys.argv[1],"w").write("ok\\n")';
    const { job } = contractJob(dir, {
      events: 5,
      payload: { mode: 'command', command: ['python3', '-c', burn, '{output}'] },
    });
    const r = await yoda(['run', job, '--workdir', workdir], { log: join(dir, 'run.log') });
    expect(r.code, r.output).toBe(0);
    const done = journal(workdir).filter((x) => x.t === 'done');
    expect(done).toHaveLength(1);
    expect(Number(done[0].cpu)).toBeGreaterThan(0.05);
  });

  it('command mode without the exec helper records the CPU as not measured, never as 0', async () => {
    const { dir, workdir } = jobDirs();
    const burn =
      'import sys,time\nt=time.process_time()\nwhile time.process_time()-t<0.3: pass\nopen(sys.argv[1],"w").write("ok\\n")';
    const { job } = contractJob(dir, {
      events: 5,
      payload: { mode: 'command', command: ['python3', '-c', burn, '{output}'] },
    });
    const r = await yoda(['run', job, '--workdir', workdir], {
      log: join(dir, 'run.log'),
      env: { YODA_EXEC_HELPER: 'off' },
    });
    expect(r.code, r.output).toBe(0);
    const done = journal(workdir).filter((x) => x.t === 'done');
    expect(done).toHaveLength(1);
    expect(done[0].cpu).toBeNull();
    const status = await yoda(['status', workdir], { log: join(dir, 'status.log') });
    expect(status.output).toMatch(/payload CPU +not measured \(1 range/);
    const json = await yoda(['status', workdir, '--json'], { log: join(dir, 'status.json') });
    expect(JSON.parse(json.output)).toMatchObject({ cpuSeconds: 0, cpuNotMeasured: 1 });
  });
});

describe('reruns and outputs', () => {
  it('--retry-fatal reruns only the fatal ranges and keeps the done ones', async () => {
    const { dir, workdir } = jobDirs();
    const fixed = join(dir, 'fixed');
    const { job } = contractJob(dir, { events: 20, env: { CONTRACT_FAIL_UNLESS: fixed, CONTRACT_FAIL_FIRST: '10' } });
    expect((await yoda(['run', job, '--workdir', workdir], { log: join(dir, 'run1.log') })).code).toBe(3);
    writeFileSync(fixed, '');
    const r = await yoda(['run', job, '--workdir', workdir, '--retry-fatal'], { log: join(dir, 'run2.log') });
    expect(r.code, r.output).toBe(0);
    const recs = journal(workdir);
    const secondRun = recs.map((x) => x.t).lastIndexOf('run');
    expect(recs.filter((x) => x.t === 'retry')).toEqual([expect.objectContaining({ r: [2] })]);
    expect(
      recs
        .slice(secondRun)
        .filter((x) => x.t === 'done')
        .map((x) => x.id),
    ).toEqual(['f0.txt:10-14']);
    expect(recs.filter((x) => x.t === 'done')).toHaveLength(4);
  });

  it('--fresh sets the old outputs aside with the old journal, intact', async () => {
    const { dir, workdir } = jobDirs();
    const { job } = contractJob(dir, { events: 10 });
    expect((await yoda(['run', job, '--workdir', workdir], { log: join(dir, 'run1.log') })).code).toBe(0);
    const old = journal(workdir)
      .filter((x) => x.t === 'done')
      .map((x) => (x.out as string[])[0]);
    const before = old.map((p) => readFileSync(p, 'utf8'));
    writeFileSync(job, readFileSync(job, 'utf8').replace('eventsPerRange: 5', 'eventsPerRange: 2'));
    const r = await yoda(['run', job, '--workdir', workdir, '--fresh'], { log: join(dir, 'run2.log') });
    expect(r.code, r.output).toBe(0);
    const aside = readdirSync(workdir).find((f) => f.startsWith('superseded-'))!;
    const moved = old.map((p) => join(workdir, aside, 'outputs', p.slice(join(workdir, 'outputs').length + 1)));
    expect(moved.map((p) => readFileSync(p, 'utf8'))).toEqual(before);
    expect(existsSync(join(workdir, aside, 'journal.log'))).toBe(true);
    expect(JSON.parse(readFileSync(join(workdir, aside, 'outputs-moved.json'), 'utf8')).outputDir).toBe(
      join(workdir, 'outputs'),
    );
  });

  it('yoda outputs lists outputs in input-file and event order, not text order', async () => {
    const { dir, workdir } = jobDirs();
    const { job } = contractJob(dir, { files: ['b.txt', 'a.txt'], events: 15, per: 5 });
    expect((await yoda(['run', job, '--workdir', workdir], { log: join(dir, 'run.log') })).code).toBe(0);
    const ids = ['b.txt:0-4', 'b.txt:5-9', 'b.txt:10-14', 'a.txt:0-4', 'a.txt:5-9', 'a.txt:10-14'];
    const out = execFileSync(process.execPath, [CLI, 'outputs', workdir], { encoding: 'utf8' });
    const byRange = new Map(
      journal(workdir)
        .filter((x) => x.t === 'done')
        .map((x) => [x.id as string, (x.out as string[])[0]]),
    );
    expect(out.trim().split('\n')).toEqual(ids.map((id) => byRange.get(id)));
    const json = JSON.parse(
      execFileSync(process.execPath, [CLI, 'outputs', workdir, '--json'], { encoding: 'utf8' }),
    ) as { range: string }[];
    expect(json.map((x) => x.range)).toEqual(ids);
    const byFile = JSON.parse(
      execFileSync(process.execPath, [CLI, 'outputs', workdir, '--json', '--by-file'], { encoding: 'utf8' }),
    ) as { file: string; outputs: string[] }[];
    expect(byFile.map((f) => f.file)).toEqual([join(dir, 'in', 'b.txt'), join(dir, 'in', 'a.txt')]);
  });
});
