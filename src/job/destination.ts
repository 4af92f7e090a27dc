// Where stage-out delivers: an XRootD server (root://host[:port]//dir/) or a local (shared) directory (/path).

/** A parsed stage-out destination. `dir` always ends with '/'. */
export type Destination =
  | { kind: 'xrootd'; server: string; dir: string; url: string }
  | { kind: 'local'; dir: string; url: string };

const XROOTD = /^(?:root|xroot):\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])(?::(\d{1,5}))?\/(\/[^?#]*)$/;

/** Parses a destination; returns an error message (what is expected) when it is not one Yoda can deliver to. */
export function parseDestination(url: string): Destination | string {
  if (/^(https?|davs?):\/\//.test(url))
    return 'https:// (WebDAV) destinations are not supported yet: use root://host[:port]//dir/ or a local /path';
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

/** The file name at the destination of `output`: its path inside the output directory, else its base name. */
export function destinationName(output: string, outputDir: string): string {
  const base = outputDir.endsWith('/') ? outputDir : `${outputDir}/`;
  if (output.startsWith(base)) return output.slice(base.length);
  return output.slice(output.lastIndexOf('/') + 1);
}
