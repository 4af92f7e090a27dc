// The lease that makes exactly one Yoda the writer of a work directory, safe on Lustre, GPFS and NFS.
//
// Why this design: `flock`/`fcntl` locks are missing or node-local on several shared file systems, and clocks of
// different nodes disagree. What every POSIX-ish shared file system does give us is an atomic exclusive create
// (O_CREAT|O_EXCL, NFSv3+) and an atomic rename within a directory. So the lease is a folder of one file per epoch,
// `<workdir>/lease/epoch-<N>`: exactly one taker wins the exclusive create of epoch N+1; the holder renews by rewriting
// its own epoch file (write aside + rename) with a growing counter; an observer calls the lease stale when the content
// has not changed for `timeoutSeconds` *as seen by its own clock* (no cross-node clock comparison); a drain releases
// the lease at once (`released: true`). The epoch number is the fencing token: every journal record carries it, the
// holder stats for a newer epoch file before each journal batch, and replay ignores records of an older epoch.
import { pidAlive } from '../util/pid-alive.js';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.js';

/** Default seconds without a renewal after which a lease is stale (env YODA_LEASE_TIMEOUT overrides, for tests). */
export const LEASE_TIMEOUT_SECONDS = 20;

/** The lease timeout in seconds: YODA_LEASE_TIMEOUT when set to a positive number, else the default. */
export function leaseTimeoutSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.YODA_LEASE_TIMEOUT);
  return Number.isFinite(n) && n > 0 ? n : LEASE_TIMEOUT_SECONDS;
}

/** What an epoch file says. */
export interface LeaseContent {
  epoch: number;
  host: string;
  pid: number;
  launch: string | null;
  /** Grows at every renewal: observers only compare it with what they saw before. */
  counter: number;
  /** Set by a drain (hand-over) or a clean end: the next taker need not wait for the timeout. */
  released: boolean;
  /** Set when the holder ended the job's run cleanly (an `end` record), not handing it over. */
  ended: boolean;
}

const NAME = /^epoch-(\d+)$/;

/** The path of the file of epoch `n`. */
export function epochPath(dir: string, n: number): string {
  return join(dir, `epoch-${n}`);
}

/** The highest epoch with a file in the lease folder (0 when none). */
export function highestEpoch(dir: string): number {
  if (!existsSync(dir)) return 0;
  let top = 0;
  for (const name of readdirSync(dir)) {
    const m = NAME.exec(name);
    if (m) top = Math.max(top, Number(m[1]));
  }
  return top;
}

/** The content of epoch `n`'s file, or null when absent or half-written (the create and the first write are two steps). */
export function readLease(dir: string, n: number): LeaseContent | null {
  try {
    return JSON.parse(readFileSync(epochPath(dir, n), 'utf8')) as LeaseContent;
  } catch {
    return null;
  }
}

/** Tries to take epoch `n` by exclusive create; true when this process won it. */
export function tryTakeEpoch(dir: string, content: LeaseContent): boolean {
  mkdirSync(dir, { recursive: true });
  let fd: number;
  try {
    fd = openSync(epochPath(dir, content.epoch), 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, JSON.stringify(content));
  } finally {
    closeSync(fd);
  }
  return true;
}

/** The lease as one observer judges it, by its own clock. */
export type LeaseView =
  | { state: 'free'; epoch: number; previous: LeaseContent | null }
  | { state: 'live'; epoch: number; holder: LeaseContent | null };

/**
 * Watches the lease folder and judges staleness by this observer's own clock: the top epoch is free when there is
 * none, when it says `released`, or when its content has not changed for `timeoutSeconds` since this observer first
 * saw that content. A holder on this very host whose pid is gone is free at once (no need to wait).
 */
export class LeaseObserver {
  private seen: { epoch: number; text: string; since: number } | null = null;

  constructor(
    readonly dir: string,
    readonly timeoutSeconds: number,
    private readonly host: string,
  ) {}

