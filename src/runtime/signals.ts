// Signals of a batch system: the first USR1/TERM/INT drains, the next one stops at once.
import type { Logger } from 'pino';
import { EXIT } from '../util/errors.js';

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGUSR1'];

// A stop signal that arrived while `yoda run` was starting (before onStopSignals took over), and its holder.
let held: NodeJS.Signals | null = null;
let holder: ((sig: NodeJS.Signals) => void) | null = null;
const startup = new AbortController();

/** From the first moment of `yoda run`: a stop signal is recorded (and aborts startup work) instead of killing the process. */
export function holdStopSignals(): AbortSignal {
  if (holder) return startup.signal;
  holder = (sig) => {
    if (held !== null) {
      process.stderr.write(`yoda: received ${sig} again while starting: stopping now\n`);
      process.exit(EXIT.stopped);
    }
    process.stderr.write(`yoda: received ${sig} while starting: stopping before the job runs\n`);
    held = sig;
    startup.abort(sig);
  };
  for (const s of SIGNALS) process.on(s, holder);
  return startup.signal;
}

/** The stop signal received while starting, or null. */
export function stopAskedWhileStarting(): NodeJS.Signals | null {
  return held;
}

/** Aborted when a stop signal arrives while starting (e.g. to kill an event-counting command). */
export const startupSignal: AbortSignal = startup.signal;

/** Calls `drain(reason, grace)` on the first signal and `drain(reason, 0)` on later ones; returns an uninstaller. */
export function onStopSignals(
  graceSeconds: number,
  log: Logger,
  drain: (reason: string, grace: number) => void,
): () => void {
  let count = 0;
  const handler = (sig: NodeJS.Signals) => {
    count += 1;
    const grace = count === 1 ? graceSeconds : 0;
    log.warn(`received ${sig}: ${count === 1 ? `draining, in-flight ranges have ${grace} s` : 'stopping now'}`);
    drain(`received ${sig}`, grace);
  };
  for (const s of SIGNALS) process.on(s, handler);
  if (holder) for (const s of SIGNALS) process.off(s, holder);
  holder = null;
  if (held) handler(held);
  return () => {
    for (const s of SIGNALS) process.off(s, handler);
  };
}
