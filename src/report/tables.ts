// The report's HTML tables: failures, nodes, runs (allocations) and the job's parameters.
import type { ReportModel } from './model.js';
import { count, esc, pct, stamp } from './svg.js';
import { formatDuration } from './time-axis.js';

/** At most this many failures are listed in the page (fatal ones first); report.json has them all. */
const MAX_FAILURE_ROWS = 500;

function table(head: string[], rows: string[][], cls = ''): string {
  const th = head.map((h) => `<th>${h}</th>`).join('');
  const body = rows
    .map(
      (r) =>
        `<tr${r.length > head.length ? ` class="${r[head.length]}"` : ''}>${r
          .slice(0, head.length)
          .map((c) => `<td>${c}</td>`)
          .join('')}</tr>`,
    )
    .join('');
  return `<table class="${cls}"><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>`;
}

/** Failed attempts: range, attempt, node, code, message; fatal ones marked and listed first. */
export function failuresTable(m: ReportModel): string {
  if (m.failures.length === 0) return '<p class="ok-note">No range attempt failed.</p>';
  const origin = m.axis[0]?.start ?? 0;
  const sorted = [...m.failures].sort((a, b) => Number(!!b.fatal) - Number(!!a.fatal) || a.start - b.start);
  const rows = sorted
    .slice(0, MAX_FAILURE_ROWS)
    .map((f) => [
      `<code>${esc(f.id)}</code>`,
      String(f.attempt),
      `${esc(f.node)} · ${f.slot}`,
      `+${esc(formatDuration((f.start - origin) / 1000))}`,
      `<code>${esc(f.code ?? '')}</code>`,
      `<span class="msg">${esc(f.msg ?? '')}</span>`,
      f.fatal ? '<span class="badge bad">fatal</span>' : '<span class="badge warn">retried</span>',
      f.fatal ? 'fatal-row' : '',
    ]);
  const more =
    sorted.length > MAX_FAILURE_ROWS
      ? `<p class="note">${count(sorted.length - MAX_FAILURE_ROWS)} more failures are listed in the JSON file beside this page.</p>`
      : '';
  return table(['range', 'attempt', 'worker', 'at', 'code', 'message', ''], rows, 'failures') + more;
}

/** Per node: workers, ranges, events, busy and CPU time, failed attempts; with remote inputs, time waiting for them. */
export function nodesTable(m: ReportModel): string {
  if (m.nodes.length === 0) return '<p class="note">No range ran yet.</p>';
  const waits = new Map(m.prefetch?.nodes.map((p) => [p.node, p]) ?? []);
  const rows = m.nodes.map((n) => [
    esc(n.node),
    String(n.workers),
    count(n.ranges),
    count(n.events),
    esc(formatDuration(n.busySeconds)),
    esc(formatDuration(n.cpuSeconds)),
    n.failures ? `<span class="badge warn">${n.failures}</span>` : '0',
    ...(m.prefetch ? [esc(formatDuration(waits.get(n.node)?.workerWaitSeconds ?? 0))] : []),
  ]);
  const head = ['node', 'workers', 'ranges done', 'events', 'busy time', 'payload CPU', 'failed attempts'];
  return table(m.prefetch ? [...head, 'waited for input'] : head, rows, 'num');
}

/** One row per `yoda run` on the work directory: when, where, how it ended. */
export function runsTable(m: ReportModel): string {
  if (m.runs.length === 0) return '<p class="note">The job has not run yet.</p>';
  const rows = m.runs.map((r) => {
    const outcome = r.outcome
      ? `<span class="badge ${r.outcome === 'complete' ? 'good' : r.outcome === 'drained' || r.outcome === 'interrupted' ? 'warn' : 'bad'}">${r.outcome}</span>`
      : '<span class="badge warn">no end record</span> killed, or still running';
    return [
      String(r.run),
      `${esc(r.host)} <span class="dim">pid ${r.pid}</span>`,
      esc(stamp(r.start)),
      r.ended ? esc(stamp(r.end)) : `<span class="dim">last activity ${esc(stamp(r.end))}</span>`,
      esc(formatDuration((r.end - r.start) / 1000)),
      outcome,
      r.exit === null ? '-' : String(r.exit),
      String(r.workers),
      count(r.ranges),
      String(r.failures),
    ];
  });
  return table(
    ['run', 'Yoda host', 'started', 'ended', 'duration', 'outcome', 'exit', 'workers', 'ranges done', 'failures'],
    rows,
    'num',
  );
}

/** The job's key parameters, then job.json's spec in full. */
export function paramsTable(m: ReportModel): string {
  const j = m.job;
  const p = j.spec.payload;
  const cmd = Array.isArray(p.command) ? p.command.join(' ') : p.command;
  const rows: [string, string][] = [
    ['job', `<b>${esc(j.name)}</b> <span class="dim">hash ${esc(j.hash)}</span>`],
    ['job file', `<code>${esc(j.jobFile)}</code>`],
    ['work directory', `<code>${esc(j.workdir)}</code>`],
    ['outputs', `<code>${esc(j.outputDir)}</code>`],
    [
      'inputs',
      `${count(j.inputFiles)} file(s), ${count(j.totalEvents)} events, ${count(j.totalRanges)} ranges of ${count(j.eventsPerRange)} events`,
    ],
    [
      'payload',
      `<code>${esc(cmd)}</code> <span class="dim">(${esc(p.mode)} mode, ${p.slots ? `slots ${esc(p.slots.map((x) => `${x.count ?? 'fill'} x ${x.cores}`).join(' + '))}` : `${p.coresPerWorker} core(s) per worker`}${p.workers ? `, ${p.workers} workers` : ''})</span>`,
    ],
    ['max attempts', String(j.spec.maxAttempts)],
    ['created', esc(stamp(j.created))],
    ['utilization', `${pct(m.totals.utilization)} of the worker time the allocations offered`],
  ];
  const body = rows.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('');
  return (
    `<table class="params">${body}</table><details open><summary>job.json spec</summary><pre>${esc(JSON.stringify(j.spec, null, 2))}</pre></details>` +
    `<p class="note">Mean range time ${esc(formatDuration(m.totals.meanRangeSeconds))}, payload CPU ${esc(formatDuration(m.totals.cpuSeconds))} in total${m.totals.cpuNotMeasured > 0 ? ` (${m.totals.cpuNotMeasured} ranges not measured)` : ''}; charts use ${esc(formatDuration(m.binSeconds))} bins.</p>`
  );
}
