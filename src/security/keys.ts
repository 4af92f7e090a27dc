// Per-run CURVE keys in the work directory: readable only by the job's owner (mode 0600 in a 0700 folder).
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { curveKeyPair } from 'zeromq';
import { YodaError } from '../util/errors.js';

/** The keys of one run: Yoda's pair, and the one pair every Droid of the job uses. */
export interface JobKeys {
  serverPublic: string;
  serverSecret: string;
  clientPublic: string;
  clientSecret: string;
}

/** Path of the key file in a work directory. */
export function keyFile(workdir: string): string {
  return join(workdir, 'keys', 'curve.json');
}

/** Fresh keys for one run (Yoda's pair and the Droids' pair), kept in memory only. */
export function newJobKeys(): JobKeys {
  const server = curveKeyPair();
  const client = curveKeyPair();
  return { serverPublic: server.publicKey, serverSecret: server.secretKey, clientPublic: client.publicKey, clientSecret: client.secretKey };
}

/** Makes fresh keys for this run and writes them where only the job's owner can read them. */
export function createJobKeys(workdir: string): JobKeys {
  const keys = newJobKeys();
  const dir = join(workdir, 'keys');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const path = keyFile(workdir);
  writeFileSync(`${path}.tmp`, JSON.stringify(keys), { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
  return keys;
}

/** Reads the keys Yoda wrote for this run. */
export function readJobKeys(workdir: string): JobKeys {
  const path = keyFile(workdir);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as JobKeys;
  } catch (e) {
    throw new YodaError('RENDEZVOUS', `cannot read the job's keys ${path}: ${(e as Error).message} (is the work directory shared, and this rank run by the job's owner?)`, {});
  }
}
