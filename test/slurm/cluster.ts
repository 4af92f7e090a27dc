// A real, private Slurm cluster for tests: one slurmctld and N slurmd's on this machine.
// Nodes n1..nN all run here (same hostname); they are told apart by SLURMD_NODENAME / SLURM_NODEID.
import { execa, type ResultPromise } from 'execa';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const SBIN = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin'];
const TERMINAL = new Set([
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TIMEOUT',
  'NODE_FAIL',
  'PREEMPTED',
  'BOOT_FAIL',
  'DEADLINE',
  'OUT_OF_MEMORY',
  'SPECIAL_EXIT',
]);

// Result of a command run against the cluster (never rejects on a non-zero exit).
export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

// A running test cluster; everything it writes stays under `base` for debugging.
export interface SlurmCluster {
  env: NodeJS.ProcessEnv;
  base: string;
  nodes: string[];
  // Runs in `base` unless told otherwise, so stray slurm-<id>.out files land there.
  run(cmd: string, args: string[], opts?: { cwd?: string; timeoutMs?: number }): Promise<RunResult>;
  sbatch(args: string[]): Promise<number>;
  waitJob(id: number, timeoutMs: number): Promise<{ state: string; exitCode: string }>;
  // Kills every job still in the queue (a job a failed test left behind would hold nodes the next test needs).
  cancelAll(): Promise<void>;
  stop(): Promise<void>;
}

function which(bin: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...SBIN];
  return dirs.map((d) => path.join(d, bin)).find((p) => existsSync(p));
}

// Whether this machine can run the cluster (binaries present, running as root).
export function slurmAvailable(): { ok: true } | { ok: false; why: string } {
  const missing = ['slurmctld', 'slurmd', 'munged', 'munge', 'sbatch', 'srun', 'scontrol', 'sinfo'].filter(
    (b) => !which(b),
  );
  if (missing.length)
    return { ok: false, why: `Slurm not installed (missing ${missing.join(', ')}); run .ci/install-slurm.sh` };
  if (process.getuid?.() !== 0) return { ok: false, why: 'the Slurm test cluster needs root (SlurmUser=root)' };
  return { ok: true };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function pollUntil<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(delay);
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '0.0.0.0', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

// `count` consecutive free TCP ports at a random spot, so parallel clusters do not clash.
async function freePorts(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const start = 20000 + Math.floor(Math.random() * 20000);
    let ok = true;
    for (let p = start; p < start + count && ok; p++) ok = await portFree(p);
    if (ok) return start;
  }
  throw new Error(`no ${count} consecutive free TCP ports found between 20000 and 40000`);
}

// Start munged unless one already answers; it is shared and left running afterwards.
async function ensureMunge(): Promise<void> {
  const works = async () => (await execa('munge', ['-n'], { reject: false, stdout: 'ignore' })).exitCode === 0;
  if (await works()) return;
  await execa('install', ['-d', '-o', 'munge', '-g', 'munge', '-m', '0755', '/run/munge']);
  const key = '/etc/munge/munge.key';
  if (!existsSync(key)) {
    await execa('install', ['-d', '-o', 'munge', '-g', 'munge', '-m', '0700', '/etc/munge']);
    await execa('dd', ['if=/dev/urandom', `of=${key}`, 'bs=1024', 'count=1'], { stderr: 'ignore' });
    await execa('chown', ['munge:munge', key]);
    await execa('chmod', ['0400', key]);
  }
  const started = await execa('runuser', ['-u', 'munge', '--', which('munged') ?? '/usr/sbin/munged'], {
    reject: false,
  });
  // A concurrent starter may have won the race: only the end result matters.
  await pollUntil('munged to answer `munge -n`', 10_000, async () => ((await works()) ? true : undefined)).catch(
    (e: Error) => {
      throw new Error(`${e.message}; munged said: ${started.stderr || started.stdout}`);
    },
  );
}

