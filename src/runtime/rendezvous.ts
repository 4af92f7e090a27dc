// Rendezvous through the shared work directory: the lease holder publishes Yoda's endpoint, every other rank waits for it.
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { writeFileAtomic } from '../workdir/atomic.js';
import { YodaError } from '../util/errors.js';
import { highestEpoch, readLease } from '../workdir/lease.js';

/** What yoda.endpoint.json says: where Yoda listens, for which launch; or why rank 0 could not start. */
export interface EndpointFile {
  endpoint: string;
  host: string;
  pid: number;
  run: number;
  started: string;
  /** Shared by every rank of one launch (Slurm job.step, PBS job id...); null when the launcher gives none. */
  launch: string | null;
  /** Whether Droids must authenticate with the job's CURVE keys (keys/curve.json). */
  curve: boolean;
  /** When the allocation ends (epoch ms), when known. */
  deadline?: number | null;
  /** The lease epoch of the Yoda that published it (absent in files of older versions). */
  epoch?: number;
  /** Set when this run of Yoda has finished: a rank arriving now has nothing to join. */
  ended?: boolean;
  error?: string;
}

/** Writes the endpoint file atomically (write aside, then rename). */
export function publishEndpoint(path: string, e: EndpointFile): void {
  writeFileAtomic(path, JSON.stringify(e));
}

/** Tells the waiting ranks of `launch` that no Yoda will come: rank 0 failed (`error`) or the job is over (`ended`). */
export function publishNoYoda(path: string, launch: string | null, why: { error: string } | { ended: true }): void {
  publishEndpoint(path, {
    endpoint: '',
    host: hostname(),
    pid: process.pid,
    run: 0,
    started: new Date().toISOString(),
    launch,
    curve: false,
    ...why,
  });
}

/** Marks the endpoint of a finished run (only when it is still this Yoda's, epoch `epoch`), so late ranks leave at once. */
export function markEndpointEnded(path: string, epoch?: number): void {
  const e = readEndpoint(path);
  if (e && (epoch === undefined || e.epoch === epoch)) publishEndpoint(path, { ...e, ended: true });
}

/** Reads the endpoint file, or null when it is absent or half-written. */
export function readEndpoint(path: string): EndpointFile | null {
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as EndpointFile;
  } catch {
    return null;
  }
}

/** True when `e` was published for this launch (or, with no launch id, recently enough). */
function isOurs(e: EndpointFile, launch: string | null, since: number): boolean {
  if (launch !== null) return e.launch === launch;
  return Date.parse(e.started) >= since - 120_000;
}

/**
 * True when `e` is the endpoint of the Yoda holding the lease now (another allocation's, typically): its epoch is the
 * highest in the lease folder and that epoch is neither released nor ended.
 */
export function isLeaseHolders(e: EndpointFile, leaseDir: string): boolean {
  if (e.epoch === undefined || e.ended || e.error) return false;
  if (e.epoch !== highestEpoch(leaseDir)) return false;
  const lease = readLease(leaseDir, e.epoch);
  return lease !== null && !lease.released;
}

/**
 * Waits for the endpoint to join: the one published by this launch's rank 0 (which may say that it failed, or that
 * the job had nothing left), or that of the live lease holder of another allocation (elastic join). Throws
 * RENDEZVOUS with what to check when none comes.
 */
export async function waitForEndpoint(
  path: string,
  leaseDir: string,
  launch: string | null,
  timeoutSeconds: number,
): Promise<EndpointFile> {
  const since = Date.now();
  const until = since + timeoutSeconds * 1000;
  for (;;) {
    const e = readEndpoint(path);
    if (e && isLeaseHolders(e, leaseDir)) return e;
    if (e && isOurs(e, launch, since)) {
      if (e.error) throw new YodaError('RENDEZVOUS', `rank 0 could not start Yoda: ${e.error}`, {});
      // Our rank 0 published it: joinable unless a newer epoch already replaced it (then wait for that one's endpoint).
      if (e.ended || e.epoch === undefined || e.epoch >= highestEpoch(leaseDir)) return e;
    }
    if (Date.now() > until) {
      throw new YodaError(
        'RENDEZVOUS',
        `no Yoda endpoint for this launch${launch ? ` (${launch})` : ''} appeared in ${path} within ${timeoutSeconds} s: ` +
          'is rank 0 running, and is the work directory on a filesystem all nodes share? See logs/yoda-rank0.log there.',
        {},
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
