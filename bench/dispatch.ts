// The socket figures: the raw ceiling, Yoda's dispatch rate per Droid count, and its memory at scale.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Child, type Msg } from './child.js';
import type { BenchConfig } from './config.js';
import { runLoad, type LoadResult, type LoadSpec } from './load.js';
import type { YodaChildConfig } from './yoda-child.js';

/** The raw exchange's figures. */
export interface CeilingFigures {
  droids: number;
  rangesPerReply: number;
  roundTripsPerSecond: number;
  rangesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** One row of the dispatch table. */
export interface DispatchFigures {
  droids: number;
  want: number;
  rangesPerSecond: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  yodaCpuMicrosPerRange: number;
  yodaRssMB: number;
  simProcs: number;
  /** Seconds until every simulated Droid was welcomed. */
  joinSeconds: number;
  fdsPerSocket: number;
  /** Yoda's CPU per range by thread kind (main, zmq, v8 GC helpers, libuv), microseconds. */
  yodaThreads: Record<string, number>;
  /** Records per journal batch (group commit) during the window. */
  recordsPerBatch: number;
}

const MB = 2 ** 20;
const round = (x: number, digits = 2) => Number(x.toFixed(digits));

function loadSpec(c: BenchConfig, o: Pick<LoadSpec, 'mode' | 'droids' | 'want' | 'thinkMs'>): LoadSpec {
  return {
    ...o,
    warmupMs: c.warmupMs,
    windowMs: c.windowMs,
    steady: true,
    maxSocketsPerProc: c.maxSocketsPerProc,
    joining: c.joining,
  };
}

/** Starts a Yoda child serving a synthetic job of `ranges` ranges. */
async function startYodaChild(c: BenchConfig, name: string, ranges: number): Promise<{ yoda: Child; ready: Msg }> {
  const config: YodaChildConfig = {
    ranges,
    workdir: join(tmpdir(), `yoda-bench-${process.pid}-${name}`),
    rangesPerFile: 100,
    eventsPerRange: 100,
    curve: c.curve,
  };
  const yoda = Child.start('yoda-child', `yoda-${name}`, config);
  return { yoda, ready: await yoda.next('ready', 120_000) };
}

/** Measures the bare ROUTER/DEALER + msgpackr request/reply rate (no Yoda). */
export async function measureCeiling(c: BenchConfig): Promise<CeilingFigures> {
  const server = Child.start('ceiling-server', 'ceiling-server', {
    rangesPerReply: c.ceiling.rangesPerReply,
    curve: c.curve,
  });
  try {
    const ready = await server.next('ready');
    const spec = loadSpec(c, { mode: 'raw', droids: c.ceiling.droids, want: c.ceiling.rangesPerReply, thinkMs: 0 });
    const r = await runLoad(spec, server, ready, 'ceiling');
    return {
      droids: c.ceiling.droids,
      rangesPerReply: c.ceiling.rangesPerReply,
      roundTripsPerSecond: round(r.requests / r.seconds, 0),
      rangesPerSecond: round(r.ranges / r.seconds, 0),
      p50Ms: round(r.hist.quantile(0.5), 3),
      p99Ms: round(r.hist.quantile(0.99), 3),
    };
  } finally {
    await server.stop();
  }
}

function figures(droids: number, want: number, r: LoadResult): DispatchFigures {
  const done = Number(r.after.done) - Number(r.before.done);
  const yodaSeconds = (Number(r.after.at) - Number(r.before.at)) / 1000;
  return {
    droids,
    want,
    rangesPerSecond: round(done / yodaSeconds, 0),
    requestsPerSecond: round(r.requests / r.seconds, 0),
    p50Ms: round(r.hist.quantile(0.5), 3),
    p99Ms: round(r.hist.quantile(0.99), 3),
    yodaCpuMicrosPerRange: round((Number(r.after.cpuMicros) - Number(r.before.cpuMicros)) / Math.max(1, done), 2),
    yodaRssMB: round(Number(r.after.rss) / MB, 1),
    simProcs: r.procs,
    joinSeconds: round(r.joinSeconds, 1),
    fdsPerSocket: round(r.fdsPerSocket, 2),
    yodaThreads: perRange(r.before.threads, r.after.threads, done),
    recordsPerBatch: round(delta(r, 'records') / Math.max(1, delta(r, 'batches')), 1),
  };
}

function delta(r: LoadResult, key: 'records' | 'batches'): number {
  const get = (m: Msg) => (m.journal as Record<string, number>)[key];
  return get(r.after) - get(r.before);
}

function perRange(before: unknown, after: unknown, done: number): Record<string, number> {
  const b = before as Record<string, number>;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after as Record<string, number>))
    out[k] = round((v - (b[k] ?? 0)) / Math.max(1, done), 2);
  return out;
}

