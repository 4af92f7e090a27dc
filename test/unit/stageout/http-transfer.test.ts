// The pure parts of WebDAV stage-out: the adler32 of an RFC 3230 Digest header, and WLCG bearer token discovery.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { digestAdler32 } from '../../../src/stageout/http-transfer.js';
import { bearerToken } from '../../../src/util/bearer-token.js';

describe('Digest header', () => {
  it('finds adler32 among several digests, in any case, padded to eight hex digits', () => {
    expect(digestAdler32('md5=HUXZLQLMuI/KZ5KDcJPcOA==, ADLER32=a1b2c3')).toBe('00a1b2c3');
    expect(digestAdler32('adler32=0A1B2C3D')).toBe('0a1b2c3d');
  });

  it('gives null without an adler32, or with one that is not hex', () => {
    expect(digestAdler32(undefined)).toBeNull();
    expect(digestAdler32('md5=abc')).toBeNull();
    expect(digestAdler32('adler32=xyz')).toBeNull();
  });
});

describe('bearer token discovery (WLCG)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'yoda-bt-'));
  it('takes BEARER_TOKEN first, then BEARER_TOKEN_FILE, then $XDG_RUNTIME_DIR/bt_u<uid>', () => {
    writeFileSync(join(dir, 'file'), 'from-file\n');
    writeFileSync(join(dir, 'bt_u4242'), 'from-runtime-dir\n');
    const env = { BEARER_TOKEN: ' direct ', BEARER_TOKEN_FILE: join(dir, 'file'), XDG_RUNTIME_DIR: dir };
    expect(bearerToken(env, 4242)).toBe('direct');
    expect(bearerToken({ ...env, BEARER_TOKEN: '' }, 4242)).toBe('from-file');
    expect(bearerToken({ XDG_RUNTIME_DIR: dir }, 4242)).toBe('from-runtime-dir');
    expect(bearerToken({ BEARER_TOKEN_FILE: join(dir, 'missing') }, 987654)).toBeNull();
  });
});
