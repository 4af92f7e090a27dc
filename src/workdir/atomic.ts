// Atomic file replacement on shared file systems: write a private temporary file beside the target, then rename.
import { renameSync, rmSync, writeFileSync } from 'node:fs';

let counter = 0;

/**
 * Replaces `path` with `data` so that readers see the old or the new contents, never a half-written file. The
 * temporary name is unique per process and call, so two writers never share one; it is removed when the write fails.
 */
export function writeFileAtomic(path: string, data: string | Buffer, mode?: number): void {
  const tmp = `${path}.${process.pid}.${++counter}.tmp`;
  try {
    writeFileSync(tmp, data, mode === undefined ? undefined : { mode });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
