// Reading the batch system's answer on whether an allocation has ended (the squeue outputs are those of Slurm 22.05).
import { describe, expect, it } from 'vitest';
import { slurmJobEnded, slurmJobOf } from '../../../src/batch/allocation-ended.js';

const answer = (stdout: string, exitCode = 0, stderr = '') => ({ stdout, stderr, exitCode });

describe('slurmJobEnded', () => {
  it('a running or completing job may still have processes: not ended', () => {
    expect(slurmJobEnded(answer('RUNNING\n'))).toBe(false);
    expect(slurmJobEnded(answer('COMPLETING\n'))).toBe(false);
    expect(slurmJobEnded(answer('SUSPENDED\n'))).toBe(false);
  });

  it('a job squeue no longer lists, no longer knows, or shows in a final state has ended', () => {
    expect(slurmJobEnded(answer(''))).toBe(true);
    expect(slurmJobEnded(answer('', 1, 'slurm_load_jobs error: Invalid job id specified'))).toBe(true);
    expect(slurmJobEnded(answer('CANCELLED\n'))).toBe(true);
    expect(slurmJobEnded(answer('PENDING\n'))).toBe(true); // requeued: the run we knew is over
  });

  it('cannot tell when squeue itself fails', () => {
    expect(slurmJobEnded(answer('', 1, 'slurm_load_jobs error: Unable to contact slurm controller'))).toBeNull();
    expect(slurmJobEnded({ stdout: '', stderr: '', exitCode: undefined })).toBeNull(); // did not start or timed out
  });
});

describe('slurmJobOf', () => {
  it('reads the job id of a Slurm launch id, and nothing from other launchers', () => {
    expect(slurmJobOf('slurm:4711.0')).toBe('4711');
    expect(slurmJobOf('slurm:4711.batch')).toBe('4711');
    expect(slurmJobOf('pbs:12.server')).toBeNull();
    expect(slurmJobOf('ompi:99')).toBeNull();
  });
});
