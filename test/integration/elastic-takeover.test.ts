// A take-over with a third allocation joined: the process that becomes the new Yoda must welcome its own Droid (the
// Droid it already ran beside the old Yoda), not leave it waiting for a Yoda that finished the job with the other
// allocation's Droid (issue 17: "joining the new Yoda, still holding 0 range(s)", then "lost Yoda: silent for 60 s").
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkFlakyOutputs, doneRecords, gatedJob, journalRecords } from './jobs.js';
import { CLI, jobDirs, killAll, start, waitFor, type Started } from './proc.js';

afterEach(killAll);

// A short lease so take-overs happen within seconds (the default is 20 s).
const ENV = { YODA_LEASE_TIMEOUT: '3' };

const text = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : '');

describe('a take-over with another allocation joined', () => {
  it.each([
    ['SIGUSR1', 'released'],
    ['SIGKILL', 'stale'],
  ] as const)(
    'after %s of the first Yoda, the run that takes over welcomes its own Droid and every run exits promptly with 0',
    async (signal, how) => {
      const { dir, workdir } = jobDirs('yoda-takeover-');
      const { job, gate } = gatedJob(dir, { files: 2, events: 40, per: 5, tickets: 4 });
      const run = (name: string): Started =>
        start(process.execPath, [CLI, 'run', job, '--workdir', workdir], { log: join(dir, `${name}.log`), env: ENV });
      const a = run('a');
      await waitFor('4 ranges done by the first run', () => doneRecords(workdir).length >= 4);
      const b = run('b');
      const c = run('c');
      await waitFor(
        'both other runs to join',
        () => (text(a.log).match(/joined from \S+ from another allocation/g) ?? []).length === 2,
      );
      process.kill(a.child.pid!, signal);
      // The gate opens before the take-over: once a new Yoda exists, the other run's Droid can finish the job within
      // moments, which is when the new Yoda's own Droid used to be left behind.
      gate.open();
      const takeover = new RegExp(`took the job over as Yoda \\(epoch 2\\) .*${how}`);
      const [yoda, other] = await waitFor(
        'a run to take the job over',
        () => {
          if (takeover.test(text(b.log))) return [b, c];
          if (takeover.test(text(c.log))) return [c, b];
          return null;
        },
        20_000,
      );
      const codes = await Promise.all([yoda.exit, other.exit]);
      const logs = [yoda, other].map((r) => text(r.log)).join('\n----\n');
      expect(
        codes.map((e) => e.code),
        logs,
      ).toEqual([0, 0]);
      expect(logs).not.toMatch(/lost Yoda/);
      expect(text(yoda.log)).toMatch(/welcomed by the new Yoda of job flaky|Yoda finished before this Droid joined/);
      // The new Yoda's journal: its own Droid joined it (a join of epoch 2 from its own launch), as did the other run's.
      const records = journalRecords(workdir);
      const run2 = records.find((r) => r.t === 'run' && r.e === 2) as { launch: string } | undefined;
      expect(run2?.launch).toContain(String(yoda.child.pid));
      const joins2 = records.filter((r) => r.t === 'join' && r.e === 2).map((r) => (r as { launch: string }).launch);
      expect(joins2).toContain(run2!.launch);
      if (signal === 'SIGUSR1') expect((await a.exit).code, text(a.log)).toBe(4);
      const ids = doneRecords(workdir).map((r) => r.i);
      expect(new Set(ids).size).toBe(16);
      expect(ids).toHaveLength(16);
      expect(checkFlakyOutputs(workdir, 2, 40)).toEqual([]);
    },
    90_000,
  );
});
