// <workdir>/nodes/<node>.rank<k>.json: a Droid's live workers, rewritten when a worker starts or stops (read by `yoda status`).
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../workdir/atomic.js';

/** One live worker as `yoda status --json` lists it. */
export interface LiveWorker {
  node: string;
  slot: number;
  /** The worker's process (it leads its process group); null in command mode between ranges. */
  pid: number | null;
  cpus: number[];
  gpus: number[];
  /** Width in cores (cpus holds every pinned hardware thread). */
  cores: number;
  mode: 'daemon' | 'command';
  startedAt: string;
  log: string;
  memoryLimitMB: number | null;
}

/** What a Droid publishes about itself and its workers. */
export interface NodeFile {
  node: string;
  host: string;
  rank: number;
  droid: string;
  droidPid: number;
  /** How workers are pinned: the native addon, the exec helper, or the taskset fallback. */
  pinning: 'native' | 'helper' | 'taskset';
  writtenAt: string;
  workers: LiveWorker[];
}

/** Writes a node file atomically (write aside, then rename). */
export function writeNodeFile(path: string, f: NodeFile): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileAtomic(path, `${JSON.stringify(f, null, 1)}\n`);
}

/** Removes a node file (the Droid ends). */
export function removeNodeFile(path: string): void {
  rmSync(path, { force: true });
}
