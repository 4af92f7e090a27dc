import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { publishEndpoint, waitForEndpoint, type EndpointFile } from '../../../src/runtime/rendezvous.js';
import { chooseAddress } from '../../../src/batch/address.js';

const ep = (over: Partial<EndpointFile>): EndpointFile => ({
  endpoint: 'tcp://10.0.0.1:5555', host: 'n1', pid: 1, run: 1, started: new Date().toISOString(), launch: 'slurm:7.0', curve: true, ...over,
});

describe('rendezvous through the work directory', () => {
  it('waits for the endpoint of this launch and ignores one left by an earlier allocation', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'yoda-rdv-')), 'yoda.endpoint.json');
    publishEndpoint(path, ep({ launch: 'slurm:6.0', endpoint: 'tcp://stale:1' }));
    setTimeout(() => publishEndpoint(path, ep({})), 300);
    expect((await waitForEndpoint(path, 'slurm:7.0', 10)).endpoint).toBe('tcp://10.0.0.1:5555');
  });

  it('gives up after the timeout with a message saying what to check', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'yoda-rdv-')), 'yoda.endpoint.json');
    await expect(waitForEndpoint(path, 'slurm:7.0', 0.5)).rejects.toThrow(/no Yoda endpoint for this launch \(slurm:7.0\) appeared in .* within 0.5 s: is rank 0 running, and is the work directory on a filesystem all nodes share/);
  });

  it('passes on rank 0\'s startup error at once', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'yoda-rdv-')), 'yoda.endpoint.json');
    publishEndpoint(path, ep({ endpoint: '', error: 'job file x.yaml is not valid' }));
    await expect(waitForEndpoint(path, 'slurm:7.0', 10)).rejects.toThrow('rank 0 could not start Yoda: job file x.yaml is not valid');
  });
});

describe('bind address', () => {
  it('takes an interface name or an address, and names the interfaces when the choice is wrong', async () => {
    expect(await chooseAddress('lo')).toBe('127.0.0.1');
    expect(await chooseAddress('10.1.2.3')).toBe('10.1.2.3');
    await expect(chooseAddress('ib7')).rejects.toThrow(/--interface ib7: no such interface .*; it has: .*lo \(127.0.0.1\)/);
    expect(await chooseAddress(undefined)).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  });
});
