import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  isLeaseHolders,
  publishEndpoint,
  waitForEndpoint,
  type EndpointFile,
} from '../../../src/runtime/rendezvous.js';
import { chooseAddress } from '../../../src/batch/address.js';
import { HeldLease, tryTakeEpoch, type LeaseContent } from '../../../src/workdir/lease.js';

const ep = (over: Partial<EndpointFile>): EndpointFile => ({
  endpoint: 'tcp://10.0.0.1:5555',
  host: 'n1',
  pid: 1,
  run: 1,
  started: new Date().toISOString(),
  launch: 'slurm:7.0',
  curve: true,
  ...over,
});

// A work directory with an endpoint path and a lease folder.
function dirs() {
  const dir = mkdtempSync(join(tmpdir(), 'yoda-rdv-'));
  return { path: join(dir, 'yoda.endpoint.json'), lease: join(dir, 'lease') };
}

const lease = (epoch: number, over: Partial<LeaseContent> = {}): LeaseContent => ({
  epoch,
  host: 'n1',
  pid: 1,
  launch: 'slurm:6.0',
  counter: 0,
  released: false,
  ended: false,
  ...over,
});

describe('rendezvous through the work directory', () => {
  it('waits for the endpoint of this launch and ignores one left by an earlier allocation', async () => {
    const d = dirs();
    publishEndpoint(d.path, ep({ launch: 'slurm:6.0', endpoint: 'tcp://stale:1' }));
    setTimeout(() => publishEndpoint(d.path, ep({})), 300);
    expect((await waitForEndpoint(d.path, d.lease, 'slurm:7.0', 10)).endpoint).toBe('tcp://10.0.0.1:5555');
  });

  it('joins the live lease holder of another allocation (elastic join), but not one whose lease was released', async () => {
    const d = dirs();
    tryTakeEpoch(d.lease, lease(1));
    publishEndpoint(d.path, ep({ launch: 'slurm:6.0', endpoint: 'tcp://other:1', epoch: 1 }));
    expect(isLeaseHolders(ep({ epoch: 1 }), d.lease)).toBe(true);
    expect((await waitForEndpoint(d.path, d.lease, 'slurm:7.0', 10)).endpoint).toBe('tcp://other:1');
    new HeldLease(d.lease, lease(1)).release(false);
    expect(isLeaseHolders(ep({ epoch: 1 }), d.lease)).toBe(false);
    await expect(waitForEndpoint(d.path, d.lease, 'slurm:7.0', 0.5)).rejects.toThrow(/no Yoda endpoint/);
  });

  it('does not join an endpoint of an older epoch than the lease folder holds (the new Yoda has not published yet)', async () => {
    const d = dirs();
    tryTakeEpoch(d.lease, lease(1));
    tryTakeEpoch(d.lease, lease(2));
    publishEndpoint(d.path, ep({ launch: 'slurm:6.0', epoch: 1 }));
    expect(isLeaseHolders(ep({ epoch: 1 }), d.lease)).toBe(false);
    setTimeout(() => publishEndpoint(d.path, ep({ launch: 'slurm:8.0', endpoint: 'tcp://new:2', epoch: 2 })), 300);
    expect((await waitForEndpoint(d.path, d.lease, 'slurm:7.0', 10)).endpoint).toBe('tcp://new:2');
  });

  it('gives up after the timeout with a message saying what to check', async () => {
    const d = dirs();
    await expect(waitForEndpoint(d.path, d.lease, 'slurm:7.0', 0.5)).rejects.toThrow(
      /no Yoda endpoint for this launch \(slurm:7.0\) appeared in .* within 0.5 s: is rank 0 running, and is the work directory on a filesystem all nodes share/,
    );
  });

  it("passes on rank 0's startup error at once", async () => {
    const d = dirs();
    publishEndpoint(d.path, ep({ endpoint: '', error: 'job file x.yaml is not valid' }));
    await expect(waitForEndpoint(d.path, d.lease, 'slurm:7.0', 10)).rejects.toThrow(
      'rank 0 could not start Yoda: job file x.yaml is not valid',
    );
  });
});

describe('bind address', () => {
  it('takes an interface name or an address, and names the interfaces when the choice is wrong', async () => {
    expect(await chooseAddress('lo')).toBe('127.0.0.1');
    await expect(chooseAddress('ib7')).rejects.toThrow(
      /--interface ib7: no such interface .*; it has: .*lo \(127.0.0.1\)/,
    );
    expect(await chooseAddress(undefined)).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  });
});
