// A real XRootD server (Debian's xrootd) on a free loopback port, run as user xrootd, for stage-out tests.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killGroup, start, waitFor, type Started } from './proc.js';

/** A server a test starts and stops; `data` is the directory it serves as `/`. */
export interface XrootdServer {
  port: number;
  data: string;
  /** root://localhost:PORT//dir/ */
  url(dir: string): string;
  /** Starts the server and waits until `xrdfs ls /` answers. */
  start(): Promise<void>;
  /** SIGKILLs the server's process group and waits for it to end. */
  stop(): Promise<void>;
}

/** A free TCP port on loopback (bound then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function xrootdIds(): { uid: number; gid: number } {
  return {
    uid: Number(execFileSync('id', ['-u', 'xrootd'], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', 'xrootd'], { encoding: 'utf8' }).trim()),
  };
}

/** Prepares a server (not started): its directories are owned by xrootd, its config exports the data directory. */
export async function xrootdServer(): Promise<XrootdServer> {
  const { uid, gid } = xrootdIds();
  const root = mkdtempSync(join(tmpdir(), 'yoda-xrootd-'));
  chmodSync(root, 0o755);
  const data = join(root, 'data');
  const admin = join(root, 'admin');
  for (const d of [data, admin]) {
    mkdirSync(d);
    chownSync(d, uid, gid);
  }
  const cfg = join(root, 'xrootd.cfg');
  writeFileSync(
    cfg,
    `all.export /\nxrootd.chksum adler32\noss.localroot ${data}\nall.adminpath ${admin}\nall.pidpath ${admin}\n`,
  );
  const port = await freePort();
  let proc: Started | null = null;
  return {
    port,
    data,
    url: (dir) => `root://localhost:${port}//${dir.replace(/^\/+/, '')}`,
    async start() {
      const args = ['-R', 'xrootd', '-p', String(port), '-c', cfg, '-n', 'yodatest', '-l', join(admin, 'xrootd.log')];
      proc = start('xrootd', args, { cwd: root, log: join(root, 'xrootd.out') });
      const p = proc;
      await waitFor(`xrootd answering on port ${port}`, () => {
        if (p.child.exitCode !== null) throw new Error(`xrootd exited with ${p.child.exitCode} (see ${root})`);
        try {
          execFileSync('xrdfs', [`localhost:${port}`, 'ls', '/'], {
            stdio: 'ignore',
            timeout: 10_000,
            env: { ...process.env, XRD_CONNECTIONRETRY: '1' },
          });
          return true;
        } catch {
          return false;
        }
      });
    },
    async stop() {
      if (!proc) return;
      killGroup(proc.child.pid);
      await proc.exit;
      proc = null;
    },
  };
}
