// Which allocations to submit so a job is fed from what the batch system has free now: pure, no processes.
import type { ClusterState, QueueJob } from '../batch/slurm-state.js';

/** What the job still needs, from its work directory. */
export interface FillJobState {
  /** Ranges not done and not fatal (ready, waiting for a retry, or in flight). */
  rangesLeft: number;
  /** Merges and transfers not done (complete groups not merged, final outputs not delivered, failed ones excepted). */
  deliveryLeft: number;
  /** Mean wall seconds of a range seen so far; null before any range finished. */
  rangeSeconds: number | null;
  /** Slots a Droid cut a node into, as seen in an allocation of the job; null before any Droid joined. */
  slotsPerNode: number | null;
  /** Before that, the estimate from the job file: cores per slot (coresPerWorker) and at most `maxWorkers` per node. */
  coresPerSlot: number;
  maxWorkers: number | null;
  /** Nodes of allocations working on the job now (from `yoda status`): they need no new allocation. */
  activeNodes: string[];
}

/** Limits given on the command line. */
export interface FillOptions {
  /** The partition to fill; null: the cluster's default partition. */
  partition: string | null;
  account: string | null;
  /** At most this many nodes working for the job at once (own allocations, running or pending). */
  maxNodes: number;
  /** At most this many pending allocations of our own. */
  maxJobs: number;
  /** Longest time limit asked for, in minutes. */
  timeMaxMinutes: number;
  /** --time-min asked for (capped at the time limit), in minutes. */
  timeMinMinutes: number;
  /** The comment marking our own allocations (`yoda-fill:<hash of the work directory>`). */
  marker: string;
}

/** One allocation to submit. */
export interface Submission {
  nodes: number;
  timeMinutes: number;
  timeMinMinutes: number;
  /** Seconds before the end that the batch shell gets USR1 (Yoda drains). */
  signalSeconds: number;
  partition: string;
  /** The idle nodes whose window gave this time limit (Slurm places the allocation; these are where it fits). */
  onNodes: string[];
  why: string;
}

/** The window an idle node offers: free until `until` (null: until the time-max), and what ends it. */
export interface NodeWindow {
  node: string;
  until: number | null;
  boundBy: string;
  usable: boolean;
}

/** A round's decision: what to submit, the windows seen, and why (printed by --dry-run). */
export interface FillPlan {
  partition: string | null;
  submissions: Submission[];
  windows: NodeWindow[];
  ownPending: string[];
  ownRunning: string[];
  reasons: string[];
}

const MINUTE = 60_000;
const PENDING = new Set(['PENDING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED']);
const ACTIVE = new Set([
  'RUNNING',
  'COMPLETING',
  'CONFIGURING',
  'SUSPENDED',
  'STOPPED',
  'RESIZING',
  'SIGNALING',
  'STAGE_OUT',
]);

/** Seconds of warning (USR1) for an allocation of `minutes`: a tenth of it, between 30 s and 180 s (the script's own). */
export function signalSecondsFor(minutes: number): number {
  return Math.min(180, Math.max(30, Math.round((minutes * 60) / 10)));
}

