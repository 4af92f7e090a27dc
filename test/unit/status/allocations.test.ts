// The allocations of a job, folded from synthetic journal records: joins, leaves, Yoda's terms and take-overs.
import { describe, expect, it } from 'vitest';
import { allocationsOf, allocationsTable, takeoversOf } from '../../../src/status/allocations.js';
import type { JournalRecord } from '../../../src/journal/records.js';
import { allocationsSection } from '../../../src/report/allocations.js';
import type { ReportModel } from '../../../src/report/model.js';

const T0 = Date.parse('2026-12-01T08:00:00Z');
const at = (s: number) => T0 + s * 1000;
const iso = (s: number) => new Date(at(s)).toISOString();
const job: JournalRecord = { t: 'job', hash: 'h', name: 'j', ranges: 10, events: 100, at: at(0) };
const run = (n: number, s: number, launch: string | null, epoch: number, takeover = false): JournalRecord => ({
  t: 'run',
  run: n,
  at: at(s),
  host: 'h',
  pid: 1,
  launch,
  epoch,
  takeover,
});
const join = (s: number, droid: string, node: string, launch: string | null, slots = 2): JournalRecord => ({
  t: 'join',
  at: at(s),
  droid,
  node,
  rank: 0,
  launch,
  slots,
  cores: slots,
});
const leave = (s: number, droid: string, lost = false): JournalRecord => ({
  t: 'leave',
  at: at(s),
  droid,
  why: lost ? 'lost' : 'said bye',
  lost,
});
const done = (s: number, i: number, droid: string, node: string): JournalRecord => ({
  t: 'done',
  i,
  id: `f:${i}`,
  out: [],
  cpu: 1,
  wall: 1,
  start: at(s - 1),
  end: at(s),
  droid,
  node,
  slot: 0,
  attempt: 1,
});
const end = (n: number, s: number, exit = 0): JournalRecord => ({
  t: 'end',
  run: n,
  at: at(s),
  outcome: exit === 0 ? 'complete' : 'drained',
  exit,
});

