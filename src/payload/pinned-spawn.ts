// Starting a worker already pinned, so that it and every thread or process it ever creates run on its CPUs,
// and tied to its Droid, so that it cannot outlive it.
//
// Pinning after spawn (sched_setaffinity on the child's pid) races the child: threads it creates before the
// call keep the Droid's mask, and /proc/PID/task must be walked again and again. Instead the mask is in place
// before the payload's first instruction; threads and processes inherit their creator's mask, so every later
// thread is pinned too:
//  - native addon: the Droid's main thread pins itself to the slot's CPUs, calls spawn() (libuv forks from
//    this thread, the child inherits its mask, execve keeps it), and restores its own mask at once. All of it
//    is synchronous on the event loop thread, so nothing else runs on the Droid meanwhile.
//  - exec helper (no addon): native/exec-helper.c sets the mask of its own process, then execs the payload.
//  - fallback (no addon, no helper, or YODA_AFFINITY=taskset): `taskset -c <cpus> <command...>`.
// The exec helper (when built) also sets PR_SET_PDEATHSIG=SIGKILL between fork and exec: a `kill -9` of the
// Droid kills its payloads too (src/native/exec-helper.ts). A command-mode slot's launcher (the helper in serve
// mode) is started pinned the same way, once per slot: the payloads it forks inherit its mask. Spawns happen on the main thread, which lives as
// long as the Droid, so the parent-death signal fires only when the Droid itself dies.
import type { LoadedAffinity } from '../native/affinity.js';
import { execHelperArgv, execHelperServeArgv } from '../native/exec-helper.js';
import { formatCpuList } from '../util/cpu-list.js';

/** How a spawn may be measured: command mode asks for the payload's rusage in a file. */
export interface SpawnOptions {
  /** The helper writes {"cpu":s,"maxRssKB":n} here after the payload ends (only when `measures`). */
  rusageFile?: string;
}

/** Starts processes on given CPUs. */
export interface Pinner {
  /** 'native': the spawning thread is pinned around the spawn; 'helper': the exec helper pins; 'taskset': through taskset. */
  readonly how: 'native' | 'helper' | 'taskset';
  /** Command mode can measure the payload's CPU (the exec helper is used). */
  readonly measures: boolean;
  /** Calls `start` with the argv to run so that the process it spawns runs on `cpus` from its start. */
  spawn<T>(cpus: number[], argv: string[], start: (argv: string[]) => T, o?: SpawnOptions): T;
  /**
   * Calls `start` with the argv of the exec helper in serve mode (a command-mode slot's launcher, tied to this
   * process) so that it, and every payload it starts, runs on `cpus`; null (and `start` is not called) without the helper.
   */
  launcher?<T>(cpus: number[], start: (argv: string[]) => T): T | null;
}

/** The argv that runs `argv` on `cpus` through taskset. */
export function tasksetArgv(cpus: number[], argv: string[], taskset = 'taskset'): string[] {
  return [taskset, '-c', formatCpuList(cpus), ...argv];
}

/** Where the exec helper is (null: none) and whether it may do the pinning when the addon is absent. */
export interface PinnerOptions {
  helper?: string | null;
  /** False keeps taskset as the fallback even with the helper (YODA_AFFINITY=taskset). */
  helperPins?: boolean;
}

/** A Pinner using the addon when it was loaded, else the exec helper or taskset. Throws (code EINVAL...) when `cpus` cannot be used. */
export function createPinner(affinity: LoadedAffinity, taskset = 'taskset', o: PinnerOptions = {}): Pinner {
  const thread = affinity.thread;
  const helper = o.helper ?? null;
  const tie = (argv: string[], so: SpawnOptions | undefined, cpus?: number[]) =>
    helper
      ? execHelperArgv(helper, process.pid, argv, { cpus: cpus && formatCpuList(cpus), rusageFile: so?.rusageFile })
      : argv;
  const base = { measures: helper !== null };
  const serve = (cpus?: number[]) =>
    execHelperServeArgv(helper ?? '', process.pid, { cpus: cpus && formatCpuList(cpus) });
  if (!thread) {
    if (helper && o.helperPins !== false)
      return {
        ...base,
        how: 'helper',
        spawn: (cpus, argv, start, so) => start(tie(argv, so, cpus)),
        launcher: (cpus, start) => start(serve(cpus)),
      };
    return {
      ...base,
      how: 'taskset',
      spawn: (cpus, argv, start, so) => start(tie(tasksetArgv(cpus, argv, taskset), so)),
      launcher: (cpus, start) => (helper ? start(tasksetArgv(cpus, serve(), taskset)) : null),
    };
  }
  // The event loop thread pins itself around the spawn (the child inherits its mask), then gets its own back.
  const pinned = <T>(cpus: number[], start: () => T): T => {
    const own = thread.get();
    thread.set(cpus);
    try {
      return start();
    } finally {
      try {
        thread.set(own);
      } catch {
        // Only if our own CPUs were taken away meanwhile (cgroup change); the kernel then narrowed the mask itself.
      }
    }
  };
  return {
    ...base,
    how: 'native',
    spawn: (cpus, argv, start, so) => pinned(cpus, () => start(tie(argv, so))),
    launcher: (cpus, start) => (helper ? pinned(cpus, () => start(serve())) : null),
  };
}
