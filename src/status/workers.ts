// The live workers of a job, from the node files its Droids keep in <workdir>/nodes (for `yoda status`).
import { readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { LiveWorker, NodeFile } from '../droid/node-file.js';
import type { EndpointFile } from '../runtime/rendezvous.js';
import { workdirPaths } from '../workdir/paths.js';
import { pidAlive } from '../util/pid-alive.js';

/** A worker as `yoda status --json` lists it: node, slot, pid, cpus, gpus and more. */
export type WorkerStatus = LiveWorker & { rank: number; host: string };

// Clocks of the nodes of one cluster agree within this much.
const CLOCK_SKEW_MS = 30_000;

function readNodeFile(path: string): NodeFile | null {
  try {
    const f = JSON.parse(readFileSync(path, 'utf8')) as NodeFile;
    return Array.isArray(f.workers) && typeof f.droidPid === 'number' ? f : null;
  } catch {
    return null; // half-written by a Droid that died mid-write, or not ours
  }
}

/** Whether a node file describes a Droid that still runs: checked by pid on this host, by date elsewhere. */
export function droidIsLive(
  f: NodeFile,
  here: string,
  runStarted: number | null,
  isAlive: (pid: number) => boolean = pidAlive,
): boolean {
  if (f.host === here) return isAlive(f.droidPid);
  // Another host: a file older than the current run's start (less some clock skew) is from an earlier run.
  return runStarted === null || Date.parse(f.writtenAt) >= runStarted - CLOCK_SKEW_MS;
}

/** The workers of every live Droid of the job in `workdir` (whose current run published `endpoint`), by node and slot; [] when none runs. */
export function liveWorkers(workdir: string, endpoint: EndpointFile | null): WorkerStatus[] {
  const dir = workdirPaths(workdir).nodes;
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const here = hostname();
  const runStarted = endpoint ? Date.parse(endpoint.started) : null;
  const out: WorkerStatus[] = [];
  for (const name of names) {
    const f = readNodeFile(join(dir, name));
    if (!f || !droidIsLive(f, here, Number.isNaN(runStarted) ? null : runStarted)) continue;
    for (const w of f.workers) {
      if (f.host === here && w.pid !== null && !pidAlive(w.pid)) continue; // exited; the Droid rewrites the file shortly
      out.push({ ...w, rank: f.rank, host: f.host });
    }
  }
  return out.sort((a, b) => a.node.localeCompare(b.node) || a.rank - b.rank || a.slot - b.slot);
}
