// What a job still needs, for `yoda fill`: ranges left, range time and slots per node, from its work directory.
import type { JobStatus } from '../status/job-status.js';
import { statusOf } from '../status/job-status.js';
import { replayJournalFile } from '../journal/read.js';
import { requireJobDescription } from '../job/workdir.js';
import type { JournalRecord } from '../journal/records.js';
import type { JobFile } from '../job/schema.js';
import { workdirPaths } from '../workdir/paths.js';
import { readEndpoint } from '../runtime/rendezvous.js';
import type { FillJobState } from './plan.js';

/** The job as one fill round sees it: its status and what the planner needs. */
export interface FillJobView {
  status: JobStatus;
  need: FillJobState;
}

/** The planner's view of a job from its status, journal records and job file (pure). */
export function fillJobStateOf(s: JobStatus, records: readonly JournalRecord[], spec: JobFile): FillJobState {
  const walls = records.flatMap((r) => (r.t === 'done' ? [r.wall] : [])).slice(-500);
  const joined = s.allocations.filter((a) => a.droids > 0 && a.slots > 0);
  const open = s.state === 'running' ? s.allocations.filter((a) => a.leftAt === null) : [];
  const slotKinds = spec.payload.slots;
  return {
    rangesLeft: s.ranges.total - s.ranges.done - s.ranges.fatal,
    deliveryLeft: (s.merge?.pending ?? 0) + (s.stageOut?.pending ?? 0),
    rangeSeconds: walls.length ? walls.reduce((a, b) => a + b, 0) / walls.length : null,
    slotsPerNode: joined.length ? Math.max(...joined.map((a) => Math.round(a.slots / a.droids))) : null,
    coresPerSlot: slotKinds ? 1 : spec.payload.coresPerWorker,
    maxWorkers: slotKinds ? null : (spec.payload.workers ?? null),
    activeNodes: [...new Set(open.flatMap((a) => a.nodes))],
  };
}

/** Reads the job in `workdir` (which must hold job.json) for one fill round. */
export function readFillJob(workdir: string, now = Date.now()): FillJobView {
  const d = requireJobDescription(workdir);
  const p = workdirPaths(workdir);
  const { parsed, state } = replayJournalFile(p.journal, d.totalRanges, true);
  // Every round: the files on disk are not looked at (status shows that; fill does not need it).
  const status = statusOf(workdir, d, state, parsed, readEndpoint(p.endpoint), now, false);
  return { status, need: fillJobStateOf(status, parsed.records, d.spec) };
}
