// Rendezvous through the shared work directory: rank 0 publishes Yoda's endpoint, the other ranks wait for it.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { writeFileAtomic } from '../workdir/atomic.js';
import { YodaError } from '../util/errors.js';

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
  /** Set when this run of Yoda has finished: a rank arriving now has nothing to join. */
  ended?: boolean;
  error?: string;
}

/** Writes the endpoint file atomically (write aside, then rename). */
export function publishEndpoint(path: string, e: EndpointFile): void {
  writeFileAtomic(path, JSON.stringify(e));
}

/** Marks the endpoint of a finished run, so late ranks leave at once instead of waiting for it. */
export function markEndpointEnded(path: string): void {
  const e = readEndpoint(path);
  if (e) publishEndpoint(path, { ...e, ended: true });
}

/** True when `e` no longer describes the Yoda that `joined` described (it ended, or another run replaced it). */
export function endpointGone(e: EndpointFile | null, joined: EndpointFile): boolean {
  return !e || e.ended === true || e.pid !== joined.pid || e.started !== joined.started;
}

/** Removes an endpoint file left by an earlier run. */
export function clearEndpoint(path: string): void {
  rmSync(path, { force: true });
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

/** Waits for rank 0's endpoint; throws RENDEZVOUS with what to check when it does not come. */
export async function waitForEndpoint(path: string, launch: string | null, timeoutSeconds: number): Promise<EndpointFile> {
  const since = Date.now();
  const until = since + timeoutSeconds * 1000;
  for (;;) {
    const e = readEndpoint(path);
    if (e && isOurs(e, launch, since)) {
      if (e.error) throw new YodaError('RENDEZVOUS', `rank 0 could not start Yoda: ${e.error}`, {});
      return e;
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
