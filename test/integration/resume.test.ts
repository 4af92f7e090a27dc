import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Dealer } from 'zeromq';
import { pack } from 'msgpackr';
import { afterEach, describe, expect, it } from 'vitest';
import { checkFlakyOutputs, doneRecords, flakyJob } from './jobs.js';
import { CLI, jobDirs, killAll, killGroup, start, waitFor, workerGroups, yoda, yodaEndpoint } from './proc.js';

afterEach(killAll);

function setup() {
  const { dir, workdir } = jobDirs();
  const job = flakyJob(dir, { files: 4, events: 100, per: 5, env: { FLAKY_SLEEP: '0.04' } });
  return { dir, workdir, job, log: join(dir, 'yoda.log') };
}

const doneCount = (workdir: string) => {
  try {
    return doneRecords(workdir).length;
  } catch {
    return 0;
  }
};

describe('stopping and resuming', () => {
  it('loses only in-flight ranges when the whole tree is SIGKILLed, and the rerun completes with no range done twice', async () => {
    const t = setup();
    const run = start(process.execPath, [CLI, 'run', t.job, '--workdir', t.workdir], { log: t.log });
    await waitFor('10 ranges done', () => doneCount(t.workdir) >= 10);
    const status = JSON.parse((await yoda(['status', t.workdir, '--json'], { log: join(t.dir, 's1.log') })).output);
    expect(status.state).toBe('running');
    expect(status.ranges.assigned).toBeGreaterThan(0);
    expect(status.rate.eventsPerSecond).toBeGreaterThan(0);
    const table = (await yoda(['status', t.workdir], { log: join(t.dir, 's1.txt') })).output;
    expect(table).toMatch(/^state\s+running$/m);
    expect(table).toMatch(/^rate\s+[\d.]+ events\/s in the last run, about [\d:]+ to go$/m);
    killGroup(run.child.pid);
    for (const g of workerGroups(t.workdir)) killGroup(g);
    await run.exit;
    const before = doneCount(t.workdir);
    const after = JSON.parse((await yoda(['status', t.workdir, '--json'], { log: join(t.dir, 's2.log') })).output);
    expect(after.state).toBe('interrupted');
    const rerun = await yoda(['run', t.job, '--workdir', t.workdir], { log: join(t.dir, 'rerun.log') });
    expect(rerun.code, rerun.output).toBe(0);
    expect(rerun.output).toMatch(new RegExp(`resuming job flaky .* 80 ranges of 5 events, ${80 - before} to do`));
    const ids = doneRecords(t.workdir).map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(80);
    expect(checkFlakyOutputs(t.workdir, 4, 100)).toEqual([]);
  });

  it('drains on SIGTERM: exits 4 with ranges left, and the same command finishes the rest', async () => {
    const t = setup();
    const run = start(process.execPath, [CLI, 'run', t.job, '--workdir', t.workdir, '--grace', '30'], { log: t.log });
    await waitFor('10 ranges done', () => doneCount(t.workdir) >= 10);
    process.kill(run.child.pid!, 'SIGTERM');
    expect((await run.exit).code).toBe(4);
    const out = readFileSync(t.log, 'utf8');
    expect(out).toMatch(/stopped early \(received SIGTERM\): \d+ range\(s\) left for the next allocation/);
    expect(workerGroups(t.workdir)).toEqual([]); // every worker exited
    const status = JSON.parse((await yoda(['status', t.workdir, '--json'], { log: join(t.dir, 's.log') })).output);
    expect(status).toMatchObject({ state: 'stopped', ranges: { assigned: 0 } });
    expect(status.ranges.done).toBeGreaterThanOrEqual(10);
    const rerun = await yoda(['run', t.job, '--workdir', t.workdir], { log: join(t.dir, 'rerun.log') });
    expect(rerun.code, rerun.output).toBe(0);
    const ids = doneRecords(t.workdir).map((d) => d.id);
    expect(new Set(ids).size).toBe(80);
    expect(ids).toHaveLength(80);
    expect(checkFlakyOutputs(t.workdir, 4, 100)).toEqual([]);
  });

  it('drops undecodable and ill-shaped frames on Yoda\'s port, counts them, and the job still completes', async () => {
    const t = setup();
    const run = start(process.execPath, [CLI, 'run', t.job, '--workdir', t.workdir], { log: t.log });
    const { endpoint, keys } = await yodaEndpoint(t.workdir);
    const intruder = new Dealer({ routingId: 'intruder', linger: 10_000, curveServerKey: keys.serverPublic, curvePublicKey: keys.clientPublic, curveSecretKey: keys.clientSecret });
    intruder.connect(endpoint);
    const frames = [Buffer.from([0xc1, 0xff, 0x00]), pack({ type: 'report', results: 'nope' }), pack([1, 2, 3]), pack({ type: 'hello', version: 'x' }), Buffer.alloc(0)];
    for (let k = 0; k < 200; k++) await intruder.send(frames[k % frames.length]);
    intruder.close();
    expect((await run.exit).code).toBe(0);
    const out = readFileSync(t.log, 'utf8');
    expect(out).toMatch(/dropped 200 invalid frame\(s\) from 1 peer\(s\)/);
    expect(checkFlakyOutputs(t.workdir, 4, 100)).toEqual([]);
  });
});
