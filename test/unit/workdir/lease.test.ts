// The lease: one taker per epoch, staleness judged by the observer's own clock, release, and fencing by a newer epoch.
import { mkdtempSync, readFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  epochPath,
  highestEpoch,
  judgeLease,
  LeaseObserver,
  takeLease,
  tryTakeEpoch,
  type LeaseContent,
} from '../../../src/workdir/lease.js';

const leaseDir = () => join(mkdtempSync(join(tmpdir(), 'yoda-lease-')), 'lease');
// A holder on another host, so the local "is its pid alive" shortcut does not apply.
const who = { host: 'other-node', pid: 1234, launch: 'slurm:1.0' };

describe('work directory lease', () => {
  it('lets exactly one taker win each epoch', () => {
    const dir = leaseDir();
    const content: LeaseContent = { epoch: 1, ...who, counter: 0, released: false, ended: false };
    expect(tryTakeEpoch(dir, content)).toBe(true);
    expect(tryTakeEpoch(dir, { ...content, pid: 99 })).toBe(false);
    expect(highestEpoch(dir)).toBe(1);
    expect(JSON.parse(readFileSync(epochPath(dir, 1), 'utf8')).pid).toBe(1234);
  });

  it("is free when absent, live while renewed, stale after the timeout of unchanged content on the observer's clock", () => {
    const dir = leaseDir();
    const obs = new LeaseObserver(dir, 3, hostname());
    const free = obs.look(0);
    expect(free).toEqual({ state: 'free', epoch: 0, previous: null });
    const held = takeLease(dir, free, who)!;
    expect(held.epoch).toBe(1);
    expect(obs.look(1000).state).toBe('live');
    expect(obs.look(3999).state).toBe('live');
    held.renew(); // content changes: the observer's clock starts again
    expect(obs.look(4000).state).toBe('live');
    expect(obs.look(6999).state).toBe('live');
    const stale = obs.look(7000);
    expect(stale).toEqual(expect.objectContaining({ state: 'free', epoch: 1 }));
    // Two observers racing for the stale lease: one wins epoch 2, the other gets null.
    const a = takeLease(dir, stale, { ...who, pid: 1 });
    const b = takeLease(dir, stale, { ...who, pid: 2 });
    expect([a?.epoch, b]).toEqual([2, null]);
    expect(held.deposed()).toBe(true);
    expect(held.renew()).toBe(false); // a deposed holder writes nothing, not even its own epoch file
    expect(a!.deposed()).toBe(false);
  });

  it('is free at once when released by a drain, and says whether the holder ended the job cleanly', () => {
    const dir = leaseDir();
    const obs = new LeaseObserver(dir, 30, hostname());
    const held = takeLease(dir, obs.look(0), who)!;
    expect(obs.look(1).state).toBe('live');
    held.release(false);
    expect(obs.look(2)).toEqual(
      expect.objectContaining({
        state: 'free',
        epoch: 1,
        previous: expect.objectContaining({ released: true, ended: false }),
      }),
    );
  });

  it('is free at once when the holder is on this host and its process is gone', () => {
    const dir = leaseDir();
    const obs = new LeaseObserver(dir, 30, hostname());
    takeLease(dir, obs.look(0), { host: hostname(), pid: 2 ** 30, launch: null });
    expect(obs.look(1).state).toBe('free');
    takeLease(dir, obs.look(1), { host: hostname(), pid: process.pid, launch: null });
    expect(obs.look(2).state).toBe('live');
  });

  it('judged once for a decision: a holder elsewhere that never renews is free after the timeout, one that renews is live', async () => {
    const dir = leaseDir();
    const held = takeLease(dir, new LeaseObserver(dir, 1, hostname()).look(0), who)!;
    const said: string[] = [];
    // A fresh observer alone would call it live; judged, a holder that does not renew within the timeout is dead.
    expect((await judgeLease(dir, 1, hostname(), (l) => said.push(l))).state).toBe('free');
    expect(said.join('\n')).toMatch(/a Yoda on other-node \(pid 1234, epoch 1\) holds this work directory/);
    const renewing = setInterval(() => held.renew(), 100);
    try {
      expect((await judgeLease(dir, 60, hostname(), () => undefined)).state).toBe('live');
    } finally {
      clearInterval(renewing);
    }
  });
});
