// Adler-32 (RFC 1950), the checksum XRootD computes for `xrdfs query checksum` and `xrdcp --cksum adler32`.

const MOD = 65521;
// Bytes that can be summed before s2 may pass 2^53 / needs a modulo (zlib's NMAX is 5552 for 32-bit sums).
const BLOCK = 5552;

/** Folds `buf` into a running Adler-32 value (start with 1, the checksum of nothing). */
export function adler32Update(value: number, buf: Uint8Array): number {
  let a = value & 0xffff;
  let b = (value >>> 16) & 0xffff;
  for (let k = 0; k < buf.length; k += BLOCK) {
    const end = Math.min(buf.length, k + BLOCK);
    for (let n = k; n < end; n++) {
      a += buf[n];
      b += a;
    }
    a %= MOD;
    b %= MOD;
  }
  return ((b << 16) | a) >>> 0;
}

/** The Adler-32 of `buf`. */
export function adler32(buf: Uint8Array): number {
  return adler32Update(1, buf);
}

/** A checksum as XRootD prints it: eight lower-case hex digits. */
export function adler32Hex(value: number): string {
  return value.toString(16).padStart(8, '0');
}