/** `H:MM` for a number of minutes. */
export function hm(minutes: number): string {
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}`;
}

const at = (t: number) => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');

// The window of one idle node: the first reservation or planned pending job ahead of it, within the partition's limit.
function windowOf(node: string, partition: string, c: ClusterState, own: (j: QueueJob) => boolean): NodeWindow {
  let until: number | null = null;
  let boundBy = 'nothing ahead';
  const bound = (t: number, what: string) => {
    if (until === null || t < until) {
      until = t;
      boundBy = what;
    }
  };
  for (const r of c.reservations) {
    // Whatever its partition: we do not ask for reservations, so none of them lets us in.
    if (!r.nodes.includes(node) || r.end.getTime() <= c.now) continue;
    bound(r.start.getTime(), `reservation ${r.name} from ${at(r.start.getTime())}`);
  }
  for (const j of c.jobs) {
    if (own(j) || !PENDING.has(j.state) || j.start === null) continue;
    // Planned on nodes: those (in any partition); not yet: anywhere in its partitions.
    if (j.nodes.length > 0 ? !j.nodes.includes(node) : !j.partitions.includes(partition)) continue;
    bound(
      j.start.getTime(),
      `pending job ${j.id} expected to start ${at(j.start.getTime())}${j.nodes.length ? ' here' : ''}`,
    );
  }
  return { node, until, boundBy, usable: true };
}

/** Plans one round: allocations that fit the idle nodes' windows, no more nodes than the job can use, at most maxJobs pending. */
export function planFill(c: ClusterState, job: FillJobState, o: FillOptions): FillPlan {
  const reasons: string[] = [];
  const partition = o.partition ?? c.nodes.find((n) => n.defaultPartition)?.partition ?? null;
  const plan: FillPlan = { partition, submissions: [], windows: [], ownPending: [], ownRunning: [], reasons };
  if (partition === null) {
    reasons.push('no partition given and the cluster has no default partition: pass --partition');
    return plan;
  }
  const own = (j: QueueJob) => j.comment === o.marker;
  const mine = c.jobs.filter(own);
  const pending = mine.filter((j) => PENDING.has(j.state));
  const running = mine.filter((j) => ACTIVE.has(j.state));
  plan.ownPending = pending.map((j) => j.id);
  plan.ownRunning = running.map((j) => j.id);
  const busy = new Set([...job.activeNodes, ...running.flatMap((j) => j.nodes)]);
  const pendingNodes = pending.reduce((s, j) => s + j.nodeCount, 0);

  const inPartition = c.nodes.filter((n) => n.partition === partition);
  if (inPartition.length === 0) {
    reasons.push(`partition ${partition} has no nodes (sinfo)`);
    return plan;
  }
  const cpus = Math.max(...inPartition.map((n) => n.cpus));
  const slots = Math.max(
    1,
    job.slotsPerNode ?? Math.min(job.maxWorkers ?? Infinity, Math.floor(cpus / job.coresPerSlot)),
  );
  // Only merges and transfers left: one node's run does them (Yoda does them on rank 0).
  const useful = Math.ceil(job.rangesLeft / slots) || (job.deliveryLeft > 0 ? 1 : 0);
  const wanted = Math.min(useful, o.maxNodes) - busy.size - pendingNodes;
  reasons.push(
    `${job.rangesLeft} ranges left at ${slots} slots per node${job.deliveryLeft > 0 ? `, ${job.deliveryLeft} merge(s) or transfer(s)` : ''}: the job can use ${useful} node(s)` +
      `${useful > o.maxNodes ? ` (--max-nodes ${o.maxNodes})` : ''}; ${busy.size} working, ${pendingNodes} pending in ${pending.length} allocation(s) of ours`,
  );

  // `planned`: idle now, but the backfill scheduler holds it for a pending job later (its window ends at that start).
  const idle = inPartition.filter((n) => n.up && (n.state === 'idle' || n.state === 'planned'));
  const limitSeconds = inPartition[0].partitionLimitSeconds;
  const maxMinutes = Math.min(o.timeMaxMinutes, limitSeconds === null ? Infinity : Math.floor(limitSeconds / 60));
  // Worth an allocation: time for a range (x1.25, as Yoda estimates) after start-up, before the warning, plus a margin.
  const rangeSeconds = job.rangeSeconds ?? 0;
  const minMinutes = (m: number) => m * 60 - signalSecondsFor(m) - 30 >= Math.max(30, rangeSeconds * 1.25);
  const free = idle.length - pendingNodes;
  reasons.push(
    `partition ${partition}: ${idle.length} idle node(s)${idle.length ? ` (${idle.map((n) => n.node).join(',')})` : ''} of ${inPartition.length}` +
      `${pendingNodes ? `, ${pendingNodes} of them expected to go to our pending allocations` : ''}; time limit up to ${hm(maxMinutes)}` +
      `${limitSeconds !== null && maxMinutes * 60 === Math.floor(limitSeconds / 60) * 60 ? ' (partition limit)' : ''}`,
  );

  const groups = new Map<number, { nodes: string[]; boundBy: string }>();
  for (const n of idle) {
    const w = windowOf(n.node, partition, c, own);
    plan.windows.push(w);
    const minutes = w.until === null ? maxMinutes : Math.min(maxMinutes, Math.floor((w.until - c.now) / MINUTE) - 1);
    if (!minMinutes(minutes)) {
      w.usable = false;
      continue;
    }
    const g = groups.get(minutes) ?? {
      nodes: [],
      boundBy: minutes === maxMinutes ? `time max ${hm(maxMinutes)}` : w.boundBy,
    };
    g.nodes.push(n.node);
    groups.set(minutes, g);
  }
  const tooShort = plan.windows.filter((w) => !w.usable);
  if (tooShort.length)
    reasons.push(`window too short for a range on ${tooShort.map((w) => `${w.node} (${w.boundBy})`).join(', ')}`);

  if (job.rangesLeft === 0 && job.deliveryLeft === 0) reasons.push('no ranges left to hand out: nothing to submit');
  else if (pending.length >= o.maxJobs)
    reasons.push(`${pending.length} allocation(s) of ours pending (--max-jobs ${o.maxJobs}): waiting for them`);
  else if (wanted <= 0) reasons.push('the job has all the nodes it can use: nothing to submit');
  else if (free <= 0) reasons.push('no idle node left for us: nothing to submit');
  else {
    let need = Math.min(wanted, free);
    let jobs = o.maxJobs - pending.length;
    for (const [minutes, g] of [...groups.entries()].sort((a, b) => b[0] - a[0])) {
      if (need <= 0 || jobs <= 0) break;
      const nodes = Math.min(need, g.nodes.length);
      plan.submissions.push({
        nodes,
        timeMinutes: minutes,
        timeMinMinutes: Math.min(o.timeMinMinutes, minutes),
        signalSeconds: signalSecondsFor(minutes),
        partition,
        onNodes: g.nodes,
        why: `${nodes} of ${g.nodes.length} idle node(s) ${g.nodes.join(',')} free for ${hm(minutes)} (${g.boundBy})`,
      });
      need -= nodes;
      jobs -= 1;
    }
    if (plan.submissions.length === 0) reasons.push('no idle node has a window long enough: nothing to submit');
  }
  return plan;
}