describe('allocations of a job', () => {
  it('an old journal (no launch, no join records): one allocation per run, nodes from the ranges done', () => {
    const a = allocationsOf([
      job,
      run(1, 1, null, 1),
      done(5, 0, 'd1', 'n1'),
      done(6, 1, 'd2', 'n2'),
      end(1, 7, 4),
      { t: 'run', run: 2, at: at(10), host: 'h', pid: 2 },
      done(12, 2, 'd3', 'n1'),
      end(2, 13),
    ]);
    expect(a).toHaveLength(2);
    expect(a[0]).toMatchObject({
      launch: null,
      nodes: ['n1', 'n2'],
      droids: 2,
      rangesDone: 2,
      joinedAt: iso(1),
      leftAt: iso(7),
    });
    expect(a[0].yoda).toEqual([
      { run: 1, epoch: 1, host: 'h', takeover: false, exitCode: 4, startedAt: iso(1), endedAt: iso(7) },
    ]);
    expect(a[1]).toMatchObject({
      nodes: ['n1'],
      rangesDone: 1,
      leftAt: iso(13),
      yoda: [expect.objectContaining({ run: 2, epoch: 2, exitCode: 0 })],
    });
  });

  it('a second allocation joins, the first one ends, the second takes Yoda over: two allocations, one take-over', () => {
    const recs = [
      job,
      run(1, 1, 'slurm:1.0', 1),
      join(2, 'a1', 'n1', 'slurm:1.0'),
      done(4, 0, 'a1', 'n1'),
      join(5, 'b2', 'n2', 'slurm:2.0'),
      join(5, 'b3', 'n3', 'slurm:2.0', 4),
      done(8, 1, 'b2', 'n2'),
      leave(20, 'a1', true), // allocation 1 was cancelled: its Droid is declared lost
      run(2, 25, 'slurm:2.0', 2, true),
      join(26, 'b2', 'n2', 'slurm:2.0'),
      join(26, 'b3', 'n3', 'slurm:2.0', 4),
      done(30, 2, 'b3', 'n3'),
      leave(31, 'b2'),
      leave(31, 'b3'),
      end(2, 32),
    ];
    const a = allocationsOf(recs);
    expect(a.map((x) => x.launch)).toEqual(['slurm:1.0', 'slurm:2.0']);
    expect(a[0]).toMatchObject({
      nodes: ['n1'],
      droids: 1,
      slots: 2,
      lost: 1,
      rangesDone: 1,
      joinedAt: iso(1),
      leftAt: iso(20),
    });
    expect(a[0].yoda).toEqual([
      { run: 1, epoch: 1, host: 'h', takeover: false, exitCode: null, startedAt: iso(1), endedAt: iso(25) },
    ]);
    // Re-joining the new Yoda does not count the Droids' slots twice.
    expect(a[1]).toMatchObject({
      nodes: ['n2', 'n3'],
      droids: 2,
      slots: 6,
      cores: 6,
      lost: 0,
      rangesDone: 2,
      joinedAt: iso(5),
      leftAt: iso(32),
    });
    expect(a[1].yoda).toEqual([
      { run: 2, epoch: 2, host: 'h', takeover: true, exitCode: 0, startedAt: iso(25), endedAt: iso(32) },
    ]);
    expect(takeoversOf(a)).toBe(1);
  });

  it('while the job runs, an allocation with a Droid in has not left; once the job ended, nothing is in', () => {
    const recs = [
      job,
      run(1, 1, 'slurm:7.0', 3),
      join(2, 'a', 'n1', 'slurm:7.0'),
      join(3, 'b', 'n2', 'slurm:8.0'),
      done(9, 0, 'b', 'n2'),
    ];
    const live = allocationsOf(recs);
    expect(live.map((x) => x.leftAt)).toEqual([null, null]);
    expect(live[0].yoda[0]).toMatchObject({ epoch: 3, endedAt: null });
    const gone = allocationsOf([...recs, leave(10, 'b')]);
    expect(gone[1].leftAt).toBe(iso(10));
    const killed = allocationsOf(recs, false); // e.g. `interrupted`: everything was killed without a word
    expect(killed.map((x) => x.leftAt)).toEqual([iso(2), iso(9)]);
    expect(killed[0].yoda[0].endedAt).toBe(iso(2));
  });

  it('a new Yoda that is not a take-over closes every Droid that does not join it again', () => {
    const a = allocationsOf([
      job,
      run(1, 1, 'slurm:1.0', 1),
      join(2, 'a', 'n1', 'slurm:1.0'),
      done(3, 0, 'a', 'n1'),
      run(2, 10, 'slurm:5.0', 2),
      join(11, 'c', 'n4', 'slurm:5.0'),
    ]);
    expect(a[0].leftAt).toBe(iso(3));
    expect(a[1].leftAt).toBeNull();
    expect(takeoversOf(a)).toBe(0);
  });

  it("a deposed Yoda's late records (older epoch, as replay fences them) do not count", () => {
    const a = allocationsOf([
      job,
      { ...run(1, 1, 'slurm:1.0', 1), e: 1 },
      { ...join(2, 'a', 'n1', 'slurm:1.0'), e: 1 },
      { ...run(2, 5, 'slurm:2.0', 2, true), e: 2 },
      { ...join(6, 'b', 'n2', 'slurm:2.0'), e: 2 },
      { ...done(7, 0, 'a', 'n1'), e: 1 },
      { ...leave(8, 'a'), e: 1 },
      { ...done(9, 1, 'b', 'n2'), e: 2 },
    ]);
    expect(a.map((x) => x.rangesDone)).toEqual([0, 1]);
    expect(a[0]).toMatchObject({ leftAt: iso(2), lost: 0 });
  });

  it('the status table has one line per allocation, naming the Yoda epochs and take-overs', () => {
    const a = allocationsOf([
      job,
      run(1, 1, 'slurm:1.0', 1),
      join(2, 'a', 'n1', 'slurm:1.0'),
      run(2, 5, 'slurm:2.0', 2, true),
      join(6, 'b', 'n2', 'slurm:2.0'),
    ]);
    const lines = allocationsTable(a);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^allocation\s+nodes\s+slots\s+joined\s+left\s+Yoda/);
    expect(lines[1]).toMatch(/^slurm:1\.0\s+n1\s+2\s+08:00:01\s+08:00:02\s+epoch 1\s/);
    expect(lines[2]).toMatch(/^slurm:2\.0\s+n2\s+2\s+08:00:05\s+in\s+epoch 2 \(took over\) now/);
    expect(allocationsTable([])).toEqual([]);
  });

  it('the report lists each allocation with its nodes, its Yoda epoch and the take-over', () => {
    const a = allocationsOf([
      job,
      run(1, 1, 'slurm:1.0', 1),
      join(2, 'a', 'n1', 'slurm:1.0'),
      leave(4, 'a', true),
      run(2, 5, 'slurm:2.0', 2, true),
      join(6, 'b', 'n2', 'slurm:2.0'),
      join(6, 'c', 'n3', 'slurm:2.0'),
    ]);
    const html = allocationsSection({ allocations: a } as ReportModel);
    const rows = html.split('<tr>').slice(2);
    expect(html).toMatch(/1 take-over\(s\) of Yoda/);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(
      /slurm:1\.0.*<td>n1<\/td>.*epoch 1 <span class="dim">run 1 on h<\/span>.*<span class="badge warn">1<\/span>/,
    );
    expect(rows[1]).toMatch(
      /slurm:2\.0.*<td>n2, n3<\/td><td>2<\/td><td>4<\/td>.*still in.*epoch 2 <span class="badge warn">took over<\/span>/,
    );
    expect(allocationsSection({ allocations: [] as typeof a } as ReportModel)).toMatch(/has not run yet/);
  });
});