// The environment for client commands: our SLURM_CONF, no Slurm variables of an enclosing job.
function clusterEnv(conf: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(SLURM|SBATCH|SRUN|SALLOC|SQUEUE|SINFO)_/.test(k)) env[k] = v;
  }
  env.SLURM_CONF = conf;
  return env;
}

interface Daemon {
  name: string;
  proc: ResultPromise;
  exited: boolean;
}

// Processes (other than ours) whose environment carries SLURM_CONF=<conf>: stepds and job tasks.
function processesOf(conf: string): number[] {
  const needle = `\0SLURM_CONF=${conf}\0`;
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    const pid = Number(d);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (`\0${readFileSync(`/proc/${pid}/environ`, 'latin1')}`.includes(needle)) pids.push(pid);
    } catch {
      /* gone or not ours to read */
    }
  }
  return pids;
}

function kill(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

// Start a fresh cluster of `nodes` nodes and wait until every node is idle.
export async function startCluster(opts: {
  nodes: number;
  cpusPerNode?: number;
  base?: string;
}): Promise<SlurmCluster> {
  const avail = slurmAvailable();
  if (!avail.ok) throw new Error(avail.why);
  const n = opts.nodes;
  if (!Number.isInteger(n) || n < 1) throw new Error(`startCluster: nodes must be a positive integer, got ${n}`);
  const cpus = opts.cpusPerNode ?? 1;
  const base = opts.base ?? mkdtempSync(path.join(os.tmpdir(), 'yoda-slurm-'));
  const nodes = Array.from({ length: n }, (_, i) => `n${i + 1}`);
  for (const d of ['state', 'run', 'log', ...nodes.flatMap((x) => [`spool/${x}`, `tmp/${x}`])]) {
    mkdirSync(path.join(base, d), { recursive: true });
  }
  const host = os.hostname().split('.')[0];
  const ctldPort = await freePorts(1);
  const firstPort = await freePorts(n);
  const oversubscribed = cpus > os.availableParallelism();
  const conf = path.join(base, 'slurm.conf');
  const vars: Record<string, string> = {
    HOST: host,
    BASE: base,
    CTLD_PORT: String(ctldPort),
    CPUS: String(cpus),
    NODES: n === 1 ? 'n1' : `n[1-${n}]`,
    PORTS: n === 1 ? String(firstPort) : `[${firstPort}-${firstPort + n - 1}]`,
    TASK_PLUGIN: oversubscribed ? 'task/none' : 'task/affinity',
    SLURMD_PARAMETERS: oversubscribed ? 'SlurmdParameters=config_overrides' : '',
  };
  const template = readFileSync(path.join(here, 'slurm.conf.template'), 'utf8');
  writeFileSync(
    conf,
    template.replace(/@([A-Z_]+)@/g, (m, k: string) => vars[k] ?? m),
  );
  const env = clusterEnv(conf);

  await ensureMunge();
  const daemons: Daemon[] = [];
  const spawn = (name: string, bin: string, args: string[]) => {
    const out = { file: path.join(base, 'log', `${name}.out`), append: true };
    const proc = execa(which(bin) ?? bin, args, {
      env,
      detached: true,
      cleanup: false,
      reject: false,
      stdin: 'ignore',
      stdout: out,
      stderr: out,
    });
    const d: Daemon = { name, proc, exited: false };
    void proc.then(() => {
      d.exited = true;
    });
    daemons.push(d);
  };
  // Safety net: if the test process dies without stop(), do not leave daemons behind.
  const onExit = () => {
    for (const d of daemons) if (!d.exited && d.proc.pid) kill(-d.proc.pid, 'SIGKILL');
  };
  process.once('exit', onExit);

  const run = async (cmd: string, args: string[], o: { cwd?: string; timeoutMs?: number } = {}) => {
    const r = await execa(cmd, args, {
      env,
      reject: false,
      cwd: o.cwd ?? base,
      timeout: o.timeoutMs ?? 60_000,
      stdin: 'ignore',
    });
    return { stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), exitCode: r.exitCode ?? -1 };
  };
  const logTail = (file: string) => {
    try {
      return readFileSync(path.join(base, 'log', file), 'utf8')
        .split('\n')
        .slice(-15)
        .join('\n');
    } catch {
      return '(no log)';
    }
  };

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    const q = await run('squeue', ['-h', '-o', '%i'], { timeoutMs: 10_000 });
    const ids = q.stdout.split(/\s+/).filter(Boolean);
    if (ids.length) {
      await run('scancel', ids, { timeoutMs: 10_000 });
      await pollUntil('jobs to end', 15_000, async () => {
        const r = await run('squeue', ['-h', '-o', '%i'], { timeoutMs: 10_000 });
        return r.exitCode !== 0 || r.stdout.trim() === '' ? true : undefined;
      }).catch(() => undefined);
    }
    for (const d of daemons) if (!d.exited && d.proc.pid) kill(-d.proc.pid, 'SIGTERM');
    await Promise.race([Promise.all(daemons.map((d) => d.proc)), sleep(10_000)]);
    for (const d of daemons) if (!d.exited && d.proc.pid) kill(-d.proc.pid, 'SIGKILL');
    // slurmstepd and job tasks leave the daemons' groups; they inherit our SLURM_CONF.
    for (const pid of processesOf(conf)) kill(pid, 'SIGKILL');
    process.removeListener('exit', onExit);
  };

  try {
    spawn('slurmctld', 'slurmctld', ['-D', '-c', '-f', conf]);
    for (const node of nodes) spawn(`slurmd-${node}`, 'slurmd', ['-D', '-N', node, '-f', conf]);
    await pollUntil(`${n} idle nodes (see ${base}/log)`, 60_000, async () => {
      const dead = daemons.find((d) => d.exited);
      if (dead) {
        const log = dead.name === 'slurmctld' ? 'slurmctld.log' : `${dead.name}.log`;
        throw new Error(`${dead.name} exited during start-up:\n${logTail(`${dead.name}.out`)}\n${logTail(log)}`);
      }
      const r = await run('sinfo', ['-h', '-N', '-o', '%N %t'], { timeoutMs: 10_000 });
      if (r.exitCode !== 0) return undefined;
      const idle = r.stdout.split('\n').filter((l) => /^\S+ idle$/.test(l.trim())).length;
      return idle === n ? true : undefined;
    });
  } catch (e) {
    await stop();
    throw e;
  }

  const sbatch = async (args: string[]) => {
    const r = await run('sbatch', ['--parsable', ...args]);
    const id = Number(r.stdout.trim().split(';')[0]);
    if (r.exitCode !== 0 || !Number.isInteger(id)) {
      throw new Error(`sbatch ${args.join(' ')} failed (exit ${r.exitCode}): ${r.stderr.trim() || r.stdout.trim()}`);
    }
    return id;
  };
  const waitJob = async (id: number, timeoutMs: number) => {
    let last = '';
    return pollUntil(`job ${id} to finish`, timeoutMs, async () => {
      const r = await run('scontrol', ['show', 'job', '-o', String(id)], { timeoutMs: 10_000 });
      if (r.exitCode !== 0) throw new Error(`scontrol show job ${id}: ${r.stderr.trim()}`);
      const state = /\bJobState=(\S+)/.exec(r.stdout)?.[1] ?? '';
      const exitCode = /\bExitCode=(\S+)/.exec(r.stdout)?.[1] ?? '';
      last = `${state} ${/\bReason=(\S+)/.exec(r.stdout)?.[0] ?? ''}`;
      return TERMINAL.has(state) ? { state, exitCode } : undefined;
    }).catch((e: Error) => {
      throw new Error(`${e.message} (last seen: ${last})`);
    });
  };

  const cancelAll = async () => {
    const q = await run('squeue', ['-h', '-o', '%i']);
    const ids = q.stdout.split(/\s+/).filter(Boolean);
    if (ids.length) await run('scancel', ['--signal=KILL', ...ids]);
  };

  return { env, base, nodes, run, sbatch, waitJob, cancelAll, stop };
}
