import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Dealer } from 'zeromq';
import { pack, unpack } from 'msgpackr';
import { afterEach, describe, expect, it } from 'vitest';
import { checkFlakyOutputs, doneRecords, gatedJob } from './jobs.js';
import { CLI, jobDirs, killAll, killGroup, start, waitFor, workerGroups, yoda, yodaEndpoint } from './proc.js';

afterEach(killAll);

// 80 ranges of 5 events run by gated.py: exactly `tickets` ranges run, then the job stays running, every
// worker holding a range, until the test opens the gate. No test here races the machine's speed.
function setup(tickets: number) {
  const { dir, workdir } = jobDirs();
  const { job, gate } = gatedJob(dir, { files: 4, events: 100, per: 5, tickets });
  return { dir, workdir, job, gate, log: join(dir, 'yoda.log') };
}

// Yoda's own log in the work directory ('' before it exists).
const yodaLog = (workdir: string) => {
  try {
    return readFileSync(join(workdir, 'logs', 'yoda-rank0.log'), 'utf8');
  } catch {
    return '';
  }
};

const doneCount = (workdir: string) => {
  try {
    return doneRecords(workdir).length;
  } catch {
    return 0;
  }
};

describe('stopping and resuming', () => {
  it('loses only in-flight ranges when the whole tree is SIGKILLed, and the rerun completes with no range done twice', async () => {
    const t = setup(10);
    const run = start(process.execPath, [CLI, 'run', t.job, '--workdir', t.workdir], { log: t.log });
    await waitFor('10 ranges done', () => doneCount(t.workdir) >= 10);
    // The other workers now wait at the gate, holding their ranges: the job is running with ranges in flight.
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
    expect(before).toBe(10); // every range done before the kill stays done; only the ones in flight are lost
    const after = JSON.parse((await yoda(['status', t.workdir, '--json'], { log: join(t.dir, 's2.log') })).output);
    expect(after.state).toBe('interrupted');
    expect(after.ranges.done).toBe(10);
    t.gate.open();
    const rerun = await yoda(['run', t.job, '--workdir', t.workdir], { log: join(t.dir, 'rerun.log') });
    expect(rerun.code, rerun.output).toBe(0);
    expect(rerun.output).toMatch(new RegExp(`resuming job flaky .* 80 ranges of 5 events, ${80 - before} to do`));
    const ids = doneRecords(t.workdir).map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(80);
    expect(checkFlakyOutputs(t.workdir, 4, 100)).toEqual([]);
  });

  it('drains on SIGTERM: exits 4 with ranges left, and the same command finishes the rest', async () => {
    const t = setup(10);
    const run = start(process.execPath, [CLI, 'run', t.job, '--workdir', t.workdir, '--grace', '30'], { log: t.log });
    await waitFor('10 ranges done', () => doneCount(t.workdir) >= 10);
    process.kill(run.child.pid!, 'SIGTERM');
    // Once Yoda drains (no new ranges), release the ranges in flight: they finish within the grace period.
    await waitFor('Yoda to start draining', () => /draining \(/.test(readFileSync(t.log, 'utf8') + yodaLog(t.workdir)));
    t.gate.open();
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

  it("drops undecodable and ill-shaped frames on Yoda's port, counts them, and the job still completes", async () => {
    const t = setup(0); // nothing runs until every frame has been through Yoda
    const run = start(process.execPath, [CLI, 'run', t.job, '--workdir', t.workdir], { log: t.log });
    const { endpoint, keys } = await yodaEndpoint(t.workdir);
    const intruder = new Dealer({
      routingId: 'intruder',
      linger: 10_000,
      curveServerKey: keys.serverPublic,
      curvePublicKey: keys.clientPublic,
      curveSecretKey: keys.clientSecret,
    });
    intruder.connect(endpoint);
    const frames = [
      Buffer.from([0xc1, 0xff, 0x00]),
      pack({ type: 'report', results: 'nope' }),
      pack([1, 2, 3]),
      pack({ type: 'hello', version: 'x' }),
      Buffer.alloc(0),
    ];
    for (let k = 0; k < 200; k++) await intruder.send(frames[k % frames.length]);
    // Then a well-formed message from a peer that never said hello: Yoda refuses it. Frames from one peer
    // arrive in order, so the refusal means all 200 bad frames were taken (and dropped) before it.
    await intruder.send(pack({ type: 'heartbeat' }));
    const [reply] = await intruder.receive();
    expect(unpack(reply)).toMatchObject({ type: 'refuse', reason: expect.stringMatching(/say hello first/) });
    intruder.close();
    t.gate.open();
    expect((await run.exit).code).toBe(0);
    const out = readFileSync(t.log, 'utf8');
    expect(out).toMatch(/dropped 200 invalid frame\(s\) from 1 peer\(s\)/);
    expect(checkFlakyOutputs(t.workdir, 4, 100)).toEqual([]);
  });
});
