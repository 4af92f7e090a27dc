// Droids joining and leaving Yoda: hello (with the ranges a rejoining Droid still holds), releases, drops, and the
// ranges held back after a take-over for Droids that may still run them. Pure, like step.ts, which calls these.
import { PROTOCOL_VERSION, type DroidMessage } from '../protocol/messages.js';
import { RangeState } from '../journal/replay.js';
import type { YodaEffect } from './effects.js';
import { makeReady, park, serveParked } from './dispatch.js';
import { dropFiles } from './locality.js';
import type { DroidInfo, YodaState } from './state.js';

export function onHello(
  s: YodaState,
  from: string,
  msg: Extract<DroidMessage, { type: 'hello' }>,
  now: number,
  out: YodaEffect[],
): void {
  const refuse = (reason: string) => out.push({ type: 'send', to: from, msg: { type: 'refuse', reason } });
  if (msg.version !== PROTOCOL_VERSION)
    return void refuse(`protocol version ${msg.version} is not Yoda's ${PROTOCOL_VERSION}`);
  // A Droid that comes as the job completes (a rejoin after a hand-over, a late allocation) is told it is over.
  if (s.phase === 'ending')
    return void out.push({ type: 'send', to: from, msg: { type: 'end', reason: 'complete', graceSeconds: 0 } });
  if (s.phase !== 'running') return void refuse(`the job is ${s.phase}`);
  const old = s.droids.get(from);
  if (old && !old.gone) dropDroid(s, old, 'said hello again (restarted)', now, out);
  const d: DroidInfo = {
    key: from,
    node: msg.node,
    rank: msg.rank,
    launch: msg.launch,
    slots: msg.slots,
    holds: new Set(),
    files: new Set(),
    named: new Set(),
    failed: new Set(),
    parkedWant: 0,
    lastSeen: now,
    lastSent: now,
    gone: false,
  };
  s.droids.set(from, d);
  s.activeCount += 1;
  const c = s.config;
  out.push({
    type: 'journal',
    records: [
      {
        t: 'join',
        at: now,
        droid: from,
        node: msg.node,
        rank: msg.rank,
        launch: msg.launch,
        slots: msg.slots,
        cores: msg.cores,
      },
    ],
  });
  adoptHeld(s, d, msg.held, msg.attempts, now, out);
  out.push({
    type: 'send',
    to: from,
    msg: {
      type: 'welcome',
      job: {
        name: c.jobName,
        hash: c.jobHash,
        workdir: c.workdir,
        totalRanges: s.plan.total,
        heartbeatSeconds: c.heartbeatSeconds,
      },
    },
  });
  const foreign = msg.launch !== c.launch ? ` from another allocation (${msg.launch ?? 'no launch id'})` : '';
  out.push({
    type: 'log',
    level: 'info',
    msg: `Droid ${from} joined from ${msg.node}${foreign} (rank ${msg.rank}, ${msg.slots} slots, ${msg.cores} cores${d.holds.size > 0 ? `, still holding ${d.holds.size} ranges` : ''})`,
  });
}

// A Droid that comes back after a hand-over still holds ranges of the previous Yoda: those the journal does not call
// done (or fatal) and nobody else holds are marked assigned to it again, so its results count (no attempt burned).
function adoptHeld(
  s: YodaState,
  d: DroidInfo,
  held: number[],
  attempts: number[],
  now: number,
  out: YodaEffect[],
): void {
  const r: number[] = [];
  const a: number[] = [];
  for (let k = 0; k < held.length; k++) {
    const i = held[k];
    if (i >= s.plan.total) continue;
    if (s.heldBack.has(i)) {
      if (s.heldBack.get(i) !== d.key) continue; // held back for another Droid, which may still run it
      s.heldBack.delete(i); // held back for this Droid: already counted as assigned
    } else if (s.rangeState[i] === RangeState.ready) {
      s.rangeState[i] = RangeState.assigned; // its entry stays queued; dispatch skips ranges no longer ready
      s.counts.ready -= 1;
      s.counts.assigned += 1;
    } else continue;
    s.owner[i] = d.key;
    d.holds.add(i);
    r.push(i);
    a.push(attempts[k] ?? s.failures[i] + 1);
  }
  if (r.length > 0) out.push({ type: 'journal', records: [{ t: 'assign', at: now, droid: d.key, r, a }] });
}

export function releaseRanges(
  s: YodaState,
  d: DroidInfo,
  indexes: Iterable<number>,
  why: string,
  now: number,
  out: YodaEffect[],
): void {
  const released: number[] = [];
  for (const i of indexes) {
    if (i < s.plan.total && s.rangeState[i] === RangeState.assigned && s.owner[i] === d.key) {
      d.holds.delete(i);
      makeReady(s, i);
      released.push(i);
    }
  }
  if (released.length > 0) out.push({ type: 'journal', records: [{ t: 'release', at: now, r: released, why }] });
}

export function dropDroid(
  s: YodaState,
  d: DroidInfo,
  why: string,
  now: number,
  out: YodaEffect[],
  level: 'info' | 'error' = 'info',
  lost = true,
  release = true,
): void {
  park(s, d, 0);
  d.gone = true;
  s.activeCount -= 1;
  s.lastDroidLeftAt = now;
  out.push({ type: 'journal', records: [{ t: 'leave', at: now, droid: d.key, why, lost }] });
  // A Droid moving to the next Yoda keeps its ranges: they stay assigned in the journal, for it to claim there.
  if (release) releaseRanges(s, d, [...d.holds], `Droid ${d.key} ${why}`, now, out);
  d.holds.clear();
  if (s.locality) dropFiles(s.locality, d);
  out.push({ type: 'log', level, msg: `Droid ${d.key} on ${d.node} ${why}` });
  serveParked(s, now, out);
}

// Ranges held back after a take-over (YodaState.heldBack) for which `which(droid)` holds go back to ready.
export function releaseHeldBack(
  s: YodaState,
  which: (droid: string) => boolean,
  why: string,
  now: number,
  out: YodaEffect[],
): void {
  const released: number[] = [];
  for (const [i, droid] of s.heldBack) {
    if (!which(droid)) continue;
    s.heldBack.delete(i);
    makeReady(s, i);
    released.push(i);
  }
  if (released.length === 0) return;
  const record = `in flight when the previous Yoda stopped, ${why}`;
  out.push({ type: 'journal', records: [{ t: 'release', at: now, r: released, why: record }] });
  out.push({ type: 'log', level: 'info', msg: `${released.length} range(s) ${record}: back to ready` });
  serveParked(s, now, out);
}
