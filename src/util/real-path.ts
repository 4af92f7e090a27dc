// Real paths for comparisons (a symlink and its target, a moved mount point): the one helper that resolves them.
import { realpathSync } from 'node:fs';

/** The real path of `path`, or `path` itself when it cannot be resolved (it does not exist, or cannot be read). */
export function realOrSame(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
