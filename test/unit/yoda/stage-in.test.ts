// Stage-in failures in Yoda and in replay: ERR_STAGE_IN (a remote input not fetched to the node) uses none of the
// payload's attempts, up to its own limit, and a resumed job counts it the same way.
import { describe, expect, it } from 'vitest';
import { emptyJournalState, foldRecord, RangeState } from '../../../src/journal/replay.js';
import { STAGE_IN_ATTEMPTS } from '../../../src/protocol/error-codes.js';
import { bad, journaled, ok, plan, YodaHarness } from './harness.js';

describe('ERR_STAGE_IN', () => {
  it('uses no attempt: the range is handed out again and, once done, its done record says attempt 1', () => {
    const y = new YodaHarness(plan(1, 10, 10), { maxAttempts: 1 });
    y.hello('a');
    for (let k = 0; k < 3; k++) {
      const [r] = y.report('a', [], 1);
      expect(r.attempt).toBe(1);
      y.report('a', [{ ...bad(r, 'ERR_STAGE_IN'), slot: -1 }]);
    }
    const [r] = y.report('a', [], 1);
    y.report('a', [ok(r)]);
    y.take('a');
    expect(journaled(y.effects).find((x) => x.t === 'done')).toMatchObject({ attempt: 1 });
    expect(y.s.counts.fatal).toBe(0);
  });

  it(`is fatal after ${STAGE_IN_ATTEMPTS} in one run`, () => {
    const y = new YodaHarness(plan(1, 10, 10));
    y.hello('a');
    for (let k = 0; k < STAGE_IN_ATTEMPTS; k++) {
      const [r] = y.report('a', [], 1);
      y.report('a', [{ ...bad(r, 'ERR_STAGE_IN'), slot: -1 }]);
    }
    y.take('a');
    expect(
      journaled(y.effects)
        .filter((x) => x.t === 'fail')
        .map((x) => x.t === 'fail' && x.fatal),
    ).toEqual([...Array(STAGE_IN_ATTEMPTS - 1).fill(false), true]);
    expect(y.s.counts.fatal).toBe(1);
  });

  it('replay counts no attempt for it (a resumed job gives the range its full maxAttempts)', () => {
    const s = emptyJournalState(1);
    const fail = {
      t: 'fail' as const,
      i: 0,
      id: 'f0.dat:0-9',
      attempt: 1,
      msg: 'x',
      fatal: false,
      droid: 'a',
      node: 'n',
      slot: -1,
      start: 0,
      end: 0,
    };
    foldRecord(s, { ...fail, code: 'ERR_STAGE_IN' });
    expect([s.failures[0], s.state[0]]).toEqual([0, RangeState.ready]);
    foldRecord(s, { ...fail, code: 'ERR_CRASH', slot: 0 });
    expect(s.failures[0]).toBe(1);
  });
});
