// The exec helper (native/build/Release/yoda-exec, built from native/exec-helper.c by scripts/build-native.mjs):
// this is the one module that finds it. It ties a payload to its Droid (PR_SET_PDEATHSIG), can pin it, and in
// command mode reports the payload's rusage; in serve mode (-s) it is the persistent launcher of a command-mode
// slot (src/payload/command-launcher.ts). Without it payloads start as before, and the log says so once.
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { findPackageRoot } from '../util/package-root.js';

/** The helper's path, or why there is none. */
export type ExecHelper = { path: string; why?: undefined } | { path: null; why: string };

/** Where the helper is expected. */
export function execHelperPath(): string {
  return join(findPackageRoot(), 'native', 'build', 'Release', 'yoda-exec');
}

/** Finds the helper; YODA_EXEC_HELPER=off disables it (to test the fallback). */
export function findExecHelper(env: NodeJS.ProcessEnv = process.env): ExecHelper {
  if (env.YODA_EXEC_HELPER === 'off') return { path: null, why: 'exec helper disabled (YODA_EXEC_HELPER=off)' };
  const path = execHelperPath();
  try {
    accessSync(path, constants.X_OK);
    return { path };
  } catch {
    return { path: null, why: `exec helper ${path} is missing (build it with: node scripts/build-native.mjs)` };
  }
}

/** The argv that runs `argv` through the helper: tied to `parentPid`, optionally pinned, optionally measured. */
export function execHelperArgv(
  helper: string,
  parentPid: number,
  argv: string[],
  o: { cpus?: string; rusageFile?: string } = {},
): string[] {
  return [
    helper,
    '-p',
    String(parentPid),
    ...(o.cpus ? ['-c', o.cpus] : []),
    ...(o.rusageFile ? ['-r', o.rusageFile] : []),
    '--',
    ...argv,
  ];
}

/** The argv of the helper in serve mode (a command-mode slot's launcher): tied to `parentPid`, optionally pinned. */
export function execHelperServeArgv(helper: string, parentPid: number, o: { cpus?: string } = {}): string[] {
  return [helper, '-p', String(parentPid), ...(o.cpus ? ['-c', o.cpus] : []), '-s'];
}
