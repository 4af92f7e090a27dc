// `yoda run`: find this process's rank, then run Yoda + a Droid (rank 0) or a Droid (other ranks). When another
// allocation's Yoda holds the work directory's lease, every rank joins it as a Droid instead (elastic join).
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, extname, resolve } from 'node:path';
import { loadJob, readJobSpec } from '../job/load.js';
import { openWorkdir } from '../job/workdir.js';
import { judgeLease, LeaseObserver, leaseTimeoutSeconds } from '../workdir/lease.js';
import { workdirPaths } from '../workdir/paths.js';
import { createLogger } from '../util/logger.js';
import { readStatus } from '../status/job-status.js';
import { checkOneRankPerNode, detectLaunch, type LaunchInfo } from '../batch/launch.js';
import { allocationEnd, launchId } from '../batch/allocation-end.js';
import { chooseAddress } from '../batch/address.js';
import { publishNoYoda } from '../runtime/rendezvous.js';
import { runRankZero } from '../runtime/rank-zero.js';
import { runDroidRank } from '../runtime/droid-rank.js';
import type { NodePlan } from '../droid/start.js';
import { droidTuning, yodaTuning, type RunOptions } from '../runtime/options.js';
import { startupSignal, stopAskedWhileStarting } from '../runtime/signals.js';
import { requestedRecords, warnBeforeResume } from '../job/resume-check.js';
import { summaryLines } from './summary.js';
import { EXIT, YodaError } from '../util/errors.js';
import { LiveLine } from '../util/live-line.js';
import { loadPast, type Amend } from '../yoda/start.js';
import { planForPayload } from '../node/job-plan.js';
import { readTopology } from '../node/read-topology.js';
import { deliveryLeft } from '../job/delivery.js';

const say = (line: string) => process.stderr.write(`yoda: ${line}\n`);

/** Chooses the work directory: --workdir, else the job file's `workdir`, else ./<name>.work. */
function chooseWorkdir(o: RunOptions, specWorkdir: string | undefined, baseDir: string, name: string): string {
  if (o.workdir) return resolve(o.workdir);
  if (specWorkdir) return resolve(baseDir, specWorkdir);
  return resolve(`${name}.work`);
}

/** The last `n` lines of a text file, indented. */
function tail(path: string, n: number): string {
  try {
    return readFileSync(path, 'utf8')
      .trimEnd()
      .split('\n')
      .slice(-n)
      .map((l) => `    ${l}`)
      .join('\n');
  } catch (e) {
    return `    (cannot read it: ${(e as Error).message})`;
  }
}

