// Rank 0 of a launch: Yoda (when it wins the lease) and this node's Droid, in one process. When another allocation's
// Yoda holds the lease, this rank joins it as a Droid and stands by as its successor: when that lease is released
// (a drain) or goes stale (a lost or paused Yoda), it takes the next epoch and becomes Yoda beside its Droid.
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { JobDescription } from '../job/workdir.js';
import { workdirPaths } from '../workdir/paths.js';
import { LeaseObserver, leaseTimeoutSeconds, takeLease, type LeaseView } from '../workdir/lease.js';
import { startYoda, type Amend, type YodaTuning } from '../yoda/start.js';
import type { YodaResult, YodaServer } from '../yoda/server.js';
import { startDroid, type DroidTuning, type NodePlan } from '../droid/start.js';
import type { DroidClient, DroidResult } from '../droid/client.js';
import { isLeaseHolders, markEndpointEnded, publishEndpoint, readEndpoint, type EndpointFile } from './rendezvous.js';
import { createJobKeys, readJobKeys } from '../security/keys.js';
import { onStopSignals } from './signals.js';
import { followYoda, FOLLOW_EVERY_MS, type Follower } from './follow.js';
import type { LiveLine } from '../util/live-line.js';
import { EXIT, YodaError } from '../util/errors.js';
import { replayJournalFile } from '../journal/read.js';
import { deliveryLeft } from '../job/delivery.js';

/** What rank 0 needs to know about this launch. */
export interface RankZeroPlan {
  description: JobDescription;
  workdir: string;
  node: string;
  address: string;
  launch: string | null;
  yoda: YodaTuning;
  droid: DroidTuning;
  /** This node's topology and slot plan; null for `yoda serve` (Yoda only, no Droid on this node). */
  slots: NodePlan | null;
  graceSeconds: number;
  /** CURVE authentication off (debugging only). */
  insecure: boolean;
  /** A terminal line to keep the live progress in (only when a person watches a TTY). */
  live: LiveLine | null;
  /** How long to wait for a Yoda to join when another allocation holds the lease. */
  rendezvousSeconds: number;
  /** Records to write with the run record when this process becomes Yoda (--retry-fatal, --rerun-missing). */
  amend: Amend | null;
  /** The lease as judged before this run decided to lead or join (judgeLease): a dead holder elsewhere is free now. */
  judged: LeaseView;
}

/** How rank 0 ended: its exit code and what the summary needs. */
export interface RankZeroResult {
  exitCode: number;
  /** Whether this process ran Yoda (from the start, or after taking the job over). */
  wasYoda: boolean;
  /** Yoda's result when it ran here. */
  yoda: YodaResult | null;
  droid: DroidResult | null;
  /** Why the run stopped early, for the summary. */
  reason: string | null;
}

/** The rank's moving parts, filled in as it goes. */
interface Parts {
  yoda: YodaServer | null;
  yodaStarting: Promise<void> | null;
  droid: DroidClient | null;
  /** The Droid's follower: a Yoda started here moves this Droid to itself at once, not at the next look at the file. */
  follower: Follower | null;
  stopping: boolean;
}

