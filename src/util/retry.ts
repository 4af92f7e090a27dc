// Tries with exponential backoff, for the shells that copy and run things beside Yoda and the Droids (stage-out,
// merge, stage-in): one home for the attempt loop, its waits and its stop.

/** The first wait between two attempts (doubled each time, at most 60 s); YODA_STAGE_BACKOFF_MS sets it (tests). */
export function backoffMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.YODA_STAGE_BACKOFF_MS);
  return Number.isFinite(v) && v >= 0 && env.YODA_STAGE_BACKOFF_MS !== '' ? v : 2000;
}
const MAX_BACKOFF_MS = 60_000;

/** Resolves after `ms`, or at once when `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}

/** Thrown by withRetries when `signal` aborted: the caller reports nothing. */
export class Stopped extends Error {}

/**
 * Runs `attempt(k)` for k = 1..`attempts` until one resolves, waiting `backoff` ms, then twice that, ... (at most 60 s)
 * between them and telling `onRetry` first. Throws the last error, or Stopped once `signal` aborts.
 */
export async function withRetries<T>(
  o: { attempts: number; backoff: number; signal: AbortSignal },
  attempt: (k: number) => Promise<T>,
  onRetry: (k: number, message: string, waitMs: number) => void,
): Promise<T> {
  for (let k = 1; ; k++) {
    if (o.signal.aborted) throw new Stopped();
    try {
      return await attempt(k);
    } catch (e) {
      if (o.signal.aborted) throw new Stopped();
      if (k >= o.attempts) throw e;
      const wait = Math.min(MAX_BACKOFF_MS, o.backoff * 2 ** (k - 1));
      onRetry(k, (e as Error).message, wait);
      await pause(wait, o.signal);
    }
  }
}
