import { describe, expect, it } from 'vitest';
import {
  parseQstatWalltime,
  parseSlurmTimeLeft,
  parseSqueueEndTime,
  slurmEndFromEnv,
} from '../../../src/batch/walltime.js';

describe('parseSqueueEndTime (squeue -o %e)', () => {
  it('reads Slurm local time', () => {
    expect(parseSqueueEndTime('2026-11-24T03:14:42\n')).toEqual(new Date(2026, 10, 24, 3, 14, 42));
  });
  it.each(['N/A', 'Unknown', 'NONE', '', '\n'])('gives null for %j', (text) => {
    expect(parseSqueueEndTime(text)).toBeNull();
  });
  it.each(['tomorrow', '2026-11-24 03:14:42', '2026-02-30T00:00:00', '2026-11-24T25:00:00'])('rejects %j', (text) => {
    expect(() => parseSqueueEndTime(text)).toThrow(`cannot parse squeue end time "${text}"`);
  });
});

describe('parseSlurmTimeLeft (squeue -o %L)', () => {
  it.each([
    ['2-03:04:59', 2 * 86400 + 3 * 3600 + 4 * 60 + 59],
    ['1-00:00:00\n', 86400],
    ['3-12', 3 * 86400 + 12 * 3600],
    ['3-12:30', 3 * 86400 + 12 * 3600 + 30 * 60],
    ['12:00:01', 12 * 3600 + 1],
    ['5:00', 300],
    ['0:07', 7],
    ['45', 45 * 60],
  ])('%j is %d s', (text, seconds) => {
    expect(parseSlurmTimeLeft(text)).toBe(seconds);
  });
  it.each(['UNLIMITED', 'INVALID', 'NOT_SET', 'N/A', ''])('gives null for %j', (text) => {
    expect(parseSlurmTimeLeft(text)).toBeNull();
  });
  it.each(['soon', '1:2:3:4', '-5:00', '1-a:00'])('rejects %j naming it', (text) => {
    expect(() => parseSlurmTimeLeft(text)).toThrow(`Slurm time left "${text}"`);
  });
});

// Shape of `qstat -f` output (PBS Pro; Torque prints the same attribute lines).
const qstatRunning = `Job Id: 91823.pbspro-srv
    Job_Name = yoda
    Job_Owner = user@login01
    resources_used.cpupercent = 6387
    resources_used.cput = 10:41:13
    resources_used.mem = 81532kb
    resources_used.ncpus = 192
    resources_used.vmem = 1263040kb
    resources_used.walltime = 00:10:05
    job_state = R
    queue = workq
    Resource_List.ncpus = 192
    Resource_List.nodect = 3
    Resource_List.place = scatter:excl
    Resource_List.select = 3:ncpus=64:mpiprocs=1
    Resource_List.walltime = 01:00:00
    stime = Sun Nov 22 00:13:01 2026
    exec_host = x1000c0s0b0n0/0*64+x1000c0s0b0n1/0*64+x1000c0s1b0n0/0*64
`;

describe('parseQstatWalltime (qstat -f)', () => {
  it('reads limit and use', () => {
    expect(parseQstatWalltime(qstatRunning)).toEqual({ limitSeconds: 3600, usedSeconds: 605 });
  });
  it('counts used as 0 before PBS reports it, and reads long limits', () => {
    const queued = 'Job Id: 7.srv\n    job_state = Q\n    Resource_List.walltime = 720:00:00\n';
    expect(parseQstatWalltime(queued)).toEqual({ limitSeconds: 720 * 3600, usedSeconds: 0 });
    expect(parseQstatWalltime('    Resource_List.walltime = 5400\n')).toEqual({ limitSeconds: 5400, usedSeconds: 0 });
  });
  it('gives null without a wall-time limit', () => {
    expect(parseQstatWalltime('Job Id: 7.srv\n    job_state = R\n')).toBeNull();
  });
  it('rejects a malformed value naming it', () => {
    expect(() => parseQstatWalltime('    Resource_List.walltime = 1:xx:00\n')).toThrow(
      'Resource_List.walltime = 1:xx:00',
    );
  });
});

describe('slurmEndFromEnv (SLURM_JOB_END_TIME)', () => {
  it('reads epoch seconds', () => {
    expect(slurmEndFromEnv({ SLURM_JOB_END_TIME: '1795310082' })).toEqual(new Date(1795310082 * 1000));
  });
  it('gives null when not set (Slurm 22.05 does not set it)', () => {
    expect(slurmEndFromEnv({})).toBeNull();
    expect(slurmEndFromEnv({ SLURM_JOB_END_TIME: '' })).toBeNull();
  });
  it('rejects garbage naming the variable and value', () => {
    expect(() => slurmEndFromEnv({ SLURM_JOB_END_TIME: 'soon' })).toThrow(
      'SLURM_JOB_END_TIME="soon" is not epoch seconds',
    );
  });
});
