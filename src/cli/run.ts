// `yoda run`: run or resume a job. Local mode: Yoda and one Droid in this process, over all this machine's cores.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { loadJob } from '../job/load.js';
import { openWorkdir, workdirPaths } from '../job/workdir.js';
import { createLogger } from '../util/logger.js';
import { loadPast, startYoda } from '../yoda/start.js';
import { startDroid } from '../droid/start.js';
import { readStatus } from '../status/job-status.js';
import { summaryLines } from './summary.js';
import { EXIT } from './exit-codes.js';

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
}

/** Chooses the work directory: --workdir, else the job file's `workdir`, else ./<name>.work. */
function chooseWorkdir(o: RunOptions, specWorkdir: string | undefined, baseDir: string, name: string): string {
  if (o.workdir) return resolve(o.workdir);
  if (specWorkdir) return resolve(baseDir, specWorkdir);
  return resolve(`${name}.work`);
}

/** Runs (or resumes) a job; resolves to the process exit code. */
export async function runCommand(o: RunOptions): Promise<number> {
  const job = loadJob(o.jobfile);
  const workdir = chooseWorkdir(o, job.spec.workdir, job.baseDir, job.name);
  const { description, resumed, setAside } = await openWorkdir(workdir, job, o.fresh);
  const node = hostname().split('.')[0];
  const log = createLogger({ logsDir: workdirPaths(workdir).logs, rank: 0, node, level: o.logLevel, console: !o.quiet });
  const say = (line: string) => process.stderr.write(`yoda: ${line}\n`);
  if (setAside) say(`set the previous job's journal aside in ${setAside}`);
  const past = loadPast(description, workdir, log);
  const left = past.state.counts.ready + past.state.counts.assigned;
  say(`${resumed ? 'resuming' : 'starting'} job ${description.name} in ${workdir}: ${description.totalRanges} ranges of ${description.eventsPerRange} events, ${left} to do`);
  if (left === 0) {
    for (const line of summaryLines(readStatus(workdir), null)) say(line);
    return past.state.counts.fatal > 0 ? EXIT.fatal : EXIT.complete;
  }
  const tuning = {
    heartbeatSeconds: o.heartbeat, droidTimeoutSeconds: o.droidTimeout, expectedDroids: 1,
    joinTimeoutSeconds: 120, leaveTimeoutSeconds: o.grace + 30, progressSeconds: o.progress,
  };
  const yoda = await startYoda(description, workdir, tuning, 'tcp://127.0.0.1:*', past, log);
  const droid = startDroid(description, workdir, yoda.endpoint, { rank: 0, node }, {
    prefetchPerSlot: 1, reportIntervalMs: 200, reportBatch: 64, heartbeatSeconds: o.heartbeat, maxStartFailures: 3, yodaTimeoutSeconds: o.droidTimeout * 3,
  }, log);
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals += 1;
    const grace = signals === 1 ? o.grace : 0;
    log.warn(`received ${sig}: ${signals === 1 ? `draining, in-flight ranges have ${grace} s` : 'stopping now'}`);
    yoda.drain(`received ${sig}`, grace);
    droid.drain(`received ${sig}`, grace);
  };
  const sigs: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGUSR1'];
  for (const s of sigs) process.on(s, onSignal);
  const [result, droidResult] = await Promise.all([yoda.finished, droid.finished]);
  for (const s of sigs) process.off(s, onSignal);
  const reason = yoda.state.stopReason ?? droidResult.error;
  for (const line of summaryLines(readStatus(workdir), reason)) say(line);
  if (yoda.dropped.frames > 0) say(`dropped ${yoda.dropped.frames} invalid frame(s) from ${yoda.dropped.peers.size} peer(s) on Yoda's port (see the log)`);
  const workerLog = reason?.match(/see (\S+\.log)/)?.[1];
  if (result.exitCode === EXIT.failed && workerLog) say(`last lines of ${workerLog}:\n${tail(workerLog, 10)}`);
  return result.exitCode;
}

/** The last `n` lines of a text file, indented. */
function tail(path: string, n: number): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-n).map((l) => `    ${l}`).join('\n');
  } catch (e) {
    return `    (cannot read it: ${(e as Error).message})`;
  }
}
