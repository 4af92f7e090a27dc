// The work directory: job.json (what the job is), journal.log (what happened), logs/, outputs.
import { realOrSame } from '../util/real-path.js';
import { existsSync, mkdirSync, readFileSync, renameSync, accessSync, constants } from 'node:fs';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { parseJournal } from '../journal/frame.js';
import { supersededPath, workdirPaths } from '../workdir/paths.js';
import { writeFileAtomic } from '../workdir/atomic.js';
import type { LoadedJob } from './load.js';
import { countInputEvents, type InputFile } from './inputs.js';
import { RangePlan } from './plan.js';
import { errnoOf, YodaError } from '../util/errors.js';
import { checkJobSize } from './limits.js';
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
  /** Absolute once read (job.json stores it relative to the work directory when it lies inside it). */
  outputDir: string;
  /** Where the done records written so far put their outputs, when the work directory has moved since (read time only). */
  recordedOutputDir?: string;
  /** The work directory when job.json was written (to find outputs recorded before a move). */
  createdIn?: string;
  created: string;
}

/** Reads job.json, or null when the directory holds no job yet. Paths resolve against where the directory is now. */
export function readJobDescription(dir: string): JobDescription | null {
  const p = workdirPaths(dir);
  if (!existsSync(p.job)) return null;
  let d: JobDescription;
  try {
    d = JSON.parse(readFileSync(p.job, 'utf8')) as JobDescription;
    if (!Array.isArray(d.files) || !d.spec || typeof d.totalRanges !== 'number') throw new Error('fields are missing');
  } catch (e) {
    throw new YodaError('WORKDIR_UNUSABLE', `${p.job} is unreadable or corrupt: ${(e as Error).message}`, {
      path: p.job,
    });
  }
  const tooBig = checkJobSize(d.files, d.eventsPerRange);
  if (tooBig)
    throw new YodaError(
      'WORKDIR_UNUSABLE',
      `${p.job} describes a job Yoda cannot hold (${tooBig}); start it again with --fresh and a larger eventsPerRange`,
      { path: p.job },
    );
  // The output directory follows the work directory (moved with `mv`); job.json written before stored it absolute.
  const recorded = isAbsolute(d.outputDir) ? d.outputDir : resolve(d.createdIn ?? p.root, d.outputDir);
  const outputDir = isAbsolute(d.spec.output) ? d.spec.output : resolve(p.root, d.spec.output);
  return { ...d, outputDir, ...(recorded !== outputDir ? { recordedOutputDir: recorded } : {}) };
}

/** Where a recorded output of the job is now (outputs recorded before the work directory moved are under the new place). */
export function currentOutputPath(d: JobDescription, out: string): string {
  const old = d.recordedOutputDir;
  return old && out.startsWith(`${old}/`) ? join(d.outputDir, out.slice(old.length + 1)) : out;
}

/** Reads job.json; errors (BAD_USAGE) when the directory holds no job. */
export function requireJobDescription(dir: string): JobDescription {
  const d = readJobDescription(dir);
  if (!d)
    throw new YodaError(
      'BAD_USAGE',
      `${workdirPaths(dir).root} holds no job (no job.json): is it the --workdir of a yoda run?`,
      { dir },
    );
  return d;
}

function differingFields(old: JobDescription, job: LoadedJob): string[] {
  const fields = new Set([...Object.keys(old.spec), ...Object.keys(job.spec)]);
  const changed = [...fields].filter(
    (k) =>
      k !== 'workdir' &&
      JSON.stringify((old.spec as Record<string, unknown>)[k]) !==
        JSON.stringify((job.spec as Record<string, unknown>)[k]),
  );
  const oldPaths = old.files.map((f) => realOrSame(f.path)).join('\n');
  const newPaths = job.inputs
    .flatMap((i) => i.paths)
    .map(realOrSame)
    .join('\n');
  if (oldPaths !== newPaths) {
    if (!changed.includes('inputs')) changed.push('input files found');
  } else if (changed.includes('inputs') && sameExceptFilePatterns(old.spec, job.spec)) {
    changed.splice(changed.indexOf('inputs'), 1);
  }
  return changed;
}

// The inputs entries differ only in how their files are written (relative or absolute, via a link): the same files.
function sameExceptFilePatterns(a: JobFile, b: JobFile): boolean {
  const strip = (s: JobFile) => JSON.stringify(s.inputs.map(({ files: _files, ...rest }) => rest));
  return a.inputs.length === b.inputs.length && strip(a) === strip(b);
}

