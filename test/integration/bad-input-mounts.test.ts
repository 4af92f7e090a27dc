// Issue 18 #12 and #14: read-only and full file systems give a clear message and exit 2, never a stack trace.
// Needs root (tmpfs mounts); without it the tests are skipped with one line saying why.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { flakyJob } from './jobs.js';
import { killAll, tempDir, yoda } from './proc.js';

const mounted: string[] = [];

function canMount(): string | null {
  const probe = tempDir('yoda-mount-probe-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'pipe' });
    execFileSync('umount', [probe], { stdio: 'pipe' });
    return null;
  } catch (e) {
    return `cannot mount a tmpfs here (${(e as Error).message.split('\n')[0]}): needs root`;
  }
}

const why = canMount();
if (why) console.log(`bad-input-mounts: skipped: ${why}`);

/** A fresh tmpfs of `size` mounted in a temporary directory. */
function tmpfs(size: string): string {
  const dir = tempDir('yoda-mount-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  mounted.push(dir);
  return dir;
}

const readOnly = (dir: string) => execFileSync('mount', ['-o', 'remount,ro', dir]);

afterEach(() => {
  killAll();
  for (const m of mounted.splice(0)) execFileSync('umount', ['-l', m]);
});

describe.skipIf(why !== null)('read-only and full file systems', () => {
  it('a fresh --workdir on a read-only mount says it cannot be created (#14)', async () => {
    const dir = tempDir();
    const job = flakyJob(dir, { files: 1, events: 10 });
    const m = tmpfs('1m');
    readOnly(m);
    const r = await yoda(['run', job, '--workdir', join(m, 'work')], { log: join(dir, 'a.log') });
    expect(r.code, r.output).toBe(2);
    expect(r.output).toMatch(/work directory .*work cannot be used: .*read-only/);
    expect(r.output).not.toMatch(/at .*\.js:\d+/);
  });

  it('resume, status and report on a read-only work directory (#12)', async () => {
    const dir = tempDir();
    const job = flakyJob(dir, { files: 1, events: 10 });
    const m = tmpfs('4m');
    const workdir = join(m, 'work');
    const first = await yoda(['run', job, '--workdir', workdir, '-q'], { log: join(dir, 'a.log') });
    expect(first.code, first.output).toBe(0);
    readOnly(m);
    const again = await yoda(['run', job, '--workdir', workdir], { log: join(dir, 'b.log') });
    expect(again.code, again.output).toBe(2);
    expect(again.output).toMatch(
      /work directory .* cannot be used: resuming needs to write in it: it is on a read-only file system/,
    );
    const status = await yoda(['status', workdir], { log: join(dir, 'c.log') });
    expect(status.code, status.output).toBe(0);
    const report = await yoda(['report', workdir], { log: join(dir, 'd.log') });
    expect(report.code, report.output).toBe(2);
    expect(report.output).toMatch(/cannot write the report .*report.json: the file system is read-only; give --out/);
    const elsewhere = await yoda(['report', workdir, '--out', join(dir, 'r.html')], { log: join(dir, 'e.log') });
    expect(elsewhere.code, elsewhere.output).toBe(0);
  });

  it('a fresh run on a full file system says so and leaves no temporary file (#12)', async () => {
    const dir = tempDir();
    const job = flakyJob(dir, { files: 1, events: 10 });
    const m = tmpfs('256k');
    const workdir = join(m, 'work');
    mkdirSync(workdir);
    try {
      writeFileSync(join(m, 'filler'), Buffer.alloc(1024 * 1024));
    } catch {
      /* full, as wanted */
    }
    const r = await yoda(['run', job, '--workdir', workdir], { log: join(dir, 'a.log') });
    expect(r.code, r.output).toBe(2);
    expect(r.output).toMatch(/work directory .* cannot be used: writing job.json: the file system is full/);
    expect(readdirSync(workdir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(existsSync(join(workdir, 'job.json'))).toBe(false);
  });
});
