// A long-lived payload worker (daemon mode): one process per slot, fed ranges over its control channel.
import { spawn, type ChildProcess } from 'node:child_process';
import { stat } from 'node:fs/promises';
import type { Socket } from 'node:net';
import type { WorkerReport } from '../droid/effects.js';
import type { RangeSpec } from '../protocol/messages.js';
import { formatCpuList } from '../util/cpu-list.js';
import { MAX_CONTROL_LINE, NO_MORE_EVENTS_LINE, parseWorkerLine, rangesLine } from './control.js';
import { closeQuietly, openWorkerLog, outputPath, resolveOutput, workerEnv, type WorkerSetup } from './worker-env.js';

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
  return { pid: undefined, feed: () => undefined, stop: () => undefined, kill: () => undefined };
}

/** Checks a done report's outputs exist; turns it into ERR_OUTPUT_MISSING otherwise. */
async function checkOutputs(w: WorkerSetup, r: WorkerReport): Promise<WorkerReport> {
  if (r.type !== 'done') return r;
  const outputs = r.outputs.map((o) => resolveOutput(w, o));
  for (const o of outputs) {
    try {
      await stat(o);
    } catch {
      return { type: 'failed', id: r.id, code: 'ERR_OUTPUT_MISSING', message: `the worker reported output ${o}, which does not exist` };
    }
  }
  return { ...r, outputs };
}

/** Starts a daemon-mode worker in its own process group, its stdout and stderr going to the slot log. */
export function startDaemonWorker(w: WorkerSetup, events: WorkerEvents): WorkerHandle {
  const argv = typeof w.command === 'string' ? ['/bin/sh', '-c', w.command] : w.command;
  const program = argv[0];
  const log = openWorkerLog(w, `starting worker: ${JSON.stringify(w.command)} in ${w.cwd} on CPUs ${formatCpuList(w.cpus)} (${w.pinner.how})`);
  let child: ChildProcess;
  try {
    child = w.pinner.spawn(w.cpus, argv, ([p, ...a]) => spawn(p, a, { cwd: w.cwd, env: workerEnv(w), stdio: ['ignore', log, log, 'pipe'], detached: true }));
  } catch (e) {
    return notStarted(`could not start it on CPUs ${formatCpuList(w.cpus)}: ${(e as Error).message}`, events);
  } finally {
    closeQuietly(log);
  }
  const control = child.stdio[3] as Socket;
  let buffered = '';
  let chain = Promise.resolve();
  let ended = false;
  const exitOnce = (code: number | null, signal: string | null) => {
    if (ended) return;
    ended = true;
    void chain.then(() => events.exited(code, signal));
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
      if (line === '') continue;
      const parsed = parseWorkerLine(line);
      if (!parsed.ok) {
        chain = chain.then(() => events.broken(parsed.why));
        continue;
      }
      chain = chain.then(async () => events.report(await checkOutputs(w, parsed.report)));
    }
  });
  control.on('error', () => undefined);
  child.on('error', (e) => {
    events.broken(`could not start ${program}: ${e.message}`);
    exitOnce(127, null);
  });
  child.on('exit', (code, signal) => {
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
    feed: (ranges) => write(rangesLine(ranges, (r) => outputPath(w, r))),
    stop: () => write(NO_MORE_EVENTS_LINE),
    kill: () => killGroup(child.pid),
  };
}
