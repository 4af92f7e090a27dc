// Whether a batch allocation (a launch id) has ended, as its batch system says: the judge of Droids on other nodes.
import { execa } from 'execa';

/** Slurm job states in which the job's processes may still run; in any other state (or none) they are gone. */
const SLURM_LIVE = new Set([
  'RUNNING',
  'COMPLETING',
  'CONFIGURING',
  'RESIZING',
  'SIGNALING',
  'STAGE_OUT',
  'STOPPED',
  'SUSPENDED',
]);

/** What a batch command printed and how it exited. */
export interface CommandAnswer {
  stdout: string;
  stderr: string;
  exitCode: number | undefined;
}

/**
 * Reads `squeue -h -j <id> -o %T`: true when the job has ended (no longer listed, unknown to the controller, or in a
 * final state), false when its processes may still run, null when squeue could not answer.
 */
export function slurmJobEnded(a: CommandAnswer): boolean | null {
  if (a.exitCode !== 0) return /invalid job id/i.test(a.stderr) ? true : null;
  const state = a.stdout.trim().split('\n')[0]?.trim() ?? '';
  return state === '' || !SLURM_LIVE.has(state.toUpperCase());
}

/** The Slurm job id of a launch id (`slurm:<job>.<step>`), or null for other launchers. */
export function slurmJobOf(launch: string): string | null {
  return /^slurm:(\d+)\./.exec(launch)?.[1] ?? null;
}

/**
 * Asks the batch system whether allocation `launch` has ended: true (its processes are gone), false (they may still
 * run), null (cannot tell: not a Slurm launch, or squeue did not answer within 15 s).
 */
export async function allocationEnded(launch: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean | null> {
  const job = slurmJobOf(launch);
  if (job === null) return null;
  const r = await execa('squeue', ['-h', '-j', job, '-o', '%T'], {
    env,
    reject: false,
    timeout: 15_000,
    stdin: 'ignore',
  });
  if (r.timedOut || r.exitCode === undefined) return null;
  return slurmJobEnded({ stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), exitCode: r.exitCode });
}
