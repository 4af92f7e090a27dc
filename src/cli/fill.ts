// `yoda fill`: keep a job fed with allocations sized to what Slurm has free, until it is complete.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defineCommand } from './command.js';
import { loadJob } from '../job/load.js';
import { openWorkdir } from '../job/workdir.js';
import { parseSlurmTimeLeft } from '../batch/walltime.js';
import { readSlurmState, sbatch, sbatchTestOnly } from '../batch/slurm-query.js';
import { fillLoop } from '../fill/loop.js';
import { readFillJob } from '../fill/job-state.js';
import { fillMarker, sbatchArgs, type SubmitContext } from '../fill/sbatch-args.js';
import { findPackageRoot } from '../util/package-root.js';
import { YodaError } from '../util/errors.js';

// A whole number of at least `min`, or BAD_USAGE naming the option.
function count(name: string, v: unknown, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new YodaError('BAD_USAGE', `--${name} must be a whole number >= ${min}, got "${String(v)}"`, {
      option: name,
      value: v,
    });
  return n;
}

// Minutes from a Slurm time (minutes, MM:SS, HH:MM:SS, D-HH[:MM[:SS]]), or BAD_USAGE naming the option.
function minutes(name: string, v: string): number {
  let s: number | null;
  try {
    s = parseSlurmTimeLeft(v);
  } catch {
    s = null;
  }
  if (s === null || s < 60)
    throw new YodaError(
      'BAD_USAGE',
      `--${name} must be a Slurm time of at least a minute (minutes, HH:MM:SS or D-HH:MM:SS), got "${v}"`,
      { option: name, value: v },
    );
  return Math.floor(s / 60);
}

/** `yoda fill <jobfile> --workdir W [options] [-- extra sbatch arguments]`. */
export const fillCli = defineCommand({
  command: 'fill <jobfile>',
  describe:
    'keep a job fed on Slurm: submit allocations sized to the idle nodes and their windows until the job is complete',
  builder: (y) =>
    y
      .parserConfiguration({ 'populate--': true })
      .positional('jobfile', { type: 'string', demandOption: true, describe: 'job file (YAML or JSON)' })
      .option('workdir', {
        alias: 'w',
        type: 'string',
        demandOption: true,
        describe: 'work directory of the job (on a filesystem every node sees)',
      })
      .option('max-nodes', {
        type: 'string',
        default: '1000000',
        describe: 'at most this many nodes working for the job at once',
      })
      .option('max-jobs', {
        type: 'string',
        default: '2',
        describe: 'at most this many allocations of ours pending in the queue',
      })
      .option('partition', {
        alias: 'p',
        type: 'string',
        describe: "partition to fill (default: the cluster's default partition)",
      })
      .option('account', { alias: 'A', type: 'string', describe: 'account to charge (sbatch --account)' })
      .option('time-max', {
        type: 'string',
        default: '4:00:00',
        describe: 'longest time limit to ask for (Slurm time: minutes, HH:MM:SS, D-HH:MM:SS)',
      })
      .option('time-min', {
        type: 'string',
        default: '30',
        describe: 'sbatch --time-min (capped at each time limit): the backfill scheduler may shorten us down to it',
      })
      .option('interval', { type: 'string', default: '30', describe: 'seconds between rounds' })
      .option('dry-run', {
        type: 'boolean',
        default: false,
        describe: 'print what would be submitted and why (the windows seen), then exit',
      })
      .option('script', {
        type: 'string',
        describe: 'batch script to submit (default: slurm/yoda-backfill.sbatch of this package)',
      }),
  handler: async (a) => {
    const extra = ((a as Record<string, unknown>)['--'] as unknown[] | undefined)?.map(String) ?? [];
    const o = {
      partition: a.partition ?? null,
      account: a.account ?? null,
      maxNodes: count('max-nodes', a['max-nodes'], 1),
      maxJobs: count('max-jobs', a['max-jobs'], 1),
      timeMaxMinutes: minutes('time-max', a['time-max']),
      timeMinMinutes: minutes('time-min', a['time-min']),
      intervalSeconds: count('interval', a.interval, 1),
      dryRun: a['dry-run'],
      marker: fillMarker(a.workdir),
    };
    const script = resolve(a.script ?? join(findPackageRoot(), 'slurm', 'yoda-backfill.sbatch'));
    if (!existsSync(script))
      throw new YodaError('BAD_USAGE', `--script ${script} does not exist`, { option: 'script', value: script });
    // The job file is checked and the work directory prepared (events counted) here, so the ranges left are known.
    await openWorkdir(a.workdir, loadJob(a.jobfile), false);
    const ctx: SubmitContext = {
      script,
      jobFile: a.jobfile,
      workdir: a.workdir,
      marker: o.marker,
      account: o.account,
      extra,
    };
    // Slurm's own check of the partition, account and extra arguments before anything is submitted (exit 2 when refused).
    const probe = {
      nodes: 1,
      timeMinutes: 1,
      timeMinMinutes: 1,
      signalSeconds: 30,
      partition: o.partition ?? '',
      onNodes: [],
      why: 'probe',
    };
    await sbatchTestOnly(sbatchArgs(probe, ctx), process.env, { partition: o.partition, account: o.account });
    let stop = false;
    let wake: (() => void) | null = null;
    const onSignal = () => {
      stop = true;
      wake?.();
    };
    for (const s of ['SIGINT', 'SIGTERM'] as const) process.on(s, onSignal);
    return fillLoop(
      {
        readJob: () => readFillJob(a.workdir),
        readCluster: () => readSlurmState(process.env, o.partition),
        submit: (s) => sbatch(sbatchArgs(s, ctx), process.env, { partition: s.partition, account: o.account }),
        describe: (s) => `sbatch ${sbatchArgs(s, ctx).join(' ')}`,
        say: (line) => process.stdout.write(`${line}\n`),
        sleep: (sec) =>
          new Promise<void>((r) => {
            const t = setTimeout(r, sec * 1000);
            wake = () => {
              clearTimeout(t);
              r();
            };
          }),
        stopped: () => stop,
      },
      o,
    );
  },
});
