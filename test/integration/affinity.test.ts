// Pins the threads of a real child process (native addon and taskset fallback) and reads the result
// back from /proc/PID/task/*/status, including a thread the child creates after it was pinned.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { addonPath, loadAffinity, type Affinity } from '../../src/native/affinity.js';
import { findPackageRoot } from '../../src/util/package-root.js';
import { readAllowed } from '../../src/node/read-topology.js';
import { findOnPath } from '../../src/util/path-lookup.js';
import { killGroup, threadMasks } from './proc.js';

// The child: node with its usual helper threads; each line on stdin starts one more thread (a Worker).
const CHILD = `
const { Worker } = require('node:worker_threads');
process.stdin.on('data', () => {
  new Worker('setInterval(() => {}, 1000)', { eval: true }).on('online', () => process.stdout.write('spawned\\n'));
});
setInterval(() => {}, 1000);
process.stdout.write('ready\\n');
`;

const selfAllowed = readAllowed();
const target = [selfAllowed[selfAllowed.length - 1]];

let children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children) killGroup(c.pid);
  children = [];
});

// Starts the child in its own process group and resolves once it printed `ready`.
async function startChild(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', CHILD], { detached: true, stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  await nextLine(child, 'ready');
  return child;
}

function nextLine(child: ChildProcess, want: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = '';
    // A hang guard only: the child prints at once; the bound absorbs a slow, loaded machine.
    const timer = setTimeout(() => reject(new Error(`child did not print "${want}" within 60 s`)), 60_000);
    const onData = (d: Buffer) => {
      buf += d.toString();
      if (!buf.split('\n').includes(want)) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve();
    };
    child.stdout!.on('data', onData);
  });
}

// The shared scenario: pin all threads, check each, then start a thread and check that it inherited.
async function pinAllAndSpawn(impl: Affinity): Promise<void> {
  const child = await startChild();
  const pid = child.pid!;
  const before = threadMasks(pid);
  expect(before.size).toBeGreaterThan(1);
  for (const mask of before.values()) expect(mask).toEqual(selfAllowed);

  const pinned = await impl.pinAllThreads(pid, target);
  expect(pinned).toBeGreaterThanOrEqual(before.size);
  for (const [tid, mask] of threadMasks(pid)) expect({ tid, mask }).toEqual({ tid, mask: target });
  expect(await impl.getAffinity(pid)).toEqual(target);

  child.stdin!.write('go\n');
  await nextLine(child, 'spawned');
  const after = threadMasks(pid);
  const fresh = [...after.keys()].filter((tid) => !before.has(tid));
  expect(fresh.length).toBeGreaterThan(0);
  for (const [tid, mask] of after) expect({ tid, mask }).toEqual({ tid, mask: target });
}

// Build the addon when it is missing (as `npm install` would); skip the native tests only if that fails.
const built = existsSync(addonPath())
  ? 'already built'
  : execFileSync(process.execPath, [join(findPackageRoot(), 'scripts', 'build-native.mjs')], {
      encoding: 'utf8',
    }).trim();
const loaded = loadAffinity();
if (!loaded.native) console.warn(`skipping native affinity tests: ${built}; ${loaded.why}`);

describe.skipIf(!loaded.native)('native addon (sched_setaffinity)', () => {
  it(`pins every thread of a child to CPU ${target}, and a thread created afterwards inherits it`, async () => {
    await pinAllAndSpawn(loaded.impl);
  });

  it('setAffinity pins one thread only; threads that thread creates inherit its mask', async () => {
    const child = await startChild();
    const pid = child.pid!;
    const before = threadMasks(pid);
    await loaded.impl.setAffinity(pid, target); // the main thread (tid == pid)
    const masks = threadMasks(pid);
    expect(masks.get(pid)).toEqual(target);
    if (selfAllowed.length > 1) expect([...masks.values()].filter((m) => m.length > 1).length).toBe(before.size - 1);
    child.stdin!.write('go\n');
    await nextLine(child, 'spawned');
    const fresh = [...threadMasks(pid)].filter(([tid]) => !before.has(tid));
    expect(fresh.length).toBeGreaterThan(0);
    for (const [tid, mask] of fresh) expect({ tid, mask }).toEqual({ tid, mask: target });
  });

  it('accepts CPU ids beyond 1024 (CPU_ALLOC): ids the kernel does not have are dropped', async () => {
    const child = await startChild();
    await loaded.impl.setAffinity(child.pid!, [...target, 1500]);
    expect(await loaded.impl.getAffinity(child.pid!)).toEqual(target);
  });

  it('reads the calling thread with pid 0', async () => {
    expect(await loaded.impl.getAffinity(0)).toEqual(selfAllowed);
  });
});

const hasTaskset = findOnPath('taskset') !== null;
if (!hasTaskset) console.warn('skipping taskset fallback test: taskset is not on PATH');

describe.skipIf(!hasTaskset)('taskset fallback (forced)', () => {
  it(`pins every thread of a child to CPU ${target} with taskset -a, and a later thread inherits it`, async () => {
    await pinAllAndSpawn(loadAffinity({ forceFallback: true }).impl);
  });
});