/** Runs rank 0: Yoda + Droid, or a Droid joining the live Yoda (and its standby successor); resolves when done. */
export async function runRankZero(p: RankZeroPlan, log: Logger): Promise<RankZeroResult> {
  const paths = workdirPaths(p.workdir);
  const host = hostname();
  const timeoutSeconds = leaseTimeoutSeconds();
  const observer = new LeaseObserver(paths.lease, timeoutSeconds, host);
  const parts: Parts = { yoda: null, yodaStarting: null, droid: null, follower: null, stopping: false };
  if (p.insecure)
    log.warn('--insecure: CURVE authentication is OFF; anyone who can reach this port can take and report ranges');

  // Takes the next epoch when the lease is free, and starts Yoda in this process. A standby (its Droid already joined a
  // Yoda) takes over only a stale lease or a hand-over, never the lease of a Yoda that ended the job cleanly.
  const tryBecomeYoda = (view: LeaseView, standby = false): Promise<void> | null => {
    if (parts.stopping || parts.yoda || parts.yodaStarting || view.state !== 'free') return null;
    if (standby && view.previous?.ended) return null;
    if (view.previous?.ended && jobFinished(p)) return null;
    const held = takeLease(paths.lease, view, { host, pid: process.pid, launch: p.launch });
    if (!held) return null;
    const takeover = view.previous !== null && !view.previous.ended;
    if (view.previous)
      log.warn(
        `took the job over as Yoda (epoch ${held.epoch}) from the Yoda of epoch ${view.epoch} on ${view.previous.host} (pid ${view.previous.pid}, ${view.previous.released ? 'released' : 'stale'})`,
      );
    parts.yodaStarting = (async () => {
      const keys = p.insecure ? null : createJobKeys(p.workdir);
      const yoda = await startYoda(
        p.description,
        p.workdir,
        p.yoda,
        `tcp://${p.address}:*`,
        { held, launch: p.launch, takeover, timeoutSeconds },
        log.child({ role: 'yoda' }),
        keys,
        p.amend,
      );
      parts.yoda = yoda;
      // Deposed (paused past the lease): this process stops altogether, its Droid too.
      void yoda.finished.then((r) => {
        if (r.lostLease && !r.handedOver) parts.droid?.drain('this Yoda lost its lease', 0);
      });
      const endpoint: EndpointFile = {
        endpoint: yoda.endpoint,
        host,
        pid: process.pid,
        run: yoda.runNumber,
        epoch: held.epoch,
        started: new Date().toISOString(),
        launch: p.launch,
        curve: keys !== null,
        deadline: p.yoda.deadline,
      };
      publishEndpoint(paths.endpoint, endpoint);
      log.info(
        `Yoda (epoch ${held.epoch}) listens on ${yoda.endpoint}; ${p.slots ? `expecting ${p.yoda.expectedDroids} Droid(s) of this allocation` : 'Yoda only (yoda serve): Droids join from yoda run'}`,
      );
      // A take-over: this rank's Droid (joined to the old Yoda) moves to this one now. Waiting for its next look at the
      // endpoint file let the other allocations' Droids finish the job first, and this Droid then waited for a Yoda
      // that had already ended. At the start, the Droid is not running yet and joins through endpointToJoin.
      parts.follower?.follow(endpoint);
    })();
    return parts.yodaStarting;
  };

  await tryBecomeYoda(p.judged.state === 'free' ? p.judged : observer.look(Date.now()));
  const uninstall = onStopSignals(p.graceSeconds, log, (reason, grace) => {
    parts.stopping = true;
    parts.yoda?.drain(reason, grace);
    parts.droid?.drain(reason, grace);
  });
  const live = p.live
    ? setInterval(() => parts.yoda && p.live?.update(`yoda: ${parts.yoda.progress(Date.now())}`), 1000)
    : null;
  try {
    if (!parts.yoda) {
      const holder = observer.look(Date.now());
      log.warn(
        `a live Yoda holds this work directory (epoch ${holder.epoch}${holder.state === 'live' && holder.holder ? ` on ${holder.holder.host}, pid ${holder.holder.pid}, launch ${holder.holder.launch ?? 'none'}` : ''}): ` +
          `joining it as a Droid${p.slots ? '' : ' (yoda serve: waiting to take over)'}`,
      );
    }
    let droidResult: DroidResult | null = null;
    if (p.slots) {
      const joined = await endpointToJoin(p, parts, observer, tryBecomeYoda);
      if (joined) {
        const keys = joined.curve ? readJobKeys(p.workdir) : null;
        parts.droid = startDroid(
          p.description,
          p.workdir,
          joined.endpoint,
          { rank: 0, node: p.node, launch: p.launch },
          p.slots,
          p.droid,
          log.child({ role: 'droid' }),
          keys,
        );
        if (parts.stopping) parts.droid.drain('stopping', 0);
        parts.follower = followYoda(p.workdir, parts.droid, joined, log, () => {
          tryBecomeYoda(observer.look(Date.now()), true)?.catch((e: Error) =>
            log.error(`could not take the job over as Yoda: ${e.message}`),
          );
        });
        droidResult = await parts.droid.finished;
        parts.follower.stop();
      }
    } else {
      while (!parts.yoda && !parts.stopping) {
        const view = observer.look(Date.now());
        if (view.state === 'free' && view.previous?.ended && jobFinished(p)) break; // finished under another Yoda
        await tryBecomeYoda(view);
        await parts.yodaStarting;
        if (!parts.yoda) await new Promise((r) => setTimeout(r, FOLLOW_EVERY_MS));
      }
    }
    await parts.yodaStarting;
    const yodaResult = parts.yoda ? await parts.yoda.finished : null;
    if (parts.yoda && yodaResult && !yodaResult.lostLease) markEndpointEnded(paths.endpoint, parts.yoda.epoch);
    return result(parts, yodaResult, droidResult);
  } finally {
    if (live) clearInterval(live);
    p.live?.done();
    uninstall();
  }
}

