// Starting processes already pinned (native addon: the spawning thread pinned around spawn; fallback: taskset),
// and the Droid's watch: a thread moved off its slot is pinned back, a tree over its memory limit is reported.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadAffinity } from '../../src/native/affinity.js';
import { readAllowed } from '../../src/node/read-topology.js';
import { parseAllowedList } from '../../src/node/thread-masks.js';
import { createPinner, tasksetArgv } from '../../src/payload/pinned-spawn.js';
import { WorkerWatch } from '../../src/droid/watch.js';
import { findOnPath } from '../../src/util/path-lookup.js';
import { findExecHelper } from '../../src/native/exec-helper.js';
import { threadMasks, waitFor } from './proc.js';

const selfAllowed = readAllowed();
const last = [selfAllowed[selfAllowed.length - 1]];
const native = loadAffinity();

let children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children) c.kill('SIGKILL');
  children = [];
});

// The CPUs a process started through `pinner` reports for itself (grep reads its own /proc status).
function childCpus(how: 'native' | 'taskset'): number[] {
  const pinner = createPinner(
    how === 'native' ? native : loadAffinity({ forceFallback: true }),
    findOnPath('taskset') ?? 'taskset',
  );
  const out = pinner.spawn(last, ['grep', 'Cpus_allowed_list', '/proc/self/status'], ([p, ...a]) =>
    spawnSync(p, a, { encoding: 'utf8' }),
  );
  return parseAllowedList(out.stdout)!;
}

function logger(lines: string[]): Logger {
  const keep = (msg: unknown) => void lines.push(String(msg));
  return { warn: keep, info: keep, debug: keep, error: keep } as unknown as Logger;
}

describe('pinned spawn', () => {
  it.runIf(native.native)('native: the child starts on the CPUs, and the Droid thread gets its own mask back', () => {
    const before = native.thread!.get();
    expect(childCpus('native')).toEqual(last);
    expect(native.thread!.get()).toEqual(before);
  });

  it('taskset: the command runs under taskset -c', () => {
    expect(tasksetArgv([0, 1, 2, 5], ['python3', '-u', 'x.py'])).toEqual([
      'taskset',
      '-c',
      '0-2,5',
      'python3',
      '-u',
      'x.py',
    ]);
    expect(childCpus('taskset')).toEqual(last);
  });

  it.runIf(findExecHelper().path !== null)(
    'exec helper: without the addon the helper pins the child before exec, tied to this process',
    () => {
      const pinner = createPinner(loadAffinity({ forceFallback: true }), 'taskset', {
        helper: findExecHelper().path,
        helperPins: true,
      });
      expect(pinner.how).toBe('helper');
      const out = pinner.spawn(last, ['grep', 'Cpus_allowed_list', '/proc/self/status'], ([p, ...a]) =>
        spawnSync(p, a, { encoding: 'utf8' }),
      );
      expect(parseAllowedList(out.stdout)).toEqual(last);
      // Tied to a parent that is not ours: the helper refuses to start the payload (exit 125).
      const orphan = spawnSync(findExecHelper().path!, ['-p', '1', '--', 'true'], { encoding: 'utf8' });
      expect(orphan.status).toBe(125);
    },
  );

  it.runIf(native.native)('native: CPUs this process may not use are refused before anything starts', () => {
    const pinner = createPinner(native);
    let started = false;
    expect(() => pinner.spawn([4095], ['true'], () => (started = true))).toThrow();
    expect(started).toBe(false);
  });
});

describe('worker watch', () => {
  it('pins back a thread that left the slot CPUs and reports a tree over its memory limit once', async () => {
    const child = spawn(
      process.execPath,
      ['-e', 'const b = Buffer.alloc(80 << 20, 1); setInterval(() => b[0]++, 100)'],
      { stdio: 'ignore', detached: true },
    );
    children.push(child);
    const pid = child.pid!;
    const rssKB = () => Number(/VmRSS:\s*(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    const masks = () => [...threadMasks(pid).values()].map((m) => m.join(','));
    await waitFor('the child to hold its memory', () => rssKB() > 80 * 1024);
    execFileSync('taskset', ['-a', '-p', '-c', String(selfAllowed[0]), String(pid)]); // every thread off the slot (when the node has 2+ CPUs)
    const lines: string[] = [];
    const over: [number, number, number, number][] = [];
    const slotCpus = last;
    let samples = 0; // samples the watch has begun (each asks for the workers first)
    const watch = new WorkerWatch({
      workers: () => {
        samples += 1;
        return [{ slot: 3, pid, cpus: slotCpus, limitMB: 50 }];
      },
      overMemory: (...a) => over.push(a),
      affinity: native.impl,
      log: logger(lines),
      intervalMs: 100,
      firstPinCheckMs: 0,
    });
    try {
      await waitFor('the watch to pin every thread back', () => masks().every((m) => m === slotCpus.join(',')));
      await waitFor('the memory report', () => over.length > 0);
      // Samples never overlap: once two more have begun, the one after the report has finished, and a second
      // report (the tree is still over its limit) would be in `over` by now.
      const seen = samples;
      await waitFor('two more samples of the watch', () => samples >= seen + 2);
    } finally {
      watch.stop();
    }
    expect(over).toEqual([[3, pid, expect.any(Number), 50]]);
    expect(over[0][2]).toBeGreaterThan(80);
    if (selfAllowed[0] !== slotCpus[0])
      expect(lines.join('\n')).toMatch(
        /slot 3: \d+ thread\(s\) of process \d+ may run outside the slot's CPUs .*: pinning them back/,
      );
  });
});