/** Runs (or resumes) a job; resolves to the process exit code. `serve`: Yoda only, no Droid on this node. */
export async function runCommand(o: RunOptions, mode: 'run' | 'serve' = 'run'): Promise<number> {
  const launch = detectLaunch(process.env, (p) => readFileSync(p, 'utf8'), hostname());
  if (mode === 'serve' && launch.size > 1)
    throw new YodaError(
      'BAD_USAGE',
      `yoda serve runs one Yoda: start it as a single task (this launch has ${launch.size} ranks); start the Droids with yoda run`,
      {},
    );
  const shared = checkOneRankPerNode(launch, o.allowSharedNode);
  if (shared) throw new YodaError('BAD_USAGE', shared, {});
  // Read the node once, before anything starts (a clear exit 2 on every rank that cannot hold the slots); `yoda serve`
  // runs no worker here, so it neither reads nor plans the node (a one-core service allocation is enough).
  const topo = mode === 'serve' ? null : readTopology();
  // A launch of one rank without a launcher id (local, a bare mpiexec -n 1) is its own launch: host and pid name it, so a
  // second `yoda run` beside it is told apart as another allocation.
  const id = launchId(process.env) ?? (launch.size === 1 ? `local:${hostname()}:${process.pid}` : null);
  if (launch.rank !== 0) {
    // Ranks other than 0 read the job file's fields only (for the work directory), then job.json: never the inputs.
    const spec = readJobSpec(o.jobfile);
    const jobFile = resolve(o.jobfile);
    const workdir = chooseWorkdir(o, spec.workdir, dirname(jobFile), spec.name ?? basename(jobFile, extname(jobFile)));
    planForPayload(topo!, spec.payload);
    const log = createLogger({
      logsDir: workdirPaths(workdir).logs,
      rank: launch.rank,
      node: launch.node,
      level: o.logLevel,
      console: !o.quiet,
      consoleLevel: 'warn',
    });
    const result = await runDroidRank(
      {
        workdir,
        rank: launch.rank,
        node: launch.node,
        launch: id,
        rendezvousSeconds: o.rendezvousTimeout,
        droid: droidTuning(o),
        slots: (d) => ({ topo: topo!, plan: planForPayload(topo!, d.spec.payload) }),
        graceSeconds: o.grace,
      },
      log,
    );
    if (result.error) say(`rank ${launch.rank} on ${launch.node}: ${result.error}`);
    return result.exitCode;
  }
  const job = loadJob(o.jobfile);
  const slots = topo ? { topo, plan: planForPayload(topo, job.spec.payload) } : null;
  const workdir = chooseWorkdir(o, job.spec.workdir, job.baseDir, job.name);
  const endpointPath = workdirPaths(workdir).endpoint;
  try {
    return await runAsRankZero(o, launch, job, workdir, id, slots);
  } catch (e) {
    // Tell the waiting ranks at once instead of letting them time out (never over the endpoint of another live Yoda).
    if (launch.size > 1 && !anotherLiveYoda(workdir)) publishNoYoda(endpointPath, id, { error: (e as Error).message });
    throw e;
  }
}

/** True when a live Yoda other than this process holds the work directory's lease. */
function anotherLiveYoda(workdir: string): boolean {
  const view = new LeaseObserver(workdirPaths(workdir).lease, leaseTimeoutSeconds(), hostname()).look(Date.now());
  return view.state === 'live' && !(view.holder?.pid === process.pid && view.holder.host === hostname());
}

