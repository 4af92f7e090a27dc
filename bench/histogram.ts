// Latency histogram for benchmarks: log-spaced buckets (1% wide), mergeable across processes.

const MIN_MS = 0.001;
const GROWTH = Math.log(1.01);
const BUCKETS = 2400; // 1 µs .. ~23 days: more than any latency worth measuring

/** Counts of latencies (milliseconds) in 1%-wide buckets; a quantile is exact to within 1%. */
export class Histogram {
  readonly counts: Uint32Array;
  count = 0;
  max = 0;

  constructor(counts?: ArrayLike<number>) {
    this.counts = new Uint32Array(BUCKETS);
    if (counts) {
      this.counts.set(counts);
      for (let k = 0; k < BUCKETS; k++) {
        this.count += this.counts[k];
        if (this.counts[k] > 0) this.max = upperOf(k);
      }
    }
  }

  /** Adds one latency in milliseconds. */
  add(ms: number): void {
    const k = ms <= MIN_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / MIN_MS) / GROWTH));
    this.counts[k] += 1;
    this.count += 1;
    if (ms > this.max) this.max = ms;
  }

  /** Adds every count of `other`. */
  merge(other: Histogram): void {
    for (let k = 0; k < BUCKETS; k++) this.counts[k] += other.counts[k];
    this.count += other.count;
    this.max = Math.max(this.max, other.max);
  }

  /** The latency below which a fraction `q` (0..1) of samples lie; NaN when empty. */
  quantile(q: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let k = 0; k < BUCKETS; k++) {
      seen += this.counts[k];
      if (seen >= rank) return Math.min(upperOf(k), this.max);
    }
    return this.max;
  }

  /** A compact form for IPC: [bucket, count] pairs of the non-empty buckets. */
  toPairs(): [number, number][] {
    const pairs: [number, number][] = [];
    for (let k = 0; k < BUCKETS; k++) if (this.counts[k] > 0) pairs.push([k, this.counts[k]]);
    return pairs;
  }

  /** Rebuilds a histogram from `toPairs()` output. */
  static fromPairs(pairs: [number, number][]): Histogram {
    const counts = new Uint32Array(BUCKETS);
    for (const [k, n] of pairs) counts[k] = n;
    return new Histogram(counts);
  }
}

function upperOf(k: number): number {
  return MIN_MS * Math.exp(k * GROWTH);
}
