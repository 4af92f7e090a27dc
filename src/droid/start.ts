// Starting the Droid of one rank on its node's slot plan: choose how to pin, set each slot's variables, and connect to Yoda.
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputFetcher } from '../stagein/fetcher.js';
import type { Logger } from 'pino';
import type { JobDescription } from '../job/workdir.js';
import { workdirPaths } from '../workdir/paths.js';
import { loadAffinity, type LoadedAffinity } from '../native/affinity.js';
import { formatCpuList } from '../util/cpu-list.js';
import { memoryLimitMB, slotEnvOptions } from '../node/job-plan.js';
import { formatPlan } from '../node/plan-format.js';
import type { SlotPlan } from '../node/planner.js';
import type { Topology } from '../node/topology.js';
import { createPinner } from '../payload/pinned-spawn.js';
import { stopLeftovers } from '../payload/process-tree.js';
import { findExecHelper } from '../native/exec-helper.js';
import { slotEnv } from '../node/slot-env.js';
import { findOnPath } from '../util/path-lookup.js';
import { DroidClient, type DroidShell } from './client.js';
import { droidKey } from '../protocol/droid-key.js';
import { nodeFilePath, prefetchFilePath, workerLogPath } from '../workdir/paths.js';
import { PrefetchPublisher } from './prefetch-file.js';
import { RangeExtractor } from '../stagein/extractor.js';
import { createDroidState, type DroidConfig } from './state.js';
import type { JobKeys } from '../security/keys.js';

/** Knobs of a Droid that the command line may set. */
export type DroidTuning = Pick<
  DroidConfig,
  | 'prefetchPerSlot'
  | 'reportIntervalMs'
  | 'reportBatch'
  | 'heartbeatSeconds'
  | 'maxStartFailures'
  | 'yodaTimeoutSeconds'
  | 'yodaGiveUpSeconds'
>;

/** Where this Droid runs. */
export interface DroidPlace {
  rank: number;
  node: string;
  /** The launch (allocation) id of this rank, null when the launcher gives none. */
  launch: string | null;
}

/** This node's topology and the job's slot plan on it (`yoda run` reads and plans once per rank). */
export interface NodePlan {
  topo: Topology;
  plan: SlotPlan;
}

/** The pinning implementation: the addon, unless YODA_AFFINITY=taskset forces the fallback. */
export function droidAffinity(env: NodeJS.ProcessEnv = process.env): LoadedAffinity {
  return loadAffinity({ forceFallback: env.YODA_AFFINITY === 'taskset' });
}

// Says once how workers are pinned, and what the plan is.
function announce(
  plan: SlotPlan,
  map: string,
  affinity: LoadedAffinity,
  taskset: string | null,
  place: DroidPlace,
  log: Logger,
): void {
  if (!affinity.native) {
    if (taskset) log.warn(`${affinity.why}: workers are started through "${taskset} -c <cpus>" instead`);
    else if (!findExecHelper().path)
      log.error(
        `${affinity.why}, and taskset is not on PATH: workers cannot be pinned and will fail to start (install util-linux or build the addon)`,
      );
  }
  const widths = [...new Set(plan.slots.map((s) => s.width))].join(',');
  log.info(
    `node ${place.node}: ${plan.slots.length} worker slot(s) of ${widths} core(s) on CPUs ${formatCpuList(plan.slots.flatMap((s) => s.cpus))}` +
      `${plan.reserved.length > 0 ? `, CPUs ${formatCpuList(plan.reserved)} reserved` : ''}; workers start pinned (${affinity.native ? 'native addon' : 'taskset'})`,
  );
  log.debug(`slot plan:\n${map}`);
  for (const w of plan.warnings) log.warn(`slot plan: ${w}`);
}

// The reserved cores are the Droid's (and, on rank 0, Yoda's): pin every thread of this process to them.
function pinSelf(affinity: LoadedAffinity, cpus: number[], rank: number, log: Logger): void {
  const who = rank === 0 ? 'Yoda and this Droid' : 'this Droid';
  affinity.impl.pinAllThreads(process.pid, cpus).then(
    (n) => log.info(`pinned ${who} (${n} threads) to the reserved CPUs ${formatCpuList(cpus)}`),
    (e: Error) => log.warn(`could not pin ${who} to the reserved CPUs ${formatCpuList(cpus)}: ${e.message}`),
  );
}

