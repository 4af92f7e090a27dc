// A Droid's transitions: droidStep(state, event, now) mutates the state and returns effects; no I/O.
import { EXIT } from '../util/errors.js';
import { PROTOCOL_VERSION, type DroidMessage, type YodaMessage } from '../protocol/messages.js';
import type { DroidEffect, DroidEvent } from './effects.js';
import type { DroidState } from './state.js';
import {
  feedSlot,
  isLive,
  noteRangesArrived,
  noteRequest,
  onOverMemory,
  onWorkerExit,
  heldPerSlot,
  rangesPerMessage,
  startSlot,
  stopSlot,
} from './slots.js';
import { checkHang, onBroken, onReport } from './worker-reports.js';
import {
  admitRanges,
  afterInputEvent,
  cacheUnknownToYoda,
  cachedForReport,
  fetchAhead,
  onFetched,
  onFetchFailed,
} from './inputs.js';
import { onExtracted, onExtractFailed } from './extracts.js';
import { checkYoda, forgiveYodaPause } from './yoda-silence.js';

/** Applies one event to a Droid's state. */
export function droidStep(s: DroidState, e: DroidEvent, now: number): DroidEffect[] {
  const out: DroidEffect[] = [];
  if (s.phase === 'stopped') return out;
  const slot = 'slot' in e ? s.slots.find((x) => x.slot === e.slot) : undefined;
  switch (e.type) {
    case 'connected': {
      // The first connection, or a new Yoda after a hand-over: then the hello lists the ranges still held.
      const c = s.config;
      const cores = c.slots.reduce((n, x) => n + x.cpus.length, 0);
      const held = s.phase === 'connecting' ? [] : heldRanges(s);
      if (s.phase !== 'connecting') {
        s.rejoining = true;
        s.moving = false;
        s.requestOpen = false;
        s.lastHeardFromYoda = now;
        s.yodaSilent = false;
        out.push({ type: 'log', level: 'info', msg: `joining the new Yoda, still holding ${held.length} range(s)` });
      }
      cacheUnknownToYoda(s);
      send(
        s,
        {
          type: 'hello',
          version: PROTOCOL_VERSION,
          droid: c.key,
          node: c.node,
          rank: c.rank,
          pid: c.pid,
          slots: c.slots.length,
          cores,
          launch: c.launch,
          held: held.map((r) => r.i),
          attempts: held.map((r) => r.attempt),
        },
        now,
        out,
      );
      break;
    }
    case 'yoda':
      s.lastHeardFromYoda = now;
      if (s.yodaSilent) out.push({ type: 'log', level: 'info', msg: 'Yoda is back' });
      s.yodaSilent = false;
      onYoda(s, e.msg, now, out);
      break;
    case 'worker':
      if (slot) onReport(s, slot, e.report, now, out);
      break;
    case 'workerBroken':
      if (slot) onBroken(s, slot, e.why, now, out);
      break;
    case 'workerExited':
      if (slot) onWorkerExit(s, slot, e.code, e.signal, now, out);
      break;
    case 'workerOverMemory':
      if (slot) onOverMemory(s, slot, e.rssMB, e.limitMB, now, out);
      break;
    case 'tick':
      onTick(s, now, out);
      break;
    case 'paused':
      out.push(...forgiveYodaPause(s, e.ms, now));
      break;
    case 'drain':
      startDrain(s, e.graceSeconds, now, out);
      break;
    case 'fetched':
      onFetched(s, e.url, e.local, e.bytes, now, out);
      for (const x of s.slots) feedSlot(s, x, now, out);
      break;
    case 'fetchFailed':
      onFetchFailed(s, e.url, e.message, now, out);
      break;
    case 'extracted':
      onExtracted(s, e.i, e.local, e.bytes, out);
      for (const x of s.slots) feedSlot(s, x, now, out);
      break;
    case 'extractFailed':
      onExtractFailed(s, e.i, e.message, now, out);
      break;
  }
  afterEvent(s, now, out);
  afterInputEvent(s, now, out);
  return out;
}

