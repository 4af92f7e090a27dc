// The launcher of a command-mode slot: the exec helper in serve mode (native/exec-helper.c, `yoda-exec -s`),
// started once per slot, tied to the Droid and pinned to the slot's CPUs, forks and execs the payload of every
// range. The Droid, a large Node process, then never forks per range (a spawn from Node costs milliseconds of CPU);
// it writes one request on the launcher's stdin and reads two lines from its stdout: the payload's pid right after
// the fork (the pid leads the payload's own process group, for drains and kills) and, when the payload ended, its
// exit code or signal and the CPU seconds wait4 measured. Payload stdout and stderr are the slot log (the
// launcher's stderr); the launcher's environment is the slot's, each range adds its own variables (the token).
import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import type { WorkerSetup } from './worker-env.js';

/** How one command ended, as the launcher saw it. */
export interface LaunchResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** User+system CPU seconds of the payload and the children it waited for; null when not measured. */
  cpu: number | null;
  /** The launcher could not fork the payload. */
  startError?: string;
  /** The launcher itself died (or broke its protocol) before the command ended: why. */
  launcherDied?: string;
}

const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(
  Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]),
);

/** A running command: its pid once the launcher forked it. */
interface Current {
  pid: number | undefined;
  onPid: (pid: number) => void;
  resolve: (r: LaunchResult) => void;
}

/** One slot's launcher process. */
export class CommandLauncher {
  private buffered = '';
  private current: Current | null = null;
  private closing = false;
  private deadWhy: string | null = null;

  private constructor(
    private readonly child: ChildProcess & { stdin: Writable; stdout: Readable },
    private readonly onDeath: (why: string, code: number | null, signal: NodeJS.Signals | null) => void,
  ) {
    child.stdout.setEncoding('latin1');
    child.stdout.on('data', (chunk: string) => this.onData(chunk));
    child.stdout.on('error', () => undefined);
    child.stdin.on('error', () => undefined);
    child.on('error', () => undefined);
    child.once('close', (code, signal) => {
      if (this.closing && this.deadWhy === null) return;
      const why =
        this.deadWhy ??
        `the command launcher (exec helper, pid ${child.pid}) died ${signal ? `of ${signal}` : `with exit code ${code}`}`;
      this.die(why, code, signal);
    });
  }

  /**
   * Starts the launcher of slot `w` (pinned to its CPUs, in its own process group, cwd and environment the
   * slot's, stderr `log`); null when there is no exec helper or it could not be started (the caller then spawns
   * each command itself). `onDeath` is called once if the launcher dies while the slot still uses it.
   */
  static start(
    w: WorkerSetup,
    env: NodeJS.ProcessEnv,
    log: number,
    onDeath: (why: string, code: number | null, signal: NodeJS.Signals | null) => void,
  ): CommandLauncher | null {
    let child: ChildProcess | null;
    try {
      child =
        w.pinner.launcher?.(w.cpus, ([p, ...a]) =>
          spawn(p, a, { cwd: w.cwd, env, stdio: ['pipe', 'pipe', log], detached: true }),
        ) ?? null;
    } catch {
      return null;
    }
    if (!child) return null;
    if (child.pid === undefined || !child.stdin || !child.stdout) {
      child.on('error', () => undefined);
      return null;
    }
    return new CommandLauncher(child as ChildProcess & { stdin: Writable; stdout: Readable }, onDeath);
  }

  /** The launcher's pid. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * Runs `argv` with `env` ("NAME=value" entries) added to the slot's environment; `onPid` is called with the
   * payload's pid (its process group) as soon as it is forked. One command at a time. Throws (nothing started)
   * when an argument holds a NUL byte.
   */
  run(argv: string[], env: string[], onPid: (pid: number) => void): Promise<LaunchResult> {
    if (this.current) throw new Error('the command launcher runs one command at a time');
    const strings = [...argv, ...env];
    for (const s of strings)
      if (s.includes('\0')) throw new Error(`an argument or variable holds a NUL byte: ${JSON.stringify(s)}`);
    const body = `${strings.join('\0')}\0`;
    return new Promise<LaunchResult>((resolve) => {
      if (this.deadWhy !== null || this.closing) {
        resolve({ exitCode: null, signal: null, cpu: null, launcherDied: this.deadWhy ?? 'the launcher was closed' });
        return;
      }
      this.current = { pid: undefined, onPid, resolve };
      this.child.stdin.write(`R ${argv.length} ${env.length} ${Buffer.byteLength(body)}\n${body}`);
    });
  }

  /** Ends the launcher: it exits when its stdin closes (after killing a running command's group). */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.child.stdin.end();
  }

  /** Kills the launcher at once (its running payload dies of its parent-death signal). */
  kill(): void {
    try {
      this.child.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }

  private die(why: string, code: number | null, signal: NodeJS.Signals | null): void {
    this.deadWhy = why;
    const c = this.current;
    this.current = null;
    c?.resolve({ exitCode: null, signal: null, cpu: null, launcherDied: why });
    this.onDeath(why, code, signal);
  }

  private onData(chunk: string): void {
    this.buffered += chunk;
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      this.onLine(line);
    }
    if (this.buffered.length > 4096) this.broke(`an overlong line from the command launcher`);
  }

  private onLine(line: string): void {
    const c = this.current;
    const f = line.split(' ');
    if (c && f[0] === 'P' && f.length === 2 && c.pid === undefined) {
      c.pid = Number(f[1]);
      return c.onPid(c.pid);
    }
    if (c && f[0] === 'E' && f.length === 6 && c.pid !== undefined && Number(f[1]) === c.pid) {
      const n = Number(f[3]);
      const cpu = Number(f[4]);
      this.current = null;
      return c.resolve({
        exitCode: f[2] === 'x' ? n : null,
        signal: f[2] === 's' ? (SIGNAL_NAMES.get(n) ?? null) : null,
        cpu: f[4] !== '' && Number.isFinite(cpu) && cpu >= 0 ? cpu : null,
      });
    }
    if (c && f[0] === 'F' && c.pid === undefined) {
      this.current = null;
      return c.resolve({ exitCode: null, signal: null, cpu: null, startError: line.slice(2) });
    }
    this.broke(`an unexpected line from the command launcher: ${JSON.stringify(line.slice(0, 200))}`);
  }

  // A launcher that breaks its protocol cannot be trusted with the next range: killed, and reported as dead.
  private broke(why: string): void {
    if (this.deadWhy !== null) return;
    this.deadWhy = why;
    this.kill();
  }
}