/** Starts the Droid for this rank on the slots of `nodePlan`, connected to Yoda's `endpoint`. */
export function startDroid(
  d: JobDescription,
  workdir: string,
  endpoint: string,
  place: DroidPlace,
  nodePlan: NodePlan,
  tuning: DroidTuning,
  log: Logger,
  keys: JobKeys | null,
): DroidClient {
  const paths = workdirPaths(workdir);
  const p = d.spec.payload;
  const { topo, plan } = nodePlan;
  for (const w of topo.warnings) log.warn(`topology: ${w}`);
  const affinity = droidAffinity();
  const helper = findExecHelper();
  const taskset = affinity.native ? null : findOnPath('taskset');
  // Without the addon, taskset pins; without taskset either, the exec helper does.
  if (helper.path === null)
    log.warn(
      `${helper.why}: payload processes start without a parent-death signal (they could outlive a killed Droid) and command mode cannot measure CPU`,
    );
  announce(plan, formatPlan(plan, topo), affinity, taskset, place, log);
  // Payload processes an earlier run on this node left behind (its Droid was killed) stop before new ones start.
  stopLeftovers(paths.root, place.node, log);
  if (plan.reserved.length > 0) pinSelf(affinity, plan.reserved, place.rank, log);
  const slots = plan.slots.map((s) => ({
    slot: s.slot,
    cpus: s.cpus,
    gpus: s.gpus,
    cores: s.width,
    log: workerLogPath(workdir, place.node, s.slot),
    memoryLimitMB: memoryLimitMB(p, s.width),
  }));
  // Remote input files read per range (`extract`, ESS style), with their command.
  const extracts = new Map(d.files.flatMap((f) => (f.extract ? [[f.path, f.extract] as const] : [])));
  const config: DroidConfig = {
    ...tuning,
    key: droidKey(place.rank, place.node, process.pid),
    node: place.node,
    rank: place.rank,
    pid: process.pid,
    launch: place.launch,
    slots,
    startTimeoutSeconds: p.startTimeoutSeconds,
    rangeTimeoutSeconds: p.rangeTimeoutSeconds ?? null,
    inputCacheBytes: (d.spec.prefetch?.cacheGB ?? 20) * 1e9,
    extractUrls: [...extracts.keys()],
  };
  const prefetch = d.spec.prefetch;
  const cacheDir = join(prefetch?.cacheDir ?? tmpdir(), `yoda-inputs-${config.key}`);
  const tries = { attempts: prefetch?.attempts ?? 3, timeoutMs: (prefetch?.timeoutSeconds ?? 0) * 1000 };
  const fetcher = new InputFetcher(cacheDir, tries, log);
  const extractor = new RangeExtractor(cacheDir, extracts, d.payloadCwd, tries, log);
  const envOptions = slotEnvOptions(p);
  const shell: DroidShell = {
    template: {
      command: p.command,
      mode: p.mode,
      cwd: d.payloadCwd,
      env: p.env,
      workdir: paths.root,
      outputDir: d.outputDir,
      outputTemplate: p.output,
      node: place.node,
      startTimeoutSeconds: p.startTimeoutSeconds,
      pinner: createPinner(affinity, taskset ?? 'taskset', { helper: helper.path, helperPins: taskset === null }),
    },
    slotEnv: new Map(plan.slots.map((s) => [s.slot, slotEnv(s, topo, envOptions)])),
    affinity,
    nodeFile: { path: nodeFilePath(workdir, place.node, place.rank, process.pid), host: hostname() },
    fetcher,
    extractor,
    prefetchFile: new PrefetchPublisher(prefetchFilePath(workdir, place.node, place.rank, process.pid, Date.now()), {
      node: place.node,
      rank: place.rank,
      droid: config.key,
    }),
  };
  return new DroidClient(endpoint, createDroidState(config, Date.now()), shell, log, keys);
}
