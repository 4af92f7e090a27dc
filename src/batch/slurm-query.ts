// The one place `yoda fill` runs Slurm's commands: sinfo, squeue, scontrol show res, sbatch (parsing is in slurm-state.ts).
import { execa } from 'execa';
import {
  parseReservations,
  parseSinfoNodes,
  parseSqueue,
  SINFO_FORMAT,
  SQUEUE_FORMAT,
  type ClusterState,
  type QueueJob,
} from './slurm-state.js';
import { YodaError } from '../util/errors.js';

const TIMEOUT = 30_000;

async function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const r = await execa(cmd, args, { env, reject: false, timeout: TIMEOUT, stdin: 'ignore' });
  if (r.exitCode !== 0) {
    const why =
      r.failed && r.exitCode === undefined
        ? ((r as { shortMessage?: string }).shortMessage ?? 'failed to start')
        : `exit ${r.exitCode}`;
    throw new YodaError(
      'BAD_ENVIRONMENT',
      `cannot read the batch system's state: ${cmd} ${args.join(' ')} (${why}): ${String(r.stderr ?? '').trim()}`,
      { cmd, args },
    );
  }
  return String(r.stdout ?? '');
}

/** Reads the cluster's nodes, queue (with pending jobs' expected starts from squeue --start) and reservations. */
export async function readSlurmState(env: NodeJS.ProcessEnv, partition: string | null): Promise<ClusterState> {
  const p = partition ? ['-p', partition] : [];
  const now = Date.now();
  const [nodes, queue, starts, res] = await Promise.all([
    run('sinfo', ['-h', '-N', ...p, '-o', SINFO_FORMAT], env),
    run('squeue', ['-h', '-o', SQUEUE_FORMAT], env),
    run('squeue', ['-h', '--start', '-o', SQUEUE_FORMAT], env),
    run('scontrol', ['show', 'res', '-o'], env),
  ]);
  // squeue --start is Slurm's answer on expected starts: it wins over the plain listing for pending jobs.
  const planned = new Map(parseSqueue(starts).map((j) => [j.id, j]));
  const jobs: QueueJob[] = parseSqueue(queue).map((j) => planned.get(j.id) ?? j);
  return { now, nodes: parseSinfoNodes(nodes), jobs, reservations: parseReservations(res) };
}

/** Asks Slurm whether it would take a submission (`sbatch --test-only args`), without submitting; throws SUBMIT_REFUSED. */
export async function sbatchTestOnly(
  args: string[],
  env: NodeJS.ProcessEnv,
  facts: { partition: string | null; account: string | null },
): Promise<void> {
  const r = await execa('sbatch', ['--test-only', ...args], { env, reject: false, timeout: TIMEOUT, stdin: 'ignore' });
  if (r.exitCode !== 0) refused(r, facts);
}

/** Submits with `sbatch --parsable args`; returns the job id, or throws SUBMIT_REFUSED with sbatch's own words. */
export async function sbatch(
  args: string[],
  env: NodeJS.ProcessEnv,
  facts: { partition: string | null; account: string | null },
): Promise<string> {
  const r = await execa('sbatch', ['--parsable', ...args], { env, reject: false, timeout: TIMEOUT, stdin: 'ignore' });
  const id = String(r.stdout ?? '')
    .trim()
    .split(';')[0];
  if (r.exitCode === 0 && /^\d+$/.test(id)) return id;
  if (r.timedOut)
    throw new YodaError(
      'BAD_ENVIRONMENT',
      `sbatch did not answer within ${TIMEOUT / 1000} s: the allocation may have been submitted (the next round finds it by its comment)`,
      { cmd: 'sbatch', args },
    );
  return refused(r, facts);
}

function refused(
  r: { stdout?: unknown; stderr?: unknown; exitCode?: number },
  facts: { partition: string | null; account: string | null },
): never {
  const said =
    String(r.stderr ?? '').trim() ||
    String(r.stdout ?? '').trim() ||
    (r as { shortMessage?: string }).shortMessage ||
    `exit ${r.exitCode}`;
  throw new YodaError(
    'SUBMIT_REFUSED',
    `sbatch refused the allocation (partition ${facts.partition ?? '(default)'}, account ${facts.account ?? '(default)'}): ${said.split('\n').join(' | ')}\n` +
      'Check --partition and --account (sinfo lists partitions; sacctmgr show assoc user=$USER lists accounts), and the extra sbatch arguments.',
    { ...facts, exitCode: r.exitCode, stderr: said },
  );
}
