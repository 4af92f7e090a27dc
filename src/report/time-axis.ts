// The report's time axis: the spans when something ran, with long idle gaps between allocations collapsed.

/** A span of time drawn on the axis (ms since the epoch). */
export interface AxisPiece {
  start: number;
  end: number;
}

/** Gaps shorter than this are drawn to scale, whatever the job's length. */
const MIN_COLLAPSED_GAP_MS = 60_000;

/**
 * Merges busy intervals into the pieces of the axis. A gap is collapsed (drawn as a break) when it is
 * longer than a minute and than 5% of the time covered, so a job spread over several allocations
 * (hours of queueing in between) stays readable.
 */
export function axisPieces(intervals: AxisPiece[]): AxisPiece[] {
  const sorted = intervals
    .filter((p) => Number.isFinite(p.start) && Number.isFinite(p.end))
    .map((p) => ({ start: p.start, end: Math.max(p.start, p.end) }));
  sorted.sort((a, b) => a.start - b.start);
  const merged: AxisPiece[] = [];
  for (const p of sorted) {
    const last = merged[merged.length - 1];
    if (last && p.start <= last.end) last.end = Math.max(last.end, p.end);
    else merged.push({ ...p });
  }
  const covered = merged.reduce((s, p) => s + (p.end - p.start), 0);
  const minGap = Math.max(MIN_COLLAPSED_GAP_MS, 0.05 * covered);
  const pieces: AxisPiece[] = [];
  for (const p of merged) {
    const last = pieces[pieces.length - 1];
    if (last && p.start - last.end <= minGap) last.end = p.end;
    else pieces.push({ ...p });
  }
  return pieces;
}

/** The index of the last of the sorted `starts` at or before `t`; 0 when `t` precedes them all (or none exist). */
export function lastAtOrBefore(starts: ArrayLike<number>, t: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= t) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Milliseconds covered by the pieces (gaps excluded). */
export function activeMs(pieces: AxisPiece[]): number {
  return pieces.reduce((s, p) => s + (p.end - p.start), 0);
}

const NICE_SECONDS = [
  0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200,
  10800, 21600, 43200, 86400,
];

/** The smallest "round" duration (1, 2, 5, 10, 15, 30 s, 1, 2, 5 min ...) of at least `seconds`. */
export function niceSeconds(seconds: number): number {
  for (const s of NICE_SECONDS) if (s >= seconds) return s;
  return Math.ceil(seconds / 86400) * 86400;
}

/** Formats a duration in seconds for people: "2.1 ms", "250 ms", "4.25 s", "42 s", "3 min 5 s", "2 h 10 min". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '-';
  if (seconds === 0) return '0 s';
  // Rounding must not carry a value up to the next unit's "1000 ms" or "60 min 0 s": it then takes that unit.
  const ms = +(seconds * 1000).toPrecision(seconds < 0.001 ? 2 : 3);
  if (seconds < 1 && ms < 1000) return `${ms} ms`;
  if (seconds < 10) return `${+seconds.toFixed(2)} s`;
  if (seconds < 120) return `${Math.round(seconds)} s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  const m = Math.round(seconds / 60);
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/**
 * Formats an elapsed time for an axis tick, `step` seconds apart, on an axis spanning `span` seconds:
 * "0.4 s" and "35 s" on axes under a minute, else clock style "1:30", "1:00:25", "26:00 h" consistently.
 */
export function formatElapsed(seconds: number, step: number, span: number): string {
  const digits = step >= 1 ? 0 : step >= 0.1 ? 1 : step >= 0.01 ? 2 : 3;
  if (span < 60) return `${+seconds.toFixed(digits)} s`;
  const whole = Math.floor(seconds + 1e-9);
  const h = Math.floor(whole / 3600);
  const mm = String(Math.floor((whole % 3600) / 60)).padStart(2, '0');
  const sec = (seconds - Math.floor(seconds / 60) * 60).toFixed(digits);
  const ss = sec.padStart(digits ? 3 + digits : 2, '0');
  if (span < 3600) return `${Math.floor(whole / 60)}:${ss}`;
  return step >= 60 ? `${h}:${mm} h` : `${h}:${mm}:${ss}`;
}
