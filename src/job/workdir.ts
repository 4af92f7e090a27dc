// The work directory: job.json (what the job is), journal.log (what happened), logs/, outputs.
import { existsSync, mkdirSync, readFileSync, renameSync, accessSync, constants } from 'node:fs';
import { join, resolve } from 'node:path';
import { workdirPaths } from '../workdir/paths.js';
import { writeFileAtomic } from '../workdir/atomic.js';
import type { LoadedJob } from './load.js';
import { countInputEvents, type InputFile } from './inputs.js';
import { RangePlan } from './plan.js';
import { YodaError } from '../util/errors.js';
import type { JobFile } from './schema.js';

/** The contents of job.json: everything needed to rebuild the job's ranges without recounting. */
export interface JobDescription {
  version: 1;
  name: string;
  hash: string;
  jobFile: string;
  baseDir: string;
  payloadCwd: string;
  spec: JobFile;
  files: InputFile[];
  eventsPerRange: number;
  totalRanges: number;
  totalEvents: number;
  outputDir: string;
  created: string;
}

/** Reads job.json, or null when the directory holds no job yet. */
export function readJobDescription(dir: string): JobDescription | null {
  const path = workdirPaths(dir).job;
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as JobDescription;
  } catch (e) {
    throw new YodaError('WORKDIR_UNUSABLE', `${path} is unreadable or corrupt: ${(e as Error).message}`, { path });
  }
}

/** Reads job.json; errors (BAD_USAGE) when the directory holds no job. */
export function requireJobDescription(dir: string): JobDescription {
  const d = readJobDescription(dir);
  if (!d) throw new YodaError('BAD_USAGE', `${workdirPaths(dir).root} holds no job (no job.json): is it the --workdir of a yoda run?`, { dir });
  return d;
}

function differingFields(old: JobDescription, job: LoadedJob): string[] {
  const fields = new Set([...Object.keys(old.spec), ...Object.keys(job.spec)]);
  const changed = [...fields].filter(
    (k) => k !== 'workdir' && JSON.stringify((old.spec as Record<string, unknown>)[k]) !== JSON.stringify((job.spec as Record<string, unknown>)[k]),
  );
  const oldPaths = old.files.map((f) => f.path).join('\n');
  const newPaths = job.inputs.flatMap((i) => i.paths).join('\n');
  if (oldPaths !== newPaths && !changed.includes('inputs')) changed.push('input files found');
  return changed;
}

function supersede(dir: string): string {
  const p = workdirPaths(dir);
  const aside = join(p.root, `superseded-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(aside);
  for (const f of [p.job, p.journal]) if (existsSync(f)) renameSync(f, join(aside, f.slice(p.root.length + 1)));
  return aside;
}

/** Prepares `dir` for `job`: creates it, or checks it holds the same job; `fresh` sets an old job aside. */
export async function openWorkdir(dir: string, job: LoadedJob, fresh: boolean): Promise<{ description: JobDescription; resumed: boolean; setAside?: string }> {
  const p = workdirPaths(dir);
  try {
    for (const d of [p.root, p.logs, p.workerLogs]) mkdirSync(d, { recursive: true });
    accessSync(p.root, constants.W_OK);
  } catch (e) {
    throw new YodaError('WORKDIR_UNUSABLE', `work directory ${p.root} cannot be used: ${(e as Error).message}`, { dir: p.root });
  }
  let setAside: string | undefined;
  const old = readJobDescription(dir);
  if (old && old.hash === job.hash) return { description: old, resumed: true };
  if (old && !fresh) {
    throw new YodaError(
      'WORKDIR_MISMATCH',
      `work directory ${p.root} holds another job (${old.name}, from ${old.jobFile}); changed: ${differingFields(old, job).join(', ')}.\n` +
        `Use another --workdir, or pass --fresh to set the old journal aside and start this job from scratch.`,
      { dir: p.root },
    );
  }
  if (old) setAside = supersede(dir);
  const files = await countInputEvents(job.spec, job.inputs, job.payloadCwd);
  const plan = new RangePlan(files, job.spec.eventsPerRange, job.baseDir);
  const description: JobDescription = {
    version: 1,
    name: job.name,
    hash: job.hash,
    jobFile: job.jobFile,
    baseDir: job.baseDir,
    payloadCwd: job.payloadCwd,
    spec: job.spec,
    files,
    eventsPerRange: job.spec.eventsPerRange,
    totalRanges: plan.total,
    totalEvents: plan.totalEvents,
    outputDir: resolve(p.root, job.spec.output),
    created: new Date().toISOString(),
  };
  mkdirSync(description.outputDir, { recursive: true });
  writeFileAtomic(p.job, JSON.stringify(description, null, 2));
  return { description, resumed: false, setAside };
}

/** The range plan of a described job. */
export function planOf(description: JobDescription): RangePlan {
  return new RangePlan(description.files, description.eventsPerRange, description.baseDir);
}
