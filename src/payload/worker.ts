// A long-lived payload worker (daemon mode): one process per slot, fed ranges over its control channel.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import type { RangeSpec } from '../protocol/messages.js';
import { ERR } from '../protocol/error-codes.js';
import {
  MAX_CONTROL_LINE,
  parseWorkerLine,
  toWorkerLine,
  type WorkerRange,
  type WorkerReport,
} from '../protocol/worker.js';
import { formatCpuList } from '../util/cpu-list.js';
import { capLog, workerLogCap } from './log-cap.js';
import { outputChecker } from './outputs.js';
import { killWorkerTree } from './process-tree.js';
import { closeQuietly, newWorkerToken, openWorkerLog, outputPath, workerEnv, type WorkerSetup } from './worker-env.js';

/** Callbacks through which a worker tells its Droid what happened. */
export interface WorkerEvents {
  report(r: WorkerReport): void;
  broken(why: string): void;
  exited(code: number | null, signal: string | null): void;
}

/** What a Droid can do with a running worker. */
export interface WorkerHandle {
  readonly pid: number | undefined;
  feed(ranges: RangeSpec[]): void;
  stop(): void;
  /** A drain began: the drain message, then SIGTERM to the worker's process group. */
  drain(graceSeconds: number): void;
  /** Kills the worker's whole tree (process group, and processes that left it carrying its token). */
  kill(): void;
}

/** Kills a whole process group, ignoring one that is already gone. */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    /* gone already */
  }
}

/** A worker that could not be started: it reports why, then exits, as a real one would. */
export function notStarted(why: string, events: WorkerEvents): WorkerHandle {
  setImmediate(() => {
    events.broken(why);
    events.exited(127, null);
  });
  return {
    pid: undefined,
    feed: () => undefined,
    stop: () => undefined,
    drain: () => undefined,
    kill: () => undefined,
  };
}

/** Keeps the slot log under its cap while the worker runs (see log-cap.ts); returns the stopper. */
export function watchLog(path: string): () => void {
  const cap = workerLogCap();
  if (cap === null) return () => undefined;
  const timer = setInterval(() => capLog(path, cap), 1000);
  timer.unref();
  return () => {
    clearInterval(timer);
    capLog(path, cap);
  };
}

/** The ranges line of the worker channel. */
function rangesLine(w: WorkerSetup, ranges: RangeSpec[]): string {
  const items: WorkerRange[] = ranges.map((r) => ({
    id: r.id,
    file: r.file,
    first: r.first,
    last: r.last,
    output: outputPath(w, r),
    attempt: r.attempt,
    ...(r.guid !== undefined ? { guid: r.guid } : {}),
    ...(r.scope !== undefined ? { scope: r.scope } : {}),
    ...(r.fileFirst !== undefined ? { fileFirst: r.fileFirst, source: r.source } : {}),
  }));
  return toWorkerLine({ type: 'ranges', ranges: items });
}

/** Milliseconds a worker may live on after closing its control channel before it counts as broken. */
const EOF_GRACE_MS = 1000;

/** Starts a daemon-mode worker in its own process group, its stdout and stderr going to the slot log. */
export function startDaemonWorker(w: WorkerSetup, events: WorkerEvents): WorkerHandle {
  const argv = typeof w.command === 'string' ? ['/bin/sh', '-c', w.command] : w.command;
  const program = argv[0];
  const token = newWorkerToken(w);
  const log = openWorkerLog(
    w,
    `starting worker: ${JSON.stringify(w.command)} in ${w.cwd} on CPUs ${formatCpuList(w.cpus)} (${w.pinner.how})`,
  );
  let child: ChildProcess;
  try {
    child = w.pinner.spawn(w.cpus, argv, ([p, ...a]) =>
      spawn(p, a, {
        cwd: w.cwd,
        env: workerEnv(w, process.env, token),
        stdio: ['ignore', log, log, 'pipe'],
        detached: true,
      }),
    );
  } catch (e) {
    return notStarted(`could not start it on CPUs ${formatCpuList(w.cpus)}: ${(e as Error).message}`, events);
  } finally {
    closeQuietly(log);
  }
  const stopLogWatch = watchLog(w.log);
  const control = child.stdio[3] as Socket;
  const handedOut = new Map<string, number>();
  let buffered = '';
  const check = outputChecker(w);
  let ended = false;
  let exited = false;
  let stopping = false;
  const exitOnce = (code: number | null, signal: string | null) => {
    if (ended) return;
    ended = true;
    stopLogWatch();
    // Whatever the worker left behind (children in its group, or that left it) goes with it.
    killWorkerTree(child.pid, token);
    events.exited(code, signal);
  };
  const onLine = (line: string) => {
    const parsed = parseWorkerLine(line);
    if (!parsed.ok) {
      // A malformed report about a range fails that range (the worker goes on); anything else is a broken worker.
      if (parsed.id === undefined || !handedOut.has(parsed.id)) return events.broken(parsed.why);
      handedOut.delete(parsed.id);
      return events.report({
        type: 'failed',
        id: parsed.id,
        code: ERR.WORKER_PROTOCOL,
        message: `malformed report: ${parsed.why}; see ${w.log}`,
      });
    }
    const msg = parsed.msg;
    if (msg.type === 'ready') return events.report(msg);
    const since = handedOut.get(msg.id);
    handedOut.delete(msg.id);
    events.report(msg.type === 'done' ? check({ ...msg, wall: msg.wall ?? null }, since) : msg);
  };
  control.setEncoding('utf8');
  control.on('data', (chunk: string) => {
    buffered += chunk;
    if (buffered.length > MAX_CONTROL_LINE && !buffered.includes('\n')) {
      buffered = '';
      events.broken(`sent a control line longer than ${MAX_CONTROL_LINE} bytes`);
      return;
    }
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line !== '') onLine(line);
    }
  });
  control.on('error', () => undefined);
  // The worker closed its end of the channel: normally because it exits. One that keeps running without it
  // can never report again (it would hang its ranges forever): it is treated as ended.
  control.once('end', () => {
    const timer = setTimeout(() => {
      if (!exited && !stopping) events.broken('closed its control channel but kept running');
    }, EOF_GRACE_MS);
    timer.unref();
  });
  child.on('error', (e) => {
    events.broken(`could not start ${program}: ${e.message}`);
    exitOnce(127, null);
  });
  child.on('exit', (code, signal) => {
    exited = true;
    // The control channel usually closes first (the worker's end of it went with the worker): exit now.
    if (control.closed) return exitOnce(code, signal);
    // Let the last control lines arrive; a grandchild holding fd 3 must not delay the exit for long.
    const timer = setTimeout(() => exitOnce(code, signal), 1000);
    control.once('close', () => {
      clearTimeout(timer);
      exitOnce(code, signal);
    });
  });
  const write = (line: string) => {
    if (!control.destroyed && control.writable) control.write(line);
  };
  return {
    pid: child.pid,
    feed: (ranges) => {
      const now = Date.now();
      for (const r of ranges) handedOut.set(r.id, now);
      write(rangesLine(w, ranges));
    },
    stop: () => {
      stopping = true;
      write(toWorkerLine({ type: 'no_more_events' }));
    },
    drain: (graceSeconds) => {
      write(toWorkerLine({ type: 'drain', graceSeconds }));
      killGroup(child.pid, 'SIGTERM');
    },
    kill: () => killWorkerTree(child.pid, token),
  };
}
