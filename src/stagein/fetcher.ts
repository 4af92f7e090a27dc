// Stage-in: remote input files fetched into the node's cache for the Droid (event streaming), each checked by size
// and Adler-32 where the server offers one, with tries and backoff. A fetch in progress is a `.yoda-part` file: a
// killed Droid never leaves a file that looks fetched. XRootD via xrdcp; http(s) with Node's own client.
import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { basename, dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { adler32Hex, adler32Update } from '../stageout/adler32.js';
import { digestAdler32 } from '../stageout/http-transfer.js';
import { bearerToken } from '../util/bearer-token.js';
import { backoffMs, Stopped, withRetries } from '../util/retry.js';
import { fileAdler32, PART_SUFFIX, xrd } from '../stageout/transfer.js';

/** How the fetcher tries: `attempts` per file, each bounded by `timeoutMs` (0: no limit). */
export interface FetchOptions {
  attempts: number;
  timeoutMs: number;
}

/**
 * Where remote input `url` is kept in cache directory `dir`: under a short hash of the URL, with its own file name (a
 * payload may read meaning into the name, as it would of a local input).
 */
export function cachePath(dir: string, url: string): string {
  const name = basename(new URL(url.replace(/^x?root:/, 'http:')).pathname) || 'input';
  return join(dir, createHash('sha1').update(url).digest('hex').slice(0, 12), name);
}

/** Fetches remote input files into one node-local directory. */
export class InputFetcher {
  private readonly ac = new AbortController();

  constructor(
    readonly dir: string,
    private readonly o: FetchOptions,
    private readonly log: Logger,
    private readonly backoff = backoffMs(),
  ) {}

  /** The local copy of `url` (fetched, checked) and its size; throws saying what failed on the last try. */
  async fetch(url: string): Promise<{ local: string; bytes: number }> {
    const local = cachePath(this.dir, url);
    await mkdir(dirname(local), { recursive: true });
    const signal = this.ac.signal;
    // One part file for every try: a try that broke off leaves it for the next to resume (xrdcp --continue; for http(s)
    // a Range GET, only if the server named the version it sent: its ETag or Last-Modified, sent back as If-Range).
    const part = `${local}${PART_SUFFIX}`;
    const version: { tag: string | null } = { tag: null };
    const tryOnce = async () => {
      const t0 = Date.now();
      if (/^x?root:/.test(url)) await this.xrootd(url, part);
      else await this.http(url, part, version, version.tag ? await resumePoint(part, version.tag) : null);
      await rename(part, local);
      const bytes = (await stat(local)).size;
      this.log.info(`stage-in: ${url} -> ${local} (${bytes} bytes in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      return { local, bytes };
    };
    const say = (k: number, why: string, wait: number) =>
      this.log.warn(
        `stage-in of ${url}: try ${k}/${this.o.attempts} failed: ${why}; trying again in ${(wait / 1000).toFixed(1)} s`,
      );
    try {
      return await withRetries({ attempts: this.o.attempts, backoff: this.backoff, signal }, tryOnce, say);
    } catch (e) {
      await rm(part, { force: true });
      throw new Error(e instanceof Stopped ? 'the Droid is stopping' : `${url}: ${(e as Error).message}`);
    }
  }

  /** Stops every fetch and deletes the cache directory (the Droid is ending). */
  async close(): Promise<void> {
    this.ac.abort();
    await rm(this.dir, { recursive: true, force: true });
  }

  // xrdcp checks a whole copy against the server's adler32 (--cksum adler32:source). A copy that broke off is
  // continued (--continue); xrdcp then checks only what it added, so the whole file's adler32 is compared here.
  private async xrootd(url: string, part: string): Promise<void> {
    const o = { checksum: 'adler32' as const, timeoutMs: this.o.timeoutMs, signal: this.ac.signal };
    const have = await stat(part).then(
      (st) => st.size,
      () => 0,
    );
    if (have === 0) {
      await xrd('xrdcp', ['-f', '--nopbar', '--cksum', 'adler32:source', url, part], o);
      return;
    }
    await xrd('xrdcp', ['--continue', '--nopbar', url, part], o);
    const [, host, path] = /^x?root:\/\/([^/]+)\/(\/.*)$/.exec(url)!;
    // A copy that cannot be checked is not kept either: the next try starts over.
    const said = await xrd('xrdfs', [host, 'query', 'checksum', path], o).catch(async (e: Error) => {
      await rm(part, { force: true });
      throw e;
    });
    const want = /adler32\s+([0-9a-fA-F]+)/.exec(said)?.[1]?.toLowerCase().padStart(8, '0');
    const got = await fileAdler32(part, this.ac.signal);
    if (want === got) return;
    await rm(part, { force: true });
    throw new Error(
      `the continued copy's adler32 is ${got}, the server's ${want ?? 'unknown'}: the next try starts over`,
    );
  }

  // GET into `part`, summing as it comes; the size and (when the server sends one) the adler32 Digest must match.
  // With `from`, the bytes already in `part` are kept and only the rest is asked for (Range), if the server agrees.
  // `version` keeps the validator of the file the server sent (If-Range: a changed file comes whole, not stitched).
  private http(
    url: string,
    part: string,
    version: { tag: string | null },
    from: Resume | null,
    hops = 0,
  ): Promise<void> {
    const token = bearerToken();
    const headers: Record<string, string> = {
      'Want-Digest': 'adler32',
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(from ? { Range: `bytes=${from.bytes}-`, 'If-Range': from.tag } : {}),
    };
    const signal =
      this.o.timeoutMs > 0 ? AbortSignal.any([this.ac.signal, AbortSignal.timeout(this.o.timeoutMs)]) : this.ac.signal;
    return new Promise((resolve, reject) => {
      // Broken off (by the server, the network or a timeout): what arrived is flushed to the part file first, for
      // the next try to resume from.
      let out: WriteStream | null = null;
      let broken: Error | null = null;
      const breakOff = (e: Error) => {
        broken = e;
        if (out) out.end();
        else reject(e);
      };
      const get = url.startsWith('https:') ? httpsGet : httpGet;
      const req = get(url, { headers, signal }, (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400 && res.headers.location && hops < 5) {
          res.resume();
          resolve(this.http(new URL(res.headers.location, url).href, part, version, from, hops + 1));
          return;
        }
        // 206: the rest of the file, appended; 200: the whole file (a server that ignores Range), written afresh.
        const range = /^bytes (\d+)-\d+\/(\d+)$/.exec(String(res.headers['content-range']));
        const resumed = status === 206 && from !== null && range !== null && Number(range[1]) === from.bytes;
        if (status !== 200 && !resumed) {
          res.resume();
          // A 416 or a range not asked for: the next try starts over.
          void rm(part, { force: true }).then(() => reject(new Error(`GET ${url}: HTTP ${status}`)));
          return;
        }
        if (status === 200) version.tag = String(res.headers.etag ?? res.headers['last-modified'] ?? '') || null;
        let v = resumed ? from.adler : 1;
        let bytes = resumed ? from.bytes : 0;
        out = createWriteStream(part, { flags: resumed ? 'a' : 'w' });
        res.on('data', (c: Buffer) => {
          v = adler32Update(v, c);
          bytes += c.length;
        });
        res.pipe(out);
        out.on('error', reject);
        res.on('error', breakOff);
        out.on('finish', () => {
          if (broken) return reject(broken);
          const want = resumed ? Number(range[2]) : Number(res.headers['content-length'] ?? bytes);
          const digest = digestAdler32(res.headers.digest as string | undefined);
          const wrong =
            bytes !== want
              ? `${bytes} bytes arrived, the server announced ${want}`
              : digest && digest !== adler32Hex(v)
                ? `adler32 ${adler32Hex(v)}, the server's Digest says ${digest}`
                : null;
          if (wrong) void rm(part, { force: true }).then(() => reject(new Error(`GET ${url}: ${wrong}`)));
          else resolve();
        });
      });
      req.on('error', breakOff);
    });
  }
}

/** Where a broken-off GET stopped: the bytes already in the part file, their running Adler-32, the file's version. */
interface Resume {
  bytes: number;
  adler: number;
  tag: string;
}

// The part file an earlier try left of version `tag`, to resume from (null when there is none, or it is empty).
async function resumePoint(part: string, tag: string): Promise<Resume | null> {
  const bytes = await stat(part).then(
    (st) => st.size,
    () => 0,
  );
  return bytes > 0 ? { bytes, adler: Number.parseInt(await fileAdler32(part), 16), tag } : null;
}
