// Per-job CURVE keys in the work directory: readable only by the job's owner (mode 0600 in a 0700 folder).
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../workdir/atomic.js';
import { workdirPaths } from '../workdir/paths.js';
import { curveKeyPair } from 'zeromq';
import { YodaError } from '../util/errors.js';

/** The keys of one run: Yoda's pair, and the one pair every Droid of the job uses. */
export interface JobKeys {
  serverPublic: string;
  serverSecret: string;
  clientPublic: string;
  clientSecret: string;
}

/** Fresh keys for one run (Yoda's pair and the Droids' pair), kept in memory only. */
export function newJobKeys(): JobKeys {
  const server = curveKeyPair();
  const client = curveKeyPair();
  return {
    serverPublic: server.publicKey,
    serverSecret: server.secretKey,
    clientPublic: client.publicKey,
    clientSecret: client.secretKey,
  };
}

/**
 * The job's keys: those already in the work directory (kept while the job lives, so Droids of every allocation and
 * every Yoda after a hand-over share them), or fresh ones written where only the job's owner can read them.
 */
export function createJobKeys(workdir: string): JobKeys {
  const { keys: dir, keyFile: path } = workdirPaths(workdir);
  if (existsSync(path)) {
    try {
      const old = JSON.parse(readFileSync(path, 'utf8')) as JobKeys;
      if (old.serverPublic && old.serverSecret && old.clientPublic && old.clientSecret) return old;
    } catch {
      // half-written or corrupt: make new ones
    }
  }
  const keys = newJobKeys();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  writeFileAtomic(path, JSON.stringify(keys), 0o600);
  return keys;
}

/** Reads the keys Yoda wrote for this run. */
export function readJobKeys(workdir: string): JobKeys {
  const path = workdirPaths(workdir).keyFile;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as JobKeys;
  } catch (e) {
    throw new YodaError(
      'RENDEZVOUS',
      `cannot read the job's keys ${path}: ${(e as Error).message} (is the work directory shared, and this rank run by the job's owner?)`,
      {},
    );
  }
}
