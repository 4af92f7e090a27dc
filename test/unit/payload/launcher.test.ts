// The launcher of a command-mode slot (the exec helper in serve mode) with real processes: it runs each range's
// command in the command's own process group, measures its CPU, lets a drain or kill reach the command even before
// its pid is known, is reported as a broken worker when it dies, and exits when its pipe closes or its parent dies.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadAffinity } from '../../../src/native/affinity.js';
import { findExecHelper } from '../../../src/native/exec-helper.js';
import { readAllowed } from '../../../src/node/read-topology.js';
import { CommandLauncher } from '../../../src/payload/command-launcher.js';
import { startCommandWorker } from '../../../src/payload/command-worker.js';
import { createPinner, type Pinner } from '../../../src/payload/pinned-spawn.js';
import type { WorkerHandle } from '../../../src/payload/worker.js';
import type { WorkerSetup } from '../../../src/payload/worker-env.js';
import type { WorkerReport } from '../../../src/protocol/worker.js';
import { findOnPath } from '../../../src/util/path-lookup.js';
import { waitFor } from '../../integration/proc.js';

const helper = findExecHelper().path;
const allowed = readAllowed();
const slotCpus = [allowed[allowed.length - 1]];

/** The process exists and is not a zombie. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** A number a command wrote into `path`, once it is there. */
function numberIn(path: string): number | undefined {
  try {
    const text = readFileSync(path, 'utf8');
    return text.endsWith('\n') ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}

const dirs: string[] = [];
const workers: WorkerHandle[] = [];
const launchers: CommandLauncher[] = [];
const left: number[] = [];
afterEach(() => {
  for (const w of workers.splice(0)) w.kill();
  for (const l of launchers.splice(0)) l.kill();
  for (const pid of left.splice(0)) {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        /* gone, as it should be */
      }
    }
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const taskset = findOnPath('taskset');
const native = loadAffinity();
/** The ways a launcher can be pinned: the addon pins the spawning thread, the helper pins itself, or taskset. */
const pinners: [string, Pinner][] = [
  ...(native.native
    ? [['native addon', createPinner(native, taskset ?? 'taskset', { helper })] as [string, Pinner]]
    : []),
  ['exec helper', createPinner(loadAffinity({ forceFallback: true }), 'taskset', { helper })],
  ...(taskset
    ? [
        ['taskset', createPinner(loadAffinity({ forceFallback: true }), taskset, { helper, helperPins: false })] as [
          string,
          Pinner,
        ],
      ]
    : []),
];

function setup(command: string[], pinner: Pinner = pinners[0][1]): WorkerSetup {
  const dir = mkdtempSync(join(tmpdir(), 'yoda-launcher-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'out'));
  return {
    command,
    mode: 'command',
    cwd: dir,
    env: { LAUNCHER_TEST: 'yes' },
    workdir: dir,
    outputDir: join(dir, 'out'),
    outputTemplate: '{range}.out',
    node: 'n0',
    slot: 0,
    cpus: slotCpus,
    gpus: [],
    slotEnv: {},
    pinner,
    log: join(dir, 'slot.log'),
    startTimeoutSeconds: 5,
  };
}

interface Slot {
  w: WorkerSetup;
  dir: string;
  handle: WorkerHandle;
  reports: WorkerReport[];
  broken: string[];
  exits: { code: number | null; signal: string | null }[];
}

/** A command-mode slot running `sh -c script sh {output} <dir> {range}`. */
async function slot(script: string, pinner?: Pinner): Promise<Slot> {
  const w = setup([], pinner);
  w.command = ['/bin/sh', '-c', script, 'sh', '{output}', w.cwd, '{range}'];
  const s: Slot = { w, dir: w.cwd, handle: undefined as unknown as WorkerHandle, reports: [], broken: [], exits: [] };
  s.handle = startCommandWorker(w, {
    report: (r) => s.reports.push(r),
    broken: (why) => s.broken.push(why),
    exited: (code, signal) => s.exits.push({ code, signal }),
  });
  workers.push(s.handle);
  await waitFor('ready', () => s.reports.length === 1);
  return s;
}

const range = (n: number) => ({ i: n, id: `f:${n}-${n}`, file: '/f', first: n, last: n, attempt: 1 });

describe.runIf(helper !== null)('command mode through the slot launcher', () => {
  it.each(pinners)(
    'runs each range in its own process group under one launcher, pinned (%s), with its token, and measures its CPU',
    async (_how, pinner) => {
      expect(pinner.how).toBe(_how === 'native addon' ? 'native' : _how === 'exec helper' ? 'helper' : 'taskset');
      // Burns some CPU in the shell itself, then writes what it sees of itself.
      const s = await slot(
        'i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done; ' +
          'echo "$$ $(ps -o pgid= -p $$ | tr -d " ") $PPID $YODA_WORKER_TOKEN $LAUNCHER_TEST" > "$1"; ' +
          'grep Cpus_allowed_list /proc/self/status >> "$1"; echo out of range $3',
        pinner,
      );
      s.handle.feed([range(1)]);
      await waitFor('the first report', () => s.reports.length >= 3);
      s.handle.feed([range(2)]);
      await waitFor('the second report', () => s.reports.length >= 5);
      const done = s.reports.filter((r) => r.type === 'done');
      expect(done).toHaveLength(2);
      const seen = done.map((r) => readFileSync(r.type === 'done' ? r.outputs[0] : '', 'utf8'));
      const parents = new Set<string>();
      for (const [k, text] of seen.entries()) {
        const [pid, pgid, ppid, token, extra] = text.split('\n')[0].split(' ');
        expect(pgid).toBe(pid); // its own process group, for drains and kills
        expect(Number(ppid)).not.toBe(process.pid); // forked by the launcher, not by this process
        parents.add(ppid);
        expect(token).toMatch(new RegExp(`^${process.pid}\\.n0\\.0\\.\\d+$`));
        expect(extra).toBe('yes');
        expect(text).toMatch(new RegExp(`Cpus_allowed_list:\\s+${slotCpus[0]}\\n`));
        const r = done[k];
        expect(r.type === 'done' && r.cpu).toBeGreaterThan(0);
      }
      expect(parents.size).toBe(1); // one launcher for the slot
      const tokens = new Set(seen.map((t) => t.split(' ')[3]));
      expect(tokens.size).toBe(2); // a token per range
      const log = readFileSync(s.w.log, 'utf8');
      expect(log).toMatch(/==== yoda: \S+ range f:1-1: \/bin\/sh -c .*\nout of range f_1-1\n/s);
      expect(log).toMatch(/==== yoda: \S+ range f:2-2: \/bin\/sh -c .*\nout of range f_2-2\n/s);
      s.handle.stop();
      await waitFor('the slot to end', () => s.exits.length === 1);
      expect(s.exits[0]).toEqual({ code: 0, signal: null });
      expect(s.broken).toEqual([]);
      await waitFor('the launcher to exit with its slot', () => !running(Number(parents.values().next().value)));
    },
  );

  it('reports a failing command by its exit code or signal, a missing program as exit 127', async () => {
    const s = await slot('exit 0');
    const codes: string[] = [];
    for (const [n, script] of ['exit 3', 'kill -USR2 $$'].entries()) {
      s.w.command = ['/bin/sh', '-c', script];
      s.handle.feed([range(n)]);
      await waitFor(`report ${n}`, () => s.reports.length >= 3 + 2 * n);
      const r = s.reports[1 + 2 * n];
      codes.push(r.type === 'failed' ? r.code : r.type);
    }
    s.w.command = [join(s.dir, 'no-such-program')];
    s.handle.feed([range(9)]);
    await waitFor('report 9', () => s.reports.length >= 7);
    const r = s.reports[5];
    codes.push(r.type === 'failed' ? r.code : r.type);
    expect(codes).toEqual(['ERR_EXIT_3', 'ERR_SIGNAL_USR2', 'ERR_EXIT_127']);
    expect(readFileSync(s.w.log, 'utf8')).toMatch(/yoda-exec: .*no-such-program: No such file or directory/);
    expect(s.broken).toEqual([]);
  });

  it("a drain SIGTERMs the range's process group, also when it comes before the pid is known", async () => {
    for (const early of [false, true]) {
      const s = await slot('sleep 300 & echo $! > "$2/child.tmp"; mv "$2/child.tmp" "$2/child"; wait');
      s.handle.feed([range(1)]);
      if (!early) await waitFor('the command to start', () => numberIn(join(s.dir, 'child')));
      s.handle.drain(5);
      await waitFor('the slot to end', () => s.exits.length === 1);
      // Drained: the slot ends holding the range (no report), the command ended by SIGTERM.
      expect(s.exits[0]).toEqual({ code: null, signal: 'SIGTERM' });
      expect(s.reports.map((r) => r.type)).toEqual(['ready']);
      const child = numberIn(join(s.dir, 'child'));
      if (child !== undefined) {
        left.push(child);
        await waitFor('the sleep to be gone', () => !running(child), 5_000);
      }
      expect(s.broken).toEqual([]);
    }
  });

  it('kill ends the command and its children without a report, also before the pid is known', async () => {
    for (const early of [false, true]) {
      const s = await slot('sleep 300 & echo $! > "$2/child.tmp"; mv "$2/child.tmp" "$2/child"; wait');
      s.handle.feed([range(1)]);
      if (!early) await waitFor('the command to start', () => numberIn(join(s.dir, 'child')));
      s.handle.kill();
      await waitFor('the slot to end', () => s.exits.length === 1);
      expect(s.exits[0]).toEqual({ code: null, signal: 'SIGKILL' });
      expect(s.reports.map((r) => r.type)).toEqual(['ready']);
      const child = numberIn(join(s.dir, 'child'));
      if (child !== undefined) {
        left.push(child);
        await waitFor('the sleep to be gone', () => !running(child), 5_000);
      }
    }
  });

  it("a killed launcher is reported as a broken worker, and the range's processes go with it", async () => {
    const s = await slot(
      'sleep 300 & echo "$! $$ $PPID" > "$2/pids.tmp"; mv "$2/pids.tmp" "$2/pids"; wait; touch "$1"',
    );
    s.handle.feed([range(1)]);
    const pids = await waitFor('the command to start', () => {
      try {
        return readFileSync(join(s.dir, 'pids'), 'utf8').trim().split(' ').map(Number);
      } catch {
        return undefined;
      }
    });
    const [sleep, command, launcher] = pids;
    left.push(sleep, command);
    process.kill(launcher, 'SIGKILL');
    await waitFor('the slot to end', () => s.exits.length === 1);
    expect(s.broken).toHaveLength(1);
    expect(s.broken[0]).toMatch(/command launcher .* died of SIGKILL/);
    expect(s.exits[0]).toEqual({ code: null, signal: 'SIGKILL' });
    expect(s.reports.map((r) => r.type)).toEqual(['ready']);
    await waitFor('the command and its child to be gone', () => !running(command) && !running(sleep), 5_000);
    // Whatever the Droid does next (kill the slot) is harmless.
    s.handle.kill();
    expect(s.exits).toHaveLength(1);
  });

  it('a launcher that dies while idle is reported at once', async () => {
    const s = await slot('touch "$1"; echo $PPID > "$2/ppid"');
    s.handle.feed([range(1)]);
    await waitFor('the report', () => s.reports.length >= 3);
    const launcher = Number(readFileSync(join(s.dir, 'ppid'), 'utf8'));
    process.kill(launcher, 'SIGKILL');
    await waitFor('the slot to end', () => s.exits.length === 1);
    expect(s.broken).toHaveLength(1);
  });

  it('the launcher exits when its pipe closes, killing a running command first', async () => {
    const w = setup([]);
    const deaths: string[] = [];
    for (const busy of [false, true]) {
      const l = CommandLauncher.start(w, { ...process.env }, 2, (why) => deaths.push(why));
      expect(l).not.toBeNull();
      launchers.push(l!);
      const pid = l!.pid!;
      let command = 0;
      if (busy) {
        void l!.run(['/bin/sh', '-c', 'exec sleep 300'], [], (p) => {
          command = p;
        });
        await waitFor('the command to start', () => command);
        left.push(command);
      }
      l!.close();
      await waitFor('the launcher to exit', () => !running(pid), 5_000);
      if (busy) await waitFor('the command to be gone', () => !running(command), 5_000);
    }
    expect(deaths).toEqual([]);
  });

  it('the launcher dies with its parent (parent-death signal), and so does its command', async () => {
    // A shell stands in for the Droid: the launcher is its child, tied to it, fed by a pipe that stays open.
    const dir = mkdtempSync(join(tmpdir(), 'yoda-launcher-'));
    dirs.push(dir);
    const parent = spawn(
      '/bin/sh',
      [
        '-c',
        'sleep 300 | "$0" -p $$ -s & echo $! > "$1/launcher.tmp"; mv "$1/launcher.tmp" "$1/launcher"; wait',
        helper!,
        dir,
      ],
      { stdio: 'ignore', detached: true },
    );
    left.push(parent.pid!);
    const launcher = await waitFor('the launcher', () => numberIn(join(dir, 'launcher')));
    left.push(launcher);
    await waitFor('the launcher to run', () => {
      try {
        return readlinkSync(`/proc/${launcher}/exe`).endsWith('yoda-exec');
      } catch {
        return false;
      }
    });
    process.kill(parent.pid!, 'SIGKILL');
    await waitFor('the launcher to die with its parent', () => !running(launcher), 5_000);
    expect(existsSync(`/proc/${launcher}`) && running(launcher)).toBe(false);
  });
});
