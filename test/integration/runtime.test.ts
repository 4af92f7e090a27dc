import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkFlakyOutputs, doneRecords, flakyJob } from './jobs.js';
import { jobDirs, killAll, yoda } from './proc.js';

afterEach(killAll);

function setup(o: Parameters<typeof flakyJob>[1] = {}) {
  const { dir, workdir } = jobDirs();
  return { dir, workdir, job: flakyJob(dir, o), log: join(dir, 'yoda.log') };
}

describe('a whole job on this machine (real processes, real sockets)', () => {
  it('runs every range exactly once and reports complete in status', async () => {
    const t = setup();
    const r = await yoda(['run', t.job, '--workdir', t.workdir], { log: t.log });
    expect(r.code, r.output).toBe(0);
    expect(checkFlakyOutputs(t.workdir, 2, 40)).toEqual([]);
    expect(doneRecords(t.workdir)).toHaveLength(16);
    const s = await yoda(['status', t.workdir, '--json'], { log: join(t.dir, 'status.log') });
    const status = JSON.parse(s.output);
    expect(status).toMatchObject({
      state: 'complete',
      ranges: { total: 16, done: 16, ready: 0, assigned: 0, failed: 0, fatal: 0 },
      events: { total: 80, done: 80 },
    });
  });

  it('retries a range whose worker crashed on it once, and the job succeeds', async () => {
    const t = setup({ env: { FLAKY_MODE: 'crash-once', FLAKY_RANGE: 'f1.txt:10-14' } });
    const r = await yoda(['run', t.job, '--workdir', t.workdir], { log: t.log });
    expect(r.code, r.output).toBe(0);
    expect(checkFlakyOutputs(t.workdir, 2, 40)).toEqual([]);
    const journal = readFileSync(join(t.workdir, 'journal.log'), 'utf8');
    expect(journal).toMatch(/"t":"fail","i":\d+,"id":"f1.txt:10-14","attempt":1,"code":"ERR_WORKER_DIED"/);
    expect(doneRecords(t.workdir).find((d) => d.id === 'f1.txt:10-14')).toBeTruthy();
  });

  it('makes a range that always fails fatal after maxAttempts, completes the rest and exits 3 naming it', async () => {
    const t = setup({ env: { FLAKY_MODE: 'always-fail', FLAKY_RANGE: 'f0.txt:5-9' }, maxAttempts: 2 });
    const r = await yoda(['run', t.job, '--workdir', t.workdir], { log: t.log });
    expect(r.code, r.output).toBe(3);
    expect(r.output).toMatch(/1 fatal range/);
    expect(r.output).toMatch(/f0.txt:5-9\s+ERR_BAD_EVENTS\s+events in this range are corrupt/);
    expect(doneRecords(t.workdir)).toHaveLength(15);
    const s = JSON.parse((await yoda(['status', t.workdir, '--json'], { log: join(t.dir, 's.log') })).output);
    expect(s).toMatchObject({ state: 'fatal', ranges: { done: 15, fatal: 1 } });
  });

  it('fails fast when the payload exits at start, naming the worker log (exit 5)', async () => {
    const t = setup({ env: { FLAKY_MODE: 'exit-at-start' } });
    const r = await yoda(['run', t.job, '--workdir', t.workdir], { log: t.log });
    expect(r.code, r.output).toBe(5);
    expect(r.output).toMatch(
      /no worker could be started \(worker exited with code 7 before it was ready\); see .*logs\/workers\/.*\.log/,
    );
    const workerLog = r.output.match(/see (\S+\/logs\/workers\/\S+\.log)/)![1];
    expect(readFileSync(workerLog, 'utf8')).toContain('payload: cannot start (simulated)');
  });

  it('retires workers that print garbage on the control channel instead of the dialogue', async () => {
    const t = setup({ env: { FLAKY_MODE: 'garbage' } });
    const r = await yoda(['run', t.job, '--workdir', t.workdir], { log: t.log });
    expect(r.code, r.output).toBe(5);
    expect(r.output).toMatch(/broke the payload protocol.*not JSON: "this is not the dialogue"/);
  });
});
