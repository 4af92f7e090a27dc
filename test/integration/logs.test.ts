// Logs worth reading: a batch run prints a bounded number of progress lines, and log volume does not grow with ranges.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { flakyJob } from './jobs.js';
import { jobDirs, killAll, yoda } from './proc.js';

afterEach(killAll);

async function run(events: number, per: number, args: string[] = [], env: Record<string, string> = {}) {
  const { dir, workdir } = jobDirs();
  const job = flakyJob(dir, { files: 2, events, per, env });
  const started = Date.now();
  const r = await yoda(['run', job, '--workdir', workdir, ...args], { log: join(dir, 'out.log') });
  expect(r.code, r.output).toBe(0);
  const rankLog = readFileSync(join(workdir, 'logs', 'yoda-rank0.log'), 'utf8')
    .trim()
    .split('\n');
  return { output: r.output, rankLog, seconds: (Date.now() - started) / 1000 };
}

describe('logs', () => {
  it('a batch run (no terminal) prints one progress line per --progress interval, never one per range', async () => {
    const r = await run(60, 1, ['--progress', '1'], { FLAKY_SLEEP: '0.05' });
    const progress = r.output.split('\n').filter((l) => l.includes('progress: '));
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress.length).toBeLessThanOrEqual(Math.ceil(r.seconds) + 1);
    expect(progress[0]).toMatch(
      /progress: \d+\/120 ranges, \d+\/120 events \(.*%\), [\d.]+ events\/s, ETA [\d:?]+, \d\/\d workers busy/,
    );
    expect(r.output).not.toContain('\r'); // no terminal control characters in a batch log
  });

  it('at the default level the log does not grow with the number of ranges', async () => {
    const small = await run(10, 5); // 4 ranges
    const large = await run(200, 1); // 400 ranges
    expect(large.rankLog.length).toBeLessThanOrEqual(small.rankLog.length + 2);
    const lines = large.rankLog.map((l) => JSON.parse(l));
    expect(lines.every((l) => l.rank === 0 && typeof l.node === 'string' && typeof l.msg === 'string')).toBe(true);
    expect(new Set(lines.map((l) => l.role))).toEqual(new Set([undefined, 'yoda', 'droid']));
  });
});
