// Z85 (ZeroMQ RFC 32) decoding, to compare a CURVE client key from a ZAP request with the job's key.

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
const VALUE = new Map([...ALPHABET].map((c, i) => [c, i]));

/** Decodes a Z85 string (length a multiple of 5) into bytes; throws on a bad character. */
export function z85Decode(text: string): Buffer {
  if (text.length % 5 !== 0) throw new Error(`Z85 text length ${text.length} is not a multiple of 5`);
  const out = Buffer.alloc((text.length / 5) * 4);
  for (let i = 0, o = 0; i < text.length; i += 5, o += 4) {
    let value = 0;
    for (let k = 0; k < 5; k++) {
      const v = VALUE.get(text[i + k]);
      if (v === undefined) throw new Error(`invalid Z85 character ${JSON.stringify(text[i + k])}`);
      value = value * 85 + v;
    }
    out.writeUInt32BE(value >>> 0, o);
  }
  return out;
}
