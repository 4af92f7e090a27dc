// From a job file's payload fields to this node's slot plan: defaults, field names in messages, the worker cap.
import type { JobFile } from '../job/schema.js';
import type { SlotEnvOptions } from './slot-env.js';
import { planSlots, type PlanRequest, type SlotPlan, type WorkerRequest } from './planner.js';
import type { Topology } from './topology.js';

/** The payload fields that decide how a node is packed. */
export type PackingFields = Pick<
  JobFile['payload'],
  | 'coresPerWorker'
  | 'workers'
  | 'slots'
  | 'placement'
  | 'smt'
  | 'reserveCores'
  | 'gpusPerWorker'
  | 'memoryLimitMBPerCore'
  | 'coreCountVariable'
>;

// Default of payload.coreCountVariable.
const DEFAULT_CORE_COUNT_VARIABLE = 'ATHENA_PROC_NUMBER';

/** The planner request a payload asks for, with defaults applied and job-file names for messages. */
export function planRequestOf(p: PackingFields): PlanRequest {
  const workers: WorkerRequest[] = p.slots
    ? p.slots.map((s) => ({ ...s, gpus: s.gpus ?? p.gpusPerWorker }))
    : [{ cores: p.coresPerWorker, gpus: p.gpusPerWorker }];
  for (const w of workers) if (w.gpus === undefined) delete w.gpus;
  return {
    workers,
    policy: p.placement ?? 'compact',
    smt: p.smt ?? 'one-per-core',
    reserve: p.reserveCores ?? 0,
    labels: {
      workers: p.slots ? p.slots.map((_, i) => `payload.slots[${i}]`) : ['payload.coresPerWorker'],
      reserve: 'payload.reserveCores',
    },
  };
}

/** True when the job hands out GPUs per slot (then every worker's *_VISIBLE_DEVICES is set, empty for none). */
export function managesGpus(p: PackingFields): boolean {
  return p.gpusPerWorker !== undefined || (p.slots ?? []).some((s) => s.gpus !== undefined);
}

/** What slotEnv needs from a payload: the core-count variable (with its default) and whether GPUs are handed out. */
export function slotEnvOptions(p: PackingFields): SlotEnvOptions {
  return { coreCountVariable: p.coreCountVariable ?? DEFAULT_CORE_COUNT_VARIABLE, manageGpus: managesGpus(p) };
}

/** Plans this node for a payload; `workers` caps the slot count. Throws BAD_JOB_FILE when it cannot be met. */
export function planForPayload(topo: Topology, p: PackingFields): SlotPlan {
  const req = planRequestOf(p);
  if (p.slots || p.workers === undefined) return planSlots(topo, req);
  // "at most `workers`": count how many fit, then plan exactly that many (so the rest shows as unused).
  const fit = planSlots(topo, req).slots.length;
  return planSlots(topo, { ...req, workers: [{ ...req.workers[0], count: Math.min(fit, p.workers) }] });
}

/** A slot's memory limit in MB (per-core limit x its cores), or null without one. */
export function memoryLimitMB(p: PackingFields, cores: number): number | null {
  return p.memoryLimitMBPerCore === undefined ? null : Math.round(p.memoryLimitMBPerCore * cores);
}
