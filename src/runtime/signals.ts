// Signals of a batch system: the first USR1/TERM/INT drains, the next one stops at once.
import type { Logger } from 'pino';

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGUSR1'];

/** Calls `drain(reason, grace)` on the first signal and `drain(reason, 0)` on later ones; returns an uninstaller. */
export function onStopSignals(graceSeconds: number, log: Logger, drain: (reason: string, grace: number) => void): () => void {
  let count = 0;
  const handler = (sig: NodeJS.Signals) => {
    count += 1;
    const grace = count === 1 ? graceSeconds : 0;
    log.warn(`received ${sig}: ${count === 1 ? `draining, in-flight ranges have ${grace} s` : 'stopping now'}`);
    drain(`received ${sig}`, grace);
  };
  for (const s of SIGNALS) process.on(s, handler);
  return () => {
    for (const s of SIGNALS) process.off(s, handler);
  };
}
