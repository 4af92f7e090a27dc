// Everything a payload worker gets from its Droid: environment, working directory, output names, log file.
import { closeSync, openSync, writeSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { findPackageRoot } from '../util/package-root.js';
import type { RangeSpec } from '../protocol/messages.js';
import { safeRangeName } from '../job/plan.js';
import type { Pinner } from './pinned-spawn.js';
import type { SlotEnv } from '../node/slot-env.js';

/** What a Droid knows to start the workers of one slot. */
export interface WorkerSetup {
  command: string | string[];
  mode: 'daemon' | 'command';
  cwd: string;
  env: Record<string, string>;
  workdir: string;
  outputDir: string;
  outputTemplate: string;
  node: string;
  slot: number;
  /** CPUs the worker (every thread of it, and its children) runs on. */
  cpus: number[];
  /** GPU indexes (as this Droid numbers them) of the slot. */
  gpus: number[];
  /** The slot's variables (OpenMP, core count, GPUs), below payload.env in precedence. */
  slotEnv: SlotEnv;
  /** Starts the worker's processes already pinned to `cpus`. */
  pinner: Pinner;
  log: string;
  startTimeoutSeconds: number;
}

// Directory holding yoda_payload.py, put on every worker's PYTHONPATH.
const PYTHON_HELPER_DIR = join(findPackageRoot(), 'python');

let started = 0;

/** A token naming one worker process (one command in command mode): its tree carries it in YODA_WORKER_TOKEN. */
export function newWorkerToken(w: Pick<WorkerSetup, 'node' | 'slot'>): string {
  started += 1;
  return `${process.pid}.${w.node}.${w.slot}.${started}`;
}

/** The environment of a worker process; `token` names it (see process-tree.ts). */
export function workerEnv(w: WorkerSetup, base: NodeJS.ProcessEnv = process.env, token = ''): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const [k, v] of Object.entries(w.slotEnv)) {
    if (v === null) delete env[k];
    else env[k] = v;
  }
  return {
    ...env,
    ...w.env,
    PYTHONPATH: [PYTHON_HELPER_DIR, base.PYTHONPATH, w.env.PYTHONPATH].filter(Boolean).join(delimiter),
    YODA_CONTROL_FD: '3',
    YODA_WORKER_ID: `${w.node}.${w.slot}`,
    YODA_SLOT: String(w.slot),
    YODA_NODE: w.node,
    YODA_CPUS: w.cpus.join(','),
    YODA_GPUS: w.gpus.join(','),
    YODA_WORKDIR: w.workdir,
    YODA_OUTPUT_DIR: w.outputDir,
    YODA_DROID_PID: String(process.pid),
    YODA_WORKER_TOKEN: token,
  };
}

/** The absolute output path suggested for a range. */
export function outputPath(w: Pick<WorkerSetup, 'outputDir' | 'outputTemplate'>, r: RangeSpec): string {
  const name = w.outputTemplate.replaceAll('{range}', safeRangeName(r.id)).replaceAll('{attempt}', String(r.attempt));
  return join(w.outputDir, name);
}

/** Opens the slot's log for appending, writes a header line, and returns the descriptor. */
export function openWorkerLog(w: WorkerSetup, what: string): number {
  const fd = openSync(w.log, 'a');
  writeSync(fd, `\n==== yoda: ${new Date().toISOString()} ${what}\n`);
  return fd;
}

/** Closes a log descriptor the parent no longer needs (the child keeps its copy). */
export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    /* already closed */
  }
}
