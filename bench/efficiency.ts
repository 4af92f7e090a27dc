// Efficiency on real runs: the real `yoda run` command on a fixed-duration payload and on the montecarlo example.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { workdirPaths } from '../src/workdir/paths.js';
import { readJournal } from '../src/journal/read.js';
import { BENCH_DIR } from './child.js';
import type { BenchConfig } from './config.js';
import { realPython } from './edge.js';
import { runEfficiency, type RunEfficiency } from './run-stats.js';

/** Root of the repository (dist-bench/bench/../..). */
const ROOT = resolve(BENCH_DIR, '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');

/** One real run's figures: its efficiency, and the whole command's wall time. */
export interface EfficiencyFigures extends RunEfficiency {
  job: string;
  /** Wall seconds of the whole `yoda run` process, start to exit (job loading and shutdown included). */
  processSeconds: number;
}

/** Runs a command in its own process group; rejects with its output when it fails or outlives `timeoutMs`. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<number> {
  return new Promise((resolveRun, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-4000)));
    child.stderr.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-4000)));
    const timer = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolveRun((performance.now() - t0) / 1000);
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${output}`));
    });
  });
}

async function runJob(
  name: string,
  jobFile: string,
  workdir: string,
  workers: number,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<EfficiencyFigures> {
  const processSeconds = await run(
    process.execPath,
    [CLI, 'run', jobFile, '--workdir', workdir, '--quiet'],
    env,
    timeoutMs,
  );
  const { records } = readJournal(workdirPaths(workdir).journal);
  return { job: name, ...runEfficiency(records, workers, 1), processSeconds: Number(processSeconds.toFixed(3)) };
}

/** Runs workers x rangesPerWorker ranges of a payload that keeps one core busy for `seconds` per range. */
export async function measureFixed(c: BenchConfig): Promise<EfficiencyFigures> {
  const f = c.fixed;
  const dir = mkdtempSync(join(tmpdir(), 'yoda-bench-fixed-'));
  try {
    const ranges = f.workers * f.rangesPerWorker;
    writeFileSync(join(dir, 'events.txt'), Array.from({ length: ranges }, (_, k) => `${k}\n`).join(''));
    const job = {
      name: 'fixed-ranges',
      inputs: [{ files: 'events.txt', events: ranges }],
      eventsPerRange: 1,
      payload: {
        // The interpreter itself: a wrapper such as pyenv's shim would add its own start-up to Yoda's first range.
        command: [realPython('python3'), join(ROOT, 'bench', 'payloads', 'fixed_range.py')],
        workers: f.workers,
        coresPerWorker: 1,
        env: { FIXED_RANGE_SECONDS: String(f.seconds) },
      },
    };
    writeFileSync(join(dir, 'job.yaml'), stringify(job));
    const timeoutMs = (ranges * f.seconds * 3 + 120) * 1000;
    return await runJob(
      `${f.workers} workers x ${f.rangesPerWorker} ranges of ${f.seconds} s`,
      join(dir, 'job.yaml'),
      join(dir, 'work'),
      f.workers,
      {},
      timeoutMs,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the montecarlo example (a copy of it, inputs made by its make_inputs.py); null when the example is absent. */
export async function measureMontecarlo(c: BenchConfig, workers: number): Promise<EfficiencyFigures | null> {
  const example = join(ROOT, 'examples', 'montecarlo');
  if (!existsSync(join(example, 'job.yaml')) || !existsSync(join(example, 'make_inputs.py'))) return null;
  const dir = mkdtempSync(join(tmpdir(), 'yoda-bench-mc-'));
  try {
    for (const f of ['job.yaml', 'payload.py', 'make_inputs.py']) cpSync(join(example, f), join(dir, f));
    mkdirSync(join(dir, 'inputs'));
    const m = c.montecarlo;
    await run(
      'python3',
      [
        join(dir, 'make_inputs.py'),
        '--files',
        String(m.files),
        '--events',
        String(m.events),
        '--out',
        join(dir, 'inputs'),
      ],
      {},
      300_000,
    );
    const env = { PYTHONPATH: [join(ROOT, 'python'), process.env.PYTHONPATH].filter(Boolean).join(':') };
    return await runJob('montecarlo example', join(dir, 'job.yaml'), join(dir, 'work'), workers, env, 900_000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
