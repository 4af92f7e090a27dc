// planFill on cluster states parsed from text recorded on the real 3-node test cluster (2 CPUs per node).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseReservations, parseSinfoNodes, parseSqueue, type ClusterState } from '../../../src/batch/slurm-state.js';
import { planFill, signalSecondsFor, type FillJobState, type FillOptions } from '../../../src/fill/plan.js';
import { fillMarker, sbatchArgs } from '../../../src/fill/sbatch-args.js';

const fixture = (name: string) =>
  readFileSync(path.join(import.meta.dirname, '..', 'batch', 'fixtures', 'slurm-state', name), 'utf8');
// The fixtures' clock (Slurm prints local time): 08:02:00 on the day they were recorded.
const NOW = new Date(2026, 11, 1, 8, 2, 0).getTime();
const cluster = (sinfo: string, squeue: string, res: string): ClusterState => ({
  now: NOW,
  nodes: parseSinfoNodes(fixture(sinfo)),
  jobs: parseSqueue(fixture(squeue)),
  reservations: parseReservations(fixture(res)),
});
const job = (o: Partial<FillJobState> = {}): FillJobState => ({
  rangesLeft: 16,
  deliveryLeft: 0,
  rangeSeconds: 5,
  slotsPerNode: 2,
  coresPerSlot: 1,
  maxWorkers: null,
  activeNodes: [],
  ...o,
});
const opts = (o: Partial<FillOptions> = {}): FillOptions => ({
  partition: null,
  account: null,
  maxNodes: 1000,
  maxJobs: 2,
  timeMaxMinutes: 240,
  timeMinMinutes: 30,
  marker: 'yoda-fill:mine',
  ...o,
});
const shape = (p: ReturnType<typeof planFill>) =>
  p.submissions.map((s) => ({ nodes: s.nodes, time: s.timeMinutes, timeMin: s.timeMinMinutes }));

