// Yoda's transitions: step(state, event, now) mutates the state and returns effects; it does no I/O.
import type { DroidMessage, RangeResult } from '../protocol/messages.js';
import { RangeState } from '../journal/replay.js';
import type { YodaEffect, YodaEvent } from './effects.js';
import { checkEnd, finish, startDrain } from './ending.js';
import { serve, serveParked } from './dispatch.js';
import type { DroidInfo, YodaState } from './state.js';
import { progressLine } from './progress.js';
import { dropDroid, onHello, releaseHeldBack, releaseRanges } from './droids.js';
import * as delivery from './delivery.js';
import { afterReport } from './locality.js';
import { STAGE_IN_ATTEMPTS, STAGE_IN_CODE } from '../protocol/error-codes.js';

/** Applies one event to Yoda's state. */
export function step(s: YodaState, e: YodaEvent, now: number): YodaEffect[] {
  const out: YodaEffect[] = [];
  if (s.phase === 'finished') return out;
  switch (e.type) {
    case 'message':
      onMessage(s, e.from, e.msg, now, out);
      break;
    case 'tick':
      onTick(s, now, out);
      break;
    case 'drain':
      startDrain(s, e.reason, e.graceSeconds, now, out);
      break;
    case 'holdersGone':
      releaseHeldBack(s, (droid) => e.droids.includes(droid), e.why, now, out);
      break;
    case 'journalFailed':
      s.stopReason = e.error;
      out.push({ type: 'log', level: 'error', msg: `stopping: ${e.error}` });
      startDrain(s, 'the journal cannot be written', 0, now, out);
      finish(s, 'failed', now, out);
      return out;
    default:
      delivery.onDeliveryEvent(s, e, now, out);
  }
  checkTime(s, now, out);
  checkEnd(s, now, out);
  delivery.pumpDelivery(s, now, out); // after the phase is settled: none start in a drain, more at the tail
  return out;
}

// Seconds one more range is expected to take: the mean of this run's ranges, with a 25% safety factor.
function expectedRangeSeconds(s: YodaState): number {
  return s.durations.count === 0 ? 0 : (1.25 * s.durations.sumMs) / s.durations.count / 1000;
}

function checkTime(s: YodaState, now: number, out: YodaEffect[]): void {
  const { deadline, marginSeconds } = s.config;
  if (s.phase !== 'running' || deadline === null) return;
  const left = (deadline - now) / 1000 - marginSeconds;
  // Time for one more range, and for the merge and transfer running then to end within the drain's grace.
  const range = expectedRangeSeconds(s);
  const tail = delivery.tailSeconds(s);
  if (left > range + tail) return;
  const why = `the allocation ends at ${new Date(deadline).toISOString()}: ${Math.max(0, left).toFixed(0)} s left before the ${marginSeconds} s margin, a range takes about ${range.toFixed(0)} s${tail > 0 ? `, a merge and transfer about ${tail.toFixed(0)} s` : ''}`;
  startDrain(s, why, Math.max(0, Math.floor(left)), now, out);
}

function onMessage(s: YodaState, from: string, msg: DroidMessage, now: number, out: YodaEffect[]): void {
  if (msg.type === 'hello') return onHello(s, from, msg, now, out);
  const d = s.droids.get(from);
  if (!d || d.gone) {
    s.stats.stale += 1;
    if (msg.type !== 'bye')
      out.push({ type: 'send', to: from, msg: { type: 'refuse', reason: 'unknown Droid: say hello first' } });
    return;
  }
  d.lastSeen = now;
  if (msg.type === 'report') {
    for (const r of msg.results) onResult(s, d, r, out);
    if (s.locality) localityAfterReport(s, d, msg.results, msg.cached);
    releaseRanges(s, d, msg.released, 'released by Droid', now, out);
    serveParked(s, now, out);
    if (msg.want > 0) serve(s, d, msg.want, now, out);
  } else if (msg.type === 'bye') {
    if (msg.error) s.lastDroidError = msg.error;
    dropDroid(
      s,
      d,
      msg.error ? `stopped: ${msg.error}` : `left: ${msg.reason}`,
      now,
      out,
      msg.error ? 'error' : 'info',
      false,
    );
  }
}

// Which files the Droid's node holds, after its report (locality.ts): its cache list, what it still holds, and the
// files it could not fetch.
function localityAfterReport(s: YodaState, d: DroidInfo, results: RangeResult[], cached: string[] | undefined): void {
  const failed = results.flatMap((r) => (!r.ok && r.code === STAGE_IN_CODE ? [s.plan.fileOf(r.i)] : []));
  if (failed.length > 0 || cached)
    afterReport(
      s.locality!,
      d,
      failed,
      cached,
      [...d.holds].map((i) => s.plan.fileOf(i)),
    );
}

