// A Droid follows whichever Yoda holds the lease: it watches the endpoint file and reconnects when a new epoch appears.
import type { Logger } from 'pino';
import type { DroidClient } from '../droid/client.js';
import { readJobKeys } from '../security/keys.js';
import { workdirPaths } from '../workdir/paths.js';
import { isLeaseHolders, readEndpoint, type EndpointFile } from './rendezvous.js';
import { highestEpoch, readLease } from '../workdir/lease.js';

/** How often the endpoint file (and, for a candidate, the lease) is looked at. */
export const FOLLOW_EVERY_MS = 500;

/** A running follower: `follow` moves the Droid to a newer Yoda at once (the one this process just started). */
export interface Follower {
  follow(e: EndpointFile): void;
  stop(): void;
}

/** Watches the endpoint file of `workdir`. `onTick` runs on every look (the candidate's check). */
export function followYoda(
  workdir: string,
  droid: DroidClient,
  joined: EndpointFile,
  log: Logger,
  onTick?: () => void,
): Follower {
  const paths = workdirPaths(workdir);
  let current = joined;
  const follow = (e: EndpointFile): void => {
    if ((e.epoch ?? 0) <= (current.epoch ?? 0)) return;
    log.info(`Yoda moved: following the Yoda of epoch ${e.epoch} at ${e.endpoint} (${e.host}, pid ${e.pid})`);
    current = e;
    droid.reconnect(e.endpoint, e.curve ? readJobKeys(workdir) : null);
  };
  const look = (): void => {
    onTick?.();
    // The endpoint file is read only when Yoda may have moved: thousands of Droids polling it would load the
    // shared file system's metadata server for nothing while Yoda is heard.
    if (!droid.lookingForYoda(Date.now())) return;
    const e = readEndpoint(paths.endpoint);
    if (!e || e.error) return;
    if ((e.epoch ?? 0) > (current.epoch ?? 0) && isLeaseHolders(e, paths.lease)) follow(e);
    else if ((droid.awaitingWelcome && e.epoch === current.epoch && e.ended) || endedAfter(e, current, paths.lease)) {
      // The Yoda this Droid said hello to, or the one that replaced its lost Yoda, ended the job first (the other
      // allocations' Droids finished it): there is nothing to wait for.
      log.info('Yoda finished before this Droid joined; leaving');
      droid.drain('Yoda finished', 0);
    }
  };
  const warned = new Set<string>();
  const timer = setInterval(() => {
    try {
      look();
    } catch (e) {
      // A shared file system that hiccups (ESTALE, EIO) must not kill this rank and its workers: try again next time.
      const why = (e as Error).message;
      if (!warned.has(why)) log.warn(`following Yoda: ${why} (trying again every ${FOLLOW_EVERY_MS} ms)`);
      warned.add(why);
    }
  }, FOLLOW_EVERY_MS);
  return { follow, stop: () => clearInterval(timer) };
}

// True when `e` is of a newer Yoda than `current` that ended the job cleanly (its lease, the last one, says ended) before
// this Droid looked: not a hand-over, after which another Yoda would come.
function endedAfter(e: EndpointFile, current: EndpointFile, leaseDir: string): boolean {
  if (!e.ended || e.epoch === undefined || e.epoch <= (current.epoch ?? 0) || e.epoch !== highestEpoch(leaseDir))
    return false;
  return readLease(leaseDir, e.epoch)?.ended === true;
}
