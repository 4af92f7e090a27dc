// Where stage-out delivers: an XRootD server (root://host[:port]//dir/), a WebDAV server (https://host/dir/, or
// http:// on a trusted network), or a local (shared) directory (/path).

/** A parsed stage-out destination. `dir` always ends with '/'; for http, `base` is the directory's URL (ending '/'). */
export type Destination =
  | { kind: 'xrootd'; server: string; dir: string; url: string }
  | { kind: 'http'; base: string; dir: string; url: string }
  | { kind: 'local'; dir: string; url: string };

const XROOTD = /^(?:root|xroot):\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])(?::(\d{1,5}))?\/(\/[^?#]*)$/;

/** Parses a destination; returns an error message (what is expected) when it is not one Yoda can deliver to. */
export function parseDestination(url: string): Destination | string {
  if (/^davs?:\/\//.test(url)) return 'write a WebDAV destination as https:// (davs://) or http:// (dav://)';
  if (/^https?:\/\//.test(url)) return parseHttp(url);
  if (url.startsWith('/')) {
    if (url.split('/').includes('..')) return 'a local destination must not contain ..';
    return { kind: 'local', dir: url.endsWith('/') ? url : `${url}/`, url };
  }
  const m = XROOTD.exec(url);
  if (!m) return 'expected root://host[:port]//dir/ (two slashes before the directory) or an absolute /path';
  const port = m[2] ?? '1094';
  if (Number(port) < 1 || Number(port) > 65535) return `port ${port} is not a TCP port`;
  const dir = m[3].endsWith('/') ? m[3] : `${m[3]}/`;
  if (dir.split('/').includes('..')) return 'the directory must not contain ..';
  return { kind: 'xrootd', server: `root://${m[1]}:${port}`, dir, url };
}

// https://host[:port]/dir/ (a WebDAV collection): no user:password, query or fragment (credentials come from a token).
function parseHttp(url: string): Destination | string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'expected https://host[:port]/dir/';
  }
  if (u.username || u.password) return 'no user:password in the URL: give a bearer token (see the README, Stage-out)';
  if (u.search || u.hash) return 'no ?query or #fragment in the destination';
  if (url.split(/[/?#]/).includes('..')) return 'the directory must not contain ..';
  const dir = u.pathname.endsWith('/') ? u.pathname : `${u.pathname}/`;
  return { kind: 'http', base: `${u.origin}${dir}`, dir, url };
}

/** The file name at the destination of `output`: its path inside the output directory, else its base name. */
export function destinationName(output: string, outputDir: string): string {
  const base = outputDir.endsWith('/') ? outputDir : `${outputDir}/`;
  if (output.startsWith(base)) return output.slice(base.length);
  return output.slice(output.lastIndexOf('/') + 1);
}
