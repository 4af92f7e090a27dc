// Command mode: one process per range, for payloads that cannot run as daemons. Looks like a worker to the Droid.
// With the exec helper, the slot's launcher (the helper in serve mode, command-launcher.ts) forks each command;
// without it (or with YODA_COMMAND_LAUNCHER=off), each command is spawned from here, through the helper if any.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shellQuote } from '../util/shell-quote.js';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeSync } from 'node:fs';
import type { RangeSpec } from '../protocol/messages.js';
import { commandFailureCode, ERR } from '../protocol/error-codes.js';
import { safeRangeName } from '../job/plan.js';
import { endCommandTree, killWorkerTree, sweepRetired } from './process-tree.js';
import { closeQuietly, newWorkerToken, openWorkerLog, outputPath, workerEnv, type WorkerSetup } from './worker-env.js';
import { CommandLauncher } from './command-launcher.js';
import { outputChecker } from './outputs.js';
import { killGroup, watchLog, type WorkerEvents, type WorkerHandle } from './worker.js';

/** Fills {file} {first} {last} {fileFirst} {range} {output} {attempt} in one argument; `quote` wraps each value. */
export function fillPlaceholders(arg: string, r: RangeSpec, output: string, quote = (v: string) => v): string {
  return arg
    .replaceAll('{file}', quote(r.file))
    .replaceAll('{fileFirst}', String(r.fileFirst ?? 0))
    .replaceAll('{first}', String(r.first))
    .replaceAll('{last}', String(r.last))
    .replaceAll('{range}', quote(safeRangeName(r.id)))
    .replaceAll('{output}', quote(output))
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

/** How one command ended: its exit code or signal, or why it could not start; cpu when the launcher measured it. */
interface CommandResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  startError?: string;
  cpu?: number | null;
  /** The slot's launcher died meanwhile (the slot is already reported broken and ended). */
  launcherDied?: string;
}

/** Starts argv (already pinned and tied by the pinner) in its own process group, output to the log descriptor. */
function startCommand(
  w: WorkerSetup,
  argv: string[],
  token: string,
  log: number,
  rusageFile: string,
): { pid: number | undefined; done: Promise<CommandResult> } {
  const child = w.pinner.spawn(
    w.cpus,
    argv,
    ([p, ...a]) =>
      spawn(p, a, {
        cwd: w.cwd,
        env: workerEnv(w, process.env, token),
        stdio: ['ignore', log, log],
        detached: true,
      }),
    w.pinner.measures ? { rusageFile } : {},
  );
  const done = new Promise<CommandResult>((resolve) => {
    child.once('error', (e) => resolve({ exitCode: null, signal: null, startError: e.message }));
    child.once('exit', (exitCode, signal) => resolve({ exitCode, signal }));
  });
  return { pid: child.pid, done };
}

/** The slot's environment for the launcher: every variable but the token, which each range adds. */
function launcherEnv(w: WorkerSetup): NodeJS.ProcessEnv {
  const env = workerEnv(w, process.env, '');
  delete env.YODA_WORKER_TOKEN;
  return env;
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
  // Node-local, not on the shared work directory: written and read once per range (the helper truncates it).
  const rusageFile = join(tmpdir(), `yoda-rusage-${process.pid}-${w.node}.${w.slot}.json`);
  // The slot log is opened once; every command gets it as stdout and stderr, after a header line per range.
  const log = openWorkerLog(w, `command mode: ${JSON.stringify(w.command)} in ${w.cwd}`);
  const check = outputChecker(w);
  // The launcher dying under the slot breaks it: the running command's tree goes, the slot reports and ends.
  const launcher =
    process.env.YODA_COMMAND_LAUNCHER === 'off'
      ? null
      : CommandLauncher.start(w, launcherEnv(w), log, (why, code, signal) => {
          if (ended) return;
          if (running) killWorkerTree(running.pid, token);
          running = null;
          events.broken(`${why}; see ${w.log}`);
          exit(code, signal);
        });
  const exit = (code: number | null, signal: string | null) => {
    if (ended) return;
    ended = true;
    launcher?.close();
    stopLogWatch();
    closeQuietly(log);
    // Children of earlier commands that left their group (setsid) go now, not at the next sweep.
    sweepRetired();
    events.exited(code, signal);
  };
  const run = async (r: RangeSpec) => {
    const output = outputPath(w, r);
    const argv =
      typeof w.command === 'string'
        ? ['/bin/sh', '-c', fillPlaceholders(w.command, r, output, shellQuote)]
        : w.command.map((a) => fillPlaceholders(a, r, output));
    try {
      writeSync(log, `\n==== yoda: ${new Date().toISOString()} range ${r.id}: ${argv.join(' ')}\n`);
    } catch {
      /* the log is for people; a full disk shows up in the outputs */
    }
    const started = Date.now();
    token = newWorkerToken(w);
    let sub: { pid: number | undefined; done: Promise<CommandResult> };
    try {
      if (launcher) {
        // The pid arrives after the fork: a drain or kill asked for meanwhile is carried out then.
        const now = (running = { pid: undefined as number | undefined });
        const done = launcher.run(argv, [`YODA_WORKER_TOKEN=${token}`], (pid) => {
          now.pid = pid;
          if (killed) killWorkerTree(pid, token);
          else if (drained) killGroup(pid, 'SIGTERM');
        });
        sub = {
          get pid() {
            return now.pid;
          },
          done,
        };
      } else sub = startCommand(w, argv, token, log, rusageFile);
    } catch (e) {
      running = null;
      events.report({
        type: 'failed',
        id: r.id,
        code: ERR.COMMAND_START,
        message: `could not start the command on CPUs ${w.cpus.join(',')}: ${(e as Error).message}`,
      });
      return void (stopped ? exit(0, null) : events.report({ type: 'ready' }));
    }
    if (!launcher) running = { pid: sub.pid };
    const result = await sub.done;
    // The launcher died: the slot has already reported it broken, killed the command's tree and ended.
    if (result.launcherDied !== undefined) return;
    // Children the command left behind (in its group, or that left it) go with it; killed or drained: at once.
    if (killed || drained || result.exitCode !== 0) killWorkerTree(sub.pid, token);
    else endCommandTree(sub.pid, token);
    running = null;
    const cpu = launcher ? (result.cpu ?? null) : w.pinner.measures ? readRusage(rusageFile) : null;
    if (killed) return exit(null, result.signal ?? 'SIGKILL');
    // Stopped by the drain: the slot ends holding the range, which goes back to Yoda without burning an attempt.
    if (drained && result.exitCode !== 0) return exit(result.exitCode, result.signal);
    const wall = (Date.now() - started) / 1000;
    if (result.exitCode === 0) {
      // cpu is null when not measured (no exec helper, or its rusage file unreadable): recorded as not measured.
      events.report(await check({ type: 'done', id: r.id, outputs: [output], cpu, wall }, started));
    } else {
      const how = result.signal
        ? commandFailureCode(undefined, result.signal)
        : result.startError !== undefined
          ? ERR.COMMAND_START
          : commandFailureCode(result.exitCode ?? undefined, undefined);
      const what =
        result.startError !== undefined
          ? `could not start ${argv[0]}: ${result.startError}`
          : result.signal
            ? `command was killed with ${result.signal}`
            : `command failed with exit code ${result.exitCode}`;
      events.report({ type: 'failed', id: r.id, code: how, message: `${what.slice(0, 300)}; see ${w.log}` });
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
