// When does this allocation end? The one place that asks the batch system (squeue, qstat).
import { execa } from 'execa';
import { parseQstatWalltime, parseSqueueEndTime, slurmEndFromEnv } from './walltime.js';

/** The end of the allocation: from SLURM_JOB_END_TIME, `squeue %e`, or PBS walltime; null when unknown or unlimited. */
export async function allocationEnd(env: NodeJS.ProcessEnv): Promise<Date | null> {
  if (env.SLURM_JOB_ID) {
    const fromEnv = slurmEndFromEnv(env);
    if (fromEnv) return fromEnv;
    const r = await execa('squeue', ['-h', '-j', env.SLURM_JOB_ID, '-o', '%e'], { reject: false, timeout: 20_000, env });
    return r.exitCode === 0 ? parseSqueueEndTime(String(r.stdout)) : null;
  }
  if (env.PBS_JOBID) {
    const r = await execa('qstat', ['-f', env.PBS_JOBID], { reject: false, timeout: 20_000, env });
    const w = r.exitCode === 0 ? parseQstatWalltime(String(r.stdout)) : null;
    return w ? new Date(Date.now() + (w.limitSeconds - w.usedSeconds) * 1000) : null;
  }
  return null;
}

/** An id shared by every rank of one launch, so a Droid never follows an endpoint left by an earlier allocation. */
export function launchId(env: NodeJS.ProcessEnv): string | null {
  if (env.SLURM_JOB_ID) return `slurm:${env.SLURM_JOB_ID}.${env.SLURM_STEP_ID ?? env.SLURM_STEPID ?? 'batch'}`;
  if (env.PBS_JOBID) return `pbs:${env.PBS_JOBID}`;
  if (env.OMPI_MCA_ess_base_jobid) return `ompi:${env.OMPI_MCA_ess_base_jobid}`;
  if (env.PMIX_NAMESPACE) return `pmix:${env.PMIX_NAMESPACE}`;
  return null;
}
