// The only msgpackr user: encodes and decodes frames between Yoda and Droids.
import { Packr } from 'msgpackr';
import type { DroidMessage, YodaMessage } from './messages.js';
import { checkDroidMessage, checkYodaMessage } from './guards.js';

// Records off: both ends then agree without shared structure state, which a restarted peer would lose.
const packr = new Packr({ useRecords: false, moreTypes: false, int64AsType: 'number' });

/** Frames larger than this are dropped unread (a report of a full batch is far below it). */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;

/** Encodes one message into a frame. */
export function encode(message: DroidMessage | YodaMessage): Buffer {
  return packr.pack(message);
}

/** Decodes a frame without checking what it holds (for the benchmark's bare ceiling exchange only). */
export function unpackUnchecked(frame: Uint8Array): unknown {
  return packr.unpack(frame);
}

/** Outcome of decoding one frame: the message, or why it was dropped. */
export type Decoded<T> = { ok: true; message: T } | { ok: false; why: string };

function decodeWith<T>(frame: Uint8Array, check: (v: unknown) => string | null): Decoded<T> {
  if (frame.length > MAX_FRAME_BYTES)
    return { ok: false, why: `frame of ${frame.length} bytes exceeds ${MAX_FRAME_BYTES}` };
  let value: unknown;
  try {
    value = packr.unpack(frame);
  } catch (e) {
    return { ok: false, why: `undecodable frame: ${(e as Error).message}` };
  }
  const problem = check(value);
  return problem === null ? { ok: true, message: value as T } : { ok: false, why: problem };
}

/** Decodes and validates a frame sent by a Droid. */
export function decodeDroidMessage(frame: Uint8Array): Decoded<DroidMessage> {
  return decodeWith<DroidMessage>(frame, checkDroidMessage);
}

/** Decodes and validates a frame sent by Yoda. */
export function decodeYodaMessage(frame: Uint8Array): Decoded<YodaMessage> {
  return decodeWith<YodaMessage>(frame, checkYodaMessage);
}