// The ranges a Droid claims when it joins a new Yoda: those its workers hold, those queued, and those whose results
// wait to be reported (else the new Yoda, holding them back for this Droid, would take those results as stale).
function heldRanges(s: DroidState): { i: number; attempt: number }[] {
  const unreported = [...s.resultAttempts].map(([i, attempt]) => ({ i, attempt }));
  return [...s.slots.flatMap((x) => [...x.holding.values()].map((h) => h.range)), ...s.queue, ...unreported];
}

function send(s: DroidState, msg: DroidMessage, now: number, out: DroidEffect[]): void {
  if (s.moving && msg.type !== 'hello') return; // nobody to tell until the next Yoda: results wait in s.results
  out.push({ type: 'toYoda', msg });
  s.lastSentToYoda = now;
}

function onYoda(s: DroidState, msg: YodaMessage, now: number, out: DroidEffect[]): void {
  switch (msg.type) {
    case 'welcome':
      if (s.rejoining) {
        s.rejoining = false;
        out.push({ type: 'log', level: 'info', msg: `welcomed by the new Yoda of job ${msg.job.name}; workers kept` });
        return;
      }
      if (s.phase !== 'connecting') return;
      s.phase = 'running';
      out.push({
        type: 'log',
        level: 'info',
        msg: `welcomed by Yoda to job ${msg.job.name} (${msg.job.totalRanges} ranges); starting ${s.slots.length} workers`,
      });
      for (const slot of s.slots) startSlot(slot, now, out);
      return;
    case 'refuse':
      if (s.moving) return; // the moving Yoda let this Droid go: a report sent before it knew is refused, no matter
      s.error = `Yoda refused this Droid: ${msg.reason}`;
      startDrain(s, 0, now, out);
      return;
    case 'ranges':
      if (s.requestOpen) noteRangesArrived(s, now);
      s.requestOpen = false;
      s.queue.push(...admitRanges(s, msg.ranges, now, out));
      if (msg.prefetch) fetchAhead(s, msg.prefetch, now, out);
      for (const slot of s.slots) feedSlot(s, slot, now, out);
      if (s.phase === 'draining' || s.phase === 'ending') releaseQueue(s);
      return;
    case 'end':
      if (msg.reason === 'drain') return startDrain(s, msg.graceSeconds, now, out);
      s.rejoining = false; // the job completed before this Droid's (re)join: nothing is owed to anyone
      if (s.phase === 'connecting') s.phase = 'ending';
      else if (s.phase === 'running') {
        s.phase = 'ending';
        releaseQueue(s);
        for (const slot of s.slots) if (slot.phase === 'waiting' || slot.phase === 'starting') stopSlot(slot, now, out);
      }
      return;
    case 'heartbeat':
      return;
    case 'moving':
      s.moving = true;
      s.requestOpen = false;
      out.push({
        type: 'log',
        level: 'warn',
        msg: `Yoda is moving (${msg.reason}): keeping the workers and waiting for the next Yoda`,
      });
      return;
  }
}

function releaseQueue(s: DroidState): void {
  for (const r of s.queue) s.released.push(r.i);
  s.queue = [];
}

function startDrain(s: DroidState, graceSeconds: number, now: number, out: DroidEffect[]): void {
  if (s.phase === 'stopped') return;
  const deadline = now + graceSeconds * 1000;
  if (s.phase === 'draining') {
    // A second signal or a shorter grace: bring the deadline forward.
    s.drainDeadline = Math.min(s.drainDeadline ?? deadline, deadline);
  } else {
    s.phase = 'draining';
    s.drainDeadline = deadline;
    releaseQueue(s);
    for (const slot of s.slots) if (slot.phase === 'waiting' || slot.phase === 'starting') stopSlot(slot, now, out);
    out.push({
      type: 'log',
      level: 'info',
      msg: `draining: ${s.slots.filter((x) => x.phase === 'busy').length} busy workers have ${graceSeconds} s to finish`,
    });
    // Busy workers are told first (the drain message and SIGTERM); SIGKILL comes only at the deadline.
    if (graceSeconds > 0)
      for (const slot of s.slots)
        if (slot.phase === 'busy') out.push({ type: 'drainWorker', slot: slot.slot, graceSeconds });
  }
  if (now >= s.drainDeadline) for (const slot of s.slots) if (slot.phase === 'busy') stopSlot(slot, now, out, true);
}

