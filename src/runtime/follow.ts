// A Droid follows whichever Yoda holds the lease: it watches the endpoint file and reconnects when a new epoch appears.
import type { Logger } from 'pino';
import type { DroidClient } from '../droid/client.js';
import { readJobKeys } from '../security/keys.js';
import { workdirPaths } from '../workdir/paths.js';
import { isLeaseHolders, readEndpoint, type EndpointFile } from './rendezvous.js';

/** How often the endpoint file (and, for a candidate, the lease) is looked at. */
export const FOLLOW_EVERY_MS = 500;

/** Watches the endpoint file of `workdir`; returns a stopper. `onTick` runs on every look (the candidate's check). */
export function followYoda(workdir: string, droid: DroidClient, joined: EndpointFile, log: Logger, onTick?: () => void): () => void {
  const paths = workdirPaths(workdir);
  let current = joined;
  const timer = setInterval(() => {
    onTick?.();
    // The endpoint file is read only when Yoda may have moved: thousands of Droids polling it would load the
    // shared file system's metadata server for nothing while Yoda is heard.
    if (!droid.lookingForYoda(Date.now())) return;
    const e = readEndpoint(paths.endpoint);
    if (!e || e.error) return;
    if ((e.epoch ?? 0) > (current.epoch ?? 0) && isLeaseHolders(e, paths.lease)) {
      log.info(`Yoda moved: following the Yoda of epoch ${e.epoch} at ${e.endpoint} (${e.host}, pid ${e.pid})`);
      current = e;
      droid.reconnect(e.endpoint, e.curve ? readJobKeys(workdir) : null);
    } else if (droid.phase === 'connecting' && e.epoch === current.epoch && e.ended) {
      log.info('Yoda finished before this Droid joined; leaving');
      droid.drain('Yoda finished', 0);
    }
  }, FOLLOW_EVERY_MS);
  return () => clearInterval(timer);
}
