// A Droid judging Yoda's silence: a while without a word from Yoda, then long enough to give up; and forgiving the
// silence of a time this Droid itself did not run. Pure.
import type { DroidEffect } from './effects.js';
import type { DroidState } from './state.js';

/**
 * This Droid did not run for `pausedMs` (SIGSTOP, a starved node): Yoda's silence in that time is not Yoda's. Yoda gets
 * the paused time back, so its queued messages are read before its silence is judged.
 */
export function forgiveYodaPause(s: DroidState, pausedMs: number, now: number): DroidEffect[] {
  s.lastHeardFromYoda = Math.min(now, s.lastHeardFromYoda + pausedMs);
  return [
    {
      type: 'log',
      level: 'warn',
      msg: `this Droid did not run for ${(pausedMs / 1000).toFixed(1)} s (stopped or starved): Yoda gets that time back before its silence is judged`,
    },
  ];
}

/**
 * Yoda silent: after yodaTimeout nothing new is asked for (workers finish what they hold); after yodaGiveUp, the Droid
 * stops with an error: returns true when it must stop now.
 */
export function checkYoda(s: DroidState, now: number, out: DroidEffect[]): boolean {
  const c = s.config;
  const silent = now - s.lastHeardFromYoda;
  if (s.error) return false;
  if (s.phase === 'connecting' && silent > c.yodaGiveUpSeconds * 1000) {
    s.error = `no answer from Yoda within ${c.yodaGiveUpSeconds} s`;
  } else if (s.phase !== 'connecting' && silent > c.yodaGiveUpSeconds * 1000) {
    s.error = `lost Yoda: silent for ${c.yodaGiveUpSeconds} s`;
  } else {
    if (silent > c.yodaTimeoutSeconds * 1000 && !s.yodaSilent) {
      s.yodaSilent = true;
      out.push({
        type: 'log',
        level: 'warn',
        msg: `Yoda silent for ${c.yodaTimeoutSeconds} s: workers finish what they hold; waiting for Yoda up to ${c.yodaGiveUpSeconds} s`,
      });
    }
    return false;
  }
  out.push({ type: 'log', level: 'error', msg: `${s.error}: stopping this Droid's workers and exiting` });
  return true;
}
