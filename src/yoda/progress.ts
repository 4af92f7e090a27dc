// One line that says how a running job is doing: ranges, events, rate, ETA, busy workers, failures.
import { RangeState } from '../journal/replay.js';
import type { YodaState } from './state.js';

/** Formats seconds as H:MM:SS (or M:SS). */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** The progress of a run at `now`, in one line. */
export function progressLine(s: YodaState, now: number): string {
  const k = s.counts;
  const e = s.events;
  const elapsed = (now - s.startedAt) / 1000;
  const rate = elapsed > 0 ? e.doneThisRun / elapsed : 0;
  const eta = rate > 0 ? duration((e.total - e.done) / rate) : '?';
  let slots = 0;
  for (const d of s.droids.values()) if (!d.gone) slots += d.slots;
  const busy = Math.min(k.assigned, slots);
  // Ranges that failed at least once and are back in ready: they wait for another attempt.
  const failing = s.failures.reduce((n, f, i) => n + (f > 0 && s.rangeState[i] === RangeState.ready ? 1 : 0), 0);
  const pct = e.total > 0 ? ((100 * e.done) / e.total).toFixed(1) : '100';
  return (
    `${k.done}/${s.plan.total} ranges, ${e.done}/${e.total} events (${pct}%), ${rate.toFixed(1)} events/s, ETA ${eta}, ` +
    `${busy}/${slots} workers busy, ${failing} awaiting retry, ${k.fatal} fatal, elapsed ${duration(elapsed)}`
  );
}
