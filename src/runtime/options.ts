// The options of `yoda run`, validated once at the composition root: one object, one place for defaults and tuning.
import { z } from 'zod';
import type { DroidTuning } from '../droid/start.js';
import type { YodaTuning } from '../yoda/start.js';
import { YodaError } from '../util/errors.js';

/** Options of `yoda run`, validated (times in seconds, `deadline` in epoch ms). */
export interface RunOptions {
  jobfile: string;
  workdir?: string;
  fresh: boolean;
  /** --retry-fatal: the fatal ranges get fresh attempts; done ranges stay done. */
  retryFatal: boolean;
  grace: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  quiet: boolean;
  heartbeat: number;
  droidTimeout: number;
  progress: number;
  interface?: string;
  /** When the allocation ends (epoch ms), when given on the command line. */
  deadline?: number;
  margin: number;
  rendezvousTimeout: number;
  allowSharedNode: boolean;
  insecure: boolean;
  /** Run again the done ranges whose outputs are gone. */
  rerunMissing: boolean;
}

/** Defaults of `yoda run`'s options (the --help text shows the same values). */
export const RUN_DEFAULTS = {
  grace: 60,
  droidTimeout: 10,
  progress: 30,
  margin: 60,
  rendezvousTimeout: 300,
  logLevel: 'info',
} as const;

/** The default heartbeat: 2 s, or a third of --droid-timeout when that is shorter (so a quiet Droid is never lost). */
export function defaultHeartbeat(droidTimeout: number): number {
  return Math.min(2, droidTimeout / 3);
}

/** Droid knobs that are not options: at least one spare range per slot (more for short ranges), results sent every 200 ms or 64 at a time. */
export const DROID_DEFAULTS = {
  prefetchPerSlot: 1,
  reportIntervalMs: 200,
  reportBatch: 64,
  maxStartFailures: 3,
  giveUpFactor: 6,
} as const;

/** The deadline may lie at most this far ahead (a year): anything later is a typo. */
const MAX_DEADLINE_AHEAD_MS = 366 * 24 * 3600 * 1000;
const DAY = 24 * 3600;

const NUMBER_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

// A number of seconds given as text (or as a number by a caller), within [min, max].
function seconds(min: number, max: number, minOpen = false) {
  return z.union([z.string(), z.number()]).transform((v, ctx) => {
    const n = typeof v === 'number' ? v : NUMBER_TEXT.test(v.trim()) ? Number(v) : NaN;
    if (!Number.isFinite(n)) {
      ctx.addIssue({ code: 'custom', message: 'expected a number of seconds' });
      return z.NEVER;
    }
    if (minOpen ? n <= min : n < min) {
      ctx.addIssue({ code: 'custom', message: `expected a number ${minOpen ? 'above' : 'of at least'} ${min}` });
      return z.NEVER;
    }
    if (n > max) {
      ctx.addIssue({ code: 'custom', message: `expected at most ${max} s` });
      return z.NEVER;
    }
    return n;
  });
}

const nonEmpty = (what: string) =>
  z.string().refine((s) => s.trim().length > 0, `expected ${what}, got an empty value`);

const rawSchema = z.object({
  jobfile: nonEmpty('a job file'),
  workdir: nonEmpty('a directory').optional(),
  fresh: z.boolean().default(false),
  'retry-fatal': z.boolean().default(false),
  grace: seconds(0, DAY).default(RUN_DEFAULTS.grace),
  'log-level': z.enum(['debug', 'info', 'warn', 'error']).default(RUN_DEFAULTS.logLevel),
  quiet: z.boolean().default(false),
  heartbeat: seconds(0, 3600, true).optional(),
  'droid-timeout': seconds(0, DAY, true).default(RUN_DEFAULTS.droidTimeout),
  progress: seconds(1, DAY).default(RUN_DEFAULTS.progress),
  interface: nonEmpty('an interface name or IP address').optional(),
  deadline: z.union([z.string(), z.number()]).optional(),
  margin: seconds(0, DAY).default(RUN_DEFAULTS.margin),
  'rendezvous-timeout': seconds(0, 7 * DAY, true).default(RUN_DEFAULTS.rendezvousTimeout),
  'allow-shared-node': z.boolean().default(false),
  insecure: z.boolean().default(false),
  'rerun-missing': z.boolean().default(false),
});

/** Epoch seconds, or an ISO 8601 date (with optional time and zone): anything else is not a deadline. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$/;

/** Parses --deadline (ISO 8601 date-time with a date part, or epoch seconds); errors name the value and what is expected. */
export function parseDeadline(text: string, now = Date.now()): number {
  const t = text.trim();
  const ms = /^\d+$/.test(t) ? Number(t) * 1000 : ISO_DATE_TIME.test(t) ? Date.parse(t) : NaN;
  const bad = (why: string) =>
    new YodaError('BAD_USAGE', `--deadline ${JSON.stringify(text)}: ${why}`, { option: 'deadline', value: text });
  if (!Number.isFinite(ms)) throw bad('give an ISO 8601 date-time (2026-11-22T06:00:00Z) or epoch seconds');
  if (ms <= now) throw bad(`that is in the past (now is ${new Date(now).toISOString()})`);
  if (ms - now > MAX_DEADLINE_AHEAD_MS) throw bad('that is more than a year ahead: give the end of this allocation');
  return ms;
}

