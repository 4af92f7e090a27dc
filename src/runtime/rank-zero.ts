// Rank 0: Yoda (the job's owner) and this node's Droid, in one process.
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { JobDescription } from '../job/workdir.js';
import { workdirPaths } from '../workdir/paths.js';
import { startYoda, type Past, type YodaTuning } from '../yoda/start.js';
import type { YodaServer } from '../yoda/server.js';
import { startDroid, type DroidTuning, type NodePlan } from '../droid/start.js';
import type { DroidResult } from '../droid/client.js';
import { markEndpointEnded, publishEndpoint } from './rendezvous.js';
import { createJobKeys } from '../security/keys.js';
import { onStopSignals } from './signals.js';
import { progressLine } from '../yoda/progress.js';
import type { LiveLine } from '../util/live-line.js';

/** What rank 0 needs to know about this launch. */
export interface RankZeroPlan {
  description: JobDescription;
  /** The journal as replayed once at start. */
  past: Past;
  workdir: string;
  node: string;
  address: string;
  launch: string | null;
  yoda: YodaTuning;
  droid: DroidTuning;
  /** This node's topology and slot plan, read and planned once by `yoda run`. */
  slots: NodePlan;
  graceSeconds: number;
  /** CURVE authentication off (debugging only). */
  insecure: boolean;
  /** A terminal line to keep the live progress in (only when a person watches a TTY). */
  live: LiveLine | null;
}

/** How rank 0 ended. */
export interface RankZeroResult {
  yoda: YodaServer;
  exitCode: number;
  droid: DroidResult;
}

/** Starts Yoda, publishes its endpoint, runs the local Droid, and waits for both to finish. */
export async function runRankZero(p: RankZeroPlan, log: Logger): Promise<RankZeroResult> {
  const paths = workdirPaths(p.workdir);
  if (p.insecure) log.warn('--insecure: CURVE authentication is OFF; anyone who can reach this port can take and report ranges');
  const keys = p.insecure ? null : createJobKeys(p.workdir);
  const yoda = await startYoda(p.description, p.workdir, p.yoda, `tcp://${p.address}:*`, p.past, log.child({ role: 'yoda' }), keys);
  publishEndpoint(paths.endpoint, {
    endpoint: yoda.endpoint, host: hostname(), pid: process.pid, run: yoda.state.config.run,
    started: new Date().toISOString(), launch: p.launch, curve: keys !== null, deadline: p.yoda.deadline,
  });
  log.info(`Yoda listens on ${yoda.endpoint}; expecting ${p.yoda.expectedDroids} Droid(s)`);
  const droid = startDroid(p.description, p.workdir, yoda.endpoint, { rank: 0, node: p.node }, p.slots, p.droid, log.child({ role: 'droid' }), keys);
  const uninstall = onStopSignals(p.graceSeconds, log, (reason, grace) => {
    yoda.drain(reason, grace);
    droid.drain(reason, grace);
  });
  const live = p.live ? setInterval(() => p.live?.update(`yoda: ${progressLine(yoda.state, Date.now())}`), 1000) : null;
  const [result, droidResult] = await Promise.all([yoda.finished, droid.finished]);
  if (live) clearInterval(live);
  p.live?.done();
  uninstall();
  markEndpointEnded(paths.endpoint);
  return { yoda, exitCode: result.exitCode, droid: droidResult };
}
