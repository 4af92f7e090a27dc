// A small WebDAV server (Node's http) for http:// stage-out tests: PUT (409 when the parent collection is missing),
// MKCOL, MOVE, HEAD with an RFC 3230 adler32 Digest when asked, GET (and `Range: bytes=N-` with If-Range: ETag); it
// can demand a bearer token, refuse writes, offer no digest or break GETs off. Every request is logged.
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, renameSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { adler32Hex, adler32Update } from '../../src/stageout/adler32.js';

/** What the server does differently from a well-behaved one. */
export interface WebdavOptions {
  /** Requests without `Authorization: Bearer <token>` get 401. */
  token?: string;
  /** Every PUT gets 403. */
  refuseWrites?: boolean;
  /** HEAD never sends a Digest (the client must read the file back). */
  noDigest?: boolean;
  /** The first whole-file GET of each file announces its full size but breaks off after this many bytes. */
  cutAfter?: number;
}

/** A running server: `data` is the directory it serves as `/`; `requests` lists "METHOD /path" in order. */
export interface Webdav {
  url: (dir: string) => string;
  data: string;
  requests: string[];
  close(): Promise<void>;
}

function adler32Of(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let v = 1;
    createReadStream(path)
      .on('data', (c) => {
        v = adler32Update(v, c as Buffer);
      })
      .on('end', () => resolve(adler32Hex(v)))
      .on('error', reject);
  });
}

/** Starts a server on a free loopback port. */
export async function webdavServer(o: WebdavOptions = {}): Promise<Webdav> {
  const data = mkdtempSync(join(tmpdir(), 'yoda-webdav-'));
  const requests: string[] = [];
  const cut = new Set<string>();
  const server: Server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = join(data, path);
    const range = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ''));
    requests.push(`${req.method} ${path}${range ? ` ${range[0]}` : ''}`);
    const end = (status: number, text = '') => {
      req.resume();
      res.writeHead(status, { 'Content-Length': Buffer.byteLength(text) }).end(text);
    };
    if (o.token && req.headers.authorization !== `Bearer ${o.token}`) return end(401, 'no valid bearer token');
    try {
      switch (req.method) {
        case 'PUT': {
          if (o.refuseWrites) return end(403, 'write access denied');
          if (!existsSync(dirname(file))) return end(409, 'parent collection missing');
          const out = createWriteStream(file);
          req.pipe(out);
          out.on('finish', () => end(201));
          return;
        }
        case 'MKCOL':
          if (existsSync(file)) return end(405, 'exists');
          mkdirSync(file);
          return end(201);
        case 'MOVE': {
          const to = decodeURIComponent(new URL(String(req.headers.destination)).pathname);
          renameSync(file, join(data, to));
          return end(201);
        }
        case 'HEAD':
        case 'GET': {
          if (!existsSync(file)) return end(404, 'no such file');
          const st = statSync(file);
          const etag = `"${st.size}-${st.mtimeMs}"`;
          const headers: Record<string, string | number> = { 'Content-Length': st.size, ETag: etag };
          if (req.method === 'HEAD' && !o.noDigest && /adler32/i.test(String(req.headers['want-digest'])))
            headers.Digest = `adler32=${await adler32Of(file)}`;
          const size = st.size;
          // A range of the version the client names (If-Range), else the whole file.
          if (req.method === 'GET' && range && req.headers['if-range'] === etag) {
            const from = Number(range[1]);
            if (from >= size) return end(416, 'range not satisfiable');
            res.writeHead(206, { 'Content-Length': size - from, 'Content-Range': `bytes ${from}-${size - 1}/${size}` });
            createReadStream(file, { start: from }).pipe(res);
            return;
          }
          res.writeHead(200, headers);
          if (req.method === 'HEAD') return res.end();
          if (o.cutAfter !== undefined && !cut.has(path)) {
            cut.add(path);
            createReadStream(file, { end: o.cutAfter - 1 })
              .on('end', () => res.socket?.destroy())
              .pipe(res, { end: false });
            return;
          }
          createReadStream(file).pipe(res);
          return;
        }
        default:
          return end(405, 'method not allowed');
      }
    } catch (e) {
      end(500, (e as Error).message);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: (dir) => `http://127.0.0.1:${port}/${dir.replace(/^\/+/, '')}`,
    data,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
