// When does this allocation end? The one place that asks the batch system (squeue, qstat).
import { execa } from 'execa';
import { parseQstatWalltime, parseSqueueEndTime, slurmEndFromEnv } from './walltime.js';

/** When the allocation ends (null: unknown or unlimited), and why it could not be told when asking failed. */
export interface AllocationEnd {
  end: Date | null;
  /** Set when the batch system's answer could not be read: the run goes on without a deadline. */
  warning: string | null;
}

// The deadline is a nicety (ranges that cannot finish in time are held back): an unreadable answer is a warning.
async function ask(what: string, run: () => Promise<Date | null>): Promise<AllocationEnd> {
  try {
    return { end: await run(), warning: null };
  } catch (e) {
    return {
      end: null,
      warning: `cannot tell when the allocation ends (${what}): ${(e as Error).message}; going on without a deadline (give --deadline to set one)`,
    };
  }
}

/** The end of the allocation: from SLURM_JOB_END_TIME, `squeue %e`, or PBS walltime; never throws. */
export async function allocationEnd(env: NodeJS.ProcessEnv): Promise<AllocationEnd> {
  if (env.SLURM_JOB_ID) {
    return ask('SLURM_JOB_END_TIME / squeue', async () => {
      const fromEnv = slurmEndFromEnv(env);
      if (fromEnv) return fromEnv;
      const r = await execa('squeue', ['-h', '-j', env.SLURM_JOB_ID!, '-o', '%e'], {
        reject: false,
        timeout: 20_000,
        env,
      });
      return r.exitCode === 0 ? parseSqueueEndTime(String(r.stdout)) : null;
    });
  }
  if (env.PBS_JOBID) {
    return ask('qstat -f', async () => {
      const r = await execa('qstat', ['-f', env.PBS_JOBID!], { reject: false, timeout: 20_000, env });
      const w = r.exitCode === 0 ? parseQstatWalltime(String(r.stdout)) : null;
      return w ? new Date(Date.now() + (w.limitSeconds - w.usedSeconds) * 1000) : null;
    });
  }
  return { end: null, warning: null };
}

/** An id shared by every rank of one launch, so a Droid never follows an endpoint left by an earlier allocation. */
export function launchId(env: NodeJS.ProcessEnv): string | null {
  if (env.SLURM_JOB_ID) return `slurm:${env.SLURM_JOB_ID}.${env.SLURM_STEP_ID ?? env.SLURM_STEPID ?? 'batch'}`;
  if (env.PBS_JOBID) return `pbs:${env.PBS_JOBID}`;
  if (env.OMPI_MCA_ess_base_jobid) return `ompi:${env.OMPI_MCA_ess_base_jobid}`;
  if (env.PMIX_NAMESPACE) return `pmix:${env.PMIX_NAMESPACE}`;
  return null;
}
