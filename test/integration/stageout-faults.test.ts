// Stage-out under faults, against a real XRootD server: the whole tree SIGKILLed while transfers are in flight, and a
// destination that is down at first. Controlled by a gate and by the server itself, never by the clock.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { doneRecords } from './jobs.js';
import { CLI, jobDirs, killAll, killGroup, start, waitFor, workerGroups, yoda } from './proc.js';
import { checkDelivered, gatedXrdcp, stagedJob, stagedRecords } from './staged.js';
import { xrootdServer } from './xrootd.js';

afterEach(killAll);

const count = <T>(f: () => T[]) => {
  try {
    return f().length;
  } catch {
    return 0;
  }
};

describe('stage-out under faults', () => {
  it('SIGKILL of the whole tree while transfers are in flight: the rerun delivers the rest, nothing twice', async () => {
    const server = await xrootdServer();
    await server.start();
    const { dir, workdir } = jobDirs();
    const job = stagedJob(dir, 2, { destination: server.url('/dest/') });
    const x = gatedXrdcp(dir, 3);
    const env = { PATH: `${x.bin}:${process.env.PATH}` };
    const run = start(process.execPath, [CLI, 'run', job, '--workdir', workdir], { log: join(dir, 'run1.log'), env });
    // Three ranges delivered, and at least one transfer waiting inside xrdcp: the tree dies with transfers in flight.
    await waitFor('3 staged records and a transfer in flight', () => {
      return count(() => stagedRecords(workdir)) === 3 && x.waiting() > 0;
    });
    killGroup(run.child.pid);
    for (const g of workerGroups(workdir)) killGroup(g);
    await run.exit;
    const before = new Set(stagedRecords(workdir).map((r) => r.id));
    expect(before.size).toBe(3);
    const firstCalls = x.calls().length;
    x.open();
    const r = await yoda(['run', job, '--workdir', workdir], { log: join(dir, 'run2.log'), env });
    expect(r.code, r.output).toBe(0);
    expect(doneRecords(workdir)).toHaveLength(8);
    checkDelivered(workdir, join(workdir, 'outputs'), join(server.data, 'dest'));
    // The rerun copied only what was not delivered: no delivered range's output went out again.
    const again = x.calls().slice(firstCalls);
    for (const id of before) expect(again.filter((c) => c.includes(id.replace(':', '_')))).toEqual([]);
    const status = JSON.parse((await yoda(['status', workdir, '--json'], { log: join(dir, 's.log') })).output);
    expect(status.stageOut).toMatchObject({ staged: 8, pending: 0, failed: 0 });
    await server.stop();
  });

  it('a drain lets running transfers finish and leaves queued ones to the next run (exit 4, then 0)', async () => {
    const server = await xrootdServer();
    await server.start();
    const { dir, workdir } = jobDirs();
    const job = stagedJob(dir, 1, { destination: server.url('/d/') });
    const x = gatedXrdcp(dir, 0);
    const env = { PATH: `${x.bin}:${process.env.PATH}` };
    const run = start(process.execPath, [CLI, 'run', job, '--workdir', workdir], { log: join(dir, 'run1.log'), env });
    await waitFor('every range done and two transfers in flight', () => {
      return count(() => doneRecords(workdir)) === 4 && x.waiting() === 2;
    });
    process.kill(run.child.pid!, 'SIGUSR1');
    await waitFor('the drain', () => readFileSync(join(dir, 'run1.log'), 'utf8').includes('draining'));
    x.open();
    const { code } = await run.exit;
    expect(code, readFileSync(join(dir, 'run1.log'), 'utf8')).toBe(4);
    expect(stagedRecords(workdir)).toHaveLength(2); // the two running transfers finished; the queued two did not start
    expect(x.calls()).toHaveLength(2);
    const r = await yoda(['run', job, '--workdir', workdir], { log: join(dir, 'run2.log'), env });
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/0 to do, 2 to deliver/);
    expect(x.calls()).toHaveLength(4);
    checkDelivered(workdir, join(workdir, 'outputs'), join(server.data, 'd'));
    await server.stop();
  });

  it('a destination down at first: transfers retry with backoff and complete once it is up', async () => {
    const server = await xrootdServer();
    const { dir, workdir } = jobDirs();
    const stageOut = { destination: server.url('/later/'), attempts: 30 };
    const job = stagedJob(dir, 1, stageOut);
    const run = start(process.execPath, [CLI, 'run', job, '--workdir', workdir], {
      log: join(dir, 'run.log'),
      env: { YODA_STAGE_BACKOFF_MS: '200' },
    });
    await waitFor('a failed transfer attempt', () =>
      readFileSync(join(dir, 'run.log'), 'utf8').includes('attempt 1/30 failed'),
    );
    await server.start();
    const { code } = await run.exit;
    expect(code, readFileSync(join(dir, 'run.log'), 'utf8')).toBe(0);
    checkDelivered(workdir, join(workdir, 'outputs'), join(server.data, 'later'));
    await server.stop();
  });
});
