// `yoda run`: find this process's rank, then run Yoda + a Droid (rank 0) or a Droid (other ranks).
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { loadJob } from '../job/load.js';
import { openWorkdir } from '../job/workdir.js';
import { workdirPaths } from '../workdir/paths.js';
import { createLogger } from '../util/logger.js';
import { readStatus } from '../status/job-status.js';
import { checkOneRankPerNode, detectLaunch, type LaunchInfo } from '../batch/launch.js';
import { allocationEnd, launchId } from '../batch/allocation-end.js';
import { chooseAddress } from '../batch/address.js';
import { clearEndpoint, publishEndpoint } from '../runtime/rendezvous.js';
import { runRankZero } from '../runtime/rank-zero.js';
import { runDroidRank } from '../runtime/droid-rank.js';
import type { DroidTuning, NodePlan } from '../droid/start.js';
import { summaryLines } from './summary.js';
import { EXIT, YodaError } from '../util/errors.js';
import { LiveLine } from '../util/live-line.js';
import { loadPast } from '../yoda/start.js';
import { planForPayload } from '../node/job-plan.js';
import { readTopology } from '../node/read-topology.js';

/** Options of `yoda run`. */
export interface RunOptions {
  jobfile: string;
  workdir?: string;
  fresh: boolean;
  grace: number;
  logLevel: string;
  quiet: boolean;
  heartbeat: number;
  droidTimeout: number;
  progress: number;
  interface?: string;
  deadline?: string;
  margin: number;
  rendezvousTimeout: number;
  allowSharedNode: boolean;
  insecure: boolean;
}

const say = (line: string) => process.stderr.write(`yoda: ${line}\n`);

/** Chooses the work directory: --workdir, else the job file's `workdir`, else ./<name>.work. */
function chooseWorkdir(o: RunOptions, specWorkdir: string | undefined, baseDir: string, name: string): string {
  if (o.workdir) return resolve(o.workdir);
  if (specWorkdir) return resolve(baseDir, specWorkdir);
  return resolve(`${name}.work`);
}

/** Parses --deadline: an ISO date-time or epoch seconds. */
function parseDeadline(text: string): number {
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text);
  if (Number.isNaN(ms)) throw new YodaError('BAD_USAGE', `--deadline ${text}: give an ISO date-time (2026-11-22T06:00:00) or epoch seconds`, {});
  return ms;
}

function droidTuning(o: RunOptions): DroidTuning {
  return { prefetchPerSlot: 1, reportIntervalMs: 200, reportBatch: 64, heartbeatSeconds: o.heartbeat, maxStartFailures: 3, yodaTimeoutSeconds: o.droidTimeout, yodaGiveUpSeconds: o.droidTimeout * 6 };
}

/** The last `n` lines of a text file, indented. */
function tail(path: string, n: number): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-n).map((l) => `    ${l}`).join('\n');
  } catch (e) {
    return `    (cannot read it: ${(e as Error).message})`;
  }
}

/** Runs (or resumes) a job; resolves to the process exit code. */
export async function runCommand(o: RunOptions): Promise<number> {
  const launch = detectLaunch(process.env, (p) => readFileSync(p, 'utf8'), hostname());
  const shared = checkOneRankPerNode(launch, o.allowSharedNode);
  if (shared) throw new YodaError('BAD_USAGE', shared, {});
  const job = loadJob(o.jobfile);
  // Read the node and plan its slots once, before anything starts (a clear exit 2 on every rank that cannot hold them).
  const topo = readTopology();
  const plan = planForPayload(topo, job.spec.payload);
  const workdir = chooseWorkdir(o, job.spec.workdir, job.baseDir, job.name);
  const id = launchId(process.env);
  if (launch.rank !== 0) {
    const log = createLogger({ logsDir: workdirPaths(workdir).logs, rank: launch.rank, node: launch.node, level: o.logLevel, console: !o.quiet, consoleLevel: 'warn' });
    const result = await runDroidRank({
      workdir, jobHash: job.hash, rank: launch.rank, node: launch.node, launch: id, rendezvousSeconds: o.rendezvousTimeout,
      droid: droidTuning(o), slots: { topo, plan }, graceSeconds: o.grace,
    }, log);
    if (result.error) say(`rank ${launch.rank} on ${launch.node}: ${result.error}`);
    return result.exitCode;
  }
  const endpointPath = workdirPaths(workdir).endpoint;
  try {
    return await runAsRankZero(o, launch, job, workdir, id, { topo, plan });
  } catch (e) {
    // Tell the waiting ranks at once instead of letting them time out.
    if (launch.size > 1) publishEndpoint(endpointPath, { endpoint: '', host: hostname(), pid: process.pid, run: 0, started: new Date().toISOString(), launch: id, curve: false, error: (e as Error).message });
    throw e;
  }
}

