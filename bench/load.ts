// Drives one load: simulated Droids spread over child processes against a server child, with a measured window.
import { setTimeout as sleep } from 'node:timers/promises';
import { Child, type Msg } from './child.js';
import type { DroidSimConfig } from './droid-sim.js';
import { Histogram } from './histogram.js';
import type { JobKeys } from '../src/security/keys.js';

/** One load to apply to a server. */
export interface LoadSpec {
  mode: 'yoda' | 'raw';
  droids: number;
  want: number;
  thinkMs: number;
  warmupMs: number;
  /** After warmupMs, also wait until every Droid has had two answers (a steady load). */
  steady: boolean;
  windowMs: number;
  /** At most this many DEALER sockets per simulator process (the open-files limit is per process). */
  maxSocketsPerProc: number;
  /** Connections each simulator process sets up at once. */
  joining: number;
}

/** What a load measured: client-side latencies and counts, and the server's samples around the window. */
export interface LoadResult {
  seconds: number;
  hist: Histogram;
  requests: number;
  /** Ranges the simulated Droids received during the window. */
  ranges: number;
  before: Msg;
  after: Msg;
  procs: number;
  /** Seconds until every simulated Droid was welcomed. */
  joinSeconds: number;
  /** Open file descriptors of one simulator process, per socket it holds. */
  fdsPerSocket: number;
  simRssMB: number;
  errors: number;
}

/** Splits `n` into `parts` near-equal positive counts. */
export function split(n: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, k) => Math.floor(n / parts) + (k < n % parts ? 1 : 0)).filter((x) => x > 0);
}

/** Runs `spec` against the server child that sent `ready` (endpoint, keys); `during`, when given, replaces the window's fixed wait. */
export async function runLoad(
  spec: LoadSpec,
  server: Child,
  ready: Msg,
  tag: string,
  during?: () => Promise<void>,
): Promise<LoadResult> {
  const endpoint = String(ready.endpoint);
  const keys = (ready.keys ?? null) as JobKeys | null;
  const procs = Math.ceil(spec.droids / spec.maxSocketsPerProc);
  const sims = split(spec.droids, procs).map((sockets, k) => {
    const config: DroidSimConfig = {
      endpoint,
      sockets,
      mode: spec.mode,
      want: spec.want,
      thinkMs: spec.thinkMs,
      name: `${tag}-p${k}`,
      keys,
      joining: spec.joining,
    };
    return Child.start('droid-sim', `sim-${tag}-p${k}`, config);
  });
  try {
    const simsReady = await Promise.all(sims.map((s) => s.next('ready', 60_000 + spec.droids * 20)));
    const fdsPerSocket = Math.max(...simsReady.map((r) => Number(r.fds) / Number(r.sockets)));
    const joinSeconds = Math.max(...simsReady.map((r) => Number(r.joinMs))) / 1000;
    for (const s of sims) s.send({ type: 'go' });
    await sleep(spec.warmupMs);
    // Warm until every Droid has had two answers: with 10,000 Droids one cycle takes seconds.
    for (let t = 0; spec.steady && t < 120_000; t += 250) {
      const progress = await Promise.all(sims.map((s) => s.ask({ type: 'progress' }, 'progress')));
      if (progress.every((p) => Number(p.warming) === 0)) break;
      await sleep(250);
    }
    const [before] = await Promise.all([
      server.ask({ type: 'sample' }, 'sample'),
      ...sims.map((s) => s.ask({ type: 'mark' }, 'mark')),
    ]);
    const t0 = performance.now();
    await (during ? during() : sleep(spec.windowMs));
    const [after, ...collected] = await Promise.all([
      server.ask({ type: 'sample' }, 'sample'),
      ...sims.map((s) => s.ask({ type: 'collect' }, 'collect')),
    ]);
    const seconds = (performance.now() - t0) / 1000;
    const hist = new Histogram();
    let requests = 0;
    let ranges = 0;
    let errors = 0;
    let simRss = 0;
    for (const m of collected) {
      hist.merge(Histogram.fromPairs(m.hist as [number, number][]));
      requests += Number(m.requests);
      ranges += Number(m.ranges);
      errors += Number(m.errors);
      simRss = Math.max(simRss, Number(m.rss));
    }
    if (errors > 0) process.stderr.write(`bench: warning: ${errors} simulated Droid(s) of ${tag} failed (see above)\n`);
    return {
      seconds,
      hist,
      requests,
      ranges,
      before,
      after,
      procs: sims.length,
      joinSeconds,
      fdsPerSocket,
      simRssMB: simRss / 2 ** 20,
      errors,
    };
  } finally {
    await Promise.all(sims.map((s) => s.stop()));
  }
}
