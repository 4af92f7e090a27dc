// One file delivered to a local directory or an XRootD server: copied under a temporary name, moved into place,
// then verified there by size and Adler-32. A killed transfer leaves at most a `.yoda-part` file, never one that looks delivered.
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, open, rename, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { execa } from 'execa';
import { adler32Hex, adler32Update } from './adler32.js';
import type { Destination } from '../job/destination.js';

/** What a delivery came to: where the file is now, its size, and its Adler-32 (null when not checked). */
export interface Delivered {
  url: string;
  bytes: number;
  adler32: string | null;
}

/** How one file is delivered. `timeoutMs` bounds each command (0: no limit); `signal` stops it. */
export interface DeliverOptions {
  checksum: 'adler32' | 'none';
  timeoutMs: number;
  signal: AbortSignal;
}

/** The suffix of a file being written at the destination. */
export const PART_SUFFIX = '.yoda-part';

/** Adler-32 of a local file, read in 1 MiB chunks (the event loop runs between them). */
export async function fileAdler32(path: string, signal?: AbortSignal): Promise<string> {
  let v = 1;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20, signal })) v = adler32Update(v, chunk);
  return adler32Hex(v);
}

function mismatch(what: string, want: string | number, got: string | number): Error {
  return new Error(`${what} at the destination is ${got}, the source's is ${want}`);
}

/** Delivers `src` as `name` under a local (shared) directory `dir`: copy, fsync, rename, then check. */
export async function deliverLocal(src: string, name: string, dir: string, bytes: number, o: DeliverOptions) {
  const final = dir + name;
  const part = final + PART_SUFFIX;
  await mkdir(dirname(final), { recursive: true });
  await copyFile(src, part);
  const fh = await open(part, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(part, final);
  const d = await open(dirname(final), 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
  const got = (await stat(final)).size;
  if (got !== bytes) throw mismatch('the size', bytes, got);
  if (o.checksum === 'none') return { url: final, bytes, adler32: null };
  const [want, have] = await Promise.all([fileAdler32(src, o.signal), fileAdler32(final, o.signal)]);
  if (want !== have) throw mismatch('the adler32', want, have);
  return { url: final, bytes, adler32: have };
}

/** Runs an XRootD client command (one connection try); its first line of error output is the message when it fails. */
export async function xrd(cmd: string, args: string[], o: DeliverOptions): Promise<string> {
  const r = await execa(cmd, args, {
    reject: false,
    timeout: o.timeoutMs > 0 ? o.timeoutMs : undefined,
    cancelSignal: o.signal,
    stdin: 'ignore',
    // One connection try per command: Yoda's own attempts and backoff do the retrying (the client's default waits minutes).
    env: { LC_ALL: 'C', XRD_CONNECTIONRETRY: process.env.XRD_CONNECTIONRETRY ?? '1' },
  });
  if (r.exitCode === 0) return r.stdout;
  if (r.isCanceled) throw new Error(`${cmd} stopped`);
  const said = `${r.stderr}\n${r.stdout}`
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const why = r.timedOut ? `timed out after ${o.timeoutMs / 1000} s` : (said[0] ?? r.shortMessage);
  const what = cmd === 'xrdfs' ? `xrdfs ${args[1]}` : cmd;
  throw new Error(`${what} failed: ${why.slice(0, 300)}`);
}

/** Delivers `src` as `name` to an XRootD server with xrdcp, xrdfs and xrdadler32. */
export async function deliverXrootd(
  src: string,
  name: string,
  dest: Extract<Destination, { kind: 'xrootd' }>,
  bytes: number,
  o: DeliverOptions,
) {
  const final = dest.dir + name;
  const part = final + PART_SUFFIX;
  const host = dest.server.slice('root://'.length);
  const want = o.checksum === 'adler32' ? (await xrd('xrdadler32', [src], o)).trim().split(/\s+/)[0] : null;
  await xrd('xrdcp', ['-f', '--nopbar', '--posc', src, `${dest.server}/${part}`], o);
  await xrd('xrdfs', [host, 'mv', part, final], o);
  const size = /^Size:\s*(\d+)/m.exec(await xrd('xrdfs', [host, 'stat', final], o))?.[1];
  if (Number(size) !== bytes) throw mismatch('the size', bytes, size ?? 'unknown');
  if (want !== null) {
    const got = /adler32\s+([0-9a-fA-F]+)/.exec(await xrd('xrdfs', [host, 'query', 'checksum', final], o))?.[1];
    if (got?.toLowerCase().padStart(8, '0') !== want) throw mismatch('the adler32', want, got ?? 'unknown');
  }
  return { url: `${dest.server}/${final}`, bytes, adler32: want };
}
