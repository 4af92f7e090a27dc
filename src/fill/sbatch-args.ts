// The sbatch command line of one planned allocation, and the marker that finds our allocations again after a restart.
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { Submission } from './plan.js';

/** The comment on every allocation `yoda fill` submits for `workdir`: `yoda-fill:<12 hex of its absolute path>`. */
export function fillMarker(workdir: string): string {
  return `yoda-fill:${createHash('sha256').update(resolve(workdir)).digest('hex').slice(0, 12)}`;
}

/** What goes around every submission: the script, the job and the user's own extra sbatch arguments. */
export interface SubmitContext {
  script: string;
  jobFile: string;
  workdir: string;
  marker: string;
  account: string | null;
  /** Given after `--`: they come after ours, so they win where sbatch takes the last value. */
  extra: string[];
}

/** The arguments of `sbatch` (without --parsable) for one submission (partition '': the cluster's default). */
export function sbatchArgs(s: Submission, c: SubmitContext): string[] {
  return [
    '--job-name=yoda-fill',
    `--comment=${c.marker}`,
    ...(s.partition ? [`--partition=${s.partition}`] : []),
    ...(c.account ? [`--account=${c.account}`] : []),
    `--nodes=${s.nodes}`,
    `--time=${s.timeMinutes}`,
    `--time-min=${s.timeMinMinutes}`,
    `--signal=B:USR1@${s.signalSeconds}`,
    ...c.extra,
    c.script,
    resolve(c.jobFile),
    resolve(c.workdir),
  ];
}
