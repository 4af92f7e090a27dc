// Issue 18: input that used to hang yoda or crash it with a stack trace now ends with a clear message.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { doneRecords, flakyJob, gatedJob } from './jobs.js';
import { CLI, jobDirs, killAll, ROOT, start, waitFor, yoda } from './proc.js';

const pidsToKill: number[] = [];
afterEach(() => {
  killAll();
  for (const pid of pidsToKill.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
};

/** A job whose one input file is counted by `count` (a shell command; {file} is the input). */
function countedJob(dir: string, count: string, extra: Record<string, unknown> = {}): string {
  writeFileSync(join(dir, 'a.dat'), 'x\n');
  const job = {
    name: 'counted',
    inputs: [{ files: 'a.dat', eventsCommand: ['sh', '-c', count, 'count', '{file}'], ...extra }],
    eventsPerRange: 5,
    payload: { command: ['python3', join(ROOT, 'test/fixtures/payloads/flaky.py')] },
  };
  writeFileSync(join(dir, 'job.yaml'), stringify(job));
  return join(dir, 'job.yaml');
}

describe('event counting never hangs', () => {
  it('kills a counting command past its timeout, with its whole process group (#9)', async () => {
    const { dir, workdir } = jobDirs();
    const pidFile = join(dir, 'count.pid');
    const job = countedJob(dir, `sleep 100 & echo $! > ${pidFile}; wait`, { eventsTimeoutSeconds: 1 });
    const p = start(process.execPath, [CLI, 'run', job, '--workdir', workdir], { log: join(dir, 'a.log') });
    // 60 s: a hang guard that still tells a kill at the 1 s timeout from the counting command's own 100 s.
    const { code } = await Promise.race([
      p.exit,
      new Promise<never>((_, no) => setTimeout(() => no(new Error('yoda did not exit within 60 s')), 60_000)),
    ]);
    const output = readFileSync(join(dir, 'a.log'), 'utf8');
    expect(code, output).toBe(2);
    expect(output).toMatch(
      /counting events of .*a.dat failed: the command did not finish within 1 s and was killed \(set inputs\[\].eventsTimeoutSeconds/,
    );
    const sleeper = Number(readFileSync(pidFile, 'utf8'));
    pidsToKill.push(sleeper);
    await waitFor('the counting command to be gone', () => !alive(sleeper), 30_000); // killed at once; 30 s absorbs a loaded machine
    expect(existsSync(workdir)).toBe(false);
  });

  it('stops cleanly on SIGTERM while counting: exit 4, a message, the command killed (#9, #16)', async () => {
    const { dir, workdir } = jobDirs();
    const pidFile = join(dir, 'count.pid');
    const job = countedJob(dir, `sleep 100 & echo $! > ${pidFile}; wait`);
    const p = start(process.execPath, [CLI, 'run', job, '--workdir', workdir], { log: join(dir, 'a.log') });
    const sleeper = await waitFor(
      'the counting command',
      () => existsSync(pidFile) && Number(readFileSync(pidFile, 'utf8')) > 0 && Number(readFileSync(pidFile, 'utf8')),
      30_000,
    );
    pidsToKill.push(sleeper);
    p.child.kill('SIGTERM');
    // 60 s: a hang guard that still tells a stop on SIGTERM from the counting command's own 100 s.
    const { code, signal } = await Promise.race([
      p.exit,
      new Promise<never>((_, no) => setTimeout(() => no(new Error('yoda did not exit within 60 s')), 60_000)),
    ]);
    const output = readFileSync(join(dir, 'a.log'), 'utf8');
    expect({ code, signal }, output).toEqual({ code: 4, signal: null });
    expect(output).toMatch(/received SIGTERM while starting/);
    expect(output).toMatch(/stopped while counting the events of .*a.dat/);
    await waitFor('the counting command to be gone', () => !alive(sleeper), 30_000); // killed at once; 30 s absorbs a loaded machine
  });

  it('says a counting program was not found instead of "exited with undefined" (#14)', async () => {
    const { dir, workdir } = jobDirs();
    writeFileSync(join(dir, 'a.dat'), 'x\n');
    writeFileSync(
      join(dir, 'job.yaml'),
      stringify({
        inputs: [{ files: 'a.dat', eventsCommand: ['no-such-counter', '{file}'] }],
        eventsPerRange: 5,
        payload: { command: ['python3', 'x.py'] },
      }),
    );
    const r = await yoda(['run', join(dir, 'job.yaml'), '--workdir', workdir], { log: join(dir, 'a.log') });
    expect(r.code).toBe(2);
    expect(r.output).toMatch(/the program "no-such-counter" was not found on PATH/);
    expect(r.output).not.toMatch(/undefined/);
  });
});

describe('absurd sizes are refused before anything is written (#11)', () => {
  it('refuses 10^11 events in ranges of 5 and leaves no work directory', async () => {
    const { dir, workdir } = jobDirs();
    const job = flakyJob(dir, { files: 1, events: 10 });
    writeFileSync(job, readFileSync(job, 'utf8').replace('events: 10', 'events: 100000000000'));
    const r = await yoda(['run', job, '--workdir', workdir], { log: join(dir, 'a.log') });
    expect(r.code, r.output).toBe(2);
    expect(r.output).toMatch(/the job is too large: 20000000000 ranges of 5 events; at most 10000000 ranges per job/);
    expect(r.output).not.toMatch(/RangeError/);
    expect(existsSync(workdir)).toBe(false);
  });

  it.each([
    ['echo 10000000000000000000000', /printed 10000000000000000000000: more than the 1000000000000 events per file/],
    ['head -c 50000000 /dev/zero | tr "\\\\0" 7', /printed more than 4096 bytes/],
  ])('refuses an eventsCommand that prints %j', async (count, message) => {
    const { dir, workdir } = jobDirs();
    const r = await yoda(['run', countedJob(dir, count), '--workdir', workdir], { log: join(dir, 'a.log') });
    expect(r.code, r.output).toBe(2);
    expect(r.output).toMatch(message);
    expect(existsSync(workdir)).toBe(false);
  });

  it('status of a work directory poisoned by an older yoda says so instead of crashing', async () => {
    const { dir, workdir } = jobDirs();
    const job = flakyJob(dir, { files: 1, events: 10 });
    const ok = await yoda(['run', job, '--workdir', workdir, '-q'], { log: join(dir, 'a.log') });
    expect(ok.code, ok.output).toBe(0);
    const d = JSON.parse(readFileSync(join(workdir, 'job.json'), 'utf8'));
    d.files[0].events = 1e22;
    d.totalRanges = 2e21;
    writeFileSync(join(workdir, 'job.json'), JSON.stringify(d));
    const s = await yoda(['status', workdir], { log: join(dir, 's.log') });
    expect(s.code).toBe(2);
    expect(s.output).toMatch(/describes a job Yoda cannot hold \(input file .* holds 1e\+22 events/);
    expect(s.output).not.toMatch(/RangeError/);
  });
});

describe('a stopped yoda resumed (SIGSTOP, SIGCONT) carries on (#15)', () => {
  it('reads what its Droid reported meanwhile instead of declaring it lost', async () => {
    const { dir, workdir } = jobDirs();
    // One range runs, then every worker holds a range at the gate: the job cannot end before Yoda is stopped.
    const { job, gate } = gatedJob(dir, { files: 2, events: 10, tickets: 1 });
    const p = start(process.execPath, [CLI, 'run', job, '--workdir', workdir, '--droid-timeout', '2'], {
      log: join(dir, 'a.log'),
    });
    await waitFor('a first range done', () => doneRecords(workdir).length >= 1);
    process.kill(p.child.pid!, 'SIGSTOP');
    gate.open(); // the workers go on and their Droid reports while Yoda is stopped
    // The pause itself is the stimulus (not a wait for something): at least 4 s, longer than --droid-timeout; a
    // slower machine only makes it longer, which the test allows.
    await new Promise((r) => setTimeout(r, 4_000));
    process.kill(p.child.pid!, 'SIGCONT');
    const { code } = await Promise.race([
      p.exit,
      new Promise<never>((_, no) => setTimeout(() => no(new Error('yoda did not exit within 60 s')), 60_000)),
    ]);
    const output = readFileSync(join(dir, 'a.log'), 'utf8');
    expect(code, output).toBe(0);
    expect(output).not.toMatch(/declared lost|every Droid left/);
    expect(output).toMatch(/did not run for \d+\.\d s/);
  });
});
