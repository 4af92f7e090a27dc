// `npm run bench [-- --json] [--quick] [--insecure] [--edge-only | --stream-only]`: Yoda's benchmarks (issues 6 and
// 11, and event streaming), as a table or one JSON document.
//
// Environment, for digging into a result:
//   BENCH_PROF=<prefix>     CPU-profile (node --cpu-prof) every child whose name starts with <prefix>
//                           (yoda-dispatch-64, sim-d64-p0, ceiling-server, replay, ...)
//   BENCH_PROF_DIR=<dir>    where the .cpuprofile files go (default bench-profiles/); the edge section's `yoda run`
//                           processes are always profiled (for the Yoda / Droid CPU split), kept here when it is set
//   BENCH_KEEP_WORKDIR=1    keep the Yoda children's temporary work directories (journal, logs)
// Then `node dist-bench/bench/profile-top.js <file.cpuprofile>...` prints each profile's top functions (TOP=<n> rows).
import { availableParallelism, loadavg } from 'node:os';
import { FULL, QUICK, type BenchConfig } from './config.js';
import { measureCeiling, measureDispatch, measureScaleDroids, measureScaleRanges } from './dispatch.js';
import { measureEdge } from './edge.js';
import { measureFixed, measureMontecarlo } from './efficiency.js';
import { measureReplay } from './replay.js';
import { ratio, targets, vsCeiling, type BenchResult } from './results.js';
import { measureStream } from './stream.js';
import { edgeLines, streamLines, tableLines } from './table.js';

const USAGE = `usage: node --expose-gc dist-bench/bench/main.js [--json] [--quick] [--insecure] [--edge-only | --stream-only]
  --json         print only the JSON document on stdout
  --quick        a CI-sized run (seconds, not minutes)
  --insecure     CURVE off between Yoda and the simulated Droids (it is on by default, as in "yoda run")
  --edge-only    only the edge section (real yoda run jobs against xargs and mpi4py.futures): {machine, edge}
  --stream-only  only the stream section (local inputs, prefetch, the payload reading remotely): {machine, stream}`;

/** Runs every benchmark of `c` in order; `say` reports progress. */
async function runBench(c: BenchConfig, say: (line: string) => void): Promise<BenchResult> {
  const t0 = performance.now();
  const machine = {
    cores: availableParallelism(),
    node: process.version,
    loadAverage: loadavg(),
    curve: c.curve,
    startedAt: new Date().toISOString(),
    seconds: 0,
  };
  say('ceiling: bare ROUTER/DEALER + msgpackr');
  const ceiling = await measureCeiling(c);
  const dispatch: BenchResult['dispatch'] = [];
  for (const droids of c.dispatch.droids) {
    say(`dispatch: ${droids} Droids`);
    const row = await measureDispatch(c, droids);
    dispatch.push({ ...row, vsCeiling: vsCeiling(row, ceiling) });
  }
  say(`scale: ${c.scaleDroids.droids} paced Droids`);
  const sd = await measureScaleDroids(c);
  say(`scale: a job of ${c.scaleRanges.ranges} ranges`);
  const sr = await measureScaleRanges(c);
  say(`replay: ${c.replayRanges} ranges`);
  const replay = await measureReplay(c.replayRanges);
  say(`efficiency: ${c.fixed.workers} workers x ${c.fixed.rangesPerWorker} ranges of ${c.fixed.seconds} s`);
  const efficiency = await measureFixed(c);
  say(`efficiency: montecarlo example, ${c.montecarlo.files} file(s) x ${c.montecarlo.events} events`);
  const efficiencyMontecarlo = await measureMontecarlo(c, availableParallelism());
  const edge = await measureEdge(c, say);
  const stream = await measureStream(c, say);
  machine.seconds = Math.round((performance.now() - t0) / 1000);
  const result = {
    version: 1 as const,
    quick: c.quick,
    machine,
    ceiling,
    dispatch,
    scale: {
      droids: { ...sd, vsCeiling: vsCeiling(sd, ceiling) },
      ranges: { ...sr, vsCeiling: { rangesPerSecond: ratio(sr.rangesPerSecond, ceiling.rangesPerSecond) } },
    },
    replay,
    efficiency,
    efficiencyMontecarlo,
    edge,
    stream,
  };
  return { ...result, targets: targets(result) };
}

async function main(argv: string[]): Promise<void> {
  const known = new Set(['--json', '--quick', '--insecure', '--edge-only', '--stream-only']);
  const unknown = argv.filter((a) => !known.has(a));
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown argument ${unknown[0]}\n${USAGE}\n`);
    process.exit(2);
  }
  const json = argv.includes('--json');
  const config: BenchConfig = { ...(argv.includes('--quick') ? QUICK : FULL), curve: !argv.includes('--insecure') };
  const say = (line: string) => (!json || process.stderr.isTTY) && process.stderr.write(`bench: ${line}\n`);
  const only = argv.includes('--edge-only') ? 'edge' : argv.includes('--stream-only') ? 'stream' : null;
  if (only && argv.includes('--edge-only') && argv.includes('--stream-only')) {
    process.stderr.write(`bench: --edge-only and --stream-only exclude each other\n${USAGE}\n`);
    process.exit(2);
  }
  if (only) {
    const machine = {
      cores: availableParallelism(),
      node: process.version,
      loadAverage: loadavg(),
      startedAt: new Date().toISOString(),
    };
    const section =
      only === 'edge' ? { edge: await measureEdge(config, say) } : { stream: await measureStream(config, say) };
    const lines = section.edge ? edgeLines(section.edge) : section.stream ? streamLines(section.stream) : [];
    process.stdout.write(
      json
        ? `${JSON.stringify({ version: 1, quick: config.quick, machine, ...section }, null, 2)}\n`
        : `${lines.join('\n')}\n`,
    );
    return;
  }
  const result = await runBench(config, say);
  process.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : `${tableLines(result).join('\n')}\n`);
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (e: Error) => {
    process.stderr.write(`bench: failed: ${e.stack ?? e.message}\n`);
    process.exit(1);
  },
);
