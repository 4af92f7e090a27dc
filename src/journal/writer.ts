// Appends journal records with group commit: everything queued while one batch is syncing goes in the next one.
import { open, type FileHandle } from 'node:fs/promises';
import { frameJsonLines } from './frame.js';
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
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
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

  private constructor(private readonly file: FileHandle, readonly path: string) {}

  /** Opens `path` for appending, first cutting it to `validBytes` (dropping a torn tail). */
  static async open(path: string, validBytes: number): Promise<JournalWriter> {
    const file = await open(path, 'a+');
    const { size } = await file.stat();
    if (size > validBytes) {
      await file.truncate(validBytes);
      await file.sync();
    }
    return new JournalWriter(file, path);
  }

  /** Queues records; the promise resolves when they are durable, rejects if the disk refused them. */
  append(records: JournalRecord[]): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    for (let k = 0; k < records.length; k++) this.pending.push(JSON.stringify(records[k]));
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
        const data = frameJsonLines(jsons);
        await this.file.write(data);
        await this.file.datasync();
        this.stats.batches += 1;
        this.stats.records += jsons.length;
        this.stats.bytes += data.length;
        batch.resolve();
      } catch (e) {
        this.failure = new YodaError('WORKDIR_UNUSABLE', `cannot write the journal ${this.path}: ${(e as Error).message}`, {}, e);
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