// The endpoint this rank's Droid joins: its own Yoda's, or the live lease holder's (standing by as successor meanwhile).
async function endpointToJoin(
  p: RankZeroPlan,
  parts: Parts,
  observer: LeaseObserver,
  tryBecomeYoda: (v: LeaseView) => Promise<void> | null,
): Promise<EndpointFile | null> {
  const paths = workdirPaths(p.workdir);
  const until = Date.now() + p.rendezvousSeconds * 1000;
  for (;;) {
    await parts.yodaStarting;
    const e = readEndpoint(paths.endpoint);
    if (parts.yoda && e && e.epoch === parts.yoda.epoch) return e;
    if (!parts.yoda && e && isLeaseHolders(e, paths.lease)) return e;
    if (parts.stopping) return null;
    const view = observer.look(Date.now());
    if (!parts.yoda && view.state === 'free' && view.previous?.ended && jobFinished(p)) return null; // nothing left to join
    if (Date.now() > until) {
      throw new YodaError(
        'RENDEZVOUS',
        `another Yoda holds ${paths.lease} but published no endpoint in ${paths.endpoint} within ${p.rendezvousSeconds} s`,
        {},
      );
    }
    await tryBecomeYoda(view);
    await new Promise((r) => setTimeout(r, FOLLOW_EVERY_MS / 2));
  }
}

// True when no range is left to run (ranges this run reopens with --retry-fatal or --rerun-missing count as left).
function jobFinished(p: RankZeroPlan): boolean {
  const { state } = replayJournalFile(workdirPaths(p.workdir).journal, p.description.totalRanges);
  // With merge or stageOut, a complete group not merged or an output not delivered is still work (a Yoda does it).
  const undelivered = deliveryLeft(p.description, state);
  return (
    state.counts.ready + state.counts.assigned + undelivered === 0 &&
    (p.amend?.(state, { dryRun: true }).length ?? 0) === 0
  );
}

// The exit code: Yoda's when this process ran one; else the Droid's (4 when a drain made it leave early).
function result(parts: Parts, yoda: YodaResult | null, droid: DroidResult | null): RankZeroResult {
  if (yoda) {
    const exitCode = yoda.handedOver && yoda.exitCode === EXIT.failed && yoda.lostLease ? EXIT.stopped : yoda.exitCode;
    return { exitCode, wasYoda: true, yoda, droid, reason: yoda.reason ?? droid?.error ?? null };
  }
  if (!droid)
    return parts.stopping
      ? { exitCode: EXIT.stopped, wasYoda: false, yoda: null, droid: null, reason: 'stopped before joining Yoda' }
      : { exitCode: EXIT.complete, wasYoda: false, yoda: null, droid: null, reason: null };
  const exitCode = droid.exitCode === EXIT.complete && parts.stopping ? EXIT.stopped : droid.exitCode;
  return { exitCode, wasYoda: false, yoda: null, droid, reason: droid.error };
}
