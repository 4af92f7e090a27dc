// Command mode: one process per range, for payloads that cannot run as daemons. Looks like a worker to the Droid.
import { stat } from 'node:fs/promises';
import { execa } from 'execa';
import type { RangeSpec } from '../protocol/messages.js';
import { safeRangeName } from '../job/plan.js';
import { closeQuietly, openWorkerLog, outputPath, workerEnv, type WorkerSetup } from './worker-env.js';
import { killGroup, type WorkerEvents, type WorkerHandle } from './worker.js';

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

/** A slot that runs the payload command once per range. */
export function startCommandWorker(w: WorkerSetup, events: WorkerEvents): WorkerHandle {
  let running: { pid: number | undefined } | null = null;
  let stopped = false;
  // Killed by the Droid, which has already decided the fate of the range: no report, just one exit.
  let killed = false;
  let ended = false;
  const exit = (code: number | null, signal: string | null) => {
    if (ended) return;
    ended = true;
    events.exited(code, signal);
  };
  const run = async (r: RangeSpec) => {
    const output = outputPath(w, r);
    const argv = typeof w.command === 'string' ? ['/bin/sh', '-c', fillPlaceholders(w.command, r, output)] : w.command.map((a) => fillPlaceholders(a, r, output));
    closeQuietly(openWorkerLog(w, `range ${r.id}: ${argv.join(' ')}`));
    const started = Date.now();
    const toLog = { file: w.log, append: true } as const;
    let sub;
    try {
      sub = w.pinner.spawn(w.cpus, argv, ([p, ...a]) => execa(p, a, {
        cwd: w.cwd, env: workerEnv(w), extendEnv: false,
        stdin: 'ignore', stdout: toLog, stderr: toLog, detached: true, reject: false,
      }));
    } catch (e) {
      events.report({ type: 'failed', id: r.id, code: 'ERR_COMMAND_START', message: `could not start the command on CPUs ${w.cpus.join(',')}: ${(e as Error).message}` });
      return void (stopped ? exit(0, null) : events.report({ type: 'ready' }));
    }
    running = { pid: sub.pid };
    const result = await sub;
    running = null;
    if (killed) return exit(null, result.signal ?? 'SIGKILL');
    const wall = (Date.now() - started) / 1000;
    if (result.exitCode === 0) {
      const present = await stat(output).then(() => true, () => false);
      events.report(
        present
          ? { type: 'done', id: r.id, outputs: [output], cpu: 0, wall }
          : { type: 'failed', id: r.id, code: 'ERR_OUTPUT_MISSING', message: `the command exited 0 but did not write ${output}` },
      );
    } else {
      const how = result.signal ? `ERR_SIGNAL_${result.signal.replace(/^SIG/, '')}` : result.failed && result.exitCode === undefined ? 'ERR_COMMAND_START' : `ERR_EXIT_${result.exitCode}`;
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
    kill: () => {
      stopped = true;
      if (running) {
        killed = true;
        killGroup(running.pid);
      } else setImmediate(() => exit(null, 'SIGKILL'));
    },
  };
}
