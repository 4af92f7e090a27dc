// Maps times to x pixels over the axis pieces (with a fixed-width break for every collapsed gap), and picks ticks.
import { activeMs, formatElapsed, lastAtOrBefore, niceSeconds, type AxisPiece } from './time-axis.js';

/** Width in pixels of the break drawn for a collapsed gap. */
export const GAP_PX = 18;

/** A time-to-pixel mapping shared by every chart, so they line up vertically. */
export interface TimeScale {
  x(t: number): number;
  /** Left edge and width of the plot area. */
  left: number;
  width: number;
  /** Pixel ranges of the collapsed gaps, with their real length in seconds. */
  gaps: { x0: number; x1: number; seconds: number }[];
  ticks: { x: number; label: string }[];
}

/** The scale for `pieces` drawn from `left` over `width` pixels; tick labels are elapsed time since `origin`. */
export function timeScale(pieces: AxisPiece[], left: number, width: number, origin: number): TimeScale {
  const ps = pieces.length > 0 ? pieces : [{ start: origin, end: origin + 1000 }];
  const total = Math.max(1, activeMs(ps));
  const usable = Math.max(50, width - GAP_PX * (ps.length - 1));
  const offsets: number[] = [];
  const starts = ps.map((p) => p.start);
  let acc = left;
  for (const p of ps) {
    offsets.push(acc);
    acc += ((p.end - p.start) / total) * usable + GAP_PX;
  }
  const x = (t: number): number => {
    // The last piece starting at or before t (pieces are sorted); times in a gap snap to the piece's end.
    const lo = lastAtOrBefore(starts, t);
    const p = ps[lo];
    const c = Math.min(Math.max(t, p.start), p.end);
    return offsets[lo] + ((c - p.start) / total) * usable;
  };
  const gaps = ps.slice(1).map((p, k) => ({ x0: x(ps[k].end), x1: x(p.start), seconds: (p.start - ps[k].end) / 1000 }));
  const step = niceSeconds(total / 1000 / Math.max(2, Math.floor(usable / 110)));
  const span = (ps[ps.length - 1].end - origin) / 1000;
  const right = left + width;
  const ticks: { x: number; label: string }[] = [];
  for (const p of ps) {
    for (let k = Math.ceil((p.start - origin) / 1000 / step - 1e-9); origin + k * step * 1000 <= p.end + 1e-6; k++) {
      const s = k * step;
      const tx = x(origin + s * 1000);
      // Labels need room: skip a tick too close to the previous one or to the right edge.
      if ((ticks.length === 0 || tx - ticks[ticks.length - 1].x >= 64) && tx <= right - 24)
        ticks.push({ x: tx, label: formatElapsed(s, step, span) });
    }
  }
  return { x, left, width, gaps, ticks };
}
