// Benchmark child processes: forked with an IPC channel, each message a `{type, ...}` object.
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Directory of the compiled benchmark modules (dist-bench/bench; the sources are bench/*.ts). */
export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));

/** One IPC message between the benchmark and a child. */
export type Msg = { type: string; [key: string]: unknown };

/** Sends `msg` to the parent process (a child's side of the channel). */
export function toParent(msg: Msg): void {
  process.send?.(msg);
}

/** Reads the JSON config a child was started with (its first argument). */
export function childConfig<T>(): T {
  return JSON.parse(process.argv[2] ?? '{}') as T;
}

/** A forked benchmark module; messages are queued until someone waits for them. */
export class Child {
  private readonly inbox: Msg[] = [];
  private readonly waiting: { type: string; resolve: (m: Msg) => void; reject: (e: Error) => void }[] = [];
  private exitError: Error | null = null;
  readonly exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    readonly proc: ChildProcess,
  ) {
    proc.on('message', (m: Msg) => this.deliver(m));
    this.exited = new Promise((resolve) =>
      proc.on('exit', (code, signal) => {
        this.exitError = new Error(`${name} exited (code ${code}, signal ${signal})`);
        for (const w of this.waiting.splice(0)) w.reject(this.exitError);
        resolve(code);
      }),
    );
  }

  /** Forks dist-bench/bench/<module>.js with `config`; BENCH_PROF=<name-prefix> profiles matching children. */
  static start(module: string, name: string, config: unknown): Child {
    const prof = process.env.BENCH_PROF;
    const execArgv = ['--expose-gc'];
    if (prof && name.startsWith(prof))
      execArgv.push('--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF_DIR ?? 'bench-profiles'}`);
    const proc = fork(join(BENCH_DIR, `${module}.js`), [JSON.stringify(config)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv,
    });
    return new Child(name, proc);
  }

  /** Sends one message to the child. */
  send(msg: Msg): void {
    if (this.proc.connected) this.proc.send(msg);
  }

  /** The next message of `type` (queued or future); rejects after `timeoutMs` or when the child exits. */
  next(type: string, timeoutMs = 120_000): Promise<Msg> {
    const k = this.inbox.findIndex((m) => m.type === type);
    if (k >= 0) return Promise.resolve(this.inbox.splice(k, 1)[0]);
    if (this.exitError) return Promise.reject(this.exitError);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no "${type}" within ${timeoutMs} ms`)), timeoutMs);
      this.waiting.push({
        type,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  /** Sends `msg` and waits for the reply of `replyType`. */
  ask(msg: Msg, replyType: string, timeoutMs?: number): Promise<Msg> {
    const reply = this.next(replyType, timeoutMs);
    this.send(msg);
    return reply;
  }

  /** Asks the child to stop, and kills it if it has not exited within `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.send({ type: 'stop' });
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  private deliver(m: Msg): void {
    if (m.type === 'error') process.stderr.write(`bench: ${this.name}: ${String(m.message)}\n`);
    const k = this.waiting.findIndex((w) => w.type === m.type);
    if (k >= 0) this.waiting.splice(k, 1)[0].resolve(m);
    else this.inbox.push(m);
  }
}
