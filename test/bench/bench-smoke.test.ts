// Smoke test of `npm run bench -- --quick --json`: it runs end to end and prints a document of the right shape.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../integration/proc.js';

const run = promisify(execFile);

const number = expect.any(Number);

describe('bench --quick --json', () => {
  // The benchmark is built by its own tsconfig into dist-bench/ (global setup builds only dist/).
  beforeAll(async () => {
    await run(
      process.execPath,
      [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'bench', 'tsconfig.json')],
      { cwd: ROOT },
    );
  });

  it('prints one JSON document with every figure of issues 6 and 11', async () => {
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
    // Issue 6's 7 targets, then issue 11's for the edge rows of a quick run: command vs xargs, 10 ms utilization x 2.
    expect(r.targets.map((t: { name: string }) => t.name).length).toBe(10);
    for (const t of r.targets)
      expect(t).toMatchObject({ name: expect.any(String), value: number, met: expect.any(Boolean) });
  }, 180_000);
});
