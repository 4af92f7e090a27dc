// The job file's schema: what a user may write, with defaults, checked at load.
import { z } from 'zod';
import { parseDestination } from './destination.js';
import { isRemote, remoteUrlProblem } from './remote.js';

const argv = z.union([z.string().min(1), z.array(z.string()).min(1)]);

// An input file: a path or glob, or the URL of a file in remote storage (root://, https://; no globs there).
const inputFile = z
  .string()
  .min(1)
  .superRefine((f, ctx) => {
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(f)) return;
    const why = isRemote(f) ? remoteUrlProblem(f) : 'remote inputs are root://, xroot://, https:// or http:// URLs';
    if (why) ctx.addIssue({ code: 'custom', message: why, input: f });
  });

const input = z
  .strictObject({
    files: z.union([inputFile, z.array(inputFile).min(1)]),
    events: z.int().positive().max(1e12).optional(),
    eventsCommand: argv.optional(),
    /** Seconds the eventsCommand may take per file (default 600); the command's process group is killed after. */
    eventsTimeoutSeconds: z
      .number()
      .positive()
      .max(7 * 86400, 'eventsTimeoutSeconds: at most 604800 (7 days)')
      .optional(),
    guid: z.string().optional(),
    scope: z.string().optional(),
    /**
     * Per range, ESS style (remote files only): a command that writes events {first}..{last} of {url} into the small
     * local file {output}, run on the node ahead of the payload; the worker gets that file and `fileFirst`.
     */
    extract: z
      .array(z.string())
      .min(1)
      .refine((c) => c.some((a) => a.includes('{url}')), 'must contain {url} (the remote input file)')
      .refine((c) => c.some((a) => a.includes('{output}')), 'must contain {output} (the small file to write)')
      .refine(
        (c) => c.some((a) => a.includes('{first}')) && c.some((a) => a.includes('{last}')),
        'must contain {first} and {last} (the range of events to extract)',
      )
      .optional(),
  })
  .refine((v) => (v.events === undefined) !== (v.eventsCommand === undefined), {
    message: 'give exactly one of events (a number) or eventsCommand (a command printing the count)',
  })
  .refine((v) => v.extract === undefined || [v.files].flat().every(isRemote), {
    message: 'extract is for remote input files (root://, https://) only: a local file is read where it is',
    path: ['extract'],
  });

// One kind of worker slot: its width in cores (or a whole socket / NUMA node / the rest of the node),
// how many (omitted: as many as fit in what the other kinds leave) and GPUs per slot.
const slotKind = z.strictObject({
  cores: z.union([z.int().positive(), z.enum(['socket', 'numa', 'node'])]),
  count: z.int().positive().optional(),
  gpus: z.int().min(0).optional(),
});

// `slots` replaces coresPerWorker (+ workers); checked on the raw object since coresPerWorker has a default.
function onePacking(v: unknown, ctx: z.core.$RefinementCtx): unknown {
  if (typeof v !== 'object' || v === null || !('slots' in v)) return v;
  for (const other of ['coresPerWorker', 'workers'] as const) {
    if (other in v)
      ctx.addIssue({
        code: 'custom',
        path: ['slots'],
        message: `give either slots or ${other}, not both (slots: [{cores: N}] is what coresPerWorker: N means)`,
        input: v,
      });
  }
  return v;
}

// The suggested output name: unique per range ({range}), and inside the output directory (to write elsewhere, set
// the top-level `output` directory, the one explicit way).
const outputTemplate = z
  .string()
  .min(1)
  .refine((t) => t.includes('{range}'), 'must contain {range}, or every range writes the same file')
  .refine(
    (t) => !t.startsWith('/') && !t.split('/').includes('..'),
    'must stay inside the output directory (no leading / and no ..); set the top-level output: directory to write elsewhere',
  );

// Packing fields are optional without zod defaults so that job files written before they existed keep
// their hash (and resume); their defaults are applied in src/node/job-plan.ts and listed here.
const payload = z.preprocess(
  onePacking,
  z.strictObject({
    mode: z.enum(['daemon', 'command']).default('daemon'),
    command: argv,
    /** Cores of every worker slot (= slots: [{cores: N}]); the node is filled with such slots. */
    coresPerWorker: z.int().positive().default(1),
    /** With coresPerWorker: at most this many workers per node. */
    workers: z.int().positive().optional(),
    /** Several worker widths on one node, e.g. [{cores: 16, count: 1}, {cores: 1}]. */
    slots: z.array(slotKind).min(1).optional(),
    /** compact (default): fill NUMA domains in order; scatter: round-robin over sockets and NUMA domains. */
    placement: z.enum(['compact', 'scatter']).optional(),
    /** one-per-core (default): pin one hardware thread per core; all-threads: every SMT sibling. */
    smt: z.enum(['one-per-core', 'all-threads']).optional(),
    /** Cores per node kept free of workers (default 0); the Droid (and Yoda on rank 0) is pinned to them. */
    reserveCores: z.int().min(0).optional(),
    /** GPUs given to each slot (default: GPUs not managed, workers see what the Droid sees). */
    gpusPerWorker: z.int().min(0).optional(),
    /** A worker whose process tree's resident memory passes this x its cores (MB) is killed: ERR_MEMORY_LIMIT. */
    memoryLimitMBPerCore: z.number().positive().optional(),
    /** Variable telling the payload its CPU count (default ATHENA_PROC_NUMBER). */
    coreCountVariable: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
      .optional(),
    env: z.record(z.string(), z.string()).default({}),
    cwd: z.string().optional(),
    /** Output file name per range, in the output directory: must hold {range} (one file per range), no `..`, not absolute. */
    output: outputTemplate.default('{range}.out'),
    startTimeoutSeconds: z.number().positive().default(120),
    rangeTimeoutSeconds: z.number().positive().optional(),
  }),
);

