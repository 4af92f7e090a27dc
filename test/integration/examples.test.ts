// The shipped examples run end to end (so they never rot), and the Node payload helper works.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkFlakyOutputs, doneRecords, flakyJob, montecarloExample, verifyMontecarlo } from './jobs.js';
import { jobDirs, killAll, ROOT, yoda } from './proc.js';

afterEach(killAll);

describe('examples', () => {
  it('montecarlo: the shipped job and payload, on small inputs, run end to end and verify.py finds them byte-identical to a serial simulation', async () => {
    const { dir, workdir } = jobDirs();
    const job = montecarloExample(dir, { files: 2, events: 40 }); // 4 ranges of 20 events: seconds, not minutes
    const r = await yoda(['run', job, '--workdir', workdir], { log: join(dir, 'run.log') });
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/starting job montecarlo .* 4 ranges of 20 events, 4 to do/);
    const verify = verifyMontecarlo(workdir);
    expect(verify.code, verify.output).toBe(0);
    expect(verify.output).toMatch(/^OK montecarlo: 4 done ranges, 80 events of 2 input files byte-identical/m);
    const table = (await yoda(['status', workdir], { log: join(dir, 'status.log') })).output;
    expect(table).toMatch(/^state\s+complete$/m);
    expect(table).toMatch(/^events\s+80 of 80 done \(100.0%\)$/m);
    expect(table).toMatch(/^nodes \(last run\):\n\s+node\s+ranges\s+events\s+events\/s\s+failures\n\s+\S+\s+4\s+80\s/m);
    const json = JSON.parse((await yoda(['status', workdir, '--json'], { log: join(dir, 'status.json.log') })).output);
    expect(json).toMatchObject({
      state: 'complete',
      ranges: { total: 4, done: 4, ready: 0, assigned: 0, failed: 0, fatal: 0 },
      events: { total: 80, done: 80 },
    });
    expect(json.nodes[0]).toMatchObject({ ranges: 4, events: 80 });
    // verify.py can fail: a corrupted output is caught.
    const first = doneRecords(workdir)[0].out[0];
    writeFileSync(first, readFileSync(first, 'utf8').replace(/\d\.\d{6}/, '9.999999'));
    const bad = verifyMontecarlo(workdir);
    expect(bad.code, bad.output).toBe(1);
    expect(bad.output).toMatch(/^FAIL montecarlo: .*\n.*differs/m);
  });

  // `npm run example` as the README gives it: the full-size job (80 ranges, 1600 events), unchanged. CPU-bound:
  // about 30 s on an idle 2-core VM, 1-2 min on a loaded or 3-4x slower one (job and verify.py's serial
  // re-simulation about half each). The timeout only catches a hang, hence 10 min; the test above checks
  // the same things in seconds.
  it('montecarlo at full size, as `npm run example` runs it: verify.py passes', { timeout: 600_000 }, async () => {
    execFileSync('python3', [join(ROOT, 'examples/montecarlo/make_inputs.py')], { stdio: 'ignore' });
    const { dir, workdir } = jobDirs();
    const r = await yoda(['run', join(ROOT, 'examples/montecarlo/job.yaml'), '--workdir', workdir], {
      log: join(dir, 'run.log'),
    });
    expect(r.code, r.output).toBe(0);
    const verify = verifyMontecarlo(workdir);
    expect(verify.code, verify.output).toBe(0);
    expect(verify.output).toMatch(/^OK montecarlo: 80 done ranges, 1600 events of 4 input files byte-identical/m);
  });

  it('checksum: command mode runs one process per range and writes every event once', async () => {
    const { dir, workdir } = jobDirs();
    const r = await yoda(['run', join(ROOT, 'examples/checksum/job.yaml'), '--workdir', workdir], {
      log: join(dir, 'run.log'),
    });
    expect(r.code, r.output).toBe(0);
    const done = doneRecords(workdir);
    expect(done).toHaveLength(10); // 35 + 52 lines in ranges of 10
    const lines = done.flatMap((d) => readFileSync(d.out[0], 'utf8').trim().split('\n'));
    expect(lines).toHaveLength(87);
    expect(new Set(lines.map((l) => l.split(' ').slice(0, 2).join(' '))).size).toBe(87);
    rmSync(workdir, { recursive: true, force: true });
  });

  it('the Node payload helper speaks the worker protocol', async () => {
    const { dir, workdir } = jobDirs();
    const job = flakyJob(dir, { files: 2, events: 30, per: 5 });
    const spec = readFileSync(job, 'utf8').replace(
      /command:\n(\s+)- python3\n\s+- .*flaky.py/,
      `command:\n$1- node\n$1- ${join(ROOT, 'test/fixtures/payloads/node-payload.mjs')}`,
    );
    writeFileSync(job, spec);
    expect(spec).toContain('node-payload.mjs');
    const r = await yoda(['run', job, '--workdir', workdir], { log: join(dir, 'run.log') });
    expect(r.code, r.output).toBe(0);
    expect(checkFlakyOutputs(workdir, 2, 30)).toEqual([]);
  });
});
