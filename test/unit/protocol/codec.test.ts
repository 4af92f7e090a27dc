// The codec carries every message kind across intact, and drops oversized frames and garbage without throwing.
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { decodeDroidMessage, decodeYodaMessage, encode, MAX_FRAME_BYTES } from '../../../src/protocol/codec.js';
import { allDroid, allYoda, done, mutations, range } from './samples.js';

// A deterministic byte source for garbage frames (xorshift32), so a failure replays exactly.
function garbage(seed: number, length: number): Buffer {
  let x = seed >>> 0 || 1;
  const out = Buffer.alloc(length);
  for (let k = 0; k < length; k++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[k] = x & 0xff;
  }
  return out;
}

describe('protocol codec', () => {
  it('round-trips every Droid message kind and every Yoda message kind unchanged', () => {
    for (const m of allDroid) expect(decodeDroidMessage(encode(m))).toEqual({ ok: true, message: m });
    for (const m of allYoda) expect(decodeYodaMessage(encode(m))).toEqual({ ok: true, message: m });
  });

  it('keeps large counts and epoch milliseconds as plain numbers', () => {
    const big = {
      type: 'report' as const,
      results: [{ ...done, i: 2 ** 32 + 1, start: 2 ** 52, end: 2 ** 52 + 1 }],
      released: [2 ** 40],
      want: 0,
    };
    const d = decodeDroidMessage(encode(big));
    expect(d).toEqual({ ok: true, message: big });
    expect(
      d.ok && typeof d.message.type === 'string' && d.message.type === 'report' && typeof d.message.results[0].i,
    ).toBe('number');
  });

  it('drops, with the field named, every message broken in one field after it crossed the wire', () => {
    for (const m of allDroid) {
      for (const x of mutations(m)) {
        const d = decodeDroidMessage(encode(x.message as never));
        expect(d.ok, `${m.type}: ${x.path} ${x.how}`).toBe(false);
        // The reason names the field (lists of maps say only 'list expected': their field is implied by the kind).
        const field = x.path.replace(/^.*\./, '');
        if (!d.ok && x.how === 'missing' && field !== 'results') expect(d.why).toContain(field);
      }
    }
    for (const m of allYoda)
      for (const x of mutations(m))
        expect(decodeYodaMessage(encode(x.message as never)).ok, `${m.type}: ${x.path} ${x.how}`).toBe(false);
  });

  it('drops a frame over MAX_FRAME_BYTES unread, and reads one just under it', () => {
    const over = decodeYodaMessage(Buffer.alloc(MAX_FRAME_BYTES + 1));
    expect(over).toEqual({ ok: false, why: `frame of ${MAX_FRAME_BYTES + 1} bytes exceeds ${MAX_FRAME_BYTES}` });
    expect(decodeDroidMessage(Buffer.alloc(MAX_FRAME_BYTES + 1)).ok).toBe(false);
    // A real message just under the limit still decodes: the bound is on bytes, not on what they hold.
    const frame = encode({ type: 'bye', reason: 'error', error: 'e'.repeat(MAX_FRAME_BYTES - 64) });
    expect(frame.length).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    expect(decodeDroidMessage(frame).ok).toBe(true);
    const tooBig = encode({
      type: 'ranges',
      ranges: Array.from({ length: 60_000 }, (_, i) => ({ ...range, i, id: `${'f'.repeat(40)}:${i}` })),
    });
    expect(tooBig.length).toBeGreaterThan(MAX_FRAME_BYTES);
    expect(decodeYodaMessage(tooBig)).toMatchObject({ ok: false, why: expect.stringMatching(/exceeds/) });
  });

  it('drops empty, truncated and random frames with a reason, and never throws', () => {
    expect(decodeDroidMessage(Buffer.alloc(0)).ok).toBe(false);
    for (const m of [...allDroid, ...allYoda]) {
      const f = encode(m);
      for (const cut of [1, Math.floor(f.length / 2), f.length - 1]) {
        const d =
          m.type === 'heartbeat' ? decodeYodaMessage(f.subarray(0, cut)) : decodeDroidMessage(f.subarray(0, cut));
        expect(d.ok, `${m.type} cut at ${cut} of ${f.length}`).toBe(false);
      }
    }
    for (let seed = 1; seed <= 2000; seed++) {
      const frame = garbage(seed, 1 + (seed % 300));
      for (const decode of [decodeDroidMessage, decodeYodaMessage]) {
        const d = decode(frame);
        expect(d.ok, `seed ${seed}`).toBe(false);
        expect(!d.ok && d.why).toEqual(expect.any(String));
      }
    }
  });

  it('drops well-formed msgpack that is not a message: other values, unknown types', () => {
    const plain = new Packr({ useRecords: false });
    for (const v of [null, 7, 'heartbeat', [{ type: 'heartbeat' }], { type: 'nope' }, { kind: 'heartbeat' }]) {
      expect(decodeDroidMessage(plain.pack(v)).ok).toBe(false);
      expect(decodeYodaMessage(plain.pack(v)).ok).toBe(false);
    }
  });
});
