// The guards accept every message the unions allow and refuse each required field missing or of the wrong type.
import { describe, expect, it } from 'vitest';
import { checkDroidMessage, checkYodaMessage } from '../../../src/protocol/guards.js';
import { PROTOCOL_VERSION } from '../../../src/protocol/messages.js';
import { allDroid, allYoda, droidSamples, done, mutations, yodaSamples } from './samples.js';

describe('protocol guards', () => {
  it('accept every sample of every message kind, each way', () => {
    for (const m of allDroid) expect(checkDroidMessage(m), JSON.stringify(m)).toBeNull();
    for (const m of allYoda) expect(checkYodaMessage(m), JSON.stringify(m)).toBeNull();
  });

  it('refuse each Droid message with any one field removed or of the wrong type', () => {
    let n = 0;
    for (const m of allDroid) {
      for (const x of mutations(m)) {
        expect(checkDroidMessage(x.message), `${m.type}: ${x.path} ${x.how}`).toEqual(expect.any(String));
        n++;
      }
    }
    expect(n).toBeGreaterThan(150); // the walk reached the fields of the results too, not only the top level
  });

  it('refuse each Yoda message with any one field removed or of the wrong type', () => {
    let n = 0;
    for (const m of allYoda) {
      for (const x of mutations(m)) {
        expect(checkYodaMessage(x.message), `${m.type}: ${x.path} ${x.how}`).toEqual(expect.any(String));
        n++;
      }
    }
    expect(n).toBeGreaterThan(70);
  });

  it('accept a message without its optional fields, and refuse an unknown end reason or a result of the other kind', () => {
    const {
      guid: _g,
      scope: _s,
      ...plain
    } = yodaSamples.ranges[1].type === 'ranges' ? yodaSamples.ranges[1].ranges[1] : ({} as never);
    expect(checkYodaMessage({ type: 'ranges', ranges: [plain] })).toBeNull();
    expect(checkYodaMessage({ type: 'end', reason: 'later', graceSeconds: 1 })).toMatch(/reason/);
    // ok: false with the fields of a successful result (and no code or message)
    expect(checkDroidMessage({ type: 'report', results: [{ ...done, ok: false }], released: [], want: 0 })).toMatch(
      /code/,
    );
  });

  it('name the field that is wrong', () => {
    const hello = { ...droidSamples.hello[0], slots: 'four' };
    expect(checkDroidMessage(hello)).toBe('field slots has an invalid value');
    expect(
      checkYodaMessage({
        type: 'welcome',
        job: { ...(yodaSamples.welcome[0] as { job: object }).job, totalRanges: -1 },
      }),
    ).toBe('field totalRanges has an invalid value');
  });

  it('let a hello of another protocol version through with only the fields every version has, so it can be refused', () => {
    const old = {
      type: 'hello',
      version: PROTOCOL_VERSION + 1,
      droid: 'd',
      node: 'n',
      rank: 0,
      pid: 1,
      slots: 1,
      cores: 1,
    };
    expect(checkDroidMessage(old)).toBeNull();
    expect(checkDroidMessage({ ...old, version: PROTOCOL_VERSION })).toMatch(/launch|held|attempts/);
    expect(checkDroidMessage({ ...old, pid: 'x' })).toMatch(/pid/);
  });

  it('refuse a hello whose held ranges and attempts differ in length', () => {
    expect(checkDroidMessage({ ...droidSamples.hello[1], attempts: [1] })).toMatch(/held and attempts/);
  });

  it("refuse what is not a message, an unknown type, and the other direction's kinds", () => {
    for (const v of [null, undefined, 7, 'hello', [], [{ type: 'heartbeat' }], {}, { type: 7 }]) {
      expect(checkDroidMessage(v)).toBe('not a message');
      expect(checkYodaMessage(v)).toBe('not a message');
    }
    expect(checkDroidMessage({ type: 'bogus' })).toMatch(/unknown message type "bogus"/);
    expect(checkDroidMessage({ type: 'x'.repeat(10_000) })?.length).toBeLessThan(80); // a long type is cut short
    for (const m of allYoda.filter((x) => x.type !== 'heartbeat'))
      expect(checkDroidMessage(m)).toMatch(/unknown message type/);
    for (const m of allDroid.filter((x) => x.type !== 'heartbeat'))
      expect(checkYodaMessage(m)).toMatch(/unknown message type/);
  });

  it('refuse lists longer than their bound without walking them', () => {
    const results = Array.from({ length: 100_001 }, () => done);
    expect(checkDroidMessage({ type: 'report', results, released: [], want: 0 })).toBe('list of 100001 exceeds 100000');
    expect(checkDroidMessage({ type: 'bye', reason: 'x', error: 'e'.repeat(10) })).toBeNull();
    expect(checkDroidMessage({ ...droidSamples.report[1], results: [done, 'not a map'] })).toBe('result is not a map');
    expect(checkYodaMessage({ type: 'ranges', ranges: [7] })).toBe('range is not a map');
  });
});
