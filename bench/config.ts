// Sizes of a benchmark run: the full run of the issue, or a CI-sized `--quick` one.

/** Every size and duration the benchmark uses. */
export interface BenchConfig {
  quick: boolean;
  /** CURVE encryption between Yoda and Droids (on unless --insecure, as in `yoda run`). */
  curve: boolean;
  warmupMs: number;
  windowMs: number;
  ceiling: { droids: number; rangesPerReply: number };
  /** Droid counts of the dispatch table, and the ranges each request asks for. */
  dispatch: { droids: number[]; want: number };
  /** Paced Droids (each reports, then waits thinkMs on average) for the connection-scale figure. */
  scaleDroids: { droids: number; want: number; thinkMs: number };
  /** A job of this many ranges, run to completion by this many Droids. */
  scaleRanges: { ranges: number; droids: number; want: number };
  replayRanges: number;
  /** The fixed-duration payload: workers x ranges per worker of `seconds` each. */
  fixed: { workers: number; rangesPerWorker: number; seconds: number };
  /** Montecarlo example sizes (make_inputs.py's --files and --events), run when the example exists. */
  montecarlo: { files: number; events: number };
  /** DEALER sockets per simulator process (each uses ~2 fds; the limit is 20,000). */
  maxSocketsPerProc: number;
  /** Connections each simulator process sets up at once (Yoda's listen backlog is ZeroMQ's default of 100). */
  joining: number;
  /** Edge workloads (issue 11): `ranges` tasks of `rangeMs` each, run by xargs, mpi4py and Yoda in `modes`. */
  edge: { ranges: number; rangeMs: number; modes: ('command' | 'daemon')[] }[];
  /**
   * Event streaming (`stream` section): `files` input files of `eventsPerFile` events of `eventBytes` each, ranges of
   * `eventsPerRange` events, `eventMs` of CPU per event; served over HTTP behind a proxy adding `rttMs` per round trip
   * and capping each direction at `bandwidthMBps` (10^6 bytes/s).
   */
  stream: {
    files: number;
    eventsPerFile: number;
    eventBytes: number;
    eventsPerRange: number;
    eventMs: number;
    rttMs: number;
    bandwidthMBps: number;
  };
}

/** A preset: every setting but `curve`, which the command line decides. */
export type BenchPreset = Omit<BenchConfig, 'curve'>;

/** The full benchmark of issue 6. */
export const FULL: BenchPreset = {
  quick: false,
  warmupMs: 2000,
  windowMs: 5000,
  ceiling: { droids: 64, rangesPerReply: 10 },
  dispatch: { droids: [1, 64, 1000, 10_000], want: 100 },
  scaleDroids: { droids: 10_000, want: 10, thinkMs: 2000 },
  scaleRanges: { ranges: 1_000_000, droids: 64, want: 100 },
  replayRanges: 1_000_000,
  fixed: { workers: 2, rangesPerWorker: 20, seconds: 1 },
  montecarlo: { files: 4, events: 400 },
  maxSocketsPerProc: 5000,
  joining: 32,
  edge: [
    { ranges: 2000, rangeMs: 0, modes: ['command', 'daemon'] },
    { ranges: 20_000, rangeMs: 0, modes: ['daemon'] },
    { ranges: 400, rangeMs: 10, modes: ['command', 'daemon'] },
    { ranges: 20, rangeMs: 1000, modes: ['command', 'daemon'] },
  ],
  // 10 input files of 4 MiB, 80 ranges of 0.4 s on every core, per case.
  stream: {
    files: 10,
    eventsPerFile: 64,
    eventBytes: 64 * 1024,
    eventsPerRange: 8,
    eventMs: 50,
    rttMs: 20,
    bandwidthMBps: 20,
  },
};

/** A CI-sized run: same shape, seconds instead of minutes. */
export const QUICK: BenchPreset = {
  ...FULL,
  quick: true,
  warmupMs: 300,
  windowMs: 700,
  ceiling: { droids: 8, rangesPerReply: 10 },
  dispatch: { droids: [1, 16], want: 100 },
  scaleDroids: { droids: 100, want: 10, thinkMs: 100 },
  scaleRanges: { ranges: 20_000, droids: 8, want: 100 },
  replayRanges: 20_000,
  fixed: { workers: 2, rangesPerWorker: 2, seconds: 0.3 },
  montecarlo: { files: 1, events: 40 },
  edge: [
    { ranges: 100, rangeMs: 0, modes: ['command', 'daemon'] },
    { ranges: 20, rangeMs: 10, modes: ['command', 'daemon'] },
  ],
  // 2 input files of 512 KiB, 4 ranges of 0.1 s per case.
  stream: { ...FULL.stream, files: 2, eventsPerFile: 8, eventsPerRange: 4, eventMs: 25 },
};
