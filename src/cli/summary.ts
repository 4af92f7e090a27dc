// The lines printed when a run ends, and by `yoda status` as a table.
import type { JobStatus } from '../status/job-status.js';
import { duration } from '../yoda/progress.js';

const pct = (a: number, b: number) => (b === 0 ? '100' : ((100 * a) / b).toFixed(1));

/** A few lines a person reads at the end of a run. */
export function summaryLines(s: JobStatus, reason: string | null): string[] {
  const r = s.ranges;
  const left = r.ready + r.failed + r.assigned;
  const head = `job ${s.job.name}: ${r.done}/${r.total} ranges done (${pct(r.done, r.total)}%), ${s.events.done}/${s.events.total} events`;
  const lines = [head];
  const m = s.merge;
  if (m) lines.push(`merge: ${m.merged}/${m.groups} group(s) merged, ${m.pending} pending, ${m.failed} failed`);
  const g = s.stageOut;
  if (g)
    lines.push(
      `stage-out to ${g.destination}: ${g.staged} ${g.unit}(s) delivered (${g.bytes} bytes), ${g.pending} pending, ${g.failed} failed`,
    );
  switch (s.state) {
    case 'complete':
      lines.push(
        `complete. Outputs are in ${s.job.outputDir}; the journal ${s.job.workdir}/journal.log lists each range's output.`,
      );
      break;
    case 'fatal':
      if (r.fatal > 0) {
        lines.push(`finished with ${r.fatal} fatal range(s) (every attempt failed); the rest is done:`);
        for (const f of s.fatal.slice(0, 20)) lines.push(`  ${f.range}  ${f.code}  ${f.message.slice(0, 160)}`);
        if (s.fatal.length > 20) lines.push(`  ... and ${s.fatal.length - 20} more (yoda status ${s.job.workdir})`);
      }
      lines.push(...deliveryFailureLines(s));
      break;
    case 'interrupted':
      lines.push(
        `interrupted (killed without a goodbye): ${r.assigned} range(s) were in flight when the run stopped; ${left} range(s) left. Run the same command again to resume.`,
      );
      break;
    case 'stopped':
      lines.push(
        `stopped early${reason ? ` (${reason})` : ''}: ${left} range(s) left${g?.pending ? ` and ${g.pending} to deliver` : ''} for the next allocation. Run the same command again to resume.`,
      );
      break;
    default:
      lines.push(
        `failed${reason ? `: ${reason}` : ''}. ${left} range(s) left; fix the cause and run the same command again to resume.`,
      );
  }
  return lines;
}

// Merges and deliveries that failed on every attempt, naming the group or file (the next run tries them again).
function deliveryFailureLines(s: JobStatus): string[] {
  const lines: string[] = [];
  const m = s.merge?.failures ?? [];
  if (m.length > 0) lines.push(`${m.length} group(s) could not be merged (ERR_MERGE); run again to retry them:`);
  for (const x of m.slice(0, 20)) lines.push(`  ${x.group}  ${x.message.slice(0, 200)}`);
  const f = s.stageOut?.failures ?? [];
  if (f.length > 0)
    lines.push(`${f.length} ${s.stageOut?.unit}(s) could not be delivered (ERR_STAGE_OUT); run again to retry them:`);
  for (const x of f.slice(0, 20)) lines.push(`  ${x.range}  ${x.file}  ${x.message.slice(0, 200)}`);
  return lines;
}

/** Payload CPU of the done ranges, e.g. "12.3 s (3 ranges not measured)": a range not measured is never a 0. */
export function cpuTotal(s: Pick<JobStatus, 'cpuSeconds' | 'cpuNotMeasured' | 'ranges'>): string {
  const n = s.cpuNotMeasured;
  if (n > 0 && n >= s.ranges.done)
    return `not measured (${n} range${n === 1 ? '' : 's'}: a command run without the exec helper)`;
  return `${s.cpuSeconds.toFixed(1)} s${n > 0 ? ` (${n} range${n === 1 ? '' : 's'} not measured)` : ''}`;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** The readable form of `yoda status`. */
export function statusTable(s: JobStatus): string {
  const r = s.ranges;
  const rows = [
    ['job', `${s.job.name}  (${s.job.jobFile})`],
    ['state', s.state],
    [
      'ranges',
      `${r.done} done, ${r.assigned} ${s.state === 'running' ? 'running' : 'in flight when the run stopped'}, ${r.ready} ready, ${r.failed} awaiting retry, ${r.fatal} fatal, of ${r.total}`,
    ],
    ['events', `${s.events.done} of ${s.events.total} done (${pct(s.events.done, s.events.total)}%)`],
    [
      'runs',
      s.lastRun
        ? `${s.runs}; last on ${s.lastRun.host} started ${s.lastRun.startedAt}${s.lastRun.endedAt ? `, ended ${s.lastRun.endedAt} (exit ${s.lastRun.exitCode})` : ''}`
        : 'none yet',
    ],
    [
      'rate',
      `${s.rate.eventsPerSecond} events/s in the last run${s.state === 'running' && s.rate.etaSeconds !== null ? `, about ${duration(s.rate.etaSeconds)} to go` : ''}`,
    ],
    [
      'allocation',
      s.allocation ? `ends ${s.allocation.endsAt} (${duration(s.allocation.secondsLeft)} left)` : 'end not known',
    ],
    ['payload CPU', cpuTotal(s)],
    ['outputs', s.job.outputDir],
  ];
  const m = s.merge;
  if (m)
    rows.push([
      'merge',
      `${m.merged}/${m.groups} merged, ${m.pending} pending, ${m.waiting} not complete, ${m.failed} failed`,
    ]);
  const g = s.stageOut;
  if (g)
    rows.push([
      'stage-out',
      `${g.destination}: ${g.staged} staged (${g.bytes} bytes), ${g.pending} pending, ${g.failed} failed`,
    ]);
  const p = s.prefetch?.total;
  if (p)
    rows.push([
      'prefetch',
      `${p.files} input file(s) fetched${p.extracts > 0 ? `, ${p.extracts} range(s) extracted` : ''} (${mb(p.bytesFetched)}), ${p.hits} range(s) found their file on the node, ${p.misses} waited for a fetch, ${p.failures} fetch(es) failed; workers waited ${duration(Math.round(p.workerWaitSeconds))} for input`,
    ]);
  const lines = rows.map(([k, v]) => `${k.padEnd(12)} ${v}`);
  if (s.nodes.length > 0) {
    lines.push(
      'nodes (last run):',
      `  ${'node'.padEnd(16)} ${'ranges'.padStart(7)} ${'events'.padStart(9)} ${'events/s'.padStart(9)} ${'failures'.padStart(8)}`,
    );
    for (const n of s.nodes)
      lines.push(
        `  ${n.node.padEnd(16)} ${String(n.ranges).padStart(7)} ${String(n.events).padStart(9)} ${n.eventsPerSecond.toFixed(1).padStart(9)} ${String(n.failures).padStart(8)}`,
      );
  }
  if (s.fatal.length > 0) {
    lines.push('fatal ranges:');
    for (const f of s.fatal.slice(0, 20)) lines.push(`  ${f.range}  ${f.code}  ${f.message.slice(0, 160)}`);
  }
  lines.push(...deliveryFailureLines(s));
  if (s.recentFailures.length > 0) {
    lines.push('recent failures:');
    for (const f of s.recentFailures.slice(-10))
      lines.push(`  ${f.range} attempt ${f.attempt} on ${f.node}: ${f.code} ${f.message.slice(0, 120)}`);
  }
  return lines.join('\n');
}
