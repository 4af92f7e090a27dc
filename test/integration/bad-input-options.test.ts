// Issue 18: every option of `yoda run` is checked before anything starts (exit 2 naming option and value).
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { flakyJob } from './jobs.js';
import { jobDirs, killAll, yoda } from './proc.js';

afterEach(() => killAll());

async function runWith(args: string[]) {
  const { dir, workdir } = jobDirs();
  const job = flakyJob(dir, { files: 1, events: 10 });
  const r = await yoda(['run', job, '--workdir', workdir, ...args], { log: join(dir, 'out.log') });
  return { ...r, workdir };
}

// Every option's range and relations are unit-tested in test/unit/runtime/options.test.ts; these go through the CLI.
describe('options of yoda run are validated before anything starts', () => {
  it.each([
    [
      ['--deadline', String(Math.floor(Date.now() / 1000) + 3600), '--margin', 'abc'],
      /--margin "abc": expected a number of seconds/,
    ],
    [['--heartbeat', 'abc'], /--heartbeat "abc": expected a number of seconds/],
    [['--droid-timeout', '1', '--heartbeat', '5'], /--droid-timeout 1 with --heartbeat 5/],
    [['--grace', 'abc'], /--grace "abc"/],
    [['--deadline', 'June 1'], /--deadline "June 1": give an ISO 8601 date-time/],
    [['--deadline', '99999999999999'], /--deadline "99999999999999": that is more than a year ahead/],
    [['--fresh=maybe'], /--fresh=maybe: a yes\/no option/],
    [['--workdir='], /--workdir "": expected a directory/],
  ])('%j: exit 2 naming the option (#8, #13)', async (args, message) => {
    const r = await runWith(args);
    expect(r.code, r.output).toBe(2);
    expect(r.output).toMatch(message);
    expect(r.output).not.toMatch(/at .*\.js:\d+/);
    expect(existsSync(r.workdir)).toBe(false);
  });

  it("refuses an --interface address that is not this node's before writing anything (#12)", async () => {
    const r = await runWith(['--interface', '8.8.8.8']);
    expect(r.code, r.output).toBe(2);
    expect(r.output).toMatch(/--interface 8.8.8.8: not an address of this node/);
    expect(existsSync(r.workdir)).toBe(false);
  });

  it('accepts an ISO 8601 deadline and says when the allocation ends', async () => {
    const end = new Date(Date.now() + 3600_000);
    end.setMilliseconds(0);
    const r = await runWith(['--deadline', end.toISOString().replace('.000Z', 'Z'), '-q']);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain(`allocation ends ${end.toISOString()}`);
  });
});

describe('the job file', () => {
  it('refuses a job file that is a FIFO or a device instead of hanging (#10)', async () => {
    const { dir, workdir } = jobDirs();
    const fifo = join(dir, 'job.fifo');
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [fifo]);
    const r = await yoda(['run', fifo, '--workdir', workdir], { log: join(dir, 'a.log') });
    expect(r.code).toBe(2);
    expect(r.output).toMatch(/job file .*job.fifo is a named pipe \(FIFO\)/);
    const zero = await yoda(['run', '/dev/zero', '--workdir', workdir], { log: join(dir, 'b.log') });
    expect(zero.code).toBe(2);
    expect(zero.output).toMatch(/job file \/dev\/zero is a device/);
  });

  it('refuses a huge job file', async () => {
    const { dir, workdir } = jobDirs();
    writeFileSync(join(dir, 'big.yaml'), `# ${'x'.repeat(5 * 1024 * 1024)}\n`);
    const r = await yoda(['run', join(dir, 'big.yaml'), '--workdir', workdir], { log: join(dir, 'a.log') });
    expect(r.code).toBe(2);
    expect(r.output).toMatch(/a job file is at most 4194304 bytes/);
  });

  it('names payload.cwd when it does not exist (#14)', async () => {
    const { dir, workdir } = jobDirs();
    const job = flakyJob(dir, { files: 1, events: 10, extra: {} });
    writeFileSync(
      job,
      `${(await import('node:fs')).readFileSync(job, 'utf8').replace('payload:\n', 'payload:\n  cwd: /nonexistent\n')}`,
    );
    const r = await yoda(['run', job, '--workdir', workdir], { log: join(dir, 'a.log') });
    expect(r.code, r.output).toBe(2);
    expect(r.output).toMatch(/payload.cwd: \/nonexistent does not exist/);
    expect(existsSync(workdir)).toBe(false);
  });
});