async function runAsRankZero(o: RunOptions, launch: LaunchInfo, job: ReturnType<typeof loadJob>, workdir: string, id: string | null, slots: NodePlan): Promise<number> {
  clearEndpoint(workdirPaths(workdir).endpoint);
  const { description, resumed, setAside } = await openWorkdir(workdir, job, o.fresh);
  const live = !o.quiet && process.stderr.isTTY ? new LiveLine() : null;
  const log = createLogger({ logsDir: workdirPaths(workdir).logs, rank: 0, node: launch.node, level: o.logLevel, console: !o.quiet, consoleStream: live?.stream() });
  if (setAside) say(`set the previous job's journal aside in ${setAside}`);
  const allocation = o.deadline ? null : await allocationEnd(process.env);
  if (allocation?.warning) log.warn(allocation.warning);
  const deadline = o.deadline ? parseDeadline(o.deadline) : allocation?.end?.getTime() ?? null;
  const address = launch.size > 1 || o.interface ? await chooseAddress(o.interface) : '127.0.0.1';
  const past = loadPast(description, workdir, log);
  const left = past.state.counts.ready + past.state.counts.assigned;
  say(`${resumed ? 'resuming' : 'starting'} job ${description.name} in ${workdir}: ${description.totalRanges} ranges of ${description.eventsPerRange} events, ${left} to do` +
    `${launch.size > 1 ? `, ${launch.size} ranks (${launch.kind})` : ''}${deadline ? `, allocation ends ${new Date(deadline).toISOString()}` : ''}`);
  if (left === 0) {
    for (const line of summaryLines(readStatus(workdir), null)) say(line);
    return past.state.counts.fatal > 0 ? EXIT.fatal : EXIT.complete;
  }
  const yodaTuning = {
    heartbeatSeconds: o.heartbeat, droidTimeoutSeconds: o.droidTimeout, expectedDroids: launch.size,
    joinTimeoutSeconds: o.rendezvousTimeout, leaveTimeoutSeconds: o.grace + 30, progressSeconds: o.progress,
    deadline, marginSeconds: o.margin,
  };
  const r = await runRankZero({ description, past, workdir, node: launch.node, address, launch: id, yoda: yodaTuning, droid: droidTuning(o), slots, graceSeconds: o.grace, insecure: o.insecure, live }, log);
  const reason = r.yoda.state.stopReason ?? r.droid.error;
  for (const line of summaryLines(readStatus(workdir), reason)) say(line);
  const refused = r.yoda.zap?.refusedCount ?? 0;
  if (refused > 0) say(`refused ${refused} connection(s) without this job's key from ${r.yoda.zap!.refused.size} address(es)`);
  if (r.yoda.dropped.frames > 0) say(`dropped ${r.yoda.dropped.frames} invalid frame(s) from ${r.yoda.dropped.peers.size} peer(s) on Yoda's port (see the log)`);
  const workerLog = r.droid.workerLog;
  if (r.exitCode === EXIT.failed && workerLog) say(`last lines of ${workerLog}:\n${tail(workerLog, 10)}`);
  return r.exitCode;
}
