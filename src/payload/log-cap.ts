// Worker logs stay under a cap: a worker writes its stdout and stderr straight into its slot log (no copy through
// the Droid), so the Droid checks the size now and then (each second, and when the worker ends) and, past the cap,
// cuts the log in place: it keeps the first quarter (start-up messages), a note saying how much was cut, and the
// last quarter (the latest output). The worker's descriptor is in append mode, so its next lines go after the note.
// The cap is YODA_WORKER_LOG_MAX_MB in the environment of `yoda run` (default 100; 0 turns it off).
import { closeSync, openSync, readSync, statSync, ftruncateSync, writeSync } from 'node:fs';

/** The cap in bytes from the environment; null when off. */
export function workerLogCap(env: NodeJS.ProcessEnv = process.env): number | null {
  const text = env.YODA_WORKER_LOG_MAX_MB;
  const mb = text === undefined || text === '' ? 100 : Number(text);
  if (!Number.isFinite(mb) || mb <= 0) return null;
  return Math.max(4096, Math.floor(mb * 1024 * 1024));
}

/** Cuts `path` back under `cap` when it is over it; returns the bytes removed (0 when under the cap). */
export function capLog(path: string, cap: number): number {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return 0;
  }
  if (size <= cap) return 0;
  const keep = Math.floor(cap / 4);
  const fd = openSync(path, 'r+');
  try {
    const tail = Buffer.alloc(keep);
    const got = readSync(fd, tail, 0, keep, size - keep);
    const removed = size - keep - got;
    const note = Buffer.from(
      `\n==== yoda: ${new Date().toISOString()} this log passed its cap of ${(cap / 1048576).toFixed(1)} MB (YODA_WORKER_LOG_MAX_MB): ${removed} bytes cut here; the latest output follows\n`,
    );
    ftruncateSync(fd, keep);
    writeSync(fd, note, 0, note.length, keep);
    writeSync(fd, tail, 0, got, keep + note.length);
    return removed;
  } finally {
    closeSync(fd);
  }
}