describe('planFill', () => {
  it('all three nodes idle, nothing ahead: one allocation of 3 nodes for the time max, in the default partition', () => {
    const p = planFill(cluster('sinfo-idle.txt', 'squeue-empty.txt', 'res-none.txt'), job(), opts());
    expect(p.partition).toBe('debug');
    expect(shape(p)).toEqual([{ nodes: 3, time: 240, timeMin: 30 }]);
    expect(p.submissions[0].signalSeconds).toBe(180);
    expect(p.windows.map((w) => [w.node, w.until, w.usable])).toEqual([
      ['n1', null, true],
      ['n2', null, true],
      ['n3', null, true],
    ]);
  });

  it('never more nodes than the job can use: ranges left / slots per node, less the nodes already working', () => {
    const c = cluster('sinfo-idle.txt', 'squeue-empty.txt', 'res-none.txt');
    expect(shape(planFill(c, job({ rangesLeft: 3 }), opts()))).toEqual([{ nodes: 2, time: 240, timeMin: 30 }]);
    expect(shape(planFill(c, job({ rangesLeft: 3, activeNodes: ['n9'] }), opts()))).toEqual([
      { nodes: 1, time: 240, timeMin: 30 },
    ]);
    expect(shape(planFill(c, job({ rangesLeft: 4, activeNodes: ['n8', 'n9'] }), opts()))).toEqual([]);
    // Every range done, merges or transfers left: one node delivers them; nothing left at all: nothing to submit.
    expect(shape(planFill(c, job({ rangesLeft: 0, deliveryLeft: 3 }), opts()))).toEqual([
      { nodes: 1, time: 240, timeMin: 30 },
    ]);
    expect(planFill(c, job({ rangesLeft: 0 }), opts()).reasons).toContain(
      'no ranges left to hand out: nothing to submit',
    );
    // Before any Droid joined: slots estimated from the job file (coresPerWorker 2 on 2-CPU nodes: 1 slot per node).
    expect(shape(planFill(c, job({ rangesLeft: 2, slotsPerNode: null, coresPerSlot: 2 }), opts()))).toEqual([
      { nodes: 2, time: 240, timeMin: 30 },
    ]);
    expect(shape(planFill(c, job(), opts({ maxNodes: 1 })))).toEqual([{ nodes: 1, time: 240, timeMin: 30 }]);
    expect(planFill(c, job({ rangesLeft: 0 }), opts()).submissions).toEqual([]);
  });

  it('n1 held by another job, a 3-node job pending behind it (planned from 08:20:29): the 2 free nodes until then', () => {
    const p = planFill(cluster('sinfo-n1-busy.txt', 'squeue-busy.txt', 'res-none.txt'), job(), opts());
    // 18.5 minutes ahead, less a minute of slack, in whole minutes: 17; time-min capped at it; warning a tenth of it.
    expect(shape(p)).toEqual([{ nodes: 2, time: 17, timeMin: 17 }]);
    expect(p.submissions[0].signalSeconds).toBe(102);
    expect(p.submissions[0].onNodes).toEqual(['n2', 'n3']);
    expect(p.windows.map((w) => w.boundBy)).toEqual(
      ['n2', 'n3'].map(
        () => `pending job 2 expected to start ${new Date(2026, 11, 1, 8, 20, 29).toISOString().slice(0, 19)}Z here`,
      ),
    );
  });

  it('our own allocation pending (found by its comment): counted against --max-jobs and its nodes, not a window', () => {
    const c = cluster('sinfo-n1-busy.txt', 'squeue-busy.txt', 'res-none.txt');
    const p = planFill(c, job(), opts({ marker: 'yoda-fill:abc', maxJobs: 1 }));
    expect(p.ownPending).toEqual(['2']);
    expect(p.submissions).toEqual([]);
    expect(p.reasons.join('\n')).toMatch(/1 allocation\(s\) of ours pending \(--max-jobs 1\)/);
    // With room for one more pending job: the 2 idle nodes are expected to go to our pending 3-node job.
    expect(planFill(c, job(), opts({ marker: 'yoda-fill:abc', maxJobs: 2 })).submissions).toEqual([]);
  });

  it('a reservation on n3 from 08:11:04: n3 gets its own allocation ending before it; n1, n2 until the next (10:01:04)', () => {
    const c = cluster('sinfo-idle.txt', 'squeue-empty.txt', 'res-two.txt');
    const p = planFill(c, job(), opts());
    expect(shape(p)).toEqual([
      { nodes: 2, time: 118, timeMin: 30 },
      { nodes: 1, time: 8, timeMin: 8 },
    ]);
    expect(p.submissions[1].onNodes).toEqual(['n3']);
    expect(p.submissions[1].why).toMatch(/reservation soon from/);
    // Each allocation ends before the reservation on its nodes starts.
    for (const s of p.submissions) {
      const firstRes = Math.min(
        ...c.reservations.filter((r) => s.onNodes.some((n) => r.nodes.includes(n))).map((r) => r.start.getTime()),
      );
      expect(NOW + s.timeMinutes * 60_000).toBeLessThan(firstRes);
    }
    expect(shape(planFill(c, job(), opts({ maxJobs: 1 })))).toEqual([{ nodes: 2, time: 118, timeMin: 30 }]);
    expect(shape(planFill(c, job(), opts({ timeMaxMinutes: 60 })))).toEqual([
      { nodes: 2, time: 60, timeMin: 30 },
      { nodes: 1, time: 8, timeMin: 8 },
    ]);
  });

  it('a window too short for a range is not used, and the reason says where', () => {
    const p = planFill(
      cluster('sinfo-idle.txt', 'squeue-empty.txt', 'res-two.txt'),
      job({ rangeSeconds: 600 }),
      opts(),
    );
    expect(shape(p)).toEqual([{ nodes: 2, time: 118, timeMin: 30 }]);
    expect(p.windows.find((w) => w.node === 'n3')?.usable).toBe(false);
    expect(p.reasons.join('\n')).toMatch(/window too short for a range on n3 \(reservation soon/);
  });

  it('a node inside an active reservation is not used; a partition given that has no nodes says so', () => {
    const c = cluster('sinfo-idle.txt', 'squeue-empty.txt', 'res-two.txt');
    const during = { ...c, now: new Date(2026, 11, 1, 8, 20, 0).getTime() };
    expect(planFill(during, job(), opts()).submissions.flatMap((s) => s.onNodes)).toEqual(['n1', 'n2']);
    const none = planFill(c, job(), opts({ partition: 'gpu' }));
    expect(none.submissions).toEqual([]);
    expect(none.reasons).toEqual(['partition gpu has no nodes (sinfo)']);
  });
});

describe('planFill and pending jobs of others', () => {
  const at = (h: number, mi: number) => new Date(2026, 11, 1, h, mi, 0);
  const pending = (o: Partial<ReturnType<typeof parseSqueue>[number]>) => ({
    id: '9',
    partitions: ['debug'],
    state: 'PENDING',
    start: at(9, 2),
    end: null,
    nodeCount: 1,
    priority: 10,
    name: 'x',
    comment: null,
    user: 'u',
    nodes: [],
    ...o,
  });
  const idle = () => cluster('sinfo-idle.txt', 'squeue-empty.txt', 'res-none.txt');

  it('expected to start at 09:02 with no planned nodes: every node of its partition ends before then', () => {
    const p = planFill({ ...idle(), jobs: [pending({})] }, job(), opts());
    expect(shape(p)).toEqual([{ nodes: 3, time: 59, timeMin: 30 }]);
  });
  it('planned on n2 from another partition: only n2 is bounded; not yet planned at all (no start): no bound', () => {
    const p = planFill({ ...idle(), jobs: [pending({ partitions: ['other'], nodes: ['n2'] })] }, job(), opts());
    expect(shape(p)).toEqual([
      { nodes: 2, time: 240, timeMin: 30 },
      { nodes: 1, time: 59, timeMin: 30 },
    ]);
    expect(p.submissions[1].onNodes).toEqual(['n2']);
    expect(shape(planFill({ ...idle(), jobs: [pending({ start: null })] }, job(), opts()))).toEqual([
      { nodes: 3, time: 240, timeMin: 30 },
    ]);
  });
});

describe('sbatch arguments', () => {
  it("marks the allocation with the work directory's comment, sizes it, and puts the user's extra arguments last", () => {
    const marker = fillMarker('/scratch/me/job');
    expect(marker).toMatch(/^yoda-fill:[0-9a-f]{12}$/);
    expect(fillMarker('/scratch/me/./job')).toBe(marker);
    expect(fillMarker('/scratch/me/other')).not.toBe(marker);
    const args = sbatchArgs(
      {
        nodes: 2,
        timeMinutes: 17,
        timeMinMinutes: 17,
        signalSeconds: signalSecondsFor(17),
        partition: 'debug',
        onNodes: [],
        why: '',
      },
      {
        script: '/pkg/slurm/yoda-backfill.sbatch',
        jobFile: '/j/job.yaml',
        workdir: '/scratch/me/job',
        marker,
        account: 'phys',
        extra: ['--qos=low'],
      },
    );
    expect(args).toEqual([
      '--job-name=yoda-fill',
      `--comment=${marker}`,
      '--partition=debug',
      '--account=phys',
      '--nodes=2',
      '--time=17',
      '--time-min=17',
      '--signal=B:USR1@102',
      '--qos=low',
      '/pkg/slurm/yoda-backfill.sbatch',
      '/j/job.yaml',
      '/scratch/me/job',
    ]);
  });
});
