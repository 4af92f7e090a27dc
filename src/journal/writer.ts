// Appends journal records with group commit: everything queued while one batch is syncing goes in the next one.
import { open, type FileHandle } from 'node:fs/promises';
import { frameRecord } from './frame.js';
import type { JournalRecord } from './records.js';
import { YodaError } from '../util/errors.js';

interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
}

/** An append-only journal file; `append` resolves once its records are on disk (fsync). */
export class JournalWriter {
  private pending: string[] = [];
  private waiters: Waiter[] = [];
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

  /** The first write error, once one happened: no record is written after it. */
  get error(): Error | null {
    return this.failure;
  }

  /** Queues records; the promise resolves when they are durable, rejects if the disk refused them. */
  append(records: JournalRecord[]): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    for (const r of records) this.pending.push(frameRecord(r));
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      if (!this.flushing) void this.flushLoop();
    });
  }

  private async flushLoop(): Promise<void> {
    this.flushing = true;
    while (this.waiters.length > 0 && !this.failure) {
      const text = this.pending.join('');
      const waiters = this.waiters;
      const count = this.pending.length;
      this.pending = [];
      this.waiters = [];
      try {
        const data = Buffer.from(text, 'utf8');
        await this.file.write(data);
        await this.file.datasync();
        this.stats.batches += 1;
        this.stats.records += count;
        this.stats.bytes += data.length;
        for (const w of waiters) w.resolve();
      } catch (e) {
        this.failure = new YodaError('WORKDIR_UNUSABLE', `cannot write the journal ${this.path}: ${(e as Error).message}`, {}, e);
        for (const w of [...waiters, ...this.waiters]) w.reject(this.failure);
        this.waiters = [];
        this.pending = [];
      }
    }
    this.flushing = false;
  }

  /** Waits for queued records, then closes the file. */
  async close(): Promise<void> {
    if (this.waiters.length > 0 && !this.failure) await this.append([]).catch(() => undefined);
    await this.file.close();
  }
}
