// The short human table of a benchmark result.
import type { EdgeRow } from './edge.js';
import type { BenchResult } from './results.js';
import type { StreamFigures } from './stream.js';

const num = (x: number, digits = 0) =>
  Number.isFinite(x)
    ? x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '-';

function grid(rows: string[][]): string[] {
  const widths = rows[0].map((_, k) => Math.max(...rows.map((r) => r[k].length)));
  return rows.map((r) => r.map((cell, k) => (k === 0 ? cell.padEnd(widths[k]) : cell.padStart(widths[k]))).join('  '));
}

/** Lines a person reads: one table per figure group, then the targets. */
export function tableLines(r: BenchResult): string[] {
  const c = r.ceiling;
  const m = r.machine;
  const lines = [
    `Yoda benchmark${r.quick ? ' (quick)' : ''}: ${m.cores} cores, node ${m.node}, CURVE ${m.curve ? 'on' : 'off'}, load average at start ${m.loadAverage.map((x) => x.toFixed(2)).join(' ')}, ${num(m.seconds)} s`,
    '',
    `ceiling (bare ROUTER/DEALER + msgpackr, ${c.rangesPerReply} ranges per reply, ${c.droids} DEALERs): ${num(c.roundTripsPerSecond)} round trips/s = ${num(c.rangesPerSecond)} ranges/s, p50 ${num(c.p50Ms, 2)} ms, p99 ${num(c.p99Ms, 2)} ms`,
    '',
  ];
  const head = [
    'Droids',
    'want',
    'ranges/s',
    'x ceiling',
    'p50 ms',
    'p99 ms',
    'Yoda CPU µs/range',
    'Yoda RSS MB',
    'journal recs/batch',
  ];
  const rows = r.dispatch.map((d) => [
    `dispatch ${num(d.droids)}`,
    num(d.want),
    num(d.rangesPerSecond),
    num(d.vsCeiling.rangesPerSecond, 2),
    num(d.p50Ms, 2),
    num(d.p99Ms, 2),
    num(d.yodaCpuMicrosPerRange, 2),
    num(d.yodaRssMB),
    num(d.recordsPerBatch),
  ]);
  const s = r.scale.droids;
  rows.push([
    `paced ${num(s.droids)} (think ${num(s.thinkMs)} ms)`,
    num(s.want),
    num(s.rangesPerSecond),
    num(s.vsCeiling.rangesPerSecond, 2),
    num(s.p50Ms, 2),
    num(s.p99Ms, 2),
    num(s.yodaCpuMicrosPerRange, 2),
    num(s.yodaRssMB),
    num(s.recordsPerBatch),
  ]);
  lines.push(...grid([head, ...rows]), '');
  const sr = r.scale.ranges;
  lines.push(
    `job of ${num(sr.ranges)} ranges to completion: ${num(sr.rangesPerSecond)} ranges/s, Yoda RSS ${num(sr.yodaRssMB)} MB (peak ${num(sr.yodaPeakRssMB)} MB)`,
  );
  lines.push(
    `replay of ${num(r.replay.ranges)} ranges (${num(r.replay.megabytes)} MB journal): ${num(r.replay.seconds, 2)} s`,
    '',
  );
  const eff = [r.efficiency, ...(r.efficiencyMontecarlo ? [r.efficiencyMontecarlo] : [])];
  lines.push(
    ...grid([
      ['run', 'utilization', 'first range s', 'tail s', 'run s', 'idle core-s: start / between / in range / end'],
      ...eff.map((e) => [
        e.job,
        `${num(100 * e.utilization, 1)}%`,
        num(e.firstRangeSeconds, 2),
        num(e.tailSeconds, 2),
        num(e.runSeconds, 2),
        [e.idle.beforeFirst, e.idle.between, e.idle.inRange, e.idle.afterLast].map((x) => num(x, 2)).join(' / '),
      ]),
    ]),
    '',
  );
  lines.push(...edgeLines(r.edge), '');
  lines.push(...streamLines(r.stream), '');
  lines.push(
    ...grid([
      ['target', 'value', 'wanted', ''],
      ...r.targets.map((t) => [t.name, num(t.value, t.value < 10 ? 3 : 0), t.target, t.met ? 'met' : 'MISSED']),
    ]),
  );
  return lines;
}

/** The edge table: each runner on each workload, rates over the run's span, ratios to the baselines. */
export function edgeLines(rows: EdgeRow[]): string[] {
  const opt = (x: number | null, digits: number) => (x === null ? '-' : num(x, digits));
  const slots = rows[0]?.slots ?? 0;
  return [
    `edge (real runs, ${slots} slots; ranges/s over first task start .. last output; process = whole command):`,
    ...grid([
      [
        'runner',
        'payload',
        'ranges',
        'range ms',
        'ranges/s',
        'process r/s',
        'utilization',
        'x xargs',
        'x mpi4py',
        'x floor',
        'Droid µs/range',
        'Yoda µs/range',
      ],
      ...rows.map((r) => [
        r.mode,
        r.payload,
        num(r.ranges),
        num(r.rangeMs),
        num(r.rangesPerSecond, r.rangesPerSecond < 10 ? 2 : 0),
        num(r.processRangesPerSecond, r.processRangesPerSecond < 10 ? 2 : 0),
        r.utilization === null ? '-' : `${num(100 * r.utilization, 1)}%`,
        opt(r.vsXargs, 2),
        opt(r.vsMpi4py, 2),
        opt(r.vsFloor, 2),
        opt(r.droidCpuMicrosPerRange, 0),
        opt(r.yodaCpuMicrosPerRange, 0),
      ]),
    ]),
  ];
}

/** The stream table: utilization of local inputs, prefetch and the payload reading remotely, over the slow link. */
export function streamLines(s: StreamFigures): string[] {
  return [
    `stream (real runs, ${s.slots} slots, ${s.files} input files of ${num(s.fileMB, 1)} MB, ranges of ${num(s.rangeSeconds, 2)} s; remote: ${num(s.rttMs)} ms per round trip, ${num(s.bandwidthMBps)} MB/s):`,
    ...grid([
      ['case', 'utilization', 'vs local', 'wall s', 'ranges', 'first range s', 'yoda run s', 'MB over the link'],
      ...s.cases.map((c) => [
        c.case,
        `${num(100 * c.utilization, 1)}%`,
        c.vsLocalPoints === null ? '-' : `${c.vsLocalPoints > 0 ? '+' : ''}${num(c.vsLocalPoints, 1)} points`,
        num(c.wallSeconds, 2),
        num(c.ranges),
        num(c.firstRangeSeconds, 2),
        num(c.processSeconds, 2),
        num(c.remoteMB, 1),
      ]),
    ]),
  ];
}
