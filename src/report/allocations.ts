// The report's allocations section: every allocation (launch) the job ran in, from the same fold as `yoda status`.
import { takeoversOf, type AllocationInfo } from '../status/allocations.js';
import type { ReportModel } from './model.js';
import { count, esc, stamp } from './svg.js';
import { formatDuration } from './time-axis.js';

function yodaCell(a: AllocationInfo): string {
  if (a.yoda.length === 0) return '<span class="dim">Droids only</span>';
  return a.yoda
    .map(
      (y) =>
        `epoch ${y.epoch}${y.takeover ? ' <span class="badge warn">took over</span>' : ''} <span class="dim">run ${y.run} on ${esc(y.host)}${y.exitCode === null ? '' : `, exit ${y.exitCode}`}</span>`,
    )
    .join('<br>');
}

/** One row per allocation: launch id, nodes, slots, joined, left, which held Yoda (epoch, take-over), ranges done. */
export function allocationsSection(m: ReportModel): string {
  const all = m.allocations ?? [];
  const head = [
    'allocation',
    'nodes',
    'Droids',
    'slots',
    'joined',
    'left',
    'time in',
    'Yoda',
    'ranges done',
    'lost Droids',
  ];
  const title = `<h2>Allocations <span class="dim">every batch allocation (launch) that worked on this job; ${takeoversOf(all)} take-over(s) of Yoda</span></h2>`;
  if (all.length === 0)
    return `<section id="allocations">${title}<p class="note">The job has not run yet.</p></section>`;
  const rows = all.map((a) => {
    const end = a.leftAt ? Date.parse(a.leftAt) : null;
    return [
      `<code>${esc(a.launch ?? 'local')}</code>`,
      esc(a.nodes.join(', ') || '-'),
      String(a.droids),
      a.slots ? count(a.slots) : '-',
      esc(stamp(a.joinedAt)),
      end === null ? '<span class="badge good">still in</span>' : esc(stamp(a.leftAt!)),
      end === null ? '-' : esc(formatDuration((end - Date.parse(a.joinedAt)) / 1000)),
      yodaCell(a),
      count(a.rangesDone),
      a.lost ? `<span class="badge warn">${a.lost}</span>` : '0',
    ];
  });
  const th = head.map((h) => `<th>${h}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('');
  return `<section id="allocations">${title}<table class="num"><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table></section>`;
}
