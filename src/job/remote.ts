// Remote input files (event streaming): which input paths are URLs the node fetches first, what a valid one is, and
// whether the server has it.
import { execa } from 'execa';
import { bearerToken } from '../util/bearer-token.js';

/** True for an input file that lives in remote storage: root://, xroot://, http:// or https://. */
export function isRemote(file: string): boolean {
  return /^(?:x?root|https?):\/\//.test(file);
}

/** What is wrong with a remote input URL (null when it is one Yoda can fetch). */
export function remoteUrlProblem(url: string): string | null {
  if (/^x?root:\/\//.test(url))
    return /^x?root:\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])(:\d{1,5})?\/\/[^?#]*[^/?#]$/.test(url)
      ? null
      : 'expected root://host[:port]//path/to/file (two slashes before the path)';
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'not a valid URL';
  }
  if (u.username || u.password) return 'no user:password in the URL: give a bearer token (BEARER_TOKEN)';
  if (u.pathname.endsWith('/') || u.pathname === '') return 'a URL of a file, not a directory';
  return null;
}

/**
 * Asks the server about remote input `url` (xrdfs stat, or an HTTP HEAD): resolves with its size in bytes, rejects
 * with what the server or the client said. Run once per file when the job is created.
 */
export async function probeRemote(url: string, timeoutMs = 60_000): Promise<number> {
  if (/^x?root:/.test(url)) {
    const m = /^x?root:\/\/([^/]+)\/(\/.*)$/.exec(url)!;
    const r = await execa('xrdfs', [m[1], 'stat', m[2]], {
      reject: false,
      timeout: timeoutMs,
      stdin: 'ignore',
      env: { LC_ALL: 'C', XRD_CONNECTIONRETRY: '1' },
    });
    const size = /^Size:\s*(\d+)/m.exec(r.stdout)?.[1];
    if (r.exitCode === 0 && size !== undefined) return Number(size);
    const said = `${r.stderr}\n${r.stdout}`
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)[0];
    throw new Error(r.timedOut ? `no answer within ${timeoutMs / 1000} s` : (said ?? r.shortMessage).slice(0, 300));
  }
  const token = bearerToken();
  const res = await fetch(url, {
    method: 'HEAD',
    headers: token ? { Authorization: `Bearer ${token}` } : {},
    signal: AbortSignal.timeout(timeoutMs),
  }).catch((e: Error) => {
    throw new Error((e.cause as Error | undefined)?.message ?? e.message);
  });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return Number(res.headers.get('content-length') ?? 0);
}

/** Remote inputs asked for at once when a job is created (thousands of files at a WAN round trip each add up). */
export const PROBES_AT_ONCE = 16;

/** Probes every URL of `urls`, PROBES_AT_ONCE at a time: each URL's size, or the error that says why it failed. */
export async function probeAll(urls: string[]): Promise<Map<string, number | Error>> {
  const results = new Map<string, number | Error>();
  let next = 0;
  const lane = async () => {
    while (next < urls.length) {
      const url = urls[next++];
      results.set(url, await probeRemote(url).catch((e: Error) => e));
    }
  };
  await Promise.all(Array.from({ length: Math.min(PROBES_AT_ONCE, urls.length) }, lane));
  return results;
}