async function runAsRankZero(
  o: RunOptions,
  launch: LaunchInfo,
  job: ReturnType<typeof loadJob>,
  workdir: string,
  id: string | null,
  slots: NodePlan | null,
): Promise<number> {
  // Checked before anything is written: an --interface that is not this node's stops here (exit 2).
  const address = launch.size > 1 || o.interface || !slots ? await chooseAddress(o.interface) : '127.0.0.1';
  // A live Yoda of another allocation on this work directory: this launch joins it, and writes nothing of its own.
  const holder = await judgeLease(workdirPaths(workdir).lease, leaseTimeoutSeconds(), hostname(), say);
  const joining = holder.state === 'live';
  const writing = [o.fresh && '--fresh', o.retryFatal && '--retry-fatal', o.rerunMissing && '--rerun-missing'].filter(
    (x): x is string => typeof x === 'string',
  );
  if (joining && writing.length > 0)
    throw new YodaError(
      'BAD_USAGE',
      `${writing.join(', ')}: a live Yoda (epoch ${holder.epoch}, on ${holder.holder?.host ?? 'another host'}) drives ${workdir}; ` +
        'run this again once that Yoda has ended (yoda status shows it)',
      { options: writing },
    );
  const { description, resumed, setAside } = await openWorkdir(workdir, job, o.fresh, startupSignal);
  if (resumed && !joining) warnBeforeResume(workdir, description);
  // Written by Yoda under its lease (with its run record), from the journal as it replays it then.
  const amend: Amend | null =
    resumed && (o.retryFatal || o.rerunMissing)
      ? (state, how) => {
          const asked = requestedRecords(workdir, description, state, o);
          if (!how?.dryRun) for (const line of asked.lines) say(line);
          return asked.records;
        }
      : null;
  const live = !o.quiet && process.stderr.isTTY ? new LiveLine() : null;
  const log = createLogger({
    logsDir: workdirPaths(workdir).logs,
    rank: 0,
    node: launch.node,
    level: o.logLevel,
    console: !o.quiet,
    consoleStream: live?.stream(),
  });
  if (setAside) say(`set the previous job's journal aside in ${setAside}`);
  const allocation = o.deadline ? null : await allocationEnd(process.env);
  if (allocation?.warning) log.warn(allocation.warning);
  const deadline = o.deadline ?? allocation?.end?.getTime() ?? null;
  const past = loadPast(description, workdir, log, !joining);
  // Ranges --retry-fatal or --rerun-missing will reopen count as work to do (written only once this run holds the lease).
  const reopened = amend ? requestedRecords(workdir, description, past.state, o).reopened : 0;
  // With merge or stageOut, complete groups not merged and outputs not delivered are work too (this run does them).
  const undelivered = deliveryLeft(description, past.state);
  const left = past.state.counts.ready + past.state.counts.assigned + reopened + undelivered;
  say(
    `${joining ? 'joining the live Yoda of' : resumed ? 'resuming' : 'starting'} job ${description.name} in ${workdir}: ${description.totalRanges} ranges of ${description.eventsPerRange} events, ${left - undelivered} to do` +
      `${undelivered > 0 ? `, ${undelivered} to deliver` : ''}` +
      `${launch.size > 1 ? `, ${launch.size} ranks (${launch.kind})` : ''}${deadline ? `, allocation ends ${new Date(deadline).toISOString()}` : ''}`,
  );
  if (left === 0) {
    // This launch's other ranks wait for an endpoint: tell them at once that there is nothing to join.
    if (launch.size > 1 && !joining) publishNoYoda(workdirPaths(workdir).endpoint, id, { ended: true });
    for (const line of summaryLines(readStatus(workdir), null)) say(line);
    return past.state.counts.fatal > 0 ? EXIT.fatal : EXIT.complete;
  }
  const asked = stopAskedWhileStarting();
  if (asked)
    throw new YodaError(
      'STOPPED',
      `received ${asked} before the job ran: nothing was started; run the same command again to resume`,
      { signal: asked },
    );
  const r = await runRankZero(
    {
      // yoda serve has no Droid of its own: it never ends because "its" Droids left, only when none joined in time.
      description,
      workdir,
      node: launch.node,
      address,
      launch: id,
      yoda: yodaTuning(o, launch.node, slots ? launch.size : Number.MAX_SAFE_INTEGER, deadline),
      droid: droidTuning(o),
      slots,
      graceSeconds: o.grace,
      insecure: o.insecure,
      live,
      rendezvousSeconds: o.rendezvousTimeout,
      amend,
      judged: holder,
    },
    log,
  );
  if (!r.wasYoda) {
    if (r.reason) say(`this allocation's Droid stopped: ${r.reason}`);
    else
      say(
        `this allocation's Droid left${r.exitCode === EXIT.stopped ? ' early (drained): ranges are left for the other allocations' : ': the job is done'}`,
      );
    return r.exitCode;
  }
  const y = r.yoda!;
  if (y.handedOver)
    say(
      `drained (${r.reason ?? 'stop asked'}): handed the job over to the Droids of other allocations; this allocation's part is done`,
    );
  else for (const line of summaryLines(readStatus(workdir), r.reason)) say(line);
  if (y.lostLease && !y.handedOver)
    say(`${r.reason ?? 'lost the lease'}: this Yoda stopped writing; the job goes on under the Yoda that took it over`);
  if (y.refused.connections > 0)
    say(
      `refused ${y.refused.connections} connection(s) without this job's key from ${y.refused.addresses} address(es)`,
    );
  if (y.dropped.frames > 0)
    say(`dropped ${y.dropped.frames} invalid frame(s) from ${y.dropped.peers} peer(s) on Yoda's port (see the log)`);
  const workerLog = r.droid?.workerLog;
  if (r.exitCode === EXIT.failed && workerLog) say(`last lines of ${workerLog}:\n${tail(workerLog, 10)}`);
  return r.exitCode;
}
