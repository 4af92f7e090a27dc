// The output rules of a done report, and the worker log cap, on real files in a temp directory.
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { outputChecker } from '../../../src/payload/outputs.js';
import { capLog, workerLogCap } from '../../../src/payload/log-cap.js';

function places() {
  const root = mkdtempSync(join(tmpdir(), 'yoda-outputs-'));
  const workdir = join(root, 'work');
  const outputDir = join(workdir, 'outputs');
  mkdirSync(outputDir, { recursive: true });
  return { root, places: { cwd: root, workdir, outputDir } };
}
const done = (outputs: string[]) => ({ type: 'done' as const, id: 'r', outputs, cpu: 1, wall: 1 });

describe('outputChecker', () => {
  it('accepts fresh regular files inside the output or work directory, resolving relative paths', async () => {
    const { places: p } = places();
    writeFileSync(join(p.outputDir, 'a.out'), 'a');
    writeFileSync(join(p.workdir, 'b.out'), 'b');
    const r = await outputChecker(p)(done(['work/outputs/a.out', join(p.workdir, 'b.out')]), Date.now());
    expect(r).toEqual(done([join(p.outputDir, 'a.out'), join(p.workdir, 'b.out')]));
  });

  it('refuses no output, a directory, a file outside, a link to one, a missing file and a stale file, saying which', async () => {
    const { root, places: p } = places();
    writeFileSync(join(root, 'outside.out'), 'x');
    symlinkSync(join(root, 'outside.out'), join(p.outputDir, 'link.out'));
    const stale = join(p.outputDir, 'stale.out');
    writeFileSync(stale, 'x');
    utimesSync(stale, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    const cases: [string[], string, RegExp][] = [
      [[], 'ERR_OUTPUT_INVALID', /no output/],
      [[p.outputDir], 'ERR_OUTPUT_INVALID', /not a regular file/],
      [['/etc/hostname'], 'ERR_OUTPUT_INVALID', /outside the output directory/],
      [[join(root, 'outside.out')], 'ERR_OUTPUT_INVALID', /outside/],
      [[join(p.outputDir, 'link.out')], 'ERR_OUTPUT_INVALID', /a link to .*outside the output directory/],
      [[join(p.outputDir, 'missing.out')], 'ERR_OUTPUT_MISSING', /does not exist/],
      [[stale], 'ERR_OUTPUT_INVALID', /before this attempt began/],
    ];
    for (const [outputs, code, why] of cases) {
      const r = await outputChecker(p)(done(outputs), Date.now());
      expect(r).toMatchObject({ type: 'failed', id: 'r', code });
      if (r.type === 'failed') expect(r.message).toMatch(why);
    }
  });
});

describe('worker log cap', () => {
  it('keeps the head, a note and the tail; leaves a log under the cap alone', () => {
    const { root } = places();
    const log = join(root, 'w.log');
    writeFileSync(log, `HEAD${'x'.repeat(100_000)}TAIL`);
    expect(capLog(log, 200_000)).toBe(0);
    const removed = capLog(log, 40_000);
    const text = readFileSync(log, 'utf8');
    expect(text.startsWith('HEAD')).toBe(true);
    expect(text.endsWith('TAIL')).toBe(true);
    expect(text.length).toBeLessThan(40_000);
    expect(text).toContain(`${removed} bytes cut here`);
    expect(removed).toBe(100_008 - 20_000);
  });

  it('reads the cap from YODA_WORKER_LOG_MAX_MB (default 100 MB, 0 = off)', () => {
    expect(workerLogCap({})).toBe(100 * 1024 * 1024);
    expect(workerLogCap({ YODA_WORKER_LOG_MAX_MB: '1' })).toBe(1024 * 1024);
    expect(workerLogCap({ YODA_WORKER_LOG_MAX_MB: '0' })).toBeNull();
  });
});
