// Speed where the work is done (issue 11): real `yoda run` jobs (local mode, every core a slot, journal and CURVE on)
// against `xargs -P<slots>` and mpi4py.futures on the same tasks: task i (optionally sleeps, then) writes one file.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { BENCH_DIR } from './child.js';
import type { BenchConfig } from './config.js';
import { cpuBetween, droidShare, sampleCpu, type CpuSample } from './edge-cpu.js';

const ROOT = resolve(BENCH_DIR, '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const PAYLOADS = join(ROOT, 'bench', 'payloads');

/**
 * Who ran the tasks: Yoda in command or daemon mode, a baseline, or a floor: `python-loop` (one plain Python loop per
 * slot over its share of the tasks) and `sh-loop` (one shell loop per slot running the task script): the payload
 * alone, with no coordination, the ceiling daemon mode (and mpi4py) and command mode (and xargs) sit under.
 */
export type EdgeMode = 'command' | 'daemon' | 'xargs' | 'mpi4py' | 'python-loop' | 'sh-loop';

/** The floor each runner is compared with (`vsFloor`). */
const FLOOR_OF: Record<EdgeMode, EdgeMode> = {
  command: 'sh-loop',
  xargs: 'sh-loop',
  'sh-loop': 'sh-loop',
  daemon: 'python-loop',
  mpi4py: 'python-loop',
  'python-loop': 'python-loop',
};

/** One runner on one workload. Rates and utilization are over the run's span (first task start to last output). */
export interface EdgeRow {
  mode: EdgeMode;
  payload: string;
  slots: number;
  ranges: number;
  rangeMs: number;
  /** ranges / span, where span = last output mtime - first output mtime + rangeMs (start-up and shutdown left out). */
  rangesPerSecond: number;
  /** ranges / wall time of the whole command (start-up, job loading and shutdown included). */
  processRangesPerSecond: number;
  /** ranges x rangeMs / (slots x span); null for no-op ranges. */
  utilization: number | null;
  /** rangesPerSecond / the xargs (mpi4py) row's on the same workload; null when that baseline did not run. */
  vsXargs: number | null;
  vsMpi4py: number | null;
  /** rangesPerSecond / its floor's (FLOOR_OF) on the same workload: how close to the payload alone. */
  vsFloor: number | null;
  /** Yoda-process CPU over the span / ranges, split by its CPU profile; null for the baselines. */
  droidCpuMicrosPerRange: number | null;
  yodaCpuMicrosPerRange: number | null;
}

/** How the baselines and Yoda are started on this machine. */
interface Runners {
  slots: number;
  /**
   * The one Python interpreter of the floor, of mpi4py and of Yoda's daemon workers (python3 when mpi4py is missing),
   * as its real path: a wrapper such as pyenv's shim costs each worker start a third of a second on this machine, and
   * a different interpreter would compare two payloads, not two runners.
   */
  python: string;
  /** That interpreter imports mpi4py.futures and mpiexec is there: the mpi4py rows run. */
  mpi4py: boolean;
}

const num3 = (x: number) => Number(x.toFixed(3));

/** The interpreter `py` runs in the end (sys.executable: past any shim or wrapper script). */
export function realPython(py: string): string {
  return execFileSync(py, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim() || py;
}

/** The first Python that imports mpi4py.futures (pyenv's python3 may lack Debian's python3-mpi4py), or null. */
function findMpiPython(): string | null {
  for (const py of ['python3', '/usr/bin/python3']) {
    try {
      execFileSync('mpiexec', ['--version'], { stdio: 'ignore' });
      execFileSync(py, ['-c', 'import mpi4py.futures'], { stdio: 'ignore' });
      return py;
    } catch {}
  }
  return null;
}

/** Runs a command in its own process group; resolves to its wall seconds and CPU samples (of its own process). */
export function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<{ seconds: number; cpu: CpuSample[] }> {
  return new Promise((resolveRun, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const sampler = child.pid ? sampleCpu(child.pid) : { samples: [], stop: () => {} };
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-4000)));
    child.stderr.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-4000)));
    const timer = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      sampler.stop();
      if (code === 0) resolveRun({ seconds: (performance.now() - t0) / 1000, cpu: sampler.samples });
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${output}`));
    });
  });
}

/** First and last mtime (ms) of the `*.done` files in `dir`, and how many there are. */
function outputTimes(dir: string): { first: number; last: number; count: number } {
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  let count = 0;
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.done')) continue;
    const m = statSync(join(dir, f)).mtimeMs;
    first = Math.min(first, m);
    last = Math.max(last, m);
    count++;
  }
  return { first, last, count };
}

interface Work {
  ranges: number;
  rangeMs: number;
}

/** Runs one runner on `w` in a fresh directory and computes its row (ratios filled in later). */
async function measure(mode: EdgeMode, w: Work, r: Runners): Promise<EdgeRow> {
  const dir = mkdtempSync(join(tmpdir(), `yoda-bench-edge-${mode}-`));
  const out = join(dir, 'out');
  mkdirSync(out);
  const sleep = String(w.rangeMs / 1000);
  const timeoutMs = w.ranges * (w.rangeMs + 50) + 300_000;
  let payload = '';
  let ran: { seconds: number; cpu: CpuSample[] };
  let profDir: string | null = null;
  try {
    if (mode === 'xargs') {
      payload = 'shell script';
      const script = `seq 0 ${w.ranges - 1} | xargs -P ${r.slots} -I{} /bin/sh ${join(PAYLOADS, 'edge_task.sh')} {} ${out}/{}.done`;
      ran = await run('/bin/sh', ['-c', script], { EDGE_SLEEP: sleep }, timeoutMs);
    } else if (mode === 'sh-loop') {
      payload = 'shell script';
      const task = join(PAYLOADS, 'edge_task.sh');
      const loop = (k: number) =>
        `(i=${k}; while [ $i -lt ${w.ranges} ]; do /bin/sh ${task} $i ${out}/$i.done; i=$((i+${r.slots})); done) &`;
      const script = `${Array.from({ length: r.slots }, (_, k) => loop(k)).join(' ')} wait`;
      ran = await run('/bin/sh', ['-c', script], { EDGE_SLEEP: sleep }, timeoutMs);
    } else if (mode === 'python-loop') {
      payload = 'python function';
      const args = [join(PAYLOADS, 'edge_floor.py'), String(r.slots), String(w.ranges)];
      ran = await run(r.python, args, { EDGE_SLEEP: sleep, EDGE_OUT: out }, timeoutMs);
    } else if (mode === 'mpi4py') {
      payload = 'python function';
      const root = process.getuid?.() === 0 ? ['--allow-run-as-root'] : [];
      const args = [
        ...root,
        '--oversubscribe',
        '-n',
        String(r.slots + 1),
        r.python,
        '-m',
        'mpi4py.futures',
        join(PAYLOADS, 'edge_mpi4py.py'),
        String(w.ranges),
      ];
      ran = await run('mpiexec', args, { EDGE_SLEEP: sleep, EDGE_OUT: out }, timeoutMs);
    } else {
      payload = mode === 'command' ? 'shell script' : 'python helper';
      writeFileSync(join(dir, 'events.txt'), 'edge\n');
      const command =
        mode === 'command'
          ? ['/bin/sh', join(PAYLOADS, 'edge_task.sh'), '{first}', '{output}']
          : [r.python, join(PAYLOADS, 'edge_worker.py')];
      const job = {
        name: `edge-${mode}`,
        inputs: [{ files: 'events.txt', events: w.ranges }],
        eventsPerRange: 1,
        output: out,
        payload: { mode, command, coresPerWorker: 1, env: { EDGE_SLEEP: sleep }, output: '{range}.done' },
      };
      writeFileSync(join(dir, 'job.yaml'), stringify(job));
      profDir = join(dir, 'prof');
      // Sampled every 5 ms, not 1 ms: enough samples to split the CPU, and a profiler that costs Yoda little wall time.
      const prof = ['--cpu-prof', '--cpu-prof-interval=5000', `--cpu-prof-dir=${profDir}`];
      const env = { PYTHONPATH: [join(ROOT, 'python'), process.env.PYTHONPATH].filter(Boolean).join(':') };
      ran = await run(
        process.execPath,
        [...prof, CLI, 'run', join(dir, 'job.yaml'), '--workdir', join(dir, 'work'), '--quiet'],
        env,
        timeoutMs,
      );
    }
    const t = outputTimes(out);
    if (t.count !== w.ranges) throw new Error(`edge ${mode}: ${t.count} of ${w.ranges} outputs written`);
    const spanMs = Math.max(1, t.last - t.first + w.rangeMs);
    let droidCpu: number | null = null;
    let yodaCpu: number | null = null;
    if (profDir) {
      const cpu = cpuBetween(ran.cpu, t.first - w.rangeMs, t.last);
      const share = droidShare(profDir);
      if (cpu !== null && share !== null) {
        droidCpu = num3((cpu * share * 1e6) / w.ranges);
        yodaCpu = num3((cpu * (1 - share) * 1e6) / w.ranges);
      }
      // BENCH_PROF_DIR keeps the edge runs' profiles for profile-top.js.
      const keep = process.env.BENCH_PROF_DIR;
      if (keep) {
        mkdirSync(keep, { recursive: true });
        for (const f of readdirSync(profDir))
          execFileSync('cp', [join(profDir, f), join(keep, `edge-${mode}-${w.ranges}x${w.rangeMs}ms-${f}`)]);
      }
    }
    return {
      mode,
      payload,
      slots: r.slots,
      ranges: w.ranges,
      rangeMs: w.rangeMs,
      rangesPerSecond: num3((1000 * w.ranges) / spanMs),
      processRangesPerSecond: num3(w.ranges / ran.seconds),
      utilization: w.rangeMs > 0 ? num3((w.ranges * w.rangeMs) / (r.slots * spanMs)) : null,
      vsXargs: null,
      vsMpi4py: null,
      vsFloor: null,
      droidCpuMicrosPerRange: droidCpu,
      yodaCpuMicrosPerRange: yodaCpu,
    };
  } finally {
    if (!process.env.BENCH_KEEP_WORKDIR) rmSync(dir, { recursive: true, force: true });
  }
}

/** Every edge case of `c`: the baselines on each workload, then Yoda's modes, with ratios to the baselines. */
export async function measureEdge(c: BenchConfig, say: (line: string) => void): Promise<EdgeRow[]> {
  const mpiPython = findMpiPython();
  const r: Runners = { slots: availableParallelism(), python: realPython(mpiPython ?? 'python3'), mpi4py: !!mpiPython };
  if (!r.mpi4py) say('edge: mpi4py.futures not available (apt-get install python3-mpi4py openmpi-bin): no mpi4py rows');
  const rows: EdgeRow[] = [];
  for (const w of c.edge) {
    const base: EdgeRow[] = [];
    for (const mode of ['sh-loop', 'xargs', 'python-loop', ...(r.mpi4py ? ['mpi4py'] : [])] as EdgeMode[]) {
      say(`edge: ${mode}, ${w.ranges} tasks of ${w.rangeMs} ms on ${r.slots} slots`);
      base.push(await measure(mode, w, r));
    }
    const rate = (m: EdgeMode) => base.find((b) => b.mode === m)?.rangesPerSecond;
    for (const mode of w.modes) {
      say(`edge: yoda ${mode} mode, ${w.ranges} ranges of ${w.rangeMs} ms`);
      base.push(await measure(mode, w, r));
    }
    for (const row of base) {
      const x = rate('xargs');
      const m = rate('mpi4py');
      const f = rate(FLOOR_OF[row.mode]);
      rows.push({
        ...row,
        vsFloor: f ? num3(row.rangesPerSecond / f) : null,
        vsXargs: x ? num3(row.rangesPerSecond / x) : null,
        vsMpi4py: m ? num3(row.rangesPerSecond / m) : null,
      });
    }
  }
  return rows;
}
