// What the Slurm cluster has free: pure parsers for sinfo, squeue (--start) and `scontrol show res` (no processes here).
import { expandHostlist } from './hostlist.js';
import { parseSlurmTimeLeft, parseSqueueEndTime } from './walltime.js';
import { YodaError } from '../util/errors.js';

/** The `sinfo -h -N -o` format parseSinfoNodes reads: node, partition, state, CPUs, partition time limit, availability. */
export const SINFO_FORMAT = '%N|%P|%T|%c|%l|%a';

/** The `squeue -h -o` format parseSqueue reads (with or without --start); %Y: the nodes a pending job is planned on. */
export const SQUEUE_FORMAT = '%i|%P|%T|%S|%e|%D|%Q|%j|%k|%u|%N|%Y';

/** One node in one partition, as sinfo shows it. */
export interface SlurmNode {
  node: string;
  partition: string;
  /** The partition is the cluster's default (sinfo marks it with `*`). */
  defaultPartition: boolean;
  /** Long state, lower case, with sinfo's suffix kept (`idle`, `allocated`, `mixed`, `idle~`, `drained*`...). */
  state: string;
  cpus: number;
  /** The partition's time limit in seconds; null when infinite. */
  partitionLimitSeconds: number | null;
  /** The partition is up. */
  up: boolean;
}

/** One job in the queue. */
export interface QueueJob {
  id: string;
  /** A pending job may be eligible for several partitions (`a,b`). */
  partitions: string[];
  state: string;
  /** Start: actual for a running job, expected for a pending one (null when Slurm has not planned it). */
  start: Date | null;
  end: Date | null;
  nodeCount: number;
  priority: number;
  name: string;
  comment: string | null;
  user: string;
  /** Nodes it runs on (running) or is planned on (pending, from %Y); [] when unknown. */
  nodes: string[];
}

/** One reservation from `scontrol show res`. */
export interface Reservation {
  name: string;
  start: Date;
  end: Date;
  nodes: string[];
  partition: string | null;
  flags: string[];
}

const NONE = new Set(['', '(null)', 'n/a', 'none', '(none)']);
const nullable = (v: string) => (NONE.has(v.trim().toLowerCase()) ? null : v.trim());
const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');

function fields(line: string, count: number, what: string): string[] {
  const f = line.split('|');
  // The comment (%k) may itself hold '|': the fields after it are fixed, so take them from the end.
  if (f.length < count)
    throw new YodaError(
      'BAD_ENVIRONMENT',
      `cannot parse ${what} line "${line}": expected ${count} fields separated by |`,
    );
  return f;
}

function whole(v: string, what: string): number {
  if (!/^\d+$/.test(v.trim()))
    throw new YodaError('BAD_ENVIRONMENT', `cannot parse ${what}: "${v}" is not a whole number`);
  return Number(v.trim());
}

function time(v: string): Date | null {
  return nullable(v) === null ? null : parseSqueueEndTime(v);
}

// Nodes of a hostlist field; null, N/A and "(null)" give [].
function hosts(v: string): string[] {
  const h = nullable(v);
  return h === null ? [] : expandHostlist(h);
}

/** Parses `sinfo -h -N -o SINFO_FORMAT`: one entry per node and partition. */
export function parseSinfoNodes(text: string): SlurmNode[] {
  return lines(text).map((line) => {
    const [node, part, state, cpus, limit, avail] = fields(line, 6, 'sinfo');
    const limitText = limit.trim().toLowerCase();
    return {
      node: node.trim(),
      partition: part.trim().replace(/\*$/, ''),
      defaultPartition: part.trim().endsWith('*'),
      state: state.trim().toLowerCase(),
      cpus: whole(cpus, `sinfo CPUs of ${node}`),
      partitionLimitSeconds: limitText === 'infinite' || limitText === 'n/a' ? null : parseSlurmTimeLeft(limitText),
      up: avail.trim().toLowerCase() === 'up',
    };
  });
}

/** Parses `squeue -h [--start] -o SQUEUE_FORMAT`. */
export function parseSqueue(text: string): QueueJob[] {
  return lines(text).map((line) => {
    const f = fields(line, 12, 'squeue');
    const [id, part, state, start, end, count, prio, name] = f;
    const [user, nodes, sched] = f.slice(-3);
    const comment = f.slice(8, -3).join('|');
    const running = hosts(nodes);
    return {
      id: id.trim(),
      partitions: part
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
      state: state.trim().toUpperCase(),
      start: time(start),
      end: time(end),
      nodeCount: whole(count, `squeue node count of job ${id}`),
      priority: whole(prio, `squeue priority of job ${id}`),
      name: name.trim(),
      comment: nullable(comment),
      user: user.trim(),
      nodes: running.length > 0 ? running : hosts(sched),
    };
  });
}

// key=value tokens of one record (values hold no spaces in scontrol's output).
function keyValues(record: string): Map<string, string> {
  const kv = new Map<string, string>();
  for (const tok of record.split(/\s+/)) {
    const eq = tok.indexOf('=');
    if (eq > 0) kv.set(tok.slice(0, eq), tok.slice(eq + 1));
  }
  return kv;
}

/** Parses `scontrol show res` (one line per reservation with -o, or the multi-line form); "No reservations" gives []. */
export function parseReservations(text: string): Reservation[] {
  if (/^\s*No reservations in the system\s*$/i.test(text)) return [];
  const records = text
    .split(/(?=\bReservationName=)/)
    .map((r) => r.trim())
    .filter((r) => r.startsWith('ReservationName='));
  return records.map((r) => {
    const kv = keyValues(r);
    const name = kv.get('ReservationName') ?? '';
    const start = time(kv.get('StartTime') ?? '');
    const end = time(kv.get('EndTime') ?? '');
    if (!start || !end)
      throw new YodaError('BAD_ENVIRONMENT', `cannot parse reservation ${name}: no StartTime or EndTime in "${r}"`);
    return {
      name,
      start,
      end,
      nodes: hosts(kv.get('Nodes') ?? ''),
      partition: nullable(kv.get('PartitionName') ?? ''),
      flags: (nullable(kv.get('Flags') ?? '') ?? '').split(',').filter(Boolean),
    };
  });
}

/** The batch system as read in one round. */
export interface ClusterState {
  now: number;
  nodes: SlurmNode[];
  /** Every job in the queue (running and pending; pending ones with their expected start when squeue --start knows it). */
  jobs: QueueJob[];
  reservations: Reservation[];
}