/** Says what went wrong writing in the work directory, in words (read-only, full, no permission). */
function unusable(root: string, what: string, e: unknown): YodaError {
  const code = errnoOf(e);
  let why = (e as Error).message;
  if (code === 'EROFS') why = 'it is on a read-only file system';
  else if (code === 'ENOSPC' || code === 'EDQUOT') why = 'the file system is full (or your quota is used up)';
  else if (code === 'EACCES' || code === 'EPERM') why = 'you have no permission to write there';
  else if (code === 'ENOENT' || code === 'ENOTDIR') {
    let parent = root;
    while (!existsSync(parent) && dirname(parent) !== parent) parent = dirname(parent);
    let writable = true;
    try {
      accessSync(parent, constants.W_OK);
    } catch {
      writable = false;
    }
    why = writable
      ? `a part of the path is not a directory (${(e as Error).message})`
      : `it cannot be created: ${parent} is read-only or not writable`;
  }
  return new YodaError(
    'WORKDIR_UNUSABLE',
    `work directory ${root} cannot be used: ${what}: ${why}`,
    { dir: root, errno: code },
    e,
  );
}

// --fresh: job.json, the journal and the old outputs go to superseded-<time>/ together, so the set-aside journal
// never names files a new run rewrites. An output directory inside the work directory moves whole (one rename);
// one outside it (shared with other things, perhaps) keeps its other files: only the outputs the journal names move.
// outputs-moved.json in the folder says where they were.
function supersede(dir: string, old: JobDescription): string {
  const p = workdirPaths(dir);
  const aside = supersededPath(p.root, new Date());
  mkdirSync(aside);
  const journal = existsSync(p.journal) ? parseJournal(readFileSync(p.journal)).records : [];
  for (const f of [p.job, p.journal, p.prefetch])
    if (existsSync(f)) renameSync(f, join(aside, f.slice(p.root.length + 1)));
  const from = resolve(old.outputDir);
  const to = join(aside, 'outputs');
  if (!existsSync(from)) return aside;
  const moved: { from: string; to: string }[] = [];
  if (from.startsWith(p.root + sep)) {
    renameSync(from, to);
    moved.push({ from, to });
  } else {
    for (const r of journal) {
      if (r.t !== 'done') continue;
      for (const o of r.out) {
        if (!existsSync(o)) continue;
        const target = join(
          to,
          o.startsWith(from + sep) ? o.slice(from.length + 1) : o.replace(/^\/+/, '').replaceAll('/', '_'),
        );
        mkdirSync(dirname(target), { recursive: true });
        renameSync(o, target);
        moved.push({ from: o, to: target });
      }
    }
  }
  writeFileAtomic(
    join(aside, 'outputs-moved.json'),
    `${JSON.stringify({ outputDir: from, moved: moved.length > 50 ? moved.slice(0, 50) : moved, count: moved.length }, null, 1)}\n`,
  );
  return aside;
}

/** Prepares `dir` for `job`: creates it, or checks it holds the same job; `fresh` sets an old job aside. */
export async function openWorkdir(
  dir: string,
  job: LoadedJob,
  fresh: boolean,
  abort?: AbortSignal,
): Promise<{ description: JobDescription; resumed: boolean; setAside?: string }> {
  const p = workdirPaths(dir);
  const old = readJobDescription(dir);
  if (old && (old.hash === job.hash || (!fresh && differingFields(old, job).length === 0))) {
    try {
      accessSync(p.root, constants.W_OK);
      for (const d of [p.logs, p.workerLogs, old.outputDir]) mkdirSync(d, { recursive: true });
    } catch (e) {
      throw unusable(p.root, 'resuming needs to write in it', e);
    }
    return { description: old, resumed: true };
  }
  if (old && !fresh) {
    throw new YodaError(
      'WORKDIR_MISMATCH',
      `work directory ${p.root} holds another job (${old.name}, from ${old.jobFile}); changed: ${differingFields(old, job).join(', ')}.\n` +
        `Use another --workdir, or pass --fresh to set the old journal aside and start this job from scratch.`,
      { dir: p.root },
    );
  }
  // Everything is counted and checked before anything is written: a refused job leaves no work directory behind.
  const files = await countInputEvents(job.spec, job.inputs, job.payloadCwd, abort);
  const tooBig = checkJobSize(files, job.spec.eventsPerRange);
  if (tooBig)
    throw new YodaError('BAD_INPUT', `the job is too large: ${tooBig}; raise eventsPerRange or split the job`, {});
  const plan = new RangePlan(files, job.spec.eventsPerRange, job.baseDir);
  const outputDir = resolve(p.root, job.spec.output);
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
    outputDir,
    createdIn: p.root,
    created: new Date().toISOString(),
  };
  let setAside: string | undefined;
  try {
    for (const d of [p.root, p.logs, p.workerLogs]) mkdirSync(d, { recursive: true });
    accessSync(p.root, constants.W_OK);
    if (old) setAside = supersede(dir, old);
    mkdirSync(outputDir, { recursive: true });
    // Stored relative to the work directory, so the directory can be moved (paths resolve again at read).
    writeFileAtomic(p.job, JSON.stringify({ ...description, outputDir: job.spec.output }, null, 2));
  } catch (e) {
    throw unusable(p.root, 'writing job.json', e);
  }
  return { description, resumed: false, setAside };
}

/** The range plan of a described job. */
export function planOf(description: JobDescription): RangePlan {
  return new RangePlan(description.files, description.eventsPerRange, description.baseDir);
}
