// Renders the report model as one self-contained HTML page.
//
// Why SVG generated here rather than a charting library: the page must open from a shared filesystem or a
// laptop with no network (nothing fetched, no CDN, no script at all: hover texts are SVG <title>s); a library
// inlined into every report would outweigh the data of a small job; and string-built SVG is deterministic
// (the same journal gives the same bytes, apart from the generation time), so it is easy to test and diff.
// Large jobs stay light because lanes/bins bound what is drawn (merged segments, ~120 time bins).
import { ganttSvg, MAX_FAIL_BARS } from './gantt.js';
import type { ReportModel } from './model.js';
import { timeScale } from './scale.js';
import { seriesSvg, standardSeries } from './series.js';
import { REPORT_CSS } from './style.js';
import { count, esc, pct, stamp } from './svg.js';
import { failuresTable, nodesTable, paramsTable, runsTable } from './tables.js';
import { allocationsSection } from './allocations.js';
import { formatDuration } from './time-axis.js';

/** Total width of every chart (the width of a section's content, see style.ts), and the left margin (worker labels, y ticks) they share so times line up. */
const CHART_WIDTH = 1098;
const LEFT = 112;
const RIGHT = 16;

function card(k: string, v: string, cls = ''): string {
  return `<div class="card ${cls}"><div class="k">${k}</div><div class="v">${v}</div></div>`;
}

function cards(m: ReportModel): string {
  const t = m.totals;
  const j = m.job;
  const allDone = t.rangesDone === j.totalRanges;
  return `<div class="cards">${[
    card('ranges done', `${count(t.rangesDone)} <small>/ ${count(j.totalRanges)}</small>`, allDone ? 'good' : ''),
    card('events done', `${count(t.eventsDone)} <small>/ ${count(j.totalEvents)}</small>`),
    card('fatal ranges', count(t.fatal), t.fatal > 0 ? 'bad' : 'good'),
    card('failed attempts', count(t.failedAttempts), t.failedAttempts > 0 ? 'warn' : ''),
    card('utilization', pct(t.utilization)),
    ...(m.prefetch ? [card('waited for input', esc(formatDuration(m.prefetch.total.workerWaitSeconds)))] : []),
    card('active time', esc(formatDuration(t.activeSeconds))),
    card('mean range time', esc(formatDuration(t.meanRangeSeconds))),
    card('workers', count(t.workers)),
    card('nodes', count(m.nodes.length)),
    card('runs', count(t.runs)),
  ].join('')}</div>`;
}

function legend(m: ReportModel): string {
  const has = (p: (b: ReportModel['lanes'][number]) => boolean) => m.lanes.some(p);
  const items: [string, string][] = [];
  if (has((l) => l.bars.some((b) => b.attempt === 1 && !b.duplicate))) items.push(['done', 'done (first attempt)']);
  if (has((l) => l.segments.length > 0)) items.push(['seg', 'busy (merged ranges)']);
  if (has((l) => l.bars.some((b) => b.attempt > 1 && !b.duplicate))) items.push(['retry', 'done on a retry']);
  if (has((l) => l.bars.some((b) => !!b.duplicate))) items.push(['dup', 'duplicate (discarded)']);
  if (has((l) => l.failed.some((b) => !b.fatal))) items.push(['fail', 'failed attempt']);
  if (has((l) => l.failed.some((b) => !!b.fatal))) items.push(['fatal', 'failed, last attempt (fatal)']);
  const since = m.runs[0] ? `<span class="axis-hint">x axis: time since ${esc(stamp(m.runs[0].start))}</span>` : '';
  return `<div class="legend">${items.map(([c, t]) => `<span><i class="${c}"></i>${t}</span>`).join('')}${since}</div>`;
}

function timelineNotes(m: ReportModel): string {
  const notes: string[] = [];
  if (m.mergeNote) notes.push(esc(m.mergeNote));
  if (m.failures.length > MAX_FAIL_BARS)
    notes.push(`Only the first ${count(MAX_FAIL_BARS)} of ${count(m.failures.length)} failed attempts are drawn.`);
  if (m.axis.length > 1) notes.push('Shaded breaks are times when no allocation ran; they are not drawn to scale.');
  return notes.map((n) => `<p class="note">${n}</p>`).join('');
}

/** The whole HTML page of a report; `jsonName` names the JSON file written beside it. */
export function renderReportHtml(m: ReportModel, jsonName = 'report.json'): string {
  const origin = m.axis[0]?.start ?? 0;
  const scale = timeScale(m.axis, LEFT, CHART_WIDTH - LEFT - RIGHT, origin);
  const s = standardSeries();
  const t = m.totals;
  const outcomeCls = t.outcome.startsWith('complete')
    ? 'good'
    : t.outcome === 'fatal' || t.outcome === 'failed'
      ? 'bad'
      : 'warn';
  const started = m.runs[0] ? `first run started ${stamp(m.runs[0].start)}` : 'not run yet';
  const chart = (title: string, svg: string) =>
    `${title ? `<div class="chart-title">${title}</div>` : ''}<div class="scroll">${svg}</div>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Yoda report: ${esc(m.job.name)}</title><style>${REPORT_CSS}</style></head>
<body><main>
<header><h1>Job ${esc(m.job.name)} <span class="badge ${outcomeCls}">${esc(t.outcome)}</span></h1>
<div class="sub">${esc(started)} · work directory <code>${esc(m.job.workdir)}</code> · report generated ${esc(stamp(m.generatedAt))}</div></header>
${cards(m)}
<section id="timeline"><h2>Timeline per worker <span class="dim">one row per worker (node · slot); hover a bar for range, attempt, time, outputs</span></h2>
${legend(m)}${timelineNotes(m)}
<div class="scroll">${ganttSvg(m, scale, CHART_WIDTH)}</div></section>
<section id="utilization"><h2>Core utilization <span class="dim">busy worker time / worker time of the running allocations, per ${esc(formatDuration(m.binSeconds))} bin</span></h2>
${chart('', seriesSvg(m.bins, scale, CHART_WIDTH, s.utilization, origin))}</section>
<section id="throughput"><h2>Throughput <span class="dim">ranges finished per bin, divided by the bin's length</span></h2>
${chart('events / s', seriesSvg(m.bins, scale, CHART_WIDTH, s.events, origin))}
${chart('ranges / s', seriesSvg(m.bins, scale, CHART_WIDTH, s.ranges, origin))}</section>
<section id="failures"><h2>Failures <span class="dim">${count(t.failedAttempts)} failed attempt(s), ${count(t.fatal)} fatal range(s)</span></h2>${failuresTable(m)}</section>
<section id="nodes"><h2>Nodes</h2>${nodesTable(m)}</section>
<section id="runs"><h2>Runs <span class="dim">one per allocation (yoda run) on this work directory</span></h2>${runsTable(m)}</section>
${allocationsSection(m)}
<section id="job"><h2>Job parameters</h2>${paramsTable(m)}</section>
<footer>Made by <code>yoda report</code>. Time axes show the time since the first run started. The same numbers are in ${esc(jsonName)} next to this page. All times are UTC.</footer>
</main></body></html>
`;
}
