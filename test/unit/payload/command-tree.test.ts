// Command mode with real processes: what a command leaves behind goes with it, whether it stayed in the command's
// process group (killed at once) or left it with setsid (found by its token in the next /proc sweep).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCommandWorker } from '../../../src/payload/command-worker.js';
import type { Pinner } from '../../../src/payload/pinned-spawn.js';
import type { WorkerReport } from '../../../src/protocol/worker.js';
import type { WorkerHandle } from '../../../src/payload/worker.js';
import type { WorkerSetup } from '../../../src/payload/worker-env.js';
import { waitFor } from '../../integration/proc.js';

/** The process runs (a zombie waiting for its reaper runs nothing). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

// Starts processes as they are: pinning is tested elsewhere (pinned-spawn, affinity).
const plain: Pinner = { how: 'taskset', measures: false, spawn: (_cpus, argv, start) => start(argv) };

const dirs: string[] = [];
const workers: WorkerHandle[] = [];
const left: number[] = [];
afterEach(() => {
  for (const w of workers.splice(0)) w.kill();
  for (const pid of left.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone, as it should be */
    }
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Runs one range of `script` (sh -c) in a command-mode slot; resolves to its report and the pid it wrote to `pid`. */
async function runOne(script: string): Promise<{ report: WorkerReport; child: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'yoda-cmdtree-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'out'));
  const w: WorkerSetup = {
    command: ['/bin/sh', '-c', script, 'sh', '{output}', join(dir, 'pid')],
    mode: 'command',
    cwd: dir,
    env: {},
    workdir: dir,
    outputDir: join(dir, 'out'),
    outputTemplate: '{range}.out',
    node: 'n0',
    slot: 0,
    cpus: [0],
    gpus: [],
    slotEnv: {},
    pinner: plain,
    log: join(dir, 'slot.log'),
    startTimeoutSeconds: 5,
  };
  const reports: WorkerReport[] = [];
  const handle = startCommandWorker(w, {
    report: (r) => reports.push(r),
    broken: () => undefined,
    exited: () => undefined,
  });
  workers.push(handle);
  await waitFor('ready', () => reports.length === 1);
  handle.feed([{ i: 0, id: 'f:0-9', file: '/f', first: 0, last: 9, attempt: 1 }]);
  await waitFor('the report', () => reports.length >= 2, 10_000);
  const child = Number(readFileSync(join(dir, 'pid'), 'utf8'));
  left.push(child);
  expect(existsSync(w.log)).toBe(true);
  return { report: reports[1], child };
}

describe('command mode: a command takes its children with it', () => {
  it('a child left in the process group is killed as the command exits', async () => {
    const { report, child } = await runOne('sleep 300 & echo $! > "$2"; touch "$1"');
    expect(report).toMatchObject({ type: 'done', id: 'f:0-9' });
    await waitFor('the child to be killed', () => !running(child), 5_000);
  });

  it('a child that left the group with setsid is killed by the sweep, without delaying the report', async () => {
    const { report, child } = await runOne('setsid sleep 300 & echo $! > "$2"; touch "$1"');
    expect(report).toMatchObject({ type: 'done', id: 'f:0-9' });
    await waitFor('the setsid child to be killed', () => !running(child), 5_000);
  });

  it('writes a header per range into the slot log, and the command output after it', async () => {
    const { report } = await runOne('echo "$$" > "$2"; echo hello from the command; touch "$1"');
    expect(report.type).toBe('done');
    const log = readFileSync(join(dirs[0], 'slot.log'), 'utf8');
    expect(log).toMatch(/==== yoda: \S+ range f:0-9: \/bin\/sh -c .*\nhello from the command\n/);
  });
});
