// Remote input files on the node (event streaming): a range whose input file is a URL waits in the queue while the
// shell fetches the file into the node's cache; the local copy then replaces the URL in every range that needs it.
// A fetch that failed on every try fails its ranges with ERR_STAGE_IN (Yoda counts no payload attempt for it).
// Past the cache cap, the least recently used files that no queued or running range needs are evicted. Pure.
import type { RangeSpec } from '../protocol/messages.js';
import { STAGE_IN_CODE } from '../protocol/error-codes.js';
import type { DroidEffect } from './effects.js';
import { failQueued } from './slots.js';
import type { DroidState, PrefetchStats } from './state.js';
import { isRemote } from '../job/remote.js';
import { admitExtract, dropEndedExtracts } from './extracts.js';

/** Ranges just received: those of files already here get their local copy; the others' files are fetched. */
export function admitRanges(s: DroidState, ranges: RangeSpec[], now: number, out: DroidEffect[]): RangeSpec[] {
  const c = s.inputs;
  return ranges.map((r) => {
    if (!isRemote(r.file)) return r;
    if (c.extractUrls.has(r.file)) return admitExtract(s, r, out);
    const f = c.files.get(r.file);
    if (f) f.ahead = false;
    if (f?.local) {
      f.lastUsed = now;
      c.stats.hits += 1;
      return { ...r, file: f.local };
    }
    c.stats.misses += 1;
    if (!f) {
      c.files.set(r.file, { local: null, bytes: 0, lastUsed: now, ahead: false });
      c.changed = true;
      out.push({ type: 'fetch', url: r.file });
    }
    return r;
  });
}

/** Yoda says which remote files this node should fetch next (`prefetch`, ahead of their ranges): fetched now. */
export function fetchAhead(s: DroidState, urls: string[], now: number, out: DroidEffect[]): void {
  const c = s.inputs;
  for (const url of urls) {
    if (!isRemote(url) || c.files.has(url) || c.extractUrls.has(url)) continue;
    c.files.set(url, { local: null, bytes: 0, lastUsed: now, ahead: true });
    c.changed = true;
    out.push({ type: 'fetch', url });
  }
}

/** A file arrived: the ranges waiting for it get its local copy; then files no range needs go, past the cap. */
export function onFetched(s: DroidState, url: string, local: string, bytes: number, now: number, out: DroidEffect[]) {
  const c = s.inputs;
  const f = c.files.get(url);
  if (!f || f.local) return;
  Object.assign(f, { local, bytes, lastUsed: now });
  c.usedBytes += bytes;
  c.stats.fetched += 1;
  c.stats.bytesFetched += bytes;
  s.queue = s.queue.map((r) => (r.file === url ? { ...r, file: local } : r));
  evict(s, out);
}

/** A file could not be fetched on any try: the ranges waiting for it fail with ERR_STAGE_IN, `message` saying why. */
export function onFetchFailed(s: DroidState, url: string, message: string, now: number, out: DroidEffect[]) {
  const c = s.inputs;
  if (!c.files.get(url) || c.files.get(url)?.local) return;
  c.files.delete(url);
  c.changed = true;
  c.stats.failures += 1;
  const failed = failQueued(s, (r) => r.file === url, STAGE_IN_CODE, message, now);
  out.push({
    type: 'log',
    level: 'warn',
    msg: `stage-in of ${url} failed: ${message}; its ${failed} range(s) go back to Yoda`,
  });
}

// Past the cap: the least recently used local files that no queued or running range reads are deleted (not a file
// fetched ahead whose ranges have not come yet: deleted, it would be fetched again when they do).
function evict(s: DroidState, out: DroidEffect[]): void {
  const c = s.inputs;
  if (c.usedBytes <= c.capBytes) return;
  const inUse = new Set([
    ...s.queue.map((r) => r.file),
    ...s.slots.flatMap((x) => [...x.holding.values()].map((h) => h.range.file)),
  ]);
  const idle = [...c.files]
    .filter(([, f]) => f.local !== null && !f.ahead && !inUse.has(f.local))
    .sort((a, b) => a[1].lastUsed - b[1].lastUsed);
  for (const [url, f] of idle) {
    if (c.usedBytes <= c.capBytes) break;
    c.files.delete(url);
    c.changed = true;
    c.usedBytes -= f.bytes;
    c.stats.evicted += 1;
    out.push({ type: 'evict', local: f.local! });
    out.push({
      type: 'log',
      level: 'info',
      msg: `stage-in: evicted ${url} from the node's cache (over its cap, no range needs it)`,
    });
  }
}

/**
 * After every event: past the cap, files that no range reads any more (a range just ended, say) are evicted; and the
 * time workers wait for input is counted (a waiting worker with ranges queued: they all wait for their file, since
 * a range whose file is here would have been given to it).
 */
export function afterInputEvent(s: DroidState, now: number, out: DroidEffect[]): void {
  const c = s.inputs;
  if (c.usedBytes > c.capBytes) evict(s, out);
  if (c.extracted.size > 0) dropEndedExtracts(s, out);
  if (c.files.size === 0 && c.extracting.size === 0 && c.waitingSince.size === 0) return;
  for (const x of s.slots) {
    const waits = x.phase === 'waiting' && s.phase === 'running' && s.queue.length > 0;
    const since = c.waitingSince.get(x.slot);
    if (waits && since === undefined) c.waitingSince.set(x.slot, now);
    else if (!waits && since !== undefined) {
      c.stats.workerWaitMs += now - since;
      c.waitingSince.delete(x.slot);
    }
  }
}

/** For the next report: the remote files the node holds or fetches, when Yoda has not been told yet (else none). */
export function cachedForReport(s: DroidState): { cached?: string[] } {
  const c = s.inputs;
  if (!c.changed) return {};
  c.changed = false;
  return { cached: [...c.files.keys()] };
}

/** A hello to a (new) Yoda: it knows nothing of this node's cache, so the next report tells it. */
export function cacheUnknownToYoda(s: DroidState): void {
  s.inputs.changed = s.inputs.files.size > 0;
}

/** The cache's figures at `now`, waits still going on included. */
export function prefetchStats(s: DroidState, now: number): PrefetchStats {
  let waiting = 0;
  for (const since of s.inputs.waitingSince.values()) waiting += now - since;
  return { ...s.inputs.stats, workerWaitMs: s.inputs.stats.workerWaitMs + waiting };
}
