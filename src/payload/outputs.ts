// The output rules of a done report (docs/worker-protocol.md, "Outputs"), checked by the Droid before a range
// counts as done: at least one output; each, resolved against the worker's cwd, a regular file inside the output
// directory or the work directory, modified during this attempt (not before the range was handed out, less a
// few seconds for clock skew between the node and a shared file server).
// The checks are synchronous: an lstat is a few microseconds, while an asynchronous one costs a thread-pool round
// trip that was the Droid's largest cost per short range.
import { realOrSame } from '../util/real-path.js';
import { lstatSync, statSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { ERR } from '../protocol/error-codes.js';
import type { WorkerReport } from '../protocol/worker.js';

/** How much older than the hand-out time an output's mtime may be (clock skew with the file server). */
export const MTIME_SLACK_MS = 5_000;

/** Where outputs may be, and where relative paths start. */
export interface OutputPlaces {
  cwd: string;
  outputDir: string;
  workdir: string;
}

function inside(path: string, dirs: string[]): boolean {
  return dirs.some((d) => path === d || path.startsWith(d.endsWith(sep) ? d : d + sep));
}

/** The directories outputs may be in, as given and as real paths (computed once per worker: see outputChecker). */
function allowedDirs(places: OutputPlaces): string[] {
  return [...new Set([places.outputDir, places.workdir].flatMap((d) => [resolve(d), realOrSame(resolve(d))]))];
}

/** A checker of done reports for one worker: the real paths of its output and work directories are resolved once. */
export function outputChecker(
  places: OutputPlaces,
): (r: WorkerReport, handedOutAt: number | undefined) => WorkerReport {
  let dirs: string[] | null = null;
  return (r, handedOutAt) => checkAgainst(places, (dirs ??= allowedDirs(places)), r, handedOutAt);
}

function checkAgainst(
  places: OutputPlaces,
  dirs: string[],
  r: WorkerReport,
  handedOutAt: number | undefined,
): WorkerReport {
  if (r.type !== 'done') return r;
  const fail = (code: string, message: string): WorkerReport => ({ type: 'failed', id: r.id, code, message });
  if (r.outputs.length === 0)
    return fail(ERR.OUTPUT_INVALID, 'the worker reported no output: a done range needs at least one output file');
  const outputs = r.outputs.map((o) => resolve(places.cwd, o));
  for (const o of outputs) {
    if (!inside(o, dirs) && !inside(realOrSame(o), dirs)) {
      return fail(
        ERR.OUTPUT_INVALID,
        `the worker reported output ${o}, which is outside the output directory ${places.outputDir} and the work directory ${places.workdir}`,
      );
    }
    let st;
    try {
      st = lstatSync(o);
      // A link must lead inside too (one realpath, only for links: no extra cost per range otherwise).
      if (st.isSymbolicLink()) {
        if (!inside(realOrSame(o), dirs))
          return fail(
            ERR.OUTPUT_INVALID,
            `the worker reported output ${o}, a link to ${realOrSame(o)}, which is outside the output directory ${places.outputDir} and the work directory ${places.workdir}`,
          );
        st = statSync(o);
      }
    } catch {
      return fail(ERR.OUTPUT_MISSING, `the worker reported output ${o}, which does not exist`);
    }
    if (!st.isFile()) return fail(ERR.OUTPUT_INVALID, `the worker reported output ${o}, which is not a regular file`);
    if (handedOutAt !== undefined && st.mtimeMs < handedOutAt - MTIME_SLACK_MS) {
      return fail(
        ERR.OUTPUT_INVALID,
        `the worker reported output ${o}, last written ${new Date(st.mtimeMs).toISOString()}, before this attempt began (${new Date(handedOutAt).toISOString()})`,
      );
    }
  }
  return { ...r, outputs };
}
