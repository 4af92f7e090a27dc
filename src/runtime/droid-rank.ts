// Every other rank: wait for Yoda's endpoint in the work directory, then run this node's Droid.
import type { Logger } from 'pino';
import { readJobDescription } from '../job/workdir.js';
import { workdirPaths } from '../workdir/paths.js';
import { startDroid, type DroidTuning, type NodePlan } from '../droid/start.js';
import type { DroidResult } from '../droid/client.js';
import { YodaError } from '../util/errors.js';
import { endpointGone, readEndpoint, waitForEndpoint } from './rendezvous.js';
import { readJobKeys } from '../security/keys.js';
import { onStopSignals } from './signals.js';

/** What a Droid-only rank needs to know. */
export interface DroidRankPlan {
  workdir: string;
  jobHash: string;
  rank: number;
  node: string;
  launch: string | null;
  rendezvousSeconds: number;
  droid: DroidTuning;
  /** This node's topology and slot plan, read and planned once by `yoda run`. */
  slots: NodePlan;
  graceSeconds: number;
}

/** Runs the Droid of a rank other than 0 until Yoda ends the job or the Droid fails. */
export async function runDroidRank(p: DroidRankPlan, log: Logger): Promise<DroidResult> {
  const paths = workdirPaths(p.workdir);
  const endpoint = await waitForEndpoint(paths.endpoint, p.launch, p.rendezvousSeconds);
  if (endpoint.ended) {
    log.info(`rank ${p.rank} on ${p.node}: Yoda already finished this run; nothing to join`);
    return { exitCode: 0, error: null };
  }
  const description = readJobDescription(p.workdir);
  if (!description || description.hash !== p.jobHash) {
    throw new YodaError('RENDEZVOUS', `rank ${p.rank}: ${paths.job} does not describe the job file this rank was given (hash ${description?.hash} vs ${p.jobHash})`, {});
  }
  log.info(`rank ${p.rank} on ${p.node}: joining Yoda at ${endpoint.endpoint}`);
  const keys = endpoint.curve ? readJobKeys(p.workdir) : null;
  const droid = startDroid(description, p.workdir, endpoint.endpoint, { rank: p.rank, node: p.node }, p.slots, p.droid, log.child({ role: 'droid' }), keys);
  const uninstall = onStopSignals(p.graceSeconds, log, (reason, grace) => droid.drain(reason, grace));
  // A Droid that arrives after Yoda finished (a short job, a slow node) leaves instead of waiting for an answer.
  const watch = setInterval(() => {
    if (droid.state.phase === 'connecting' && endpointGone(readEndpoint(paths.endpoint), endpoint)) {
      log.info(`rank ${p.rank} on ${p.node}: Yoda finished before this Droid joined; leaving`);
      droid.drain('Yoda finished', 0);
    }
  }, 1000);
  const result = await droid.finished;
  clearInterval(watch);
  uninstall();
  return result;
}
