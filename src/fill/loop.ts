// The `yoda fill` loop: read the job and the cluster, plan, submit, wait; until the job is complete. A thin shell over planFill.
import { planFill, hm, type FillOptions, type FillPlan, type Submission } from './plan.js';
import type { ClusterState } from '../batch/slurm-state.js';
import type { FillJobView } from './job-state.js';
import { EXIT, isYodaError } from '../util/errors.js';

/** What the loop runs on: the real ones read the work directory and run Slurm's commands; tests may pass others. */
export interface FillPorts {
  readJob(): FillJobView;
  readCluster(): Promise<ClusterState>;
  /** Submits one allocation; returns its id, or throws (a refusal ends the loop with its exit code). */
  submit(s: Submission): Promise<string>;
  /** The command line a submission would run (for --dry-run and the log). */
  describe(s: Submission): string;
  say(line: string): void;
  sleep(seconds: number): Promise<void>;
  /** Set when the user asked to stop (SIGINT/SIGTERM): the loop returns at the next step. */
  stopped(): boolean;
}

/** Options of the loop itself. */
export interface LoopOptions extends FillOptions {
  dryRun: boolean;
  intervalSeconds: number;
}

/** The plan as --dry-run prints it: the windows seen, the reasons, and the command lines it would submit. */
export function planText(p: FillPlan, describe: (s: Submission) => string, now: number): string[] {
  const out = p.reasons.map((r) => `  ${r}`);
  for (const w of p.windows) {
    const left = w.until === null ? 'no end ahead' : `${hm(Math.max(0, Math.floor((w.until - now) / 60_000)))} left`;
    out.push(`  window ${w.node}: ${left} (${w.boundBy})${w.usable ? '' : ': too short'}`);
  }
  if (p.ownPending.length || p.ownRunning.length)
    out.push(`  ours: pending ${p.ownPending.join(',') || '-'}; running ${p.ownRunning.join(',') || '-'}`);
  for (const s of p.submissions) out.push(`  submit: ${describe(s)}    # ${s.why}`);
  return out;
}

// The exit code when the job needs nothing more: 0 complete, 3 fatal ranges or outputs that could not be merged or
// delivered; null while ranges, merges or transfers are left.
function finished(v: FillJobView): number | null {
  const r = v.status.ranges;
  if (r.done + r.fatal < r.total || v.need.deliveryLeft > 0) return null;
  const failed = (v.status.merge?.failed ?? 0) + (v.status.stageOut?.failed ?? 0);
  return r.fatal > 0 || failed > 0 ? EXIT.fatal : EXIT.complete;
}

/** Rounds in a row whose Slurm commands fail before the loop gives up (a busy slurmctld answers again soon). */
export const MAX_FAILED_ROUNDS = 5;

/**
 * Runs rounds until the job is complete (0), has fatal ranges (3), its run failed (5), a submission is refused (2), or
 * Slurm's commands failed MAX_FAILED_ROUNDS rounds in a row (2); one failed round is said and tried again.
 */
export async function fillLoop(ports: FillPorts, o: LoopOptions): Promise<number> {
  const started = Date.now();
  let failedRounds = 0;
  for (let round = 1; ; round++) {
    try {
      const code = await fillRound(ports, o, round, started);
      if (code !== null) return code;
      failedRounds = 0;
    } catch (e) {
      if (isYodaError(e, 'SUBMIT_REFUSED') || o.dryRun) throw e;
      failedRounds += 1;
      if (failedRounds >= MAX_FAILED_ROUNDS) throw e;
      ports.say(
        `yoda fill: round ${round} failed (${(e as Error).message}); trying again (${failedRounds}/${MAX_FAILED_ROUNDS})`,
      );
    }
    if (ports.stopped()) return EXIT.stopped;
    await ports.sleep(o.intervalSeconds);
    if (ports.stopped()) return EXIT.stopped;
  }
}

// One round: read, plan, submit; the exit code when the loop is over, else null.
async function fillRound(ports: FillPorts, o: LoopOptions, round: number, started: number): Promise<number | null> {
  const job = ports.readJob();
  const done = finished(job);
  if (done !== null && !o.dryRun) {
    ports.say(
      `yoda fill: the job is ${done === EXIT.complete ? 'complete' : `finished with ${job.status.ranges.fatal} fatal range(s)`} (${job.status.ranges.done}/${job.status.ranges.total} done)`,
    );
    return done;
  }
  const last = job.status.lastRun;
  if (job.status.state === 'failed' && last && Date.parse(last.endedAt ?? last.startedAt) >= started) {
    ports.say(
      `yoda fill: the job's run failed (exit ${last.exitCode}); see yoda status ${job.status.job.workdir} and its logs/. Stopping.`,
    );
    return EXIT.failed;
  }
  const cluster = await ports.readCluster();
  const plan = planFill(cluster, job.need, o);
  ports.say(
    `yoda fill: round ${round} at ${new Date(cluster.now).toISOString()}: ${job.status.ranges.done}/${job.status.ranges.total} ranges done, job ${job.status.state}`,
  );
  for (const line of planText(plan, ports.describe, cluster.now)) ports.say(line);
  if (o.dryRun) return EXIT.complete;
  for (const s of plan.submissions)
    ports.say(`yoda fill: submitted job ${await ports.submit(s)} (${s.nodes} node(s), ${hm(s.timeMinutes)})`);
  return null;
}
