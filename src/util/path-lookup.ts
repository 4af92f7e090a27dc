// Finding a program the way a shell would: an executable regular file in one of PATH's directories.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, resolve } from 'node:path';

/** Whether `path` is a regular file this process may execute. */
export function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The absolute path of `cmd` in the first directory of `path` (PATH syntax) that holds it executable, or null. */
export function findOnPath(cmd: string, path = process.env.PATH ?? ''): string | null {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = resolve(dir, cmd);
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}
