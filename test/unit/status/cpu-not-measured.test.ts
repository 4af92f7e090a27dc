// A done range whose payload CPU was not measured (cpu null: a command run without the exec helper) is counted as
// "not measured" by the journal fold, `yoda status` and the report, never as a false 0 (issue 16 #5).
import { describe, expect, it } from 'vitest';
import { replay } from '../../../src/journal/replay.js';
import type { JournalRecord } from '../../../src/journal/records.js';
import { cpuTotal } from '../../../src/cli/summary.js';
import { buildReport } from '../../../src/report/build.js';
import { description, RECORDS, T1 } from '../report/fixtures.js';

const done = (i: number, cpu: number | null): JournalRecord => ({
  t: 'done',
  i,
  id: `f:${i}`,
  out: [`/o/${i}`],
  cpu,
  wall: 2,
  start: 0,
  end: 10,
  droid: 'd',
  node: 'n',
  slot: 0,
  attempt: 1,
});
const head: JournalRecord[] = [
  { t: 'job', hash: 'h', name: 'j', ranges: 4, events: 40, at: 1 },
  { t: 'run', run: 1, at: 2, host: 'h', pid: 3 },
];

describe('payload CPU not measured', () => {
  it('the journal fold sums the measured ranges and counts the others apart', () => {
    const s = replay([...head, done(0, 1.5), done(1, null), done(2, 2), done(3, null)], 4);
    expect(s.counts.done).toBe(4);
    expect(s.cpuSeconds).toBe(3.5);
    expect(s.cpuNotMeasured).toBe(2);
  });

  it('a duplicate done of an unmeasured range is not counted twice', () => {
    const s = replay([...head, done(0, null), done(0, null)], 4);
    expect(s.cpuNotMeasured).toBe(1);
    expect(s.duplicateDone).toBe(1);
  });

  it('yoda status says how many ranges were not measured, and never shows a bare 0 for them', () => {
    const ranges = (done: number) => ({ total: 4, done, ready: 0, assigned: 0, failed: 0, fatal: 0 });
    expect(cpuTotal({ cpuSeconds: 12.34, cpuNotMeasured: 3, ranges: ranges(4) })).toBe(
      '12.3 s (3 ranges not measured)',
    );
    expect(cpuTotal({ cpuSeconds: 12.34, cpuNotMeasured: 0, ranges: ranges(4) })).toBe('12.3 s');
    expect(cpuTotal({ cpuSeconds: 0, cpuNotMeasured: 4, ranges: ranges(4) })).toMatch(/^not measured \(4 ranges/);
    expect(cpuTotal({ cpuSeconds: 0, cpuNotMeasured: 0, ranges: ranges(0) })).toBe('0.0 s');
  });

  it('the report counts unmeasured ranges apart from its CPU total', () => {
    // The report fixture with its first done record's CPU not measured.
    const firstDone = RECORDS.findIndex((r) => r.t === 'done');
    const records = RECORDS.map((r, k) => (k === firstDone ? { ...r, cpu: null } : r));
    const build = (rs: JournalRecord[]) =>
      buildReport({
        description: description(),
        workdir: '/work',
        records: rs,
        eventsOf: () => 5,
        now: new Date(T1 + 60_000),
      });
    const [before, after] = [build(RECORDS), build(records)];
    const firstCpu = (RECORDS.find((r) => r.t === 'done') as { cpu: number }).cpu;
    expect(before.totals.cpuNotMeasured).toBe(0);
    expect(after.totals.cpuNotMeasured).toBe(1);
    expect(after.totals.cpuSeconds).toBeCloseTo(before.totals.cpuSeconds - firstCpu, 6);
  });
});