function onResult(s: YodaState, d: DroidInfo, r: RangeResult, out: YodaEffect[]): void {
  if (r.i >= s.plan.total || s.plan.range(r.i).id !== r.id) {
    s.stats.invalid += 1;
    return;
  }
  const state = s.rangeState[r.i];
  if (state === RangeState.done || state === RangeState.fatal) {
    s.stats.duplicates += 1;
    return;
  }
  const holder = s.owner[r.i];
  // A range assigned to another Droid (or held back for one) is that Droid's to finish: a second result would be a
  // second writer of its output. A late success for a range back in ready (nobody runs it) is taken.
  if ((state === RangeState.assigned && holder !== d.key) || (!r.ok && state !== RangeState.assigned)) {
    s.stats.stale += 1;
    return;
  }
  if (holder !== undefined) s.droids.get(holder)?.holds.delete(r.i);
  if (state === RangeState.assigned) s.counts.assigned -= 1;
  else s.counts.ready -= 1; // a late success for a range back in ready: taken; dispatch skips its queue entry.
  s.owner[r.i] = undefined;
  const attempt = s.failures[r.i] + 1;
  const where = { droid: d.key, node: d.node, slot: r.slot, start: r.start, end: r.end };
  if (r.ok) {
    s.durations.count += 1;
    s.durations.sumMs += Math.max(0, r.end - r.start);
    s.rangeState[r.i] = RangeState.done;
    s.counts.done += 1;
    const events = s.plan.eventsOf(r.i);
    s.events.done += events;
    s.events.doneThisRun += events;
    out.push({
      type: 'journal',
      records: [{ t: 'done', i: r.i, id: r.id, out: r.outputs, cpu: r.cpu, wall: r.wall, attempt, ...where }],
    });
    delivery.outputsDone(s, r.i, r.outputs);
    return;
  }
  // An input that could not be fetched to the node is not the payload's failure: it burns no attempt, up to its own limit.
  const stageIn = r.code === STAGE_IN_CODE;
  if (stageIn) s.stageInFailures.set(r.i, (s.stageInFailures.get(r.i) ?? 0) + 1);
  else s.failures[r.i] += 1;
  const fatal = stageIn
    ? (s.stageInFailures.get(r.i) ?? 0) >= STAGE_IN_ATTEMPTS
    : s.failures[r.i] >= s.config.maxAttempts;
  out.push({
    type: 'journal',
    records: [{ t: 'fail', i: r.i, id: r.id, attempt, code: r.code, msg: r.message, fatal, ...where }],
  });
  out.push({
    type: 'log',
    level: fatal ? 'error' : 'warn',
    msg: `range ${r.id} failed on ${d.node} (${stageIn ? `stage-in failure ${s.stageInFailures.get(r.i)}/${STAGE_IN_ATTEMPTS}, no attempt used` : `attempt ${attempt}/${s.config.maxAttempts}`}): ${r.code} ${r.message}${fatal ? ' — no attempts left, range is fatal' : ''}`,
  });
  if (fatal) {
    s.rangeState[r.i] = RangeState.fatal;
    s.counts.fatal += 1;
  } else {
    s.rangeState[r.i] = RangeState.ready;
    s.ready.push(r.i);
    s.counts.ready += 1;
  }
}

/**
 * Yoda itself did not run for `pausedMs` (SIGSTOP, a starved node): the Droids' silence in that time is not theirs.
 * Every live Droid gets the paused time back, so the tick that follows judges them only after their queued frames are read.
 */
export function forgivePause(s: YodaState, pausedMs: number, now: number): YodaEffect[] {
  for (const d of s.droids.values()) if (!d.gone) d.lastSeen = Math.min(now, d.lastSeen + pausedMs);
  return [
    {
      type: 'log',
      level: 'warn',
      msg: `Yoda did not run for ${(pausedMs / 1000).toFixed(1)} s (stopped or starved): every Droid gets that time back before its silence is judged`,
    },
  ];
}

function onTick(s: YodaState, now: number, out: YodaEffect[]): void {
  const c = s.config;
  if (s.heldBack.size > 0 && now >= s.heldBackUntil) {
    releaseHeldBack(s, () => true, `not claimed within ${c.holdBackSeconds} s`, now, out);
  }
  for (const d of s.droids.values()) {
    if (d.gone) continue;
    if (now - d.lastSeen > c.droidTimeoutSeconds * 1000) {
      s.stats.lostDroids += 1;
      out.push({
        type: 'log',
        level: 'warn',
        msg: `Droid ${d.key} on ${d.node} silent for ${c.droidTimeoutSeconds} s: declared lost, its ${d.holds.size} ranges go back to ready`,
      });
      dropDroid(s, d, 'was lost (no heartbeat)', now, out);
    } else if (now - d.lastSent >= c.heartbeatSeconds * 1000) {
      d.lastSent = now;
      out.push({ type: 'send', to: d.key, msg: { type: 'heartbeat' } });
    }
  }
  if (now - s.lastProgressAt >= c.progressSeconds * 1000) {
    s.lastProgressAt = now;
    out.push({ type: 'log', level: 'info', msg: `progress: ${progressLine(s, now)}`, data: { progress: s.counts } });
  }
  if (
    s.phase === 'running' &&
    s.activeCount === 0 &&
    now - Math.max(s.startedAt, s.lastDroidLeftAt) > c.joinTimeoutSeconds * 1000
  ) {
    s.stopReason =
      s.droids.size === 0
        ? `no Droid joined within ${c.joinTimeoutSeconds} s`
        : `no Droid left, and none joined within ${c.joinTimeoutSeconds} s`;
    if (s.lastDroidError) s.stopReason += `; the last one said: ${s.lastDroidError}`;
    finish(s, 'failed', now, out);
  }
  delivery.giveUpDelivery(s, now, out);
  if (
    (s.phase === 'ending' || s.phase === 'draining') &&
    s.activeCount > 0 &&
    now - s.phaseSince > c.leaveTimeoutSeconds * 1000
  ) {
    out.push({
      type: 'log',
      level: 'warn',
      msg: `${s.activeCount} Droids did not leave within ${c.leaveTimeoutSeconds} s; stopping without them`,
    });
    for (const d of s.droids.values()) if (!d.gone) dropDroid(s, d, 'did not leave in time', now, out);
  }
}
