// Every other rank: wait for job.json and the endpoint of the Yoda to join (this launch's, or the live lease holder's),
// then run this node's Droid, following Yoda through hand-overs. It reads job.json only, never the job file's inputs.
import type { Logger } from 'pino';
import { readJobDescription, type JobDescription } from '../job/workdir.js';
import { workdirPaths } from '../workdir/paths.js';
import { startDroid, type DroidTuning, type NodePlan } from '../droid/start.js';
import type { DroidResult } from '../droid/client.js';
import { EXIT, YodaError } from '../util/errors.js';
import { waitForEndpoint } from './rendezvous.js';
import { readJobKeys } from '../security/keys.js';
import { onStopSignals } from './signals.js';
import { followYoda } from './follow.js';

/** What a Droid-only rank needs to know. */
export interface DroidRankPlan {
  workdir: string;
  rank: number;
  node: string;
  launch: string | null;
  rendezvousSeconds: number;
  droid: DroidTuning;
  /** Plans this node's slots for the job (from job.json's payload section). */
  slots: (d: JobDescription) => NodePlan;
  graceSeconds: number;
}

/** Runs the Droid of a rank other than 0 until Yoda ends the job or the Droid fails. */
export async function runDroidRank(p: DroidRankPlan, log: Logger): Promise<DroidResult> {
  const paths = workdirPaths(p.workdir);
  let stopped: string | null = null;
  let drain: ((reason: string, grace: number) => void) | null = null;
  const uninstall = onStopSignals(p.graceSeconds, log, (reason, grace) => {
    stopped = reason;
    drain?.(reason, grace);
  });
  try {
    const endpoint = await waitForEndpoint(paths.endpoint, paths.lease, p.launch, p.rendezvousSeconds);
    if (endpoint.ended) {
      log.info(`rank ${p.rank} on ${p.node}: Yoda already finished this run; nothing to join`);
      return { exitCode: EXIT.complete, error: null };
    }
    const description = readJobDescription(p.workdir);
    if (!description)
      throw new YodaError(
        'RENDEZVOUS',
        `rank ${p.rank}: ${paths.job} is missing although Yoda published its endpoint: is the work directory shared?`,
        {},
      );
    log.info(
      `rank ${p.rank} on ${p.node}: joining Yoda at ${endpoint.endpoint}${endpoint.launch !== p.launch ? ` (another allocation's: ${endpoint.launch ?? 'no launch id'})` : ''}`,
    );
    const keys = endpoint.curve ? readJobKeys(p.workdir) : null;
    const droid = startDroid(
      description,
      p.workdir,
      endpoint.endpoint,
      { rank: p.rank, node: p.node, launch: p.launch },
      p.slots(description),
      p.droid,
      log.child({ role: 'droid' }),
      keys,
    );
    drain = (reason, grace) => droid.drain(reason, grace);
    if (stopped) droid.drain(stopped, 0);
    const follower = followYoda(p.workdir, droid, endpoint, log);
    const result = await droid.finished;
    follower.stop();
    // A rank that joined another allocation's Yoda and left early by a drain of its own: ranges are left, exit 4.
    return stopped && endpoint.launch !== p.launch && result.exitCode === EXIT.complete
      ? { ...result, exitCode: EXIT.stopped }
      : result;
  } finally {
    uninstall();
  }
}
