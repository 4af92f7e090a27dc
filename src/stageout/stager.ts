// The stage-out shell beside Yoda (rank 0): runs the transfers the state machine asks for (child processes for XRootD),
// retries each file with exponential backoff, and reports every range's outcome back as a Yoda event.
import type { Logger } from 'pino';
import type { StageOutSpec } from '../job/schema.js';
import { destinationName, parseDestination, type Destination } from '../job/destination.js';
import { deliverFile } from './deliver.js';
import { backoffMs, Stopped, withRetries } from '../util/retry.js';

/** How one range's delivery ended (the Yoda shell dispatches it to the state machine as an event of the same shape). */
export type Delivery =
  | { type: 'staged'; i: number; out: string[]; bytes: number; adler32: string[] | null }
  | { type: 'stageFailed'; i: number; file: string; msg: string };

/** Delivers done ranges' outputs to the job's stageOut destination; one transfer per range, each reported once. */
export class Stager {
  private readonly dest: Destination;
  private readonly running = new Map<number, AbortController>();

  constructor(
    private readonly spec: StageOutSpec,
    private readonly outputDir: string,
    private readonly log: Logger,
    /** Receives the staged and stageFailed events. */
    private readonly report: (e: Delivery) => void,
    private readonly backoff = backoffMs(),
  ) {
    const d = parseDestination(spec.destination);
    if (typeof d === 'string') throw new Error(`stageOut.destination: ${d}`);
    this.dest = d;
  }

  /** Starts delivering range `i`'s outputs (in order, each with its attempts); reports staged or stageFailed. */
  start(i: number, id: string, outputs: string[]): void {
    if (this.running.has(i)) return;
    const ac = new AbortController();
    this.running.set(i, ac);
    void this.deliverRange(i, id, outputs, ac.signal).then((e) => {
      if (this.running.get(i) !== ac) return;
      this.running.delete(i);
      if (e && !ac.signal.aborted) this.report(e);
    });
  }

  /** Stops the transfers of these ranges (nothing is reported for them); all of them without `r`. */
  stop(r: number[] = [...this.running.keys()]): void {
    for (const i of r) {
      this.running.get(i)?.abort();
      this.running.delete(i);
    }
  }

  private async deliverRange(i: number, id: string, outputs: string[], signal: AbortSignal): Promise<Delivery | null> {
    const out: string[] = [];
    const sums: string[] = [];
    let bytes = 0;
    for (const file of outputs) {
      const name = destinationName(file, this.outputDir);
      const options = { checksum: this.spec.checksum, timeoutMs: (this.spec.timeoutSeconds ?? 0) * 1000, signal };
      try {
        const d = await withRetries(
          { attempts: this.spec.attempts, backoff: this.backoff, signal },
          () => deliverFile(file, name, this.dest, options),
          (k, why, wait) =>
            this.log.warn(
              { range: id, file, attempt: k },
              `stage-out of ${file} (${id}) to ${this.spec.destination}: attempt ${k}/${this.spec.attempts} failed: ${why}; trying again in ${(wait / 1000).toFixed(1)} s`,
            ),
        );
        out.push(d.url);
        bytes += d.bytes;
        if (d.adler32) sums.push(d.adler32);
      } catch (e) {
        if (e instanceof Stopped) return null;
        return { type: 'stageFailed', i, file, msg: `${this.spec.destination}: ${(e as Error).message}` };
      }
    }
    const adler32 = this.spec.checksum === 'adler32' ? sums : null;
    this.log.info({ range: id, bytes }, `staged ${id}: ${out.join(' ')}`);
    return { type: 'staged', i, out, bytes, adler32 };
  }
}
