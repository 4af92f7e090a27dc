// The journal fold of `retry` records (yoda run --retry-fatal): fatal ranges become ready with fresh attempts.
import { describe, expect, it } from 'vitest';
import { replay, retryFatalRecord, RangeState } from '../../../src/journal/replay.js';
import type { JournalRecord } from '../../../src/journal/records.js';

const fail = (i: number, attempt: number, fatal: boolean): JournalRecord => ({
  t: 'fail',
  i,
  id: `f:${i}`,
  attempt,
  code: 'ERR_X',
  msg: '',
  droid: 'd',
  node: 'n',
  slot: 0,
  start: 0,
  end: 1,
  fatal,
});
const done = (i: number): JournalRecord => ({
  t: 'done',
  i,
  id: `f:${i}`,
  out: ['/o'],
  cpu: 0,
  wall: 0,
  start: 0,
  end: 1,
  droid: 'd',
  node: 'n',
  slot: 0,
  attempt: 1,
});

describe('retry records', () => {
  it('move fatal ranges back to ready with no failures; done and ready ranges are untouched', () => {
    const records: JournalRecord[] = [
      { t: 'run', run: 1, at: 0, host: 'h', pid: 1 },
      done(0),
      fail(1, 1, false),
      fail(1, 2, true),
      fail(2, 1, false),
    ];
    const before = replay(records, 3);
    expect(before.counts).toEqual({ ready: 1, assigned: 0, done: 1, fatal: 1 });
    const retry = retryFatalRecord(before, 5)!;
    expect(retry).toEqual({ t: 'retry', at: 5, r: [1] });
    const after = replay([...records, retry], 3);
    expect(after.counts).toEqual({ ready: 2, assigned: 0, done: 1, fatal: 0 });
    expect(after.state[1]).toBe(RangeState.ready);
    expect(after.failures[1]).toBe(0);
    expect(after.failures[2]).toBe(1);
    expect(after.failureLog).toHaveLength(3);
  });

  it('is null when nothing is fatal, and ignores indexes that are not fatal', () => {
    const s = replay([done(0)], 2);
    expect(retryFatalRecord(s, 1)).toBeNull();
    const after = replay([done(0), { t: 'retry', at: 1, r: [0, 1, 7] }], 2);
    expect(after.counts).toEqual({ ready: 1, assigned: 0, done: 1, fatal: 0 });
  });
});