// Stage-out: every final output (done ranges' outputs, or merged files) is copied to `destination` (root://, https://
// or a /path), verified and journaled (src/stageout/).
const stageOut = z.strictObject({
  destination: z.string().superRefine((url, ctx) => {
    const d = parseDestination(url);
    if (typeof d === 'string') ctx.addIssue({ code: 'custom', message: d, input: url });
  }),
  /** adler32 (default): verified at the destination; none: size only. */
  checksum: z.enum(['adler32', 'none']).default('adler32'),
  /** Tries per file before the range's delivery fails (exit 3). */
  attempts: z.int().min(1).max(100).default(5),
  /** Transfers at once. */
  parallel: z.int().min(1).max(64).default(2),
  /** Seconds one copy (one xrdcp) may take; optional: no limit. */
  timeoutSeconds: z.number().positive().optional(),
});

// Merge: the done ranges' outputs of each group (an input file, or N consecutive ranges) merged into one file by a
// user command, on rank 0, journaled (src/yoda/merge.ts, src/merge/merger.ts).
const merge = z.strictObject({
  /** The merge command: {inputs} is a file listing the outputs to merge, one path per line in event order; {output} the file to write. */
  command: z
    .array(z.string().min(1))
    .min(1)
    .refine((c) => c.some((a) => a.includes('{inputs}')), 'must contain {inputs} (the list of the outputs to merge)')
    .refine((c) => c.some((a) => a.includes('{output}')), 'must contain {output} (the merged file to write)'),
  /** file (default): one merge per input file; N: one per N consecutive ranges. */
  per: z.union([z.literal('file'), z.int().min(1)]).default('file'),
  /** Name of the merged file, in <output>/merged/: {group} is the input file's name (per: file) or ranges-<first>-<last>. */
  output: z
    .string()
    .min(1)
    .refine((t) => t.includes('{group}'), 'must contain {group}, or every merge writes the same file')
    .refine((t) => !t.includes('/'), 'a file name (no /): merged files are written in <output>/merged/')
    .default('{group}.merged'),
  /** Merges at once while ranges run (each a child process of rank 0); at the tail, as many as rank 0 has slots. */
  parallel: z.int().min(1).max(64).default(1),
  /** Tries per group before the merge fails (exit 3). */
  attempts: z.int().min(1).max(100).default(3),
  /** Seconds one merge may take; optional: no limit. */
  timeoutSeconds: z.number().positive().optional(),
  /** Delete the range outputs once their merge is journaled (default false: they stay). */
  deleteInputs: z.boolean().default(false),
});

// Stage-in of remote input files (src/stagein/): each node fetches the files its ranges need into a local cache.
const prefetch = z.strictObject({
  /** The node-local cache directory (default: <node's temporary directory>/yoda-inputs-<Droid>); emptied at the end. */
  cacheDir: z.string().min(1).optional(),
  /** Most gigabytes kept per node: past it, files no queued or running range needs are evicted (least recently used). */
  cacheGB: z.number().positive().default(20),
  /** Tries per file, with backoff, before its ranges fail with ERR_STAGE_IN (Yoda then hands them out again). */
  attempts: z.int().min(1).max(100).default(3),
  /** Seconds one fetch may take; optional: no limit. */
  timeoutSeconds: z.number().positive().optional(),
});

/** The job file as validated, defaults applied. */
export const jobFileSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, dash or underscore')
    .optional(),
  inputs: z.array(input).min(1),
  eventsPerRange: z.int().positive(),
  payload,
  output: z.string().min(1).default('outputs'),
  maxAttempts: z.int().min(1).max(100).default(3),
  workdir: z.string().optional(),
  prefetch: prefetch.optional(),
  merge: merge.optional(),
  stageOut: stageOut.optional(),
});

/** The prefetch section of a job file, defaults applied. */
export type PrefetchSpec = z.infer<typeof prefetch>;

/** The merge section of a job file, defaults applied. */
export type MergeSpec = z.infer<typeof merge>;

/** The stageOut section of a job file, defaults applied. */
export type StageOutSpec = z.infer<typeof stageOut>;

/** A validated job file. */
export type JobFile = z.infer<typeof jobFileSchema>;
