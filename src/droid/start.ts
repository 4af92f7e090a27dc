// Starting the Droid of one rank: cut the node into slots and connect to Yoda.
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { JobDescription } from '../job/workdir.js';
import { workdirPaths } from '../job/workdir.js';
import { DroidClient } from './client.js';
import { createDroidState, type DroidConfig } from './state.js';
import { allowedCpus, equalSlots } from './equal-slots.js';
import type { JobKeys } from '../security/keys.js';

/** Knobs of a Droid that the command line may set. */
export type DroidTuning = Pick<DroidConfig, 'prefetchPerSlot' | 'reportIntervalMs' | 'reportBatch' | 'heartbeatSeconds' | 'maxStartFailures' | 'yodaTimeoutSeconds' | 'yodaGiveUpSeconds'>;

/** Where this Droid runs. */
export interface DroidPlace {
  rank: number;
  node: string;
}

/** Starts the Droid for this rank, connected to Yoda's `endpoint`. */
export function startDroid(d: JobDescription, workdir: string, endpoint: string, place: DroidPlace, tuning: DroidTuning, log: Logger, keys: JobKeys | null): DroidClient {
  const paths = workdirPaths(workdir);
  const p = d.spec.payload;
  const slots = equalSlots(allowedCpus(), p.coresPerWorker, p.workers).map((cpus, slot) => ({
    slot, cpus, log: join(paths.workerLogs, `${place.node}.${slot}.log`),
  }));
  const config: DroidConfig = {
    ...tuning,
    key: `droid-${place.rank}-${place.node}-${process.pid}`,
    node: place.node,
    rank: place.rank,
    pid: process.pid,
    slots,
    startTimeoutSeconds: p.startTimeoutSeconds,
    rangeTimeoutSeconds: p.rangeTimeoutSeconds ?? null,
  };
  const template = {
    command: p.command, mode: p.mode, cwd: d.payloadCwd, env: p.env, workdir: paths.root,
    outputDir: d.outputDir, outputTemplate: p.output, node: place.node, startTimeoutSeconds: p.startTimeoutSeconds,
  };
  return new DroidClient(endpoint, createDroidState(config, Date.now()), template, log, keys);
}
