// `yoda status` workers: node files of live Droids are listed, those of gone Droids and earlier runs dropped.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeNodeFile, type NodeFile } from '../../../src/droid/node-file.js';
import { nodeFilePath } from '../../../src/workdir/paths.js';
import { droidIsLive, liveWorkers } from '../../../src/status/workers.js';

const dir = mkdtempSync(join(tmpdir(), 'yoda-workers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = (o: Partial<NodeFile>): NodeFile => ({
  node: 'n0',
  host: hostname(),
  rank: 0,
  droid: 'd',
  droidPid: process.pid,
  pinning: 'native',
  writtenAt: new Date().toISOString(),
  workers: [
    {
      node: o.node ?? 'n0',
      slot: 0,
      pid: process.pid,
      cpus: [0],
      gpus: [],
      cores: 1,
      mode: 'daemon',
      startedAt: '',
      log: '/l',
      memoryLimitMB: null,
    },
  ],
  ...o,
});

describe('live workers', () => {
  it('lists the workers of live Droids on this host, drops dead Droids and unreadable files', () => {
    writeNodeFile(nodeFilePath(dir, 'n0', 0), file({}));
    writeNodeFile(nodeFilePath(dir, 'n1', 1), file({ node: 'n1', rank: 1, droidPid: 2 ** 30 }));
    writeFileSync(join(dir, 'nodes', 'torn.rank2.json'), '{"node": "n2", "wor');
    expect(liveWorkers(dir, null)).toEqual([
      expect.objectContaining({
        node: 'n0',
        slot: 0,
        pid: process.pid,
        cpus: [0],
        gpus: [],
        rank: 0,
        host: hostname(),
      }),
    ]);
  });

  it('a worker whose process is gone is left out; no nodes directory means no workers', () => {
    writeNodeFile(nodeFilePath(dir, 'n0', 0), file({ workers: [{ ...file({}).workers[0], pid: 2 ** 30 }] }));
    expect(liveWorkers(dir, null)).toEqual([]);
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    expect(liveWorkers(empty, null)).toEqual([]);
  });

  it('on another host, a file older than the current run is from an earlier run', () => {
    const started = Date.parse('2026-01-01T12:00:00Z');
    const other = file({ host: 'elsewhere', writtenAt: '2026-01-01T11:00:00Z' });
    expect(droidIsLive(other, 'here', started)).toBe(false);
    expect(droidIsLive({ ...other, writtenAt: '2026-01-01T12:00:05Z' }, 'here', started)).toBe(true);
    expect(droidIsLive(other, 'here', null)).toBe(true);
    expect(droidIsLive(file({}), hostname(), started, () => false)).toBe(false);
  });
});