function onTick(s: DroidState, now: number, out: DroidEffect[]): void {
  const c = s.config;
  for (const slot of s.slots) {
    if (slot.phase === 'none' && s.phase === 'running' && now >= slot.restartAt) startSlot(slot, now, out);
    else if (
      slot.phase === 'starting' &&
      now - slot.startedAt > c.startTimeoutSeconds * 1000 &&
      slot.lastStartError === null
    ) {
      slot.lastStartError = `worker was not ready within ${c.startTimeoutSeconds} s`;
      out.push({ type: 'killWorker', slot: slot.slot });
    } else if (slot.phase === 'stopping' && now > slot.stopBy) {
      out.push({ type: 'killWorker', slot: slot.slot });
      slot.stopBy = now + 5_000;
    } else if (slot.phase === 'busy' && s.phase === 'draining' && s.drainDeadline !== null && now >= s.drainDeadline) {
      stopSlot(slot, now, out, true);
    } else if (slot.phase === 'busy' && c.rangeTimeoutSeconds !== null) {
      checkHang(s, slot, c.rangeTimeoutSeconds, now, out);
    }
  }
  if (s.firstPendingAt !== null && now - s.firstPendingAt >= c.reportIntervalMs) flush(s, 0, now, out);
  if (s.phase !== 'connecting' && now - s.lastSentToYoda >= c.heartbeatSeconds * 1000)
    send(s, { type: 'heartbeat' }, now, out);
  if (checkYoda(s, now, out)) startDrain(s, 0, now, out);
}

function flush(s: DroidState, want: number, now: number, out: DroidEffect[]): void {
  if (s.moving || s.rejoining) return; // kept for the next Yoda
  if (want > 0) {
    s.requestOpen = true;
    noteRequest(s, now);
  }
  send(s, { type: 'report', results: s.results, released: s.released, want, ...cachedForReport(s) }, now, out);
  s.results = [];
  s.resultAttempts.clear();
  s.released = [];
  s.firstPendingAt = null;
}

function afterEvent(s: DroidState, now: number, out: DroidEffect[]): void {
  const usable = s.slots.filter((x) => x.phase !== 'retired');
  if (s.phase === 'running' && usable.length === 0) {
    const last = s.slots
      .map((x) => x.lastStartError)
      .filter(Boolean)
      .pop();
    s.errorLog = s.slots[0]?.log ?? null;
    s.error = `no worker could be started (${last}); see ${s.errorLog ?? 'the worker logs'}`;
    s.phase = 'draining';
  }
  if (s.phase === 'running' && !s.requestOpen) {
    const inWork = s.slots.reduce((n, x) => n + x.holding.size, 0);
    // Per slot: the ranges of its worker's message and spare ones to cover a round trip to Yoda (slots.ts).
    const want = usable.length * heldPerSlot(s) - s.queue.length - inWork;
    // Asked once a message's worth is missing: a request each time a short range ends would cost a round trip, and a
    // journal commit at Yoda, per range, while what is still held covers the round trip.
    if (want >= rangesPerMessage(s)) return flush(s, want, now, out);
  }
  // A worker waits and nothing is queued: these results may be the last ones Yoda waits for, so send them now.
  const idle = s.results.length > 0 && s.queue.length === 0 && s.slots.some((x) => x.phase === 'waiting');
  if (idle || s.results.length >= s.config.reportBatch || (s.released.length > 0 && s.phase !== 'running'))
    flush(s, 0, now, out);
  if ((s.phase === 'draining' || s.phase === 'ending') && !s.slots.some(isLive)) {
    if (s.results.length > 0 || s.released.length > 0) flush(s, 0, now, out);
    send(
      s,
      {
        type: 'bye',
        reason: s.error ? 'error' : s.phase === 'ending' ? 'job complete' : 'drained',
        ...(s.error ? { error: s.error } : {}),
      },
      now,
      out,
    );
    s.phase = 'stopped';
    out.push({ type: 'exit', code: s.error ? EXIT.failed : EXIT.complete, error: s.error, workerLog: s.errorLog });
  }
}
