// <workdir>/nodes/<node>.rank<k>.json: a Droid's live workers, rewritten when a worker starts or stops (read by `yoda status`).
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { workdirPaths } from '../job/workdir.js';

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
  /** How workers are pinned: the native addon, or the taskset fallback. */
  pinning: 'native' | 'taskset';
  writtenAt: string;
  workers: LiveWorker[];
}

/** The node file of the Droid of `rank` on `node` (a rank of its own, as several may share a node). */
export function nodeFilePath(workdir: string, node: string, rank: number): string {
  return join(workdirPaths(workdir).nodes, `${node.replace(/[^A-Za-z0-9._-]/g, '_')}.rank${rank}.json`);
}

/** Writes a node file atomically (write aside, then rename). */
export function writeNodeFile(path: string, f: NodeFile): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(`${path}.tmp`, `${JSON.stringify(f, null, 1)}\n`);
  renameSync(`${path}.tmp`, path);
}

/** Removes a node file (the Droid ends). */
export function removeNodeFile(path: string): void {
  rmSync(path, { force: true });
}
