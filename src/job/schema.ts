// The job file's schema: what a user may write, with defaults, checked at load.
import { z } from 'zod';

const argv = z.union([z.string().min(1), z.array(z.string()).min(1)]);

const input = z
  .strictObject({
    files: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    events: z.int().positive().optional(),
    eventsCommand: argv.optional(),
    guid: z.string().optional(),
    scope: z.string().optional(),
  })
  .refine((v) => (v.events === undefined) !== (v.eventsCommand === undefined), {
    message: 'give exactly one of events (a number) or eventsCommand (a command printing the count)',
  });

const payload = z.strictObject({
  mode: z.enum(['daemon', 'command']).default('daemon'),
  command: argv,
  coresPerWorker: z.int().positive().default(1),
  workers: z.int().positive().optional(),
  env: z.record(z.string(), z.string()).default({}),
  cwd: z.string().optional(),
  output: z.string().min(1).default('{range}.out'),
  startTimeoutSeconds: z.number().positive().default(120),
  rangeTimeoutSeconds: z.number().positive().optional(),
});

/** The job file as validated, defaults applied. */
export const jobFileSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, dash or underscore').optional(),
  inputs: z.array(input).min(1),
  eventsPerRange: z.int().positive(),
  payload,
  output: z.string().min(1).default('outputs'),
  maxAttempts: z.int().min(1).max(100).default(3),
  workdir: z.string().optional(),
});

/** A validated job file. */
export type JobFile = z.infer<typeof jobFileSchema>;
