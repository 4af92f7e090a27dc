// <workdir>/nodes/<node>.rank<k>.json: a Droid's live workers, rewritten when a worker starts or stops (read by `yoda status`).
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkerSetup } from '../payload/worker-env.js';
import { writeFileAtomic } from '../workdir/atomic.js';
import type { DroidConfig } from './state.js';

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

/** The node file of a Droid whose slot `slot` runs the worker `live(slot)` returns (undefined: none there). */
export function nodeFileOf(
  c: DroidConfig,
  host: string,
  template: Pick<WorkerSetup, 'pinner' | 'mode'>,
  live: (slot: number) => { pid: number | null; startedAt: string | undefined } | undefined,
): NodeFile {
  const writtenAt = new Date().toISOString();
  const workers = c.slots.flatMap((s) => {
    const w = live(s.slot);
    if (!w) return [];
    const { slot, cpus, gpus, cores, log, memoryLimitMB } = s;
    return [
      {
        node: c.node,
        slot,
        pid: w.pid,
        cpus,
        gpus,
        cores,
        mode: template.mode,
        startedAt: w.startedAt ?? writtenAt,
        log,
        memoryLimitMB,
      },
    ];
  });
  return {
    node: c.node,
    host,
    rank: c.rank,
    droid: c.key,
    droidPid: c.pid,
    pinning: template.pinner.how,
    writtenAt,
    workers,
  };
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
