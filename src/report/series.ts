// Step charts over the time bins (utilization, events/s, ranges/s) as SVG, on the timeline's x scale.
import type { ReportBin } from './model.js';
import type { TimeScale } from './scale.js';
import { esc, niceMax, num, px } from './svg.js';
import { formatDuration } from './time-axis.js';

/** What one chart shows. */
export interface SeriesSpec {
  /** CSS class of the area and line (colour), and of the chart. */
  cls: string;
  value: (b: ReportBin) => number;
  /** The y axis maximum; default: a round number above the data. */
  max?: number;
  yLabel: (v: number) => string;
  /** The hover text of one bin. */
  describe: (b: ReportBin) => string;
  /** Optional dashed reference line (e.g. 100%). */
  reference?: number;
}

const TOP = 10;
const PLOT_H = 110;
const AXIS = 24;

/** One step chart `width` pixels wide; bins in different axis pieces are not joined across the break. */
export function seriesSvg(
  bins: ReportBin[],
  scale: TimeScale,
  width: number,
  spec: SeriesSpec,
  origin: number,
): string {
  const max = spec.max ?? niceMax(Math.max(0, ...bins.map(spec.value)));
  const bottom = TOP + PLOT_H;
  const y = (v: number) => bottom - (Math.min(v, max) / max) * PLOT_H;
  const parts: string[] = [];
  for (const f of [0, 0.5, 1]) {
    const yy = y(max * f);
    parts.push(
      `<line class="grid" x1="${scale.left}" x2="${scale.left + scale.width}" y1="${px(yy)}" y2="${px(yy)}"/>`,
    );
    parts.push(
      `<text class="tick" x="${scale.left - 8}" y="${px(yy + 4)}" text-anchor="end">${esc(spec.yLabel(max * f))}</text>`,
    );
  }
  if (spec.reference !== undefined) {
    parts.push(
      `<line class="ref" x1="${scale.left}" x2="${scale.left + scale.width}" y1="${px(y(spec.reference))}" y2="${px(y(spec.reference))}"/>`,
    );
  }
  for (const g of scale.gaps)
    parts.push(`<rect class="gap" x="${px(g.x0)}" y="${TOP}" width="${px(g.x1 - g.x0)}" height="${PLOT_H}"/>`);
  // Runs of adjacent bins form one polyline; a bin starting after the previous one's end starts a new run.
  let line = '';
  let area = '';
  let runStart = 0;
  let prevEnd = Number.NaN;
  let lastX = 0;
  const close = () => (area += `L${px(lastX)},${bottom}L${px(runStart)},${bottom}Z`);
  for (const b of bins) {
    const x0 = scale.x(b.start);
    const x1 = scale.x(b.start + b.seconds * 1000);
    const yy = px(y(spec.value(b)));
    if (Number.isNaN(prevEnd) || b.start > prevEnd + 1) {
      if (line) close();
      line += `M${px(x0)},${yy}`;
      area += `M${px(x0)},${bottom}L${px(x0)},${yy}`;
      runStart = x0;
    } else {
      line += `L${px(x0)},${yy}`;
      area += `L${px(x0)},${yy}`;
    }
    line += `L${px(x1)},${yy}`;
    area += `L${px(x1)},${yy}`;
    prevEnd = b.start + b.seconds * 1000;
    lastX = x1;
  }
  if (line) close();
  parts.push(`<path class="area ${spec.cls}" d="${area}"/>`, `<path class="line ${spec.cls}" d="${line}"/>`);
  // Invisible hover targets, one per bin.
  for (const b of bins) {
    const x0 = scale.x(b.start);
    const x1 = scale.x(b.start + b.seconds * 1000);
    const when = `+${formatDuration((b.start - origin) / 1000)} (${formatDuration(b.seconds)} bin)`;
    parts.push(
      `<rect class="hover" x="${px(x0)}" y="${TOP}" width="${px(Math.max(1, x1 - x0))}" height="${PLOT_H}"><title>${esc(`${when}\n${spec.describe(b)}`)}</title></rect>`,
    );
  }
  parts.push(`<line class="axis" x1="${scale.left}" x2="${scale.left + scale.width}" y1="${bottom}" y2="${bottom}"/>`);
  for (const t of scale.ticks)
    parts.push(`<text class="tick" x="${px(t.x)}" y="${bottom + 17}" text-anchor="middle">${esc(t.label)}</text>`);
  const height = bottom + AXIS;
  return `<svg class="chart series ${spec.cls}" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">${parts.join('')}</svg>`;
}

/** The three standard charts of the report. */
export function standardSeries(): Record<'utilization' | 'events' | 'ranges', SeriesSpec> {
  return {
    utilization: {
      cls: 'util',
      value: (b) => b.utilization,
      max: 1,
      reference: 1,
      yLabel: (v) => `${Math.round(v * 100)}%`,
      describe: (b) => `${(b.utilization * 100).toFixed(1)}% busy: ${num(b.busyWorkers)} of ${num(b.workers)} workers`,
    },
    events: {
      cls: 'events',
      value: (b) => b.eventsPerSecond,
      yLabel: (v) => num(v),
      describe: (b) => `${num(b.eventsPerSecond)} events/s (${b.events} events in ${b.ranges} ranges)`,
    },
    ranges: {
      cls: 'ranges',
      value: (b) => b.rangesPerSecond,
      yLabel: (v) => num(v),
      describe: (b) => `${num(b.rangesPerSecond)} ranges/s (${b.ranges} ranges finished)`,
    },
  };
}
