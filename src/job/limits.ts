// How large a job Yoda accepts: checked before anything is written, and again when job.json is read.

/** At most this many events in one input file. */
export const MAX_EVENTS_PER_FILE = 1e12;

/** At most this many ranges in one job (Yoda keeps a few bytes of state per range; 10 million is about 2 GB). */
export const MAX_RANGES = 10_000_000;

/** Why a job of these files and range size is too large to hold (naming the limit), or null when it fits. */
export function checkJobSize(
  files: readonly { path: string; events: number }[],
  eventsPerRange: number,
): string | null {
  if (!Number.isSafeInteger(eventsPerRange) || eventsPerRange < 1)
    return `eventsPerRange ${eventsPerRange} is not a positive whole number`;
  let ranges = 0;
  for (const f of files) {
    if (!Number.isSafeInteger(f.events) || f.events < 1 || f.events > MAX_EVENTS_PER_FILE) {
      return `input file ${f.path} holds ${f.events} events; at most ${MAX_EVENTS_PER_FILE} per file are accepted`;
    }
    ranges += Math.ceil(f.events / eventsPerRange);
  }
  if (ranges > MAX_RANGES)
    return `${ranges} ranges of ${eventsPerRange} events; at most ${MAX_RANGES} ranges per job are accepted`;
  return null;
}
