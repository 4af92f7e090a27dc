// A small HTTP file server (Node's http) for the `stream` benchmark: serves the files of one directory as input files,
// HEAD with Content-Length (Yoda asks when the job is created), GET of the whole file (the Droid's prefetch) and GET
// with one `Range: bytes=a-b` (a payload reading its event range's bytes itself).
import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { basename, join } from 'node:path';

/** A running server: `url(name)` is the URL of file `name` of its directory; `requests` counts by method. */
export interface RangeServer {
  port: number;
  url: (name: string, port?: number) => string;
  requests: { head: number; get: number; range: number };
  close(): Promise<void>;
}

/** The byte span [start, end] (inclusive) a `Range` header asks for in a file of `size` bytes; null if unsatisfiable. */
export function byteRange(header: string, size: number): { start: number; end: number } | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  const start = m[1] === '' ? Math.max(0, size - Number(m[2])) : Number(m[1]);
  const end = m[1] === '' || m[2] === '' ? size - 1 : Math.min(size - 1, Number(m[2]));
  return start <= end && start < size ? { start, end } : null;
}

/** Serves the regular files directly in `dir` on a free loopback port. */
export async function startRangeServer(dir: string): Promise<RangeServer> {
  const requests = { head: 0, get: 0, range: 0 };
  const server: Server = createServer((req, res) => {
    req.resume();
    const end = (status: number, text: string, headers: Record<string, string | number> = {}) =>
      res.writeHead(status, { ...headers, 'Content-Length': Buffer.byteLength(text) }).end(text);
    const name = basename(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    let size: number;
    try {
      const st = statSync(join(dir, name));
      if (!st.isFile()) return end(404, 'no such file');
      size = st.size;
    } catch {
      return end(404, 'no such file');
    }
    if (req.method === 'HEAD') {
      requests.head++;
      res.writeHead(200, { 'Content-Length': size, 'Accept-Ranges': 'bytes' }).end();
      return;
    }
    if (req.method !== 'GET') return end(405, 'method not allowed', { Allow: 'GET, HEAD' });
    const header = req.headers.range;
    let span = { start: 0, end: size - 1 };
    if (header) {
      const r = byteRange(header, size);
      if (!r) return end(416, 'range not satisfiable', { 'Content-Range': `bytes */${size}` });
      span = r;
      requests.range++;
      res.writeHead(206, {
        'Content-Length': span.end - span.start + 1,
        'Content-Range': `bytes ${span.start}-${span.end}/${size}`,
        'Accept-Ranges': 'bytes',
      });
    } else {
      requests.get++;
      res.writeHead(200, { 'Content-Length': size, 'Accept-Ranges': 'bytes' });
    }
    if (size === 0) return res.end();
    const body = createReadStream(join(dir, name), span);
    body.on('error', () => res.destroy());
    body.pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: (name, via = port) => `http://127.0.0.1:${via}/${encodeURIComponent(name)}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
