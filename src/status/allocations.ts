// The allocations a job ran in, folded from its journal: launch, nodes, when they joined and left, who held Yoda.
import { unfenced } from '../journal/replay.js';
import type { JournalRecord } from '../journal/records.js';

/** One term of Yoda held by an allocation: its epoch, when it started and ended, whether it took over. */
export interface YodaTerm {
  run: number;
  epoch: number;
  host: string;
  startedAt: string;
  /** When it ended (its end record, or the take-over by the next Yoda); null while it may still run. */
  endedAt: string | null;
  /** It took the job over from a Yoda whose allocation ended (or vanished). */
  takeover: boolean;
  exitCode: number | null;
}

/** One allocation (one launch) of the job, as `yoda status --json` lists it under `allocations`. */
export interface AllocationInfo {
  /** The launch id (e.g. `slurm:<jobid>.<step>`); null for a run outside a batch system. */
  launch: string | null;
  nodes: string[];
  droids: number;
  slots: number;
  cores: number;
  joinedAt: string;
  /** When its last Droid left (or its Yoda ended); null while any of them is in. */
  leftAt: string | null;
  /** Droids declared lost (silent past the heartbeat limit, or gone without a goodbye). */
  lost: number;
  rangesDone: number;
  /** The terms of Yoda this allocation held, in order. */
  yoda: YodaTerm[];
}

interface Acc {
  launch: string | null;
  nodes: Set<string>;
  droids: Set<string>;
  open: Set<string>;
  slots: number;
  cores: number;
  first: number;
  last: number;
  left: number | null;
  lost: number;
  done: number;
  yoda: (Omit<YodaTerm, 'startedAt' | 'endedAt'> & { start: number; end: number | null })[];
}

const iso = (t: number) => new Date(t).toISOString();

/**
 * Folds journal records into the job's allocations, in the order they first appeared. Pure; older journals (no launch,
 * epoch, join or leave) give one allocation per run, its nodes from the ranges done. `running`: whether the
 * job may still run (false when its status says it ended or was interrupted: then nothing is still in).
 */
export function allocationsOf(records: readonly JournalRecord[], running = true): AllocationInfo[] {
  const byKey = new Map<string, Acc>();
  const ofDroid = new Map<string, Acc>();
  let current: Acc | null = null; // the allocation of the latest Yoda
  let legacy = true; // no join records: Droids are known only from their work
  const acc = (key: string, launch: string | null, at: number): Acc => {
    let a = byKey.get(key);
    if (!a)
      byKey.set(
        key,
        (a = {
          launch,
          nodes: new Set(),
          droids: new Set(),
          open: new Set(),
          slots: 0,
          cores: 0,
          first: at,
          last: at,
          left: null,
          lost: 0,
          done: 0,
          yoda: [],
        }),
      );
    a.last = Math.max(a.last, at);
    return a;
  };
  const leave = (a: Acc, droid: string, at: number) => {
    a.open.delete(droid);
    a.last = Math.max(a.last, at);
  };
  for (const rec of unfenced(records)) {
    if (rec.t === 'run') {
      const r = rec;
      const previous = current?.yoda.at(-1);
      if (previous && previous.end === null) previous.end = r.at; // deposed (take-over) or gone without an end record
      // A new Yoda knows no Droid yet: those still alive join it again (a new join record); the others are gone.
      for (const a of byKey.values()) a.open.clear();
      const launch = r.launch ?? null;
      current = acc(launch ?? `run:${r.run}`, launch, r.at);
      current.yoda.push({
        run: r.run,
        epoch: r.epoch ?? r.run,
        host: r.host,
        takeover: r.takeover ?? false,
        exitCode: null,
        start: r.at,
        end: null,
      });
    } else if (rec.t === 'end') {
      const r = rec;
      const term = current?.yoda.find((y) => y.run === r.run);
      if (term && current) {
        term.end = r.at;
        term.exitCode = r.exit;
        current.last = Math.max(current.last, r.at);
      }
    } else if (rec.t === 'join') {
      const r = rec;
      legacy = false;
      const a = r.launch === null && current ? current : acc(r.launch ?? 'local', r.launch, r.at);
      a.nodes.add(r.node);
      if (!a.droids.has(r.droid)) {
        a.slots += r.slots;
        a.cores += r.cores;
      }
      a.droids.add(r.droid);
      a.open.add(r.droid);
      ofDroid.set(r.droid, a);
    } else if (rec.t === 'leave') {
      const r = rec;
      const a = ofDroid.get(r.droid);
      if (a?.open.has(r.droid)) {
        leave(a, r.droid, r.at);
        if (r.lost) a.lost += 1;
      }
    } else if (rec.t === 'done' || rec.t === 'fail') {
      const r = rec;
      const a = ofDroid.get(r.droid) ?? (legacy ? current : null);
      if (!a) continue;
      if (legacy) {
        a.nodes.add(r.node);
        a.droids.add(r.droid);
      }
      if (r.t === 'done') a.done += 1;
      a.last = Math.max(a.last, r.end);
    }
  }
  return [...byKey.values()].map((a) => {
    const yodaOn = a.yoda.some((y) => y.end === null);
    const inside = running && (a.open.size > 0 || yodaOn);
    return {
      launch: a.launch,
      nodes: [...a.nodes].sort(),
      droids: a.droids.size,
      slots: a.slots,
      cores: a.cores,
      joinedAt: iso(a.first),
      leftAt: inside ? null : iso(a.last),
      lost: a.lost,
      rangesDone: a.done,
      yoda: a.yoda.map(({ start, end, ...y }) => ({
        ...y,
        startedAt: iso(start),
        endedAt: end !== null ? iso(end) : running ? null : iso(a.last),
      })),
    };
  });
}

/** How many times another allocation took the job over from the Yoda before it. */
export function takeoversOf(allocations: readonly AllocationInfo[]): number {
  return allocations.reduce((n, a) => n + a.yoda.filter((y) => y.takeover).length, 0);
}

/** A short table of the allocations for `yoda status`: one line each. */
export function allocationsTable(allocations: readonly AllocationInfo[]): string[] {
  if (allocations.length === 0) return [];
  const rows = allocations.map((a) => [
    a.launch ?? 'local',
    a.nodes.length <= 4 ? a.nodes.join(',') || '-' : `${a.nodes.slice(0, 3).join(',')},… (${a.nodes.length})`,
    String(a.slots || '-'),
    a.joinedAt.slice(11, 19),
    a.leftAt ? a.leftAt.slice(11, 19) : 'in',
    a.yoda.map((y) => `epoch ${y.epoch}${y.takeover ? ' (took over)' : ''}${y.endedAt ? '' : ' now'}`).join('; ') ||
      '-',
    String(a.rangesDone),
    a.lost ? `${a.lost} lost` : '',
  ]);
  const head = ['allocation', 'nodes', 'slots', 'joined', 'left', 'Yoda', 'done', ''];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  return [head, ...rows].map((r) =>
    r
      .map((v, c) => v.padEnd(widths[c]))
      .join('  ')
      .trimEnd(),
  );
}
