// How a Yoda run ends: draining on a signal or the time limit, ending once every range is done, the final outcome.
import type { YodaMessage } from '../protocol/messages.js';
import * as delivery from './delivery.js';
import { dropDroid } from './droids.js';
import { EXIT_CODES, type YodaEffect } from './effects.js';
import type { Outcome, YodaState } from './state.js';

/** Stops handing out ranges: in-flight ones get `graceSeconds`, other allocations' Droids are handed over. */
export function startDrain(s: YodaState, reason: string, graceSeconds: number, now: number, out: YodaEffect[]): void {
  if (s.phase === 'draining' && graceSeconds === 0) {
    sendToActive(s, { type: 'end', reason: 'drain', graceSeconds: 0 }, out); // a second signal: every Droid stops now
    delivery.drainDelivery(s, 0, now);
    return;
  }
  // Every range done, outputs still being merged or delivered: running ones get the grace time, queued ones wait.
  if (s.phase === 'ending' && delivery.deliveryPending(s) > 0) {
    s.phase = 'draining';
    s.phaseSince = now;
    s.stopReason ??= reason;
    delivery.drainDelivery(s, graceSeconds, now);
    out.push({
      type: 'log',
      level: 'warn',
      msg: `draining (${reason}): running merges and transfers have ${graceSeconds} s to finish; queued ones are left for the next run`,
    });
    return;
  }
  if (s.phase !== 'running') return;
  delivery.drainDelivery(s, graceSeconds, now);
  s.phase = 'draining';
  s.phaseSince = now;
  s.stopReason ??= reason;
  out.push({
    type: 'log',
    level: 'warn',
    msg: `draining (${reason}): no new ranges; in-flight ranges have ${graceSeconds} s to finish`,
  });
  // Droids of other allocations live on: they keep their workers and follow the endpoint to the next Yoda (hand-over).
  const foreign = [...s.droids.values()].filter((d) => !d.gone && d.launch !== s.config.launch);
  if (foreign.length > 0) {
    s.handingOver = true;
    out.push({
      type: 'log',
      level: 'warn',
      msg: `handing the job over: ${foreign.length} Droid(s) of other allocations keep their workers and wait for the next Yoda`,
    });
    for (const d of foreign) {
      out.push({ type: 'send', to: d.key, msg: { type: 'moving', reason } });
      dropDroid(s, d, 'was told Yoda is moving (hand-over)', now, out, 'info', false, false);
    }
  }
  sendToActive(s, { type: 'end', reason: 'drain', graceSeconds }, out);
}

// Sends `msg` to every Droid still here.
function sendToActive(s: YodaState, msg: YodaMessage, out: YodaEffect[]): void {
  for (const d of s.droids.values()) if (!d.gone) out.push({ type: 'send', to: d.key, msg });
}

// What the job's end would be called now.
function outcomeNow(s: YodaState): Outcome {
  if (s.counts.done + s.counts.fatal < s.plan.total || delivery.deliveryPending(s) > 0)
    return s.phase === 'draining' ? 'drained' : 'failed';
  return s.counts.fatal > 0 || delivery.deliveryFailed(s) > 0 ? 'fatal' : 'complete';
}

/** Moves to ending once every range is done or fatal, and finishes once every Droid left and delivery is idle. */
export function checkEnd(s: YodaState, now: number, out: YodaEffect[]): void {
  const k = s.counts;
  if (s.phase === 'running' && k.done + k.fatal === s.plan.total) {
    s.phase = 'ending';
    s.phaseSince = now;
    sendToActive(s, { type: 'end', reason: 'complete', graceSeconds: 0 }, out);
  }
  const allLeft = s.activeCount === 0;
  if (s.phase === 'running' && allLeft && ownDroids(s) >= s.config.expectedDroids) {
    s.stopReason ??= s.lastDroidError ?? 'every Droid left before the job was complete';
    finish(s, 'failed', now, out);
  } else if ((s.phase === 'ending' || s.phase === 'draining') && allLeft) {
    // The job ends once every Droid left and no merge or transfer runs (ending: none is queued either).
    const busy = s.phase === 'ending' ? delivery.deliveryPending(s) : delivery.deliveryRunning(s);
    if (busy === 0) finish(s, outcomeNow(s), now, out);
  }
}

// Droids of this Yoda's own allocation that have come (and maybe gone); those of other allocations are extra.
function ownDroids(s: YodaState): number {
  let n = 0;
  for (const d of s.droids.values()) if (d.launch === s.config.launch) n += 1;
  return n;
}

/** Ends this Yoda's run with `outcome`: the journal's end record, then the exit. */
export function finish(s: YodaState, outcome: Outcome, now: number, out: YodaEffect[]): void {
  if (s.phase === 'finished') return;
  s.phase = 'finished';
  s.outcome = outcome;
  const exitCode = EXIT_CODES[outcome];
  out.push({ type: 'journal', records: [{ t: 'end', run: s.config.run, at: now, outcome, exit: exitCode }] });
  out.push({ type: 'finish', outcome, exitCode });
}
