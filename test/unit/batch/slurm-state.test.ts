// Parsers of sinfo, squeue (--start) and `scontrol show res`, on text recorded from the real 3-node test cluster
// (test/slurm/cluster.ts, Slurm 22.05): all idle; n1 held by `sbatch -w n1 --wrap 'sleep 600'` with a 3-node job
// pending behind it; two reservations (n3 soon, all nodes later).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseReservations, parseSinfoNodes, parseSqueue } from '../../../src/batch/slurm-state.js';

const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, 'fixtures', 'slurm-state', name), 'utf8');
// Slurm prints local time.
const local = (y: number, mo: number, d: number, h: number, mi: number, s: number) => new Date(y, mo - 1, d, h, mi, s);

describe('parseSinfoNodes', () => {
  it('reads every node of the default partition, idle, with its CPUs and no time limit', () => {
    const nodes = parseSinfoNodes(fixture('sinfo-idle.txt'));
    expect(nodes).toEqual(
      ['n1', 'n2', 'n3'].map((node) => ({
        node,
        partition: 'debug',
        defaultPartition: true,
        state: 'idle',
        cpus: 2,
        partitionLimitSeconds: null,
        up: true,
      })),
    );
  });
  it('tells an allocated node and nodes the backfill scheduler planned for a pending job', () => {
    expect(parseSinfoNodes(fixture('sinfo-n1-busy.txt')).map((n) => `${n.node}:${n.state}`)).toEqual([
      'n1:allocated',
      'n2:planned',
      'n3:planned',
    ]);
  });
  it('reads partition time limits and states', () => {
    const [a, b] = parseSinfoNodes('c1|short|idle|64|1:00:00|up\nc2|long|drained*|64|2-00:00:00|down\n');
    expect(a).toMatchObject({ partition: 'short', defaultPartition: false, partitionLimitSeconds: 3600, up: true });
    expect(b).toMatchObject({ state: 'drained*', partitionLimitSeconds: 2 * 86400, up: false });
  });
  it('refuses a line it cannot read, naming it', () => {
    expect(() => parseSinfoNodes('n1 debug idle 2')).toThrow(/cannot parse sinfo line "n1 debug idle 2"/);
    expect(() => parseSinfoNodes('n1|debug|idle|two|infinite|up')).toThrow(/"two" is not a whole number/);
  });
});

describe('parseSqueue', () => {
  it('reads an empty queue', () => {
    expect(parseSqueue(fixture('squeue-empty.txt'))).toEqual([]);
  });
  it('reads a running job (its nodes) and a pending one with its expected start and planned nodes', () => {
    const [pending, running] = parseSqueue(fixture('squeue-busy.txt'));
    expect(pending).toEqual({
      id: '2',
      partitions: ['debug'],
      state: 'PENDING',
      start: local(2026, 12, 1, 8, 20, 29),
      end: local(2026, 12, 1, 8, 50, 29),
      nodeCount: 3,
      priority: 4294901758,
      name: 'yoda-fill',
      comment: 'yoda-fill:abc',
      user: 'root',
      nodes: ['n1', 'n2', 'n3'],
    });
    expect(running).toMatchObject({
      id: '1',
      state: 'RUNNING',
      start: local(2026, 12, 1, 8, 0, 29),
      comment: null,
      nodes: ['n1'],
    });
  });
  it('squeue --start before the backfill scheduler planned the job: no start, no nodes', () => {
    expect(parseSqueue(fixture('squeue-start-early.txt'))).toMatchObject([
      { id: '2', start: null, end: null, nodes: [] },
    ]);
    expect(parseSqueue(fixture('squeue-start-busy.txt'))[0].start).toEqual(local(2026, 12, 1, 8, 20, 29));
  });
  it('a pending job eligible in two partitions; a comment holding |', () => {
    const [j] = parseSqueue('7|a,b|PENDING|N/A|N/A|2|100|x|one|two|me||(null)');
    expect(j).toMatchObject({ partitions: ['a', 'b'], comment: 'one|two', user: 'me', nodes: [] });
  });
});

describe('parseReservations', () => {
  it('"No reservations in the system" is none', () => {
    expect(parseReservations(fixture('res-none.txt'))).toEqual([]);
  });
  it('reads both reservations, one line each (-o) or in the multi-line form, alike', () => {
    const one = parseReservations(fixture('res-two.txt'));
    expect(one).toEqual([
      {
        name: 'soon',
        start: local(2026, 12, 1, 8, 11, 4),
        end: local(2026, 12, 1, 8, 41, 4),
        nodes: ['n3'],
        partition: null,
        flags: ['IGNORE_JOBS', 'SPEC_NODES'],
      },
      {
        name: 'all',
        start: local(2026, 12, 1, 10, 1, 4),
        end: local(2026, 12, 1, 11, 1, 4),
        nodes: ['n1', 'n2', 'n3'],
        partition: null,
        flags: ['IGNORE_JOBS', 'SPEC_NODES', 'ALL_NODES'],
      },
    ]);
    expect(parseReservations(fixture('res-two-multiline.txt'))).toEqual(one);
  });
});
