// Event streaming, its measurement: three real `yoda run` jobs (local mode, every core a worker slot) on the same
// payload work, one after the other in one run: the input files on local disk (the reference); the same input files
// as http:// URLs behind a proxy adding a round-trip time and a bandwidth cap, prefetched by the Droid into its node
// cache; and the local-path job whose payload reads its event range's bytes itself, with a Range GET through the
// proxy (what a user does without prefetch). Utilization is the payload's work (events x eventMs) over slots x wall.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { readJournal } from '../src/journal/read.js';
import { workdirPaths } from '../src/workdir/paths.js';
import { BENCH_DIR } from './child.js';
import type { BenchConfig } from './config.js';
import { startDelayProxy, type DelayProxy } from './delay-proxy.js';
import { run } from './edge.js';
import { startRangeServer, type RangeServer } from './range-server.js';
import { runEfficiency } from './run-stats.js';

const ROOT = resolve(BENCH_DIR, '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const WORKER = join(ROOT, 'bench', 'payloads', 'stream_worker.py');

/** Where a case's payload gets its events: local input files, the Droid's prefetched copies, or HTTP reads itself. */
export type StreamCase = 'local' | 'prefetch' | 'remote-read';

/** One case's figures. */
export interface StreamRow {
  case: StreamCase;
  /** The payload's work (ranges x events x eventMs) / (slots x wallSeconds). */
  utilization: number;
  /** From Yoda's run record to its end record (the journal): the Droid, its workers, every fetch and the tail. */
  wallSeconds: number;
  ranges: number;
  /** Percentage points: this case's utilization minus the local case's (null for the local case). */
  vsLocalPoints: number | null;
  /** From the run record to the latest first range of a worker: the prefetch case waits for its first input file. */
  firstRangeSeconds: number;
  /** The whole `yoda run` command, start to exit: job creation (one HTTP HEAD per remote input file) included. */
  processSeconds: number;
  /** Megabytes (10^6 bytes) that crossed the proxy towards the node during this case. */
  remoteMB: number;
}

/** The `stream` section: the link the proxy models, the input files, and the three cases. */
export interface StreamFigures {
  rttMs: number;
  bandwidthMBps: number;
  slots: number;
  files: number;
  fileMB: number;
  /** Seconds of payload work per event range (eventsPerRange x eventMs). */
  rangeSeconds: number;
  cases: StreamRow[];
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

/** Everything a case needs: the input files on disk, their server, the proxy in front of it. */
interface Setup {
  c: BenchConfig['stream'];
  slots: number;
  /** The Python the workers run: python3's own executable, not a pyenv shim (which costs ~0.5 s per start). */
  python: string;
  dir: string;
  inputs: string[];
  server: RangeServer;
  proxy: DelayProxy;
}

/** Writes the job file of `kind` in a fresh directory under `s.dir`; returns the directory. */
function jobFor(kind: StreamCase, s: Setup): string {
  const dir = mkdtempSync(join(s.dir, `${kind}-`));
  const env: Record<string, string> = {
    STREAM_EVENT_BYTES: String(s.c.eventBytes),
    STREAM_EVENT_MS: String(s.c.eventMs),
  };
  if (kind === 'remote-read') env.STREAM_REMOTE_BASE = `http://127.0.0.1:${s.proxy.port}/`;
  const files = kind === 'prefetch' ? s.inputs.map((f) => s.server.url(basename(f), s.proxy.port)) : s.inputs;
  const job = {
    name: `stream-${kind}`,
    inputs: [{ files, events: s.c.eventsPerFile }],
    eventsPerRange: s.c.eventsPerRange,
    payload: { mode: 'daemon', command: [s.python, WORKER], coresPerWorker: 1, workers: s.slots, env },
    ...(kind === 'prefetch' ? { prefetch: { cacheDir: dir } } : {}),
  };
  writeFileSync(join(dir, 'job.yaml'), stringify(job));
  return dir;
}

/** Each range's output line (its id and its events' checksums), in range id order. */
function outputLines(workdir: string): string[] {
  const out = join(workdir, 'outputs');
  return readdirSync(out)
    .filter((f) => f.endsWith('.out'))
    .map((f) => readFileSync(join(out, f), 'utf8').trim())
    .sort();
}

/** Runs one case's job and computes its row (vsLocalPoints filled in later); returns its output lines too. */
async function measureCase(kind: StreamCase, s: Setup): Promise<{ row: StreamRow; lines: string[] }> {
  const dir = jobFor(kind, s);
  const workdir = join(dir, 'work');
  const expected = (s.c.files * s.c.eventsPerFile) / s.c.eventsPerRange;
  const workSeconds = (expected * s.c.eventsPerRange * s.c.eventMs) / 1000;
  const before = s.proxy.bytes.down;
  const env = { PYTHONPATH: [join(ROOT, 'python'), process.env.PYTHONPATH].filter(Boolean).join(':') };
  const ran = await run(
    process.execPath,
    [CLI, 'run', join(dir, 'job.yaml'), '--workdir', workdir, '--quiet'],
    env,
    (workSeconds * 4 + 180) * 1000,
  );
  const e = runEfficiency(readJournal(workdirPaths(workdir).journal).records, s.slots, 1);
  if (e.ranges !== expected) throw new Error(`stream ${kind}: ${e.ranges} of ${expected} ranges done`);
  const lines = outputLines(workdir);
  return {
    row: {
      case: kind,
      utilization: round(workSeconds / (s.slots * e.runSeconds), 4),
      wallSeconds: round(e.runSeconds, 3),
      ranges: e.ranges,
      vsLocalPoints: null,
      firstRangeSeconds: round(e.firstRangeSeconds, 3),
      processSeconds: round(ran.seconds, 3),
      remoteMB: round((s.proxy.bytes.down - before) / 1e6, 2),
    },
    lines,
  };
}

/** The `stream` section: input files served over HTTP behind the delay proxy, the three cases in one run. */
export async function measureStream(c: BenchConfig, say: (line: string) => void): Promise<StreamFigures> {
  const sc = c.stream;
  const slots = availableParallelism();
  const dir = mkdtempSync(join(tmpdir(), 'yoda-bench-stream-'));
  const data = join(dir, 'in');
  mkdirSync(data);
  const inputs = Array.from({ length: sc.files }, (_, k) => join(data, `stream_${String(k).padStart(3, '0')}.dat`));
  for (const f of inputs) writeFileSync(f, randomBytes(sc.eventsPerFile * sc.eventBytes));
  const server = await startRangeServer(data);
  let proxy: DelayProxy | null = null;
  try {
    proxy = await startDelayProxy({
      target: { host: '127.0.0.1', port: server.port },
      oneWayDelayMs: sc.rttMs / 2,
      bytesPerSecond: sc.bandwidthMBps * 1e6,
    });
    const python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
    const setup: Setup = { c: sc, slots, python, dir, inputs, server, proxy };
    const fileMB = (sc.eventsPerFile * sc.eventBytes) / 1e6;
    const ranges = (sc.files * sc.eventsPerFile) / sc.eventsPerRange;
    const rows: StreamRow[] = [];
    let reference: string[] | null = null;
    for (const kind of ['local', 'prefetch', 'remote-read'] as StreamCase[]) {
      say(
        `stream: ${kind}, ${sc.files} input files of ${fileMB.toFixed(1)} MB, ${ranges} ranges of ${((sc.eventsPerRange * sc.eventMs) / 1000).toFixed(2)} s on ${slots} slots${kind === 'local' ? '' : `, ${sc.rttMs} ms per round trip, ${sc.bandwidthMBps} MB/s`}`,
      );
      const { row, lines } = await measureCase(kind, setup);
      // Every case must have read the same bytes: the events' checksums agree with the local case's.
      reference ??= lines;
      if (lines.join('\n') !== reference.join('\n'))
        throw new Error(`stream ${kind}: outputs differ from the local case's`);
      rows.push(row);
    }
    const local = rows[0].utilization;
    return {
      rttMs: sc.rttMs,
      bandwidthMBps: sc.bandwidthMBps,
      slots,
      files: sc.files,
      fileMB: round(fileMB, 3),
      rangeSeconds: round((sc.eventsPerRange * sc.eventMs) / 1000, 3),
      cases: rows.map((r) =>
        r.case === 'local' ? r : { ...r, vsLocalPoints: round(100 * (r.utilization - local), 2) },
      ),
    };
  } finally {
    await proxy?.close();
    await server.close();
    if (!process.env.BENCH_KEEP_WORKDIR) rmSync(dir, { recursive: true, force: true });
  }
}
