// CPU pinning of processes and threads: the native addon when it was built, else `taskset`.
// This is the only module that loads native/build/Release/yoda_affinity.node.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { execa } from 'execa';
import { findPackageRoot } from '../util/package-root.js';
import { formatCpuList, parseCpuList } from '../util/cpu-list.js';

/** Reads and sets CPU affinity; pid 0 means the calling thread (native) or this process (taskset). */
export interface Affinity {
  getAffinity(pid: number): Promise<number[]>;
  setAffinity(pid: number, cpus: number[]): Promise<void>;
  /** Pins every thread of `pid` (including threads that appear while pinning); returns how many. */
  pinAllThreads(pid: number, cpus: number[]): Promise<number>;
}

/** The calling thread's affinity, synchronously (native only): a process spawned from this thread inherits it. */
export interface CallingThreadAffinity {
  get(): number[];
  set(cpus: number[]): void;
}

/** Which implementation loadAffinity chose; `why` says why the addon is not used (log it once). */
export interface LoadedAffinity {
  impl: Affinity;
  native: boolean;
  why?: string;
  /** Present with the native addon only. */
  thread?: CallingThreadAffinity;
}

/** Options for loadAffinity: force the taskset fallback, or load the addon from another path. */
export interface LoadAffinityOptions {
  forceFallback?: boolean;
  addonPath?: string;
}

interface Addon {
  getAffinity(pid: number): number[];
  setAffinity(pid: number, cpus: number[]): void;
  setAffinityAllThreads(pid: number, cpus: number[]): number;
}

/** Where the addon is expected: <package root>/native/build/Release/yoda_affinity.node. */
export function addonPath(): string {
  return join(findPackageRoot(), 'native', 'build', 'Release', 'yoda_affinity.node');
}

function nativeAffinity(addon: Addon): Affinity {
  return {
    getAffinity: async (pid) => addon.getAffinity(pid),
    setAffinity: async (pid, cpus) => addon.setAffinity(pid, cpus),
    pinAllThreads: async (pid, cpus) => addon.setAffinityAllThreads(pid, cpus),
  };
}

// taskset's messages end with strerror text; map it back to the errno name the addon would use.
const ERRNO_TEXT: Record<string, string> = {
  'No such process': 'ESRCH',
  'Invalid argument': 'EINVAL',
  'Operation not permitted': 'EPERM',
  'Permission denied': 'EACCES',
};

async function taskset(args: string[]): Promise<string> {
  const r = await execa('taskset', args, { reject: false, env: { LC_ALL: 'C' } });
  if (r.exitCode === 0) return r.stdout;
  if ((r as { code?: string }).code === 'ENOENT') {
    throw Object.assign(new Error('taskset is not on PATH (install util-linux, or build the native addon)'), {
      code: 'ENOENT',
    });
  }
  const text = String(r.stderr || r.stdout || r.shortMessage || `exit code ${r.exitCode}`).trim();
  const code = Object.entries(ERRNO_TEXT).find(([t]) => text.includes(t))?.[1];
  throw Object.assign(new Error(`taskset ${args.join(' ')}: ${text}`), { code: code ?? 'EUNKNOWN' });
}

function checkCpus(cpus: number[]): void {
  if (cpus.length === 0 || cpus.some((c) => !Number.isInteger(c) || c < 0)) {
    throw Object.assign(new RangeError('cpus must be a non-empty array of CPU ids'), { code: 'EINVAL' });
  }
}

// The `taskset` fallback (util-linux); it pins whole processes, so pid 0 means this process.
function tasksetAffinity(): Affinity {
  const who = (pid: number) => String(pid === 0 ? process.pid : pid);
  return {
    async getAffinity(pid) {
      const out = await taskset(['-c', '-p', who(pid)]);
      return parseCpuList(out.slice(out.lastIndexOf(':') + 1));
    },
    async setAffinity(pid, cpus) {
      checkCpus(cpus);
      await taskset(['-p', '-c', formatCpuList(cpus), who(pid)]);
    },
    async pinAllThreads(pid, cpus) {
      checkCpus(cpus);
      const out = await taskset(['-a', '-p', '-c', formatCpuList(cpus), who(pid)]);
      return out.split('\n').filter((l) => l.includes('new affinity')).length;
    },
  };
}

let cached: LoadedAffinity | undefined;

/** Loads the native addon (cached), or returns the taskset fallback with the reason. */
export function loadAffinity(opts: LoadAffinityOptions = {}): LoadedAffinity {
  if (opts.forceFallback) return { impl: tasksetAffinity(), native: false, why: 'taskset fallback forced' };
  if (cached && !opts.addonPath) return cached;
  let result: LoadedAffinity;
  try {
    const path = opts.addonPath ?? addonPath();
    if (!existsSync(path)) throw new Error(`${path} is missing (build it with: node scripts/build-native.mjs)`);
    const addon = createRequire(import.meta.url)(path) as Addon;
    result = {
      impl: nativeAffinity(addon),
      native: true,
      thread: { get: () => addon.getAffinity(0), set: (cpus) => addon.setAffinity(0, cpus) },
    };
  } catch (e) {
    result = {
      impl: tasksetAffinity(),
      native: false,
      why: `native affinity addon not loaded: ${(e as Error).message}`,
    };
  }
  if (!opts.addonPath) cached = result;
  return result;
}
