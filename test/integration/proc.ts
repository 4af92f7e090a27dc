// Real processes for integration tests: each in its own process group with its own log, all killed in teardown.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'dist', 'cli', 'main.js');

/** A fresh temporary directory. */
export function tempDir(prefix = 'yoda-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A process started by a test. */
export interface Started {
  child: ChildProcess;
  log: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: Started[] = [];

/** Starts a command in its own process group; stdout and stderr go to `log`. */
export function start(
  cmd: string,
  args: string[],
  opts: { cwd?: string; log: string; env?: NodeJS.ProcessEnv },
): Started {
  const fd = openSync(opts.log, 'a');
  const child = spawn(cmd, args, {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  closeSync(fd);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.on('exit', (code, signal) => res({ code, signal })),
  );
  const s = { child, log: opts.log, exit };
  started.push(s);
  return s;
}

/** Runs `yoda <args>` to completion; returns exit code and everything it printed. */
export async function yoda(
  args: string[],
  opts: { cwd?: string; log: string; env?: NodeJS.ProcessEnv },
): Promise<{ code: number | null; output: string }> {
  const p = start(process.execPath, [CLI, ...args], opts);
  const { code } = await p.exit;
  return { code, output: readFileSync(opts.log, 'utf8') };
}

/** Kills a process group, ignoring one already gone. */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    /* gone */
  }
}

/** Process groups of workers started for `workdir` (found by the YODA_WORKDIR in their environment). */
export function workerGroups(workdir: string): number[] {
  const groups = new Set<number>();
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (!readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`YODA_WORKDIR=${workdir}`)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      groups.add(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]));
    } catch {
      /* exited meanwhile */
    }
  }
  return [...groups];
}

const tracked: string[] = [];

/** A fresh directory for a test job and its work directory, whose workers killAll() will find and kill. */
export function jobDirs(prefix?: string): { dir: string; workdir: string } {
  const dir = tempDir(prefix);
  const workdir = join(dir, 'work');
  tracked.push(workdir);
  return { dir, workdir };
}

/** Teardown: kills every process group a test started, and the workers of every work directory handed out. */
export function killAll(): void {
  for (const s of started.splice(0)) killGroup(s.child.pid);
  for (const w of tracked.splice(0)) for (const g of workerGroups(w)) killGroup(g);
}

/** Polls `check` every 50 ms until it returns a value, or throws after `timeoutMs` saying what it waited for. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | null | false,
  timeoutMs = 60_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits for Yoda's endpoint file in `workdir` and returns it, with the job's client keys when CURVE is on. */
export async function yodaEndpoint(workdir: string): Promise<{
  endpoint: string;
  curve: boolean;
  keys: { serverPublic: string; clientPublic: string; clientSecret: string };
}> {
  const ep = await waitFor('the endpoint file', () => {
    try {
      return JSON.parse(readFileSync(join(workdir, 'yoda.endpoint.json'), 'utf8')) as {
        endpoint: string;
        curve: boolean;
      };
    } catch {
      return null;
    }
  });
  return { ...ep, keys: ep.curve ? JSON.parse(readFileSync(join(workdir, 'keys', 'curve.json'), 'utf8')) : null };
}

/** Every thread of `pid` with its allowed CPUs, read from /proc by the test itself (not by the code under test). */
export function threadMasks(pid: number): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const list = /^Cpus_allowed_list:\s*(.*)$/m.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))![1];
      out.set(
        Number(tid),
        list.split(',').flatMap((part) => {
          const [a, b] = part.split('-').map(Number);
          return Array.from({ length: (b ?? a) - a + 1 }, (_, k) => a + k);
        }),
      );
    } catch {
      // the thread exited while we looked
    }
  }
  return out;
}
