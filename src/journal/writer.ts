// Appends journal records with group commit: everything queued while one batch is syncing goes in the next one.
import { open, type FileHandle } from 'node:fs/promises';
import { frameJsonLines, scanJournal } from './frame.js';
import type { JournalRecord } from './records.js';
import { YodaError } from '../util/errors.js';

/** The promise shared by every append of one batch, and how to settle it. */
interface Batch {
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: Error) => void;
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** An append-only journal file; `append` resolves once its records are on disk (fsync). */
export class JournalWriter {
  /** JSON text of each queued record, framed when its batch is written. */
  private pending: string[] = [];
  /** The batch queued records join; null when nothing waits. */
  private next: Batch | null = null;
  private flushing = false;
  private failure: Error | null = null;
  /** Batches written and records written, for benchmarks and logs. */
  readonly stats = { batches: 0, records: 0, bytes: 0 };

  /** The lease epoch stamped on every record (`e`), and the fencing check run before each batch (null: none). */
  private epoch: number | null = null;
  private fence: (() => string | null) | null = null;

  private constructor(
    private readonly file: FileHandle,
    readonly path: string,
  ) {}

  /**
   * Makes this writer the lease holder's: every record gets `e: epoch`, and before each batch `fence()` is asked
   * whether a newer epoch exists (a reason when deposed): then the batch is refused with LEASE_LOST and nothing more
   * is ever written.
   */
  fenceWith(epoch: number, fence: () => string | null): void {
    this.epoch = epoch;
    this.fence = fence;
  }

  /**
   * Opens `path` for appending, first dropping a torn tail after `validBytes`. The bytes past `validBytes` are read
   * again first: good records written there since the caller's replay (a deposed Yoda finishing a batch) are kept,
   * and only what follows the last good record is cut; good records are never truncated.
   */
  static async open(path: string, validBytes: number): Promise<JournalWriter> {
    const file = await open(path, 'a+');
    const { size } = await file.stat();
    if (size > validBytes) {
      const tail = Buffer.alloc(size - validBytes);
      await file.read(tail, 0, tail.length, validBytes);
      const cut = validBytes + scanJournal(tail, () => undefined);
      if (size > cut) {
        await file.truncate(cut);
        await file.sync();
      }
    }
    return new JournalWriter(file, path);
  }

  /** Queues records; the promise resolves when they are durable, rejects if the disk refused them. */
  append(records: JournalRecord[]): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const e = this.epoch;
    for (let k = 0; k < records.length; k++) {
      if (e !== null) records[k].e = e;
      this.pending.push(JSON.stringify(records[k]));
    }
    const batch = (this.next ??= newBatch());
    if (!this.flushing) void this.flushLoop();
    return batch.promise;
  }

  private async flushLoop(): Promise<void> {
    this.flushing = true;
    while (this.next !== null && !this.failure) {
      const batch = this.next;
      const jsons = this.pending;
      this.next = null;
      this.pending = [];
      try {
        const deposed = jsons.length > 0 ? (this.fence?.() ?? null) : null;
        if (deposed !== null) throw new YodaError('LEASE_LOST', deposed, { epoch: this.epoch });
        const data = frameJsonLines(jsons);
        await this.file.write(data);
        await this.file.datasync();
        this.stats.batches += 1;
        this.stats.records += jsons.length;
        this.stats.bytes += data.length;
        batch.resolve();
      } catch (e) {
        this.failure =
          e instanceof YodaError
            ? e
            : new YodaError('JOURNAL_FAILED', `cannot write the journal ${this.path}: ${(e as Error).message}`, {}, e);
        batch.reject(this.failure);
        (this.next as Batch | null)?.reject(this.failure);
        this.next = null;
        this.pending = [];
      }
    }
    this.flushing = false;
  }

  /** Waits for queued records, then closes the file. */
  async close(): Promise<void> {
    if (this.next !== null && !this.failure) await this.append([]).catch(() => undefined);
    await this.file.close();
  }
}