/** Option names as the user types them, for messages. */
function optionName(key: PropertyKey | undefined): string {
  return `--${String(key ?? '')}`;
}

/** Refuses `--flag=value` for a boolean flag when value is not true or false (yargs reads anything else as false). */
export function checkBooleanFlags(argv: readonly string[], flags: readonly string[]): void {
  for (const arg of argv) {
    const m = /^--(no-)?([A-Za-z-]+)=(.*)$/.exec(arg);
    if (m && flags.includes(m[2]) && !['true', 'false'].includes(m[3])) {
      throw new YodaError('BAD_USAGE', `--${m[2]}=${m[3]}: a yes/no option takes no value (or =true / =false)`, {
        option: m[2],
        value: m[3],
      });
    }
  }
}

/** Validates the raw yargs arguments of `yoda run`; throws BAD_USAGE naming the option and its value. */
export function runOptionsFrom(raw: Record<string, unknown>, now = Date.now()): RunOptions {
  const r = rawSchema.safeParse(raw);
  if (!r.success) {
    const lines = r.error.issues.map((i) => {
      const key = i.path[0];
      return `${optionName(key)} ${JSON.stringify(raw[key as string] ?? null)}: ${i.message}`;
    });
    throw new YodaError('BAD_USAGE', lines.join('\n'), { option: String(r.error.issues[0].path[0] ?? '') });
  }
  const a = r.data;
  const droidTimeout = a['droid-timeout'];
  const heartbeat = a.heartbeat ?? defaultHeartbeat(droidTimeout);
  if (droidTimeout < 2 * heartbeat) {
    throw new YodaError(
      'BAD_USAGE',
      `--droid-timeout ${droidTimeout} with --heartbeat ${heartbeat}: the timeout must be at least twice the heartbeat, or every Droid is lost between two heartbeats`,
      { option: 'droid-timeout', value: droidTimeout },
    );
  }
  const deadline = a.deadline === undefined ? undefined : parseDeadline(String(a.deadline), now);
  if (deadline !== undefined && deadline - now <= a.margin * 1000) {
    throw new YodaError(
      'BAD_USAGE',
      `--deadline ${String(a.deadline)} with --margin ${a.margin}: the deadline is closer than the margin, no range could run`,
      { option: 'margin', value: a.margin },
    );
  }
  return {
    jobfile: a.jobfile,
    ...(a.workdir !== undefined ? { workdir: a.workdir } : {}),
    fresh: a.fresh,
    retryFatal: a['retry-fatal'],
    grace: a.grace,
    logLevel: a['log-level'],
    quiet: a.quiet,
    heartbeat,
    droidTimeout,
    progress: a.progress,
    ...(a.interface !== undefined ? { interface: a.interface } : {}),
    ...(deadline !== undefined ? { deadline } : {}),
    margin: a.margin,
    rendezvousTimeout: a['rendezvous-timeout'],
    allowSharedNode: a['allow-shared-node'],
    insecure: a.insecure,
    rerunMissing: a['rerun-missing'],
  };
}

/** The Droid's tuning for these options. */
export function droidTuning(o: RunOptions): DroidTuning {
  const { prefetchPerSlot, reportIntervalMs, reportBatch, maxStartFailures, giveUpFactor } = DROID_DEFAULTS;
  return {
    prefetchPerSlot,
    reportIntervalMs,
    reportBatch,
    heartbeatSeconds: o.heartbeat,
    maxStartFailures,
    yodaTimeoutSeconds: o.droidTimeout,
    yodaGiveUpSeconds: o.droidTimeout * giveUpFactor,
  };
}

/** Yoda's tuning for these options, its node, this launch's rank count and the allocation's end (epoch ms or null). */
export function yodaTuning(o: RunOptions, node: string, expectedDroids: number, deadline: number | null): YodaTuning {
  // A Droid that may still run a range stops within its drain grace, or when it gives up on a silent Yoda.
  const holdBackSeconds = Math.max(o.grace, o.droidTimeout * DROID_DEFAULTS.giveUpFactor) + o.droidTimeout;
  return {
    node,
    holdBackSeconds,
    heartbeatSeconds: o.heartbeat,
    droidTimeoutSeconds: o.droidTimeout,
    expectedDroids,
    joinTimeoutSeconds: o.rendezvousTimeout,
    leaveTimeoutSeconds: o.grace + 30,
    progressSeconds: o.progress,
    deadline,
    marginSeconds: o.margin,
  };
}
