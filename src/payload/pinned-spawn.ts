// Starting a worker already pinned, so that it and every thread or process it ever creates run on its CPUs.
//
// Pinning after spawn (sched_setaffinity on the child's pid) races the child: threads it creates before the
// call keep the Droid's mask, and /proc/PID/task must be walked again and again. Instead the mask is in place
// before the payload's first instruction; threads and processes inherit their creator's mask, so every later
// thread is pinned too:
//  - native addon: the Droid's main thread pins itself to the slot's CPUs, calls spawn() (libuv forks from
//    this thread, the child inherits its mask, execve keeps it), and restores its own mask at once. All of it
//    is synchronous on the event loop thread, so nothing else runs on the Droid meanwhile.
//  - fallback (no addon): the command runs as `taskset -c <cpus> <command...>`; taskset sets the mask of its
//    own process and then execs the payload in place (same pid).
import type { LoadedAffinity } from '../native/affinity.js';
import { formatCpuList } from '../util/cpu-list.js';

/** Starts processes on given CPUs. */
export interface Pinner {
  /** 'native': the spawning thread is pinned around the spawn; 'taskset': the command is run through taskset. */
  readonly how: 'native' | 'taskset';
  /** Calls `start` with the argv to run so that the process it spawns runs on `cpus` from its start. */
  spawn<T>(cpus: number[], argv: string[], start: (argv: string[]) => T): T;
}

/** The argv that runs `argv` on `cpus` through taskset. */
export function tasksetArgv(cpus: number[], argv: string[], taskset = 'taskset'): string[] {
  return [taskset, '-c', formatCpuList(cpus), ...argv];
}

/** A Pinner using the addon when it was loaded, else taskset. Throws (code EINVAL...) when `cpus` cannot be used. */
export function createPinner(affinity: LoadedAffinity, taskset = 'taskset'): Pinner {
  const thread = affinity.thread;
  if (!thread) return { how: 'taskset', spawn: (cpus, argv, start) => start(tasksetArgv(cpus, argv, taskset)) };
  return {
    how: 'native',
    spawn(cpus, argv, start) {
      const own = thread.get();
      thread.set(cpus);
      try {
        return start(argv);
      } finally {
        try {
          thread.set(own);
        } catch {
          // Only if our own CPUs were taken away meanwhile (cgroup change); the kernel then narrowed the mask itself.
        }
      }
    },
  };
}