  /** Looks at the folder now. */
  look(now: number): LeaseView {
    const epoch = highestEpoch(this.dir);
    if (epoch === 0) return { state: 'free', epoch, previous: null };
    let text = '';
    try {
      text = readFileSync(epochPath(this.dir, epoch), 'utf8');
    } catch {
      // vanished between readdir and read: treat as unchanged content ''
    }
    if (!this.seen || this.seen.epoch !== epoch || this.seen.text !== text) this.seen = { epoch, text, since: now };
    let holder: LeaseContent | null = null;
    try {
      holder = JSON.parse(text) as LeaseContent;
    } catch {
      holder = null;
    }
    if (holder?.released) return { state: 'free', epoch, previous: holder };
    if (holder && holder.host === this.host && !pidAlive(holder.pid)) return { state: 'free', epoch, previous: holder };
    if (now - this.seen.since >= this.timeoutSeconds * 1000) return { state: 'free', epoch, previous: holder };
    return { state: 'live', epoch, holder };
  }
}

/**
 * The lease as judged once, for a decision that cannot be taken back (join or lead, --fresh, --retry-fatal): a holder on
 * another host that has not been seen renewing is watched until it renews (live) or the timeout passes (free), saying
 * once why this run waits. A fresh observer alone would call any unreleased lease live.
 */
export async function judgeLease(
  dir: string,
  timeoutSeconds: number,
  host: string,
  say: (line: string) => void,
): Promise<LeaseView> {
  const observer = new LeaseObserver(dir, timeoutSeconds, host);
  const first = observer.look(Date.now());
  if (first.state === 'free' || first.holder?.host === host) return first;
  say(
    `a Yoda on ${first.holder?.host ?? 'another host'} (pid ${first.holder?.pid ?? '?'}, epoch ${first.epoch}) holds this work directory: ` +
      `checking that it is alive (up to ${timeoutSeconds} s)`,
  );
  const text = readTop(dir, first.epoch);
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    const view = observer.look(Date.now());
    if (view.state === 'free' || view.epoch !== first.epoch || readTop(dir, first.epoch) !== text) return view;
  }
}

// The content of epoch file `epoch`, or '' when it cannot be read.
function readTop(dir: string, epoch: number): string {
  try {
    return readFileSync(epochPath(dir, epoch), 'utf8');
  } catch {
    return '';
  }
}

/** The lease this process holds: renewal, the fencing check, and release. */
export class HeldLease {
  private content: LeaseContent;

  constructor(
    readonly dir: string,
    content: LeaseContent,
  ) {
    this.content = { ...content };
  }

  /** The epoch held. */
  get epoch(): number {
    return this.content.epoch;
  }

  /** True when a newer epoch file exists: this process has been deposed and must write nothing more (one stat). */
  deposed(): boolean {
    return existsSync(epochPath(this.dir, this.content.epoch + 1));
  }

  /** Rewrites the epoch file with a new counter (only while not deposed); false when deposed. */
  renew(): boolean {
    if (this.deposed()) return false;
    this.content.counter += 1;
    writeFileAtomic(epochPath(this.dir, this.content.epoch), JSON.stringify(this.content));
    return true;
  }

  /** Releases the lease at once (drain, hand-over, or the end of the job), unless already deposed. */
  release(ended: boolean): void {
    if (this.deposed()) return;
    this.content = { ...this.content, counter: this.content.counter + 1, released: true, ended };
    writeFileAtomic(epochPath(this.dir, this.content.epoch), JSON.stringify(this.content));
  }
}

/** Tries to take the next epoch after `view` (a free view); returns the held lease or null when another taker won. */
export function takeLease(
  dir: string,
  view: LeaseView,
  who: { host: string; pid: number; launch: string | null },
): HeldLease | null {
  const content: LeaseContent = { epoch: view.epoch + 1, ...who, counter: 0, released: false, ended: false };
  return tryTakeEpoch(dir, content) ? new HeldLease(dir, content) : null;
}
