// The layout of a work directory: the one place that knows where each of its files lives.
import { join, resolve } from 'node:path';

/** Paths of the files in a work directory (see the README's "The work directory" table). */
export interface WorkdirPaths {
  root: string;
  /** The job as validated (written once, by the first run). */
  job: string;
  /** What happened: one CRC-framed record per line. */
  journal: string;
  /** Where the current Yoda listens. */
  endpoint: string;
  /** Which Yoda may write the journal now: a folder of one file per epoch (src/workdir/lease.ts). */
  lease: string;
  /** Corrupt journal lines set aside (one JSON line each, with their byte offset), kept out of replay. */
  journalCorrupt: string;
  logs: string;
  workerLogs: string;
  /** One file per live Droid, read by `yoda status`. */
  nodes: string;
  /** One file per Droid that fetched remote inputs (kept after it ends), read by `yoda status` and the report. */
  prefetch: string;
  /** The job's CURVE keys (folder 0700, file 0600). */
  keys: string;
  keyFile: string;
  /** Where `yoda report` writes by default (report.json beside it). */
  report: string;
}

/** Paths of the files in the work directory `dir`. */
export function workdirPaths(dir: string): WorkdirPaths {
  const root = resolve(dir);
  return {
    root,
    job: join(root, 'job.json'),
    journal: join(root, 'journal.log'),
    endpoint: join(root, 'yoda.endpoint.json'),
    lease: join(root, 'lease'),
    journalCorrupt: join(root, 'journal.corrupt'),
    logs: join(root, 'logs'),
    workerLogs: join(root, 'logs', 'workers'),
    nodes: join(root, 'nodes'),
    prefetch: join(root, 'prefetch'),
    keys: join(root, 'keys'),
    keyFile: join(root, 'keys', 'curve.json'),
    report: join(root, 'report.html'),
  };
}

/** The stdout and stderr file of the worker of `slot` on `node`. */
export function workerLogPath(workdir: string, node: string, slot: number): string {
  return join(workdirPaths(workdir).workerLogs, `${node}.${slot}.log`);
}

/** A new folder name for a job set aside by `--fresh` (its job.json, journal and outputs). */
export function supersededPath(workdir: string, at: Date): string {
  return join(workdirPaths(workdir).root, `superseded-${at.toISOString().replace(/[:.]/g, '-')}`);
}

/**
 * The node file of the Droid of `rank` on `node` (a rank of its own, as several may share a node); with `pid`, one of
 * its own per process too, as Droids of several allocations (each with its rank 0) may share a node.
 */
export function nodeFilePath(workdir: string, node: string, rank: number, pid?: number): string {
  return join(
    workdirPaths(workdir).nodes,
    `${node.replace(/[^A-Za-z0-9._-]/g, '_')}.rank${rank}${pid === undefined ? '' : `.pid${pid}`}.json`,
  );
}

/** The prefetch file of the Droid of `rank` on `node`, process `pid`, started at `startedMs` (droid/prefetch-file.ts). */
export function prefetchFilePath(workdir: string, node: string, rank: number, pid: number, startedMs: number): string {
  const name = `${node.replace(/[^A-Za-z0-9._-]/g, '_')}.rank${rank}.pid${pid}.${startedMs}.json`;
  return join(workdirPaths(workdir).prefetch, name);
}
