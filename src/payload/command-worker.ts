// Command mode: one process per range, for payloads that cannot run as daemons. Looks like a worker to the Droid.
import { readFileSync, rmSync } from 'node:fs';
import { execa } from 'execa';
import type { RangeSpec } from '../protocol/messages.js';
import { commandFailureCode, ERR } from '../protocol/error-codes.js';
import { safeRangeName } from '../job/plan.js';
import { checkDoneOutputs } from './outputs.js';
import { killWorkerTree } from './process-tree.js';
import { closeQuietly, newWorkerToken, openWorkerLog, outputPath, workerEnv, type WorkerSetup } from './worker-env.js';
import { killGroup, watchLog, type WorkerEvents, type WorkerHandle } from './worker.js';

/** Fills {file} {first} {last} {range} {output} {attempt} in one argument. */
export function fillPlaceholders(arg: string, r: RangeSpec, output: string): string {
  return arg
    .replaceAll('{file}', r.file)
    .replaceAll('{first}', String(r.first))
    .replaceAll('{last}', String(r.last))
    .replaceAll('{range}', safeRangeName(r.id))
    .replaceAll('{output}', output)
    .replaceAll('{attempt}', String(r.attempt));
}

/** The payload's CPU seconds as the exec helper measured them (wait4 rusage), or null when not measured. */
function readRusage(path: string): number | null {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as { cpu?: unknown };
    return typeof v.cpu === 'number' && Number.isFinite(v.cpu) && v.cpu >= 0 ? v.cpu : null;
  } catch {
    return null;
  } finally {
    rmSync(path, { force: true });
  }
}

/** A slot that runs the payload command once per range. */
export function startCommandWorker(w: WorkerSetup, events: WorkerEvents): WorkerHandle {
  let running: { pid: number | undefined } | null = null;
  let stopped = false;
  // Killed by the Droid, which has already decided the fate of the range: no report, just one exit.
  let killed = false;
  // A drain sent SIGTERM: a command that then fails was stopped by us, not by its own fault.
  let drained = false;
  let ended = false;
  let token = '';
  const stopLogWatch = watchLog(w.log);
  const rusageFile = `${w.log}.rusage`;
  const exit = (code: number | null, signal: string | null) => {
    if (ended) return;
    ended = true;
    stopLogWatch();
    events.exited(code, signal);
  };
  const run = async (r: RangeSpec) => {
    const output = outputPath(w, r);
    const argv = typeof w.command === 'string' ? ['/bin/sh', '-c', fillPlaceholders(w.command, r, output)] : w.command.map((a) => fillPlaceholders(a, r, output));
    closeQuietly(openWorkerLog(w, `range ${r.id}: ${argv.join(' ')}`));
    const started = Date.now();
    const toLog = { file: w.log, append: true } as const;
    token = newWorkerToken(w);
    rmSync(rusageFile, { force: true });
    let sub;
    try {
      sub = w.pinner.spawn(w.cpus, argv, ([p, ...a]) => execa(p, a, {
        cwd: w.cwd, env: workerEnv(w, process.env, token), extendEnv: false,
        stdin: 'ignore', stdout: toLog, stderr: toLog, detached: true, reject: false,
      }), w.pinner.measures ? { rusageFile } : {});
    } catch (e) {
      events.report({ type: 'failed', id: r.id, code: ERR.COMMAND_START, message: `could not start the command on CPUs ${w.cpus.join(',')}: ${(e as Error).message}` });
      return void (stopped ? exit(0, null) : events.report({ type: 'ready' }));
    }
    running = { pid: sub.pid };
    const result = await sub;
    // Children the command left behind (in its group, or that left it) go with it.
    killWorkerTree(sub.pid, token);
    running = null;
    const cpu = w.pinner.measures ? readRusage(rusageFile) : null;
    if (killed) return exit(null, result.signal ?? 'SIGKILL');
    // Stopped by the drain: the slot ends holding the range, which goes back to Yoda without burning an attempt.
    if (drained && result.exitCode !== 0) return exit(result.exitCode ?? null, result.signal ?? null);
    const wall = (Date.now() - started) / 1000;
    if (result.exitCode === 0) {
      // cpu is null only without the exec helper: not measured (recorded as 0; docs/worker-protocol.md).
      events.report(await checkDoneOutputs(w, { type: 'done', id: r.id, outputs: [output], cpu: cpu ?? 0, wall }, started));
    } else {
      const how = result.signal ? commandFailureCode(undefined, result.signal) : result.failed && result.exitCode === undefined ? ERR.COMMAND_START : commandFailureCode(result.exitCode, undefined);
      events.report({ type: 'failed', id: r.id, code: how, message: `${String(result.shortMessage ?? '').split('\n')[0].slice(0, 300)}; see ${w.log}` });
    }
    if (stopped) exit(0, null);
    else events.report({ type: 'ready' });
  };
  setImmediate(() => events.report({ type: 'ready' }));
  return {
    get pid() {
      return running?.pid;
    },
    feed: (ranges) => void run(ranges[0]),
    stop: () => {
      stopped = true;
      if (!running) setImmediate(() => exit(0, null));
    },
    drain: () => {
      if (!running) return;
      drained = true;
      killGroup(running.pid, 'SIGTERM');
    },
    kill: () => {
      stopped = true;
      if (running) {
        killed = true;
        killWorkerTree(running.pid, token);
      } else setImmediate(() => exit(null, 'SIGKILL'));
    },
  };
}
