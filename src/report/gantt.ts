// The per-worker timeline (Gantt) as SVG: a row per worker, a bar per range attempt, breaks for collapsed gaps.
import type { ReportBar, ReportLane, ReportModel } from './model.js';
import type { TimeScale } from './scale.js';
import { esc, px, stamp } from './svg.js';
import { formatDuration } from './time-axis.js';

/** At most this many failed attempts are drawn (all of them are in report.json). */
export const MAX_FAIL_BARS = 5000;

const TOP = 18;
const AXIS = 26;

function rowHeight(lanes: number): number {
  return lanes <= 24 ? 24 : Math.max(3, Math.min(24, Math.floor(600 / lanes)));
}

function barTitle(b: ReportBar, origin: number): string {
  const when = `${formatDuration(b.end / 1000 - b.start / 1000)}, from +${formatDuration((b.start - origin) / 1000)} (${stamp(b.start)})`;
  const where = `${b.node} slot ${b.slot}, run ${b.run}`;
  if (!b.ok) {
    const head = b.fatal ? 'FAILED (fatal, last attempt)' : 'FAILED';
    return `${b.id} ${head}, attempt ${b.attempt}\n${b.code}: ${b.msg}\n${when}\n${where}`;
  }
  const dup = b.duplicate ? ' DUPLICATE (output discarded)' : '';
  const cpu = b.cpu === null ? ', CPU not measured' : b.cpu !== undefined ? `, CPU ${formatDuration(b.cpu)}` : '';
  const out =
    (b.out ?? []).slice(0, 4).join('\n  ') + ((b.out?.length ?? 0) > 4 ? `\n  ... ${b.out!.length - 4} more` : '');
  return `${b.id}${dup}, attempt ${b.attempt}, ${b.events} events\n${when}${cpu}\n${where}\noutputs:\n  ${out}`;
}

function barClass(b: ReportBar): string {
  if (!b.ok) return b.fatal ? 'bar fatal' : 'bar fail';
  if (b.duplicate) return 'bar dup';
  return b.attempt > 1 ? 'bar retry' : 'bar done';
}

function rect(cls: string, x0: number, x1: number, y: number, h: number, minW: number, title: string): string {
  const w = Math.max(minW, x1 - x0);
  const x = x1 - x0 < minW ? (x0 + x1) / 2 - minW / 2 : x0;
  return `<rect class="${cls}" x="${px(x)}" y="${px(y)}" width="${px(w)}" height="${px(h)}"><title>${esc(title)}</title></rect>`;
}

/** Row labels: "node · slot" on every row when rows are tall enough, else the node name centred on its rows. */
function laneLabels(lanes: ReportLane[], rowH: number): { row: number; text: string }[] {
  if (rowH >= 11) return lanes.map((l, k) => ({ row: k + 0.5, text: `${l.node} · ${l.slot}` }));
  const out: { row: number; text: string }[] = [];
  let first = 0;
  lanes.forEach((l, k) => {
    if (lanes[k + 1]?.node === l.node) return;
    if ((k + 1 - first) * rowH >= 11) out.push({ row: (first + k + 1) / 2, text: l.node });
    first = k + 1;
  });
  return out;
}

/** The timeline SVG, `width` pixels wide, with times placed by `scale`. */
export function ganttSvg(m: ReportModel, scale: TimeScale, width: number): string {
  const rowH = rowHeight(m.lanes.length);
  const barH = rowH >= 8 ? rowH - 6 : rowH - 1;
  const height = TOP + m.lanes.length * rowH + AXIS;
  const bottom = TOP + m.lanes.length * rowH;
  const origin = m.axis[0]?.start ?? 0;
  const parts: string[] = [];
  // Rows: shaded per node (alternating), labels on the left.
  let shade = false;
  m.lanes.forEach((lane, k) => {
    if (m.lanes[k - 1]?.node !== lane.node) shade = !shade;
    if (shade)
      parts.push(`<rect class="row-shade" x="0" y="${px(TOP + k * rowH)}" width="${width}" height="${rowH}"/>`);
  });
  for (const l of laneLabels(m.lanes, rowH)) {
    const lane = m.lanes[Math.floor(l.row)];
    const busy =
      rowH >= 11
        ? `${lane.node} slot ${lane.slot}: ${lane.ranges} ranges, busy ${formatDuration(lane.busySeconds)}, ${lane.failed.length} failed attempt(s)`
        : lane.node;
    parts.push(
      `<text class="lane-label" x="${scale.left - 8}" y="${px(TOP + l.row * rowH + 4)}" text-anchor="end"><title>${esc(busy)}</title>${esc(l.text)}</text>`,
    );
  }
  // Grid, run starts and collapsed gaps, under the bars.
  for (const t of scale.ticks)
    parts.push(`<line class="grid" x1="${px(t.x)}" x2="${px(t.x)}" y1="${TOP}" y2="${bottom}"/>`);
  for (const r of m.runs) {
    const x = scale.x(r.start);
    parts.push(`<line class="run-line" x1="${px(x)}" x2="${px(x)}" y1="${TOP - 14}" y2="${bottom}"/>`);
    parts.push(
      `<text class="run-label" x="${px(x + 3)}" y="${TOP - 5}">run ${r.run}<title>run ${r.run} on ${esc(r.host)}, started ${stamp(r.start)}</title></text>`,
    );
  }
  for (const g of scale.gaps)
    parts.push(
      `<rect class="gap" x="${px(g.x0)}" y="${TOP}" width="${px(g.x1 - g.x0)}" height="${bottom - TOP}"><title>${esc(`no allocation running for ${formatDuration(g.seconds)} (gap not to scale)`)}</title></rect>`,
    );
  // Bars: done ranges (or merged segments), then failed attempts on top.
  let failDrawn = 0;
  m.lanes.forEach((lane, k) => {
    const y = TOP + k * rowH + (rowH - barH) / 2;
    for (const b of lane.bars)
      parts.push(rect(barClass(b), scale.x(b.start), scale.x(b.end), y, barH, 0.6, barTitle(b, origin)));
    for (const s of lane.segments) {
      const title = `${lane.node} slot ${lane.slot}: busy ${formatDuration((s.end - s.start) / 1000)} from ${stamp(s.start)}, ${s.ranges} ranges (merged)`;
      parts.push(rect('bar seg', scale.x(s.start), scale.x(s.end), y, barH, 0.6, title));
    }
    for (const b of lane.failed) {
      if (failDrawn++ >= MAX_FAIL_BARS) break;
      parts.push(rect(barClass(b), scale.x(b.start), scale.x(b.end), y - 2, barH + 4, 5, barTitle(b, origin)));
    }
  });
  // Time axis.
  parts.push(`<line class="axis" x1="${scale.left}" x2="${scale.left + scale.width}" y1="${bottom}" y2="${bottom}"/>`);
  for (const t of scale.ticks) {
    parts.push(`<line class="axis" x1="${px(t.x)}" x2="${px(t.x)}" y1="${bottom}" y2="${bottom + 4}"/>`);
    parts.push(`<text class="tick" x="${px(t.x)}" y="${bottom + 17}" text-anchor="middle">${esc(t.label)}</text>`);
  }
  return `<svg class="chart gantt${rowH < 8 ? ' dense' : ''}" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="timeline of ranges per worker">${parts.join('')}</svg>`;
}
