// fillLoop over recording ports (pure logic: no Slurm, no work directory): rounds, exits, dry run, refusals.
import { describe, expect, it } from 'vitest';
import { fillLoop, type FillPorts, type LoopOptions } from '../../../src/fill/loop.js';
import type { FillJobView } from '../../../src/fill/job-state.js';
import type { Submission } from '../../../src/fill/plan.js';
import type { ClusterState } from '../../../src/batch/slurm-state.js';
import type { JobStatus } from '../../../src/status/job-status.js';
import { YodaError, exitCodeFor } from '../../../src/util/errors.js';

const idle = (n: string) => ({
  node: n,
  partition: 'debug',
  defaultPartition: true,
  state: 'idle',
  cpus: 2,
  partitionLimitSeconds: null,
  up: true,
});
const CLUSTER: ClusterState = { now: 0, nodes: [idle('n1'), idle('n2')], jobs: [], reservations: [] };
const view = (done: number, fatal = 0, state: JobStatus['state'] = 'running'): FillJobView => ({
  status: {
    state,
    job: { workdir: '/w' },
    ranges: { total: 8, done, fatal, ready: 8 - done - fatal, assigned: 0, failed: 0 },
    lastRun: null,
  } as unknown as JobStatus,
  need: {
    rangesLeft: 8 - done - fatal,
    deliveryLeft: 0,
    rangeSeconds: 1,
    slotsPerNode: 2,
    coresPerSlot: 1,
    maxWorkers: null,
    activeNodes: [],
  },
});
const OPTS: LoopOptions = {
  partition: null,
  account: null,
  maxNodes: 100,
  maxJobs: 2,
  timeMaxMinutes: 60,
  timeMinMinutes: 30,
  marker: 'yoda-fill:x',
  dryRun: false,
  intervalSeconds: 5,
};

// Ports that replay `views` one per round (the last one repeats) and record what the loop did.
function ports(views: FillJobView[], submit?: (s: Submission) => Promise<string>) {
  const rec = { submitted: [] as Submission[], said: [] as string[], slept: 0 };
  let round = 0;
  const p: FillPorts = {
    readJob: () => views[Math.min(round++, views.length - 1)],
    readCluster: async () => CLUSTER,
    submit:
      submit ??
      (async (s) => {
        rec.submitted.push(s);
        return String(100 + rec.submitted.length);
      }),
    describe: (s) => `sbatch -N ${s.nodes} -t ${s.timeMinutes}`,
    say: (l) => rec.said.push(l),
    sleep: async () => {
      rec.slept += 1;
    },
    stopped: () => false,
  };
  return { p, rec };
}

describe('fillLoop', () => {
  it('submits what the plan says each round and exits 0 once every range is done', async () => {
    const { p, rec } = ports([view(0), view(4), view(8)]);
    expect(await fillLoop(p, OPTS)).toBe(0);
    expect(rec.submitted.map((s) => s.nodes)).toEqual([2, 2]); // the fake cluster stays idle: each round fills it again
    expect(rec.slept).toBe(2);
    expect(rec.said.at(-1)).toBe('yoda fill: the job is complete (8/8 done)');
  });

  it('goes on while merges or transfers are left after the last range: one node is submitted for them', async () => {
    const delivering = view(8);
    delivering.need.deliveryLeft = 2;
    const { p, rec } = ports([delivering, view(8)]);
    expect(await fillLoop(p, OPTS)).toBe(0);
    expect(rec.submitted.map((s) => s.nodes)).toEqual([1]);
  });

  it('exits 3 when the ranges left are fatal, without submitting', async () => {
    const { p, rec } = ports([view(6, 2, 'fatal')]);
    expect(await fillLoop(p, OPTS)).toBe(3);
    expect(rec.submitted).toEqual([]);
  });

  it('--dry-run: one round printed with its sbatch lines, nothing submitted', async () => {
    const { p, rec } = ports([view(0)]);
    expect(await fillLoop(p, { ...OPTS, dryRun: true })).toBe(0);
    expect(rec.submitted).toEqual([]);
    expect(rec.said.join('\n')).toMatch(/submit: sbatch -N 2 -t 60 {4}# 2 of 2 idle node\(s\) n1,n2 free for 1:00/);
  });

  it('a refused submission ends the loop with its error (exit 2)', async () => {
    const refusal = new YodaError('SUBMIT_REFUSED', 'sbatch refused the allocation (partition debug, account x)');
    const { p } = ports([view(0)], async () => {
      throw refusal;
    });
    const e = await fillLoop(p, OPTS).catch((x: unknown) => x);
    expect(e).toBe(refusal);
    expect(exitCodeFor(e)).toBe(2);
  });

  it('stops with 5 when a run of the job failed after fill started', async () => {
    const failed = view(2, 0, 'failed');
    failed.status.lastRun = {
      run: 1,
      host: 'h',
      pid: 1,
      startedAt: new Date().toISOString(),
      endedAt: new Date(Date.now() + 1000).toISOString(),
      exitCode: 5,
    };
    const { p, rec } = ports([failed]);
    expect(await fillLoop(p, OPTS)).toBe(5);
    expect(rec.submitted).toEqual([]);
  });

  it('a round whose Slurm commands fail is said and tried again; five in a row end the loop with the last error', async () => {
    const { p, rec } = ports([view(0), view(8)]);
    let calls = 0;
    p.readCluster = async () => {
      calls += 1;
      if (calls === 1) throw new YodaError('BAD_ENVIRONMENT', 'squeue: slurmctld busy');
      return CLUSTER;
    };
    expect(await fillLoop(p, OPTS)).toBe(0);
    expect(rec.said.join('\n')).toMatch(/round 1 failed \(squeue: slurmctld busy\); trying again \(1\/5\)/);

    const down = ports([view(0)]);
    const gone = new YodaError('BAD_ENVIRONMENT', 'sinfo: cannot reach slurmctld');
    down.p.readCluster = async () => {
      throw gone;
    };
    expect(await fillLoop(down.p, OPTS).catch((x: unknown) => x)).toBe(gone);
    expect(down.rec.slept).toBe(4);
  });
});
