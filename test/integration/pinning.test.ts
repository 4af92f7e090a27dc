// Workers start pinned to their slot (native addon and taskset fallback): every thread of every worker, and
// the threads and processes a payload creates after its first range, are on the slot's CPUs (read from
// /proc/PID/task/*/status), `yoda status --json` lists the live workers; a worker over its memory limit is
// killed and its range fails with ERR_MEMORY_LIMIT in the journal.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { readJobSpec } from '../../src/job/load.js';
import { formatCpuList } from '../../src/util/cpu-list.js';
import { planForPayload } from '../../src/node/job-plan.js';
import { readTopology } from '../../src/node/read-topology.js';
import { CLI, jobDirs, killAll, ROOT, start, threadMasks, waitFor, yoda } from './proc.js';

afterEach(killAll);

// A job of `files` x `events` events, 5 per range, running test/fixtures/payloads/pinning.py.
function pinningJob(
  dir: string,
  workdir: string,
  o: {
    files: number;
    events: number;
    env: Record<string, string>;
    payload?: Record<string, unknown>;
    maxAttempts?: number;
  },
): { job: string; workdir: string } {
  mkdirSync(join(dir, 'in'), { recursive: true });
  for (let f = 0; f < o.files; f++)
    writeFileSync(join(dir, 'in', `f${f}.txt`), Array.from({ length: o.events }, (_, e) => `event ${e}\n`).join(''));
  const job = {
    name: 'pinning',
    inputs: [{ files: 'in/*.txt', events: o.events }],
    eventsPerRange: 5,
    maxAttempts: o.maxAttempts ?? 3,
    payload: { command: ['python3', join(ROOT, 'test/fixtures/payloads/pinning.py')], env: o.env, ...o.payload },
  };
  writeFileSync(join(dir, 'job.yaml'), stringify(job));
  return { job: join(dir, 'job.yaml'), workdir };
}

interface Recorded {
  pid: number;
  main: { tid: number; cpus: number[] };
  threads: { tid: number; cpus: number[] }[];
  child: number;
  env: Record<string, string | null>;
}

interface StatusWorker {
  node: string;
  slot: number;
  pid: number;
  cpus: number[];
  gpus: number[];
}

async function statusWorkers(dir: string, workdir: string, n: number): Promise<StatusWorker[]> {
  const { code, output } = await yoda(['status', workdir, '--json'], { log: join(dir, `status-${n}.out`) });
  expect(code).toBe(0);
  return (JSON.parse(output) as { workers: StatusWorker[] }).workers;
}

describe.each(['native', 'taskset'] as const)('workers start pinned (%s)', (how) => {
  it('every thread of every worker, also threads and a process created after the first range, runs on its slot CPUs; status lists the workers', async () => {
    const { dir, workdir } = jobDirs();
    const record = join(dir, 'record');
    mkdirSync(record);
    // Every range waits until the test creates `gate`: the workers are surely alive while the test looks at them.
    const gate = join(dir, 'gate-open');
    const { job } = pinningJob(dir, workdir, {
      files: 2,
      events: 20,
      env: { PIN_RECORD_DIR: record, PIN_GATE: gate },
      payload: { coreCountVariable: 'MY_CORES' },
    });
    // The slots this node gives the job (two 1-core slots on a 2-core VM).
    const expected = planForPayload(readTopology(), readJobSpec(job).payload).slots;
    const run = start(process.execPath, [CLI, 'run', job, '--workdir', workdir], {
      log: join(dir, 'run.log'),
      env: how === 'taskset' ? { YODA_AFFINITY: 'taskset' } : {},
    });

    const records = await waitFor('two workers to record the threads they started', () => {
      const files = readdirSync(record).filter((f) => f.endsWith('.json'));
      return (
        files.length >= Math.min(2, expected.length) &&
        files.map((f) => JSON.parse(readFileSync(join(record, f), 'utf8')) as Recorded)
      );
    });
    const workers = await statusWorkers(dir, workdir, 1);
    expect(workers.map((w) => [w.slot, w.cpus])).toEqual(expected.map((s) => [s.slot, s.cpus]));
    for (const r of records) {
      const w = workers.find((x) => x.pid === r.pid);
      expect(w, `worker ${r.pid} in yoda status --json`).toBeDefined();
      const tasks = threadMasks(r.pid);
      expect(tasks.size).toBeGreaterThanOrEqual(5); // main, control reader, three started after the first range
      for (const t of [r.main, ...r.threads]) {
        expect(t.cpus, `thread ${t.tid} as it saw itself`).toEqual(w!.cpus);
        expect(tasks.get(t.tid), `thread ${t.tid} in /proc`).toEqual(w!.cpus);
      }
      for (const [tid, mask] of tasks) expect(mask, `task ${tid} of worker ${r.pid}`).toEqual(w!.cpus);
      for (const [tid, mask] of threadMasks(r.child))
        expect(mask, `task ${tid} of the worker's child ${r.child}`).toEqual(w!.cpus);
      expect(r.env).toMatchObject({
        OMP_NUM_THREADS: '1',
        OMP_PLACES: `{${w!.cpus[0]}}`,
        OMP_PROC_BIND: 'close',
        MY_CORES: '1',
        YODA_CORES: '1',
        ATHENA_PROC_NUMBER: null,
      });
    }

    writeFileSync(gate, '');
    expect((await run.exit).code).toBe(0);
    const log = readFileSync(join(workdir, 'logs', 'yoda-rank0.log'), 'utf8');
    expect(log.split('workers are started through').length - 1).toBe(how === 'taskset' ? 1 : 0);
    expect(log).toContain(`workers start pinned (${how === 'taskset' ? 'taskset' : 'native addon'})`);
    expect(readFileSync(join(workdir, 'logs', 'workers', `${workers[0].node}.0.log`), 'utf8')).toContain(
      `on CPUs ${formatCpuList(expected[0].cpus)} (${how})`,
    );
    expect(await statusWorkers(dir, workdir, 2)).toEqual([]);
  });
});

