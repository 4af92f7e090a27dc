// Tiny helpers for writing SVG and HTML as strings: escaping, number formatting, time stamps.

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML/SVG content and attribute values. */
export function esc(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** A coordinate with at most one decimal, the way SVG wants it short. */
export function px(v: number): string {
  return String(Math.round(v * 10) / 10);
}

/** A count with thin thousands separators: 12 345. */
export function count(v: number): string {
  return Math.round(v).toLocaleString('en-US').replace(/,/g, '\u202f');
}

/** A number with about three significant digits: 0.0123, 4.56, 789, 12 345. */
export function num(v: number): string {
  if (!Number.isFinite(v)) return '-';
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1000) return count(v);
  return String(+v.toPrecision(3));
}

/** A percentage: 87.5%. */
export function pct(fraction: number): string {
  return `${+(fraction * 100).toFixed(fraction >= 0.995 || fraction === 0 ? 0 : 1)}%`;
}

/** A UTC time stamp people read: 2026-11-22 00:17:50 UTC. */
export function stamp(t: number | string): string {
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? String(t) : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** A rounded "nice" maximum for a y axis showing values up to `v` (1, 2, 2.5, 5 x 10^k). */
export function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}