/** Dispatch with `droids` closed-loop simulated Droids against a real Yoda (journal on). */
export async function measureDispatch(c: BenchConfig, droids: number): Promise<DispatchFigures> {
  // Enough ranges that the job never runs dry: warmup + window at up to 300k ranges/s, plus every Droid's
  // first two answers (the warmup waits for them) and the answers in flight.
  const ranges = Math.ceil((300 * (c.warmupMs + c.windowMs) + 3 * droids * c.dispatch.want) / 100) * 100;
  const { yoda, ready } = await startYodaChild(c, `dispatch-${droids}`, ranges);
  try {
    const r = await runLoad(
      loadSpec(c, { mode: 'yoda', droids, want: c.dispatch.want, thinkMs: 0 }),
      yoda,
      ready,
      `d${droids}`,
    );
    if (Number(r.after.done) >= ranges)
      process.stderr.write(`bench: warning: dispatch with ${droids} Droids ran out of ranges\n`);
    return figures(droids, c.dispatch.want, r);
  } finally {
    await yoda.stop();
  }
}

/** Yoda's memory and latency with many connected, paced Droids. */
export async function measureScaleDroids(c: BenchConfig): Promise<DispatchFigures & { thinkMs: number }> {
  const s = c.scaleDroids;
  const ranges = Math.ceil((s.droids * s.want * (c.warmupMs + c.windowMs + 5000)) / s.thinkMs / 100) * 100;
  const { yoda, ready } = await startYodaChild(c, 'scale-droids', ranges);
  try {
    const r = await runLoad(
      loadSpec(c, { mode: 'yoda', droids: s.droids, want: s.want, thinkMs: s.thinkMs }),
      yoda,
      ready,
      'sd',
    );
    return { ...figures(s.droids, s.want, r), thinkMs: s.thinkMs };
  } finally {
    await yoda.stop();
  }
}

/** Yoda over a whole job of many ranges. */
export interface RangesScaleFigures {
  ranges: number;
  /** Highest RSS sampled (every 100 ms) while the job ran. */
  yodaRssMB: number;
  /** The process's peak RSS (getrusage), job setup included. */
  yodaPeakRssMB: number;
  seconds: number;
  rangesPerSecond: number;
}

/** Yoda's memory over a whole job of many ranges, run to completion. */
export async function measureScaleRanges(c: BenchConfig): Promise<RangesScaleFigures> {
  const s = c.scaleRanges;
  const { yoda, ready } = await startYodaChild(c, 'scale-ranges', s.ranges);
  try {
    let last: Msg = await yoda.ask({ type: 'sample' }, 'sample');
    let t0 = 0;
    let peak = Number(last.rss);
    const spec: LoadSpec = {
      ...loadSpec(c, { mode: 'yoda', droids: s.droids, want: s.want, thinkMs: 0 }),
      warmupMs: 0,
      steady: false,
    };
    // The load's window opens when every Droid has joined and lasts until Yoda has every range done.
    await runLoad(spec, yoda, ready, 'sr', async () => {
      t0 = performance.now();
      while (Number(last.done) < s.ranges) {
        await sleep(100);
        last = await yoda.ask({ type: 'sample' }, 'sample');
        peak = Math.max(peak, Number(last.rss));
      }
    });
    const seconds = (performance.now() - t0) / 1000;
    return {
      ranges: s.ranges,
      yodaRssMB: round(peak / MB, 1),
      yodaPeakRssMB: round(Number(last.maxRss) / MB, 1),
      seconds: round(seconds, 2),
      rangesPerSecond: round(s.ranges / seconds, 0),
    };
  } finally {
    await yoda.stop();
  }
}
