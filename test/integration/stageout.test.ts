// Stage-out against a real XRootD server on loopback: delivered once, verified, journaled; failures name the file.
import { chownSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { jobDirs, killAll, yoda } from './proc.js';
import { checkDelivered, stagedJob, stagedRecords } from './staged.js';
import { xrootdServer } from './xrootd.js';

afterEach(killAll);

describe('stage-out', () => {
  it('delivers every range output to an XRootD server, verified, with one staged record per range', async () => {
    const server = await xrootdServer();
    await server.start();
    const { dir, workdir } = jobDirs();
    const job = stagedJob(dir, 2, { destination: server.url('/dest/') });
    const r = await yoda(['run', job, '--workdir', workdir], { log: join(dir, 'run.log') });
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/stage-out to root:\/\/localhost:\d+\/\/dest\/: 8 range\(s\) delivered/);
    checkDelivered(workdir, join(workdir, 'outputs'), join(server.data, 'dest'));
    for (const s of stagedRecords(workdir)) expect(s.adler32?.[0]).toMatch(/^[0-9a-f]{8}$/);
    const status = JSON.parse((await yoda(['status', workdir, '--json'], { log: join(dir, 's.log') })).output);
    expect(status.state).toBe('complete');
    expect(status.stageOut).toMatchObject({ staged: 8, pending: 0, failed: 0 });
    expect(status.stageOut.bytes).toBeGreaterThan(0);
    const table = (await yoda(['status', workdir], { log: join(dir, 's.txt') })).output;
    expect(table).toMatch(
      /^stage-out\s+root:\/\/localhost:\d+\/\/dest\/: 8 staged \(\d+ bytes\), 0 pending, 0 failed$/m,
    );
    await server.stop();
  });

  it('delivers to a local directory too', async () => {
    const { dir, workdir } = jobDirs();
    const dest = join(dir, 'delivered');
    const job = stagedJob(dir, 1, { destination: dest });
    const r = await yoda(['run', job, '--workdir', workdir], { log: join(dir, 'run.log') });
    expect(r.code, r.output).toBe(0);
    checkDelivered(workdir, join(workdir, 'outputs'), dest);
  });

  it('ends with exit 3 naming the file when the destination refuses writes on every attempt', async () => {
    const server = await xrootdServer();
    mkdirSync(join(server.data, 'locked'), { mode: 0o755 });
    chownSync(join(server.data, 'locked'), 0, 0); // owned by root: xrootd cannot write in it
    await server.start();
    const { dir, workdir } = jobDirs();
    const stageOut = { destination: server.url('/locked/'), attempts: 2 };
    const job = stagedJob(dir, 1, stageOut, 10);
    const r = await yoda(['run', job, '--workdir', workdir], {
      log: join(dir, 'run.log'),
      env: { YODA_STAGE_BACKOFF_MS: '100' },
    });
    expect(r.code, r.output).toBe(3);
    expect(r.output).toContain('ERR_STAGE_OUT');
    expect(r.output).toMatch(/f0\.txt_0-4\.out/);
    const status = JSON.parse((await yoda(['status', workdir, '--json'], { log: join(dir, 's.log') })).output);
    expect(status.stageOut).toMatchObject({ staged: 0, failed: 2 });
    expect(status.stageOut.failures[0].file).toMatch(/\.out$/);
    expect(existsSync(join(server.data, 'locked', 'f0.txt_0-4.out'))).toBe(false);
    await server.stop();
  });
});
