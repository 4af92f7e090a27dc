// The harnesses' wire check fails loudly on a message the peer would drop, and passes every sample through intact.
import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, type DroidMessage, type YodaMessage } from '../../../src/protocol/messages.js';
import { Droid, range as droidRange, toYoda } from '../droid/harness.js';
import { sentTo, YodaHarness } from '../yoda/harness.js';
import { allDroid, allYoda, range } from './samples.js';
import { droidToYoda, yodaToDroid } from './wire.js';

describe('the wire check of the state-machine harnesses', () => {
  it('passes every sample message through unchanged', () => {
    for (const m of allDroid) expect(droidToYoda(m)).toEqual(m);
    for (const m of allYoda) expect(yodaToDroid(m)).toEqual(m);
  });

  it('throws, naming the sender and the reason, for a message the receiving guard drops', () => {
    const badRange = { type: 'ranges', ranges: [{ ...range, first: -1 }] } as YodaMessage;
    expect(() => yodaToDroid(badRange)).toThrow(
      /Yoda sent a message its peer would drop \(field first has an invalid value\)/,
    );
    // A hello of this version without the fields this version added.
    const badHello = {
      type: 'hello',
      version: PROTOCOL_VERSION,
      droid: 'd',
      node: 'n',
      rank: 0,
      pid: 1,
      slots: 1,
      cores: 1,
    } as DroidMessage;
    expect(() => droidToYoda(badHello)).toThrow(/the Droid sent a message its peer would drop/);
  });

  it('throws for a message that changes on the way (a Map arrives as a plain object)', () => {
    const withMap = { type: 'bye', reason: 'x', extra: new Map([[1, 2]]) } as unknown as DroidMessage;
    expect(() => droidToYoda(withMap)).toThrow(/changed crossing the wire/);
  });

  it('makes the Yoda harness fail on a message sent and never looked at, and pass once it was', () => {
    const y = new YodaHarness();
    y.hello('a');
    y.report('a', [], 2);
    y.drain(30); // tells Droid a to drain
    expect(() => y.expectNothingElse()).toThrow(
      /Yoda sent 1 message\(s\) the test did not expect:\n {2}to a: \{"type":"end","reason":"drain"/,
    );
    expect(sentTo(y.effects, 'a').at(-1)).toMatchObject({ type: 'end', reason: 'drain' });
    expect(() => y.expectNothingElse()).not.toThrow();
  });

  it('makes the Droid harness fail on a message sent to Yoda and never looked at, and pass once it was', () => {
    const d = new Droid();
    d.welcome(); // its first request counts as expected
    expect(() => d.expectNothingElse()).not.toThrow();
    d.on({ type: 'yoda', msg: { type: 'ranges', ranges: [droidRange(0)] } }); // fewer than wanted: asks again
    expect(() => d.expectNothingElse()).toThrow(/the Droid sent 1 message\(s\) to Yoda the test did not expect/);
    expect(d.take()).toEqual([{ type: 'report', results: [], released: [], want: 3 }]);
    expect(toYoda(d.effects)).toHaveLength(2);
    expect(() => d.expectNothingElse()).not.toThrow();
  });
});
