// Payload processes found by their environment: every process a worker starts inherits YODA_WORKDIR, YODA_NODE,
// YODA_DROID_PID and YODA_WORKER_TOKEN (unless the payload scrubs its environment), also those that left the
// worker's process group (setsid) or were reparented to init. Used to kill a worker's whole tree when it ends,
// and, when a Droid starts, to stop what an earlier run on this node left behind.
import { readdirSync, readFileSync } from 'node:fs';
import { pidAlive } from '../util/pid-alive.js';

/** A process that carries a worker's environment. */
export interface PayloadProcess {
  pid: number;
  pgid: number;
  /** The Yoda variables of its environment. */
  env: Record<string, string>;
}

function yodaVars(environ: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const kv of environ.split('\0')) {
    if (!kv.startsWith('YODA_')) continue;
    const eq = kv.indexOf('=');
    if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return env;
}

function pgidOf(pid: number, proc: string): number | null {
  try {
    const stat = readFileSync(`${proc}/${pid}/stat`, 'latin1');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return null;
  }
}

/** Processes of this user whose environment holds `needle` ("NAME=value"), except this process. */
export function findByEnv(needle: string, proc = '/proc'): PayloadProcess[] {
  const found: PayloadProcess[] = [];
  let entries: string[];
  try {
    entries = readdirSync(proc);
  } catch {
    return found;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    let environ: string;
    try {
      environ = readFileSync(`${proc}/${name}/environ`, 'latin1');
    } catch {
      continue; // exited, or another user's
    }
    if (!`\0${environ}`.includes(`\0${needle}\0`)) continue;
    const pgid = pgidOf(pid, proc);
    if (pgid !== null) found.push({ pid, pgid, env: yodaVars(environ) });
  }
  return found;
}

/** Sends `signal` to each process and its process group; returns the pids signalled. */
export function signalAll(list: PayloadProcess[], signal: NodeJS.Signals = 'SIGKILL'): number[] {
  const done: number[] = [];
  for (const p of list) {
    let hit = false;
    for (const target of [p.pgid > 1 && p.pgid !== process.pid ? -p.pgid : 0, p.pid]) {
      if (target === 0 || target === -process.pid) continue;
      try {
        process.kill(target, signal);
        hit = true;
      } catch {
        /* gone already (the group signal may have reached it first) */
      }
    }
    if (hit) done.push(p.pid);
  }
  return done;
}

// One scan of /proc serves every worker that ends in the same turn of the event loop (the end of a job on a wide node).
let scan: PayloadProcess[] | null = null;
function thisDroidsProcesses(): PayloadProcess[] {
  if (!scan) {
    scan = findByEnv(`YODA_DROID_PID=${process.pid}`);
    setImmediate(() => (scan = null));
  }
  return scan;
}

/** Kills what is left of a worker: its process group and every process carrying its token (setsid, reparented). */
export function killWorkerTree(pgid: number | undefined, token: string, signal: NodeJS.Signals = 'SIGKILL'): number[] {
  if (pgid) {
    try {
      process.kill(-pgid, signal);
    } catch {
      /* gone */
    }
  }
  return signalAll(
    thisDroidsProcesses().filter((p) => p.env.YODA_WORKER_TOKEN === token),
    signal,
  );
}

/** True when the process group `pgid` still has a member (a zombie counts). */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// Tokens of commands that ended normally with an empty process group: a child that left the group (setsid) may
// still carry one. One throttled scan of /proc, shared by all slots, kills those instead of a scan per range.
const retired = new Set<string>();
let sweepTimer: NodeJS.Timeout | null = null;
/** How long a setsid child of a command that ended normally may outlive it (one /proc scan per period at most). */
export const SWEEP_MS = 500;

/** Kills the processes carrying a retired token; forgets the tokens no process carries any more. */
export function sweepRetired(signal: NodeJS.Signals = 'SIGKILL'): number[] {
  if (sweepTimer) clearTimeout(sweepTimer);
  sweepTimer = null;
  if (retired.size === 0) return [];
  const left = thisDroidsProcesses().filter((p) => retired.has(p.env.YODA_WORKER_TOKEN));
  const carried = new Set(left.map((p) => p.env.YODA_WORKER_TOKEN));
  for (const t of retired) if (!carried.has(t)) retired.delete(t);
  return signalAll(left, signal);
}

/**
 * After a command ended by itself: kills its process group when it still has members (and then scans /proc for
 * its token at once); otherwise leaves the token to the next sweep, within SWEEP_MS, for children that left the group.
 */
export function endCommandTree(pgid: number | undefined, token: string): void {
  if (pgid && groupAlive(pgid)) {
    killWorkerTree(pgid, token);
    return;
  }
  retired.add(token);
  if (!sweepTimer) {
    sweepTimer = setTimeout(() => sweepRetired(), SWEEP_MS);
    sweepTimer.unref();
  }
}

/** Leftovers of earlier runs: processes of this work directory and node whose Droid (YODA_DROID_PID) is gone. */
export function findLeftovers(workdir: string, node: string, proc = '/proc'): PayloadProcess[] {
  return findByEnv(`YODA_WORKDIR=${workdir}`, proc).filter((p) => {
    if (p.env.YODA_NODE !== undefined && p.env.YODA_NODE !== node) return false;
    const droid = Number(p.env.YODA_DROID_PID);
    return !(Number.isInteger(droid) && droid > 0 && droid !== process.pid && pidAlive(droid)) && droid !== process.pid;
  });
}

/** Kills the leftovers of earlier runs on this node (their process groups too), saying what was killed. */
export function stopLeftovers(workdir: string, node: string, log: { warn(msg: string): void }): number[] {
  const left = findLeftovers(workdir, node);
  if (left.length === 0) return [];
  const killed = signalAll(left);
  const what = left.map(
    (p) =>
      `pid ${p.pid} (group ${p.pgid}${p.env.YODA_WORKER_ID ? `, worker ${p.env.YODA_WORKER_ID}` : ''}${p.env.YODA_DROID_PID ? `, of Droid pid ${p.env.YODA_DROID_PID}` : ''})`,
  );
  log.warn(
    `stopped ${killed.length} payload process(es) an earlier run on this node left behind in ${workdir} (their Droid is gone): ${what.join('; ')}`,
  );
  return killed;
}
