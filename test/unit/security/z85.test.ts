// Z85 decoding (ZeroMQ RFC 32): the RFC's test vector, the edges of a group, and refusals.
import { curveKeyPair } from 'zeromq';
import { describe, expect, it } from 'vitest';
import { z85Decode } from '../../../src/security/z85.js';

describe('z85Decode', () => {
  it('decodes the RFC 32 test vector', () => {
    expect(z85Decode('HelloWorld')).toEqual(Buffer.from([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]));
  });

  it('decodes the smallest and largest group, and the empty string', () => {
    expect(z85Decode('00000')).toEqual(Buffer.from([0, 0, 0, 0]));
    expect(z85Decode('%nSc0')).toEqual(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    expect(z85Decode('')).toEqual(Buffer.alloc(0));
  });

  it('turns a CURVE public key from libzmq into its 32 bytes', () => {
    const { publicKey } = curveKeyPair();
    const bytes = z85Decode(publicKey);
    expect(bytes).toHaveLength(32);
    expect(z85Decode(publicKey)).toEqual(bytes);
    expect(z85Decode(curveKeyPair().publicKey).equals(bytes)).toBe(false);
  });

  it('refuses a length that is not a multiple of 5 and a character outside the alphabet', () => {
    expect(() => z85Decode('Hello1')).toThrow(/length 6 is not a multiple of 5/);
    expect(() => z85Decode('Hell~')).toThrow(/invalid Z85 character "~"/);
    expect(() => z85Decode('Hell ')).toThrow(/invalid Z85 character/);
  });
});
