// What a message looks like after crossing the wire: encoded, then decoded by the receiving side's real decoder.
// The state-machine test harnesses pass every message through here, so a message the peer's guard would drop
// fails the test that made it instead of vanishing in production.
import { expect } from 'vitest';
import { decodeDroidMessage, decodeYodaMessage, encode } from '../../../src/protocol/codec.js';
import type { DroidMessage, YodaMessage } from '../../../src/protocol/messages.js';

function fail(sender: string, msg: unknown, why: string): never {
  throw new Error(`${sender} sent a message its peer would drop (${why}): ${JSON.stringify(msg)}`);
}

/** A Droid -> Yoda message as Yoda's decoder delivers it; throws when Yoda would drop it. */
export function droidToYoda(msg: DroidMessage): DroidMessage {
  const d = decodeDroidMessage(encode(msg));
  if (!d.ok) fail('the Droid', msg, d.why);
  expect(d.message, 'a message changed crossing the wire').toEqual(msg);
  return d.message;
}

/** A Yoda -> Droid message as the Droid's decoder delivers it; throws when the Droid would drop it. */
export function yodaToDroid(msg: YodaMessage): YodaMessage {
  const d = decodeYodaMessage(encode(msg));
  if (!d.ok) fail('Yoda', msg, d.why);
  expect(d.message, 'a message changed crossing the wire').toEqual(msg);
  return d.message;
}