describe('memory limit', () => {
  it('kills a worker whose tree passes its limit; the range fails with ERR_MEMORY_LIMIT in the journal; the rest is done', async () => {
    const { dir, workdir } = jobDirs();
    const { job } = pinningJob(dir, workdir, {
      files: 1,
      events: 20,
      env: { HOG_MB: '300', HOG_FIRST: '5' },
      payload: { memoryLimitMBPerCore: 100 },
      maxAttempts: 1,
    });
    const { code, output } = await yoda(['run', job, '--workdir', workdir], { log: join(dir, 'run.log') });
    expect(code, output).toBe(3); // the hog range is fatal after its one attempt; the others are done
    const records = readFileSync(join(workdir, 'journal.log'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l.slice(9)) as Record<string, unknown>);
    const fails = records.filter((r) => r.t === 'fail');
    expect(fails).toEqual([
      expect.objectContaining({
        code: 'ERR_MEMORY_LIMIT',
        fatal: true,
        msg: expect.stringMatching(/uses \d+ MB of resident memory, over the slot's limit of 100 MB/),
      }),
    ]);
    expect(records.filter((r) => r.t === 'done')).toHaveLength(3);
    const log = readFileSync(join(workdir, 'logs', 'yoda-rank0.log'), 'utf8');
    expect(log).toMatch(
      /slot \d: the worker's process tree uses \d+ MB .* limit of 100 MB .*killing it and failing the range in hand with ERR_MEMORY_LIMIT/,
    );
  });
  it('in command mode too: the per-range process over the limit is killed, its range fails once with ERR_MEMORY_LIMIT', async () => {
    const { dir, workdir } = jobDirs();
    const script =
      "import time\nhog = b'x' * (300 << 20) if {first} == 5 else b''\ntime.sleep(60 if hog else 0)\nopen('{output}', 'w').write('ok')\n";
    const { job } = pinningJob(dir, workdir, {
      files: 1,
      events: 20,
      env: {},
      payload: { mode: 'command', command: ['python3', '-c', script], memoryLimitMBPerCore: 100 },
      maxAttempts: 1,
    });
    const { code, output } = await yoda(['run', job, '--workdir', workdir], { log: join(dir, 'run.log') });
    expect(code, output).toBe(3);
    const records = readFileSync(join(workdir, 'journal.log'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l.slice(9)) as Record<string, unknown>);
    expect(records.filter((r) => r.t === 'fail')).toEqual([
      expect.objectContaining({ code: 'ERR_MEMORY_LIMIT', fatal: true }),
    ]);
    expect(records.filter((r) => r.t === 'done')).toHaveLength(3);
    expect(readFileSync(join(workdir, 'logs', 'yoda-rank0.log'), 'utf8')).not.toMatch(
      /broke the payload protocol|unexpectedly/,
    );
  });
});
