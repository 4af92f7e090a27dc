// After a kill -9: status says the ranges were in flight when the run stopped (not "running"), and the report
// calls the killed run interrupted and counts only the runs' time as active.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterEach, expect, it } from 'vitest';
import { CLI, jobDirs, killAll, killGroup, ROOT, start, waitFor, yoda } from './proc.js';

afterEach(killAll);

it('a killed run: status says in flight when the run stopped; the report says interrupted and counts run time only', async () => {
  const { dir, workdir } = jobDirs();
  const rec = join(dir, 'rec');
  mkdirSync(rec);
  mkdirSync(join(dir, 'in'));
  writeFileSync(join(dir, 'in', 'f0.txt'), 'x\n');
  const job = join(dir, 'job.yaml');
  writeFileSync(
    job,
    stringify({
      name: 'killed',
      inputs: [{ files: 'in/f0.txt', events: 10 }],
      eventsPerRange: 5,
      payload: {
        command: ['python3', join(ROOT, 'test/fixtures/payloads/contract.py')],
        workers: 2,
        env: { CONTRACT_DIR: rec, CONTRACT_MODE: 'hold' },
      },
    }),
  );
  const run = start(process.execPath, [CLI, 'run', job, '--workdir', workdir], { log: join(dir, 'run1.log') });
  await waitFor(
    'two workers holding a range',
    () => readdirSync(rec).filter((f) => f.startsWith('held.')).length === 2,
  );
  killGroup(run.child.pid, 'SIGKILL');
  await run.exit;
  const table = execFileSync(process.execPath, [CLI, 'status', workdir], { encoding: 'utf8' });
  expect(table).toMatch(/state\s+interrupted/);
  expect(table).toMatch(/0 done, 2 in flight when the run stopped/);
  expect(table).not.toMatch(/\d+ running/);

  writeFileSync(join(rec, 'release'), '');
  const r = await yoda(['run', job, '--workdir', workdir], { log: join(dir, 'run2.log') });
  expect(r.code, r.output).toBe(0);
  execFileSync(process.execPath, [CLI, 'report', workdir], { encoding: 'utf8' });
  const report = JSON.parse(readFileSync(join(workdir, 'report.json'), 'utf8')) as {
    runs: { outcome: string | null; start: number; end: number }[];
    totals: { activeSeconds: number };
  };
  expect(report.runs.map((x) => x.outcome)).toEqual(['interrupted', 'complete']);
  const runSeconds = report.runs.reduce((s, x) => s + (x.end - x.start) / 1000, 0);
  expect(report.totals.activeSeconds).toBeCloseTo(runSeconds, 2);
  expect(report.totals.activeSeconds).toBeLessThan((report.runs[1].end - report.runs[0].start) / 1000);
});
