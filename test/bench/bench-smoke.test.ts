// Smoke test of `npm run bench -- --quick --json`: it runs end to end and prints a document of the right shape.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../integration/proc.js';

const run = promisify(execFile);

const number = expect.any(Number);

// The stream section: local inputs, prefetch over the slow link, the payload reading remotely; shape only (no timing).
function expectStream(stream: { cases: { case: string; ranges: number }[] }) {
  expect(stream).toMatchObject({ rttMs: number, bandwidthMBps: number, slots: number, files: number, fileMB: number });
  expect(stream.cases.map((c) => c.case)).toEqual(['local', 'prefetch', 'remote-read']);
  for (const c of stream.cases) {
    expect(c).toMatchObject({ utilization: number, wallSeconds: number, ranges: number, firstRangeSeconds: number });
    expect(c).toHaveProperty('processSeconds', number);
    expect(c).toHaveProperty('vsLocalPoints', c.case === 'local' ? null : number);
    expect(c).toHaveProperty('remoteMB', c.case === 'local' ? 0 : number);
    expect(c.ranges).toBeGreaterThan(0);
  }
}

describe('bench --quick --json', () => {
  // The benchmark is built by its own tsconfig into dist-bench/ (global setup builds only dist/).
  beforeAll(async () => {
    await run(
      process.execPath,
      [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'bench', 'tsconfig.json')],
      { cwd: ROOT },
    );
  });

  it('prints one JSON document with every figure of issues 6 and 11, and event streaming', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--expose-gc', join(ROOT, 'dist-bench', 'bench', 'main.js'), '--quick', '--json'],
      {
        cwd: ROOT,
        timeout: 170_000,
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    const r = JSON.parse(stdout);
    expect(r).toMatchObject({ version: 1, quick: true, machine: { cores: number, curve: true } });
    expect(r.ceiling).toMatchObject({
      rangesPerSecond: number,
      roundTripsPerSecond: number,
      p50Ms: number,
      p99Ms: number,
    });
    expect(r.dispatch.length).toBeGreaterThanOrEqual(2);
    for (const row of r.dispatch) {
      expect(row).toMatchObject({
        droids: number,
        rangesPerSecond: number,
        p50Ms: number,
        p99Ms: number,
        yodaCpuMicrosPerRange: number,
        vsCeiling: { rangesPerSecond: number },
      });
    }
    expect(r.scale.droids).toMatchObject({ droids: number, yodaRssMB: number, p99Ms: number });
    expect(r.scale.ranges).toMatchObject({ ranges: number, yodaRssMB: number });
    expect(r.replay).toMatchObject({ ranges: number, seconds: number });
    expect(r.efficiency).toMatchObject({ utilization: number, tailSeconds: number, firstRangeSeconds: number });
    expect(r.efficiency.ranges).toBe(4);
    expect(r).toHaveProperty('efficiencyMontecarlo');
    // --quick runs the montecarlo example on 1 file of 40 events: 2 ranges of 20.
    expect(r.efficiencyMontecarlo).toMatchObject({
      job: 'montecarlo example',
      ranges: 2,
      utilization: number,
      tailSeconds: number,
      processSeconds: number,
    });
    // --quick edge: 100 no-op and 20 x 10 ms tasks, each by the two floors, xargs, mpi4py (when installed), Yoda command
    // and daemon mode; every row compared with its floor.
    const modes = new Set(r.edge.map((e: { mode: string }) => e.mode));
    for (const m of ['sh-loop', 'python-loop', 'xargs', 'command', 'daemon']) expect(modes).toContain(m);
    for (const e of r.edge) {
      expect(e).toMatchObject({
        mode: expect.any(String),
        payload: expect.any(String),
        ranges: number,
        rangeMs: number,
        rangesPerSecond: number,
        vsXargs: number,
        vsFloor: number,
      });
      for (const k of ['utilization', 'vsMpi4py', 'droidCpuMicrosPerRange', 'yodaCpuMicrosPerRange'])
        expect(e).toHaveProperty(k);
      expect(e.rangesPerSecond).toBeGreaterThan(0);
      if (e.mode === 'command' || e.mode === 'daemon') expect(e.yodaCpuMicrosPerRange).toEqual(number);
      if (e.rangeMs > 0) expect(e.utilization).toEqual(number);
    }
    expect(
      r.edge.filter((e: { mode: string }) => e.mode === 'daemon').map((e: { ranges: number }) => e.ranges),
    ).toEqual([100, 20]);
    expectStream(r.stream);
    // Issue 6's 7 targets, then issue 11's for the edge rows of a quick run: command vs xargs, 10 ms utilization x 2;
    // then event streaming's: prefetch within 2 points of local inputs.
    expect(r.targets.map((t: { name: string }) => t.name).length).toBe(11);
    expect(r.targets.at(-1).name).toMatch(/^stream: prefetch vs local inputs/);
    for (const t of r.targets)
      expect(t).toMatchObject({ name: expect.any(String), value: number, met: expect.any(Boolean) });
  }, 180_000);

  it('--stream-only prints the machine and the stream section, nothing else', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--expose-gc', join(ROOT, 'dist-bench', 'bench', 'main.js'), '--stream-only', '--quick', '--json'],
      { cwd: ROOT, timeout: 110_000, maxBuffer: 1024 * 1024 },
    );
    const r = JSON.parse(stdout);
    expect(Object.keys(r).sort()).toEqual(['machine', 'quick', 'stream', 'version']);
    expectStream(r.stream);
  }, 120_000);
});
