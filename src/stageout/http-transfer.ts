// One file delivered to a WebDAV server (https://, or http:// on a trusted network): PUT under a temporary name, MOVE
// into place, then verified by size and Adler-32 (the server's RFC 3230 Digest, or read back when it offers none).
// Credentials: a WLCG bearer token, found the standard way (BEARER_TOKEN, BEARER_TOKEN_FILE, bt_u<uid>).
import { createReadStream } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Destination } from '../job/destination.js';
import { bearerToken } from '../util/bearer-token.js';
import { adler32Hex, adler32Update } from './adler32.js';
import { type DeliverOptions, type Delivered, fileAdler32, PART_SUFFIX } from './transfer.js';

/** Redirects followed per request (storage systems redirect PUT and GET to a data server). */
const MAX_REDIRECTS = 5;

/** The adler32 in an RFC 3230 Digest header (`adler32=0a1b2c3d, md5=...`), eight lower-case hex digits, or null. */
export function digestAdler32(header: string | undefined): string | null {
  for (const part of (header ?? '').split(',')) {
    const [alg, value] = part.trim().split(/=(.*)/s);
    if (alg?.toLowerCase() === 'adler32' && /^[0-9a-fA-F]{1,8}$/.test(value ?? ''))
      return value.toLowerCase().padStart(8, '0');
  }
  return null;
}

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  /** The body's adler32 and size when asked (`sum`), else its first bytes (for error messages). */
  text: string;
  sum: { adler32: string; bytes: number } | null;
}

// One request, following redirects; `file` is streamed as the body. Resolves with any status (the caller judges).
function send(
  method: string,
  url: string,
  o: { headers: Record<string, string>; file?: { path: string; bytes: number }; sum?: boolean; signal: AbortSignal },
  hops = 0,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers = { ...o.headers, ...(o.file ? { 'Content-Length': String(o.file.bytes) } : {}) };
    const req = request(u, { method, headers, signal: o.signal }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location && hops < MAX_REDIRECTS) {
        res.resume();
        resolve(send(method, new URL(res.headers.location, u).href, o, hops + 1));
        return;
      }
      let v = 1;
      let bytes = 0;
      let text = '';
      res.on('data', (chunk: Buffer) => {
        if (o.sum && status < 300) {
          v = adler32Update(v, chunk);
          bytes += chunk.length;
        } else if (text.length < 300) text += chunk.toString('utf8');
      });
      res.on('end', () =>
        resolve({ status, headers: res.headers, text, sum: o.sum ? { adler32: adler32Hex(v), bytes } : null }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    if (o.file) createReadStream(o.file.path).on('error', reject).pipe(req);
    else req.end();
  });
}

// Throws unless `a` has one of the `ok` statuses, naming the method, the URL and what the server said.
function expectStatus(a: Answer, method: string, url: string, ok: number[]): void {
  if (ok.includes(a.status)) return;
  const said = a.text.replace(/\s+/g, ' ').trim().slice(0, 200);
  throw new Error(`${method} ${url}: HTTP ${a.status}${said ? `: ${said}` : ''}`);
}

// Creates the collections down to `name`'s directory (MKCOL; 405 means it exists), from the server's root: those
// above the destination's directory may be refused (not ours to create) and are passed over.
async function makeCollections(
  dest: Extract<Destination, { kind: 'http' }>,
  name: string,
  o: Parameters<typeof send>[2],
): Promise<void> {
  const origin = new URL(dest.base).origin;
  const above = dest.dir.split('/').filter(Boolean).map(encodeURIComponent);
  const below = name.split('/').slice(0, -1).map(encodeURIComponent);
  const all = [...above, ...below];
  for (let k = 1; k <= all.length; k++) {
    const url = `${origin}/${all.slice(0, k).join('/')}/`;
    const a = await send('MKCOL', url, o);
    if (k >= above.length) expectStatus(a, 'MKCOL', url, [201, 405]);
  }
}

/** Delivers `src` as `name` (a relative path) under an http(s) destination; throws an Error saying what went wrong. */
export async function deliverHttp(
  src: string,
  name: string,
  dest: Extract<Destination, { kind: 'http' }>,
  bytes: number,
  o: DeliverOptions,
): Promise<Delivered> {
  const token = bearerToken();
  const signal = o.timeoutMs > 0 ? AbortSignal.any([o.signal, AbortSignal.timeout(o.timeoutMs)]) : o.signal;
  const req = { headers: token ? { Authorization: `Bearer ${token}` } : ({} as Record<string, string>), signal };
  const final = dest.base + name.split('/').map(encodeURIComponent).join('/');
  const part = final + PART_SUFFIX;
  const want = o.checksum === 'adler32' ? await fileAdler32(src, o.signal) : null;
  let put = await send('PUT', part, { ...req, file: { path: src, bytes } });
  if (put.status === 409 || put.status === 404) {
    // WebDAV answers 409 when the parent collection is missing: make it, then put again.
    await makeCollections(dest, name, req);
    put = await send('PUT', part, { ...req, file: { path: src, bytes } });
  }
  expectStatus(put, 'PUT', part, [200, 201, 204]);
  const move = await send('MOVE', part, { ...req, headers: { ...req.headers, Destination: final, Overwrite: 'T' } });
  expectStatus(move, 'MOVE', part, [201, 204]);
  const head = await send('HEAD', final, { ...req, headers: { ...req.headers, 'Want-Digest': 'adler32' } });
  expectStatus(head, 'HEAD', final, [200]);
  const size = Number(head.headers['content-length']);
  if (size !== bytes) throw new Error(`the size at the destination is ${size}, the source's is ${bytes}`);
  if (want === null) return { url: final, bytes, adler32: null };
  // No adler32 digest from the server: read the file back and sum it.
  const got = digestAdler32(head.headers.digest as string | undefined) ?? (await readBack(final, req)).adler32;
  if (got !== want) throw new Error(`the adler32 at the destination is ${got}, the source's is ${want}`);
  return { url: final, bytes, adler32: got };
}

async function readBack(url: string, req: Parameters<typeof send>[2]): Promise<{ adler32: string; bytes: number }> {
  const a = await send('GET', url, { ...req, sum: true });
  expectStatus(a, 'GET', url, [200]);
  return a.sum!;
}
