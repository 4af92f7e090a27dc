// `yoda plan`: the packing of a job file as a map and as JSON, on this node or a recorded one; nothing runs.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ROOT, tempDir, yoda } from './proc.js';

// A job file whose inputs do not exist: planning must not look for them.
function jobFile(dir: string, payload: Record<string, unknown>): string {
  const path = join(dir, `job-${readdirSync(dir).length}.yaml`);
  writeFileSync(
    path,
    stringify({
      name: 'plan',
      inputs: [{ files: 'nowhere/*.root', events: 10 }],
      eventsPerRange: 5,
      payload: { command: ['no-such-program'], ...payload },
    }),
  );
  return path;
}

interface PlanJson {
  topology: { allowed: string; cpus: number; cores: number; sockets: number; numaNodes: unknown[]; gpus: unknown[] };
  slots: {
    slot: number;
    width: number;
    cpus: number[];
    gpus: number[];
    memoryLimitMB: number | null;
    env: Record<string, string | null>;
  }[];
  reserved: number[];
  warnings: string[];
}

// A recorded 2-vCPU VM, for the cases that expect one particular layout whatever node runs the tests.
const VM = join(ROOT, 'test/fixtures/topology/vm-2core.json');

describe('yoda plan', () => {
  it('prints the map of a (recorded 2-core) node and the same plan as JSON, and starts nothing', async () => {
    const dir = tempDir();
    const job = jobFile(dir, { memoryLimitMBPerCore: 2048 });
    const text = await yoda(['plan', job, '--topology', VM], { cwd: dir, log: join(dir, 'plan.out') });
    expect(text.code, text.output).toBe(0);
    expect(text.output).toContain('2 daemon worker slot(s) on ');
    expect(text.output).toContain('nothing was started');
    expect(text.output).toContain('socket 0 numa 0: [ 0 1 ]');
    expect(text.output).toMatch(
      /^slot 0: OMP_NUM_THREADS=1 OMP_PLACES=\{0\} OMP_PROC_BIND=close ATHENA_PROC_NUMBER=1 YODA_CORES=1; killed above 2048 MB resident$/m,
    );
    const json = await yoda(['plan', job, '--json', '--topology', VM], { cwd: dir, log: join(dir, 'plan.json') });
    expect(json.code).toBe(0);
    const plan = JSON.parse(json.output) as PlanJson;
    expect(plan.slots.map((s) => [s.slot, s.width, s.cpus, s.memoryLimitMB])).toEqual([
      [0, 1, [0], 2048],
      [1, 1, [1], 2048],
    ]);
    expect(readdirSync(dir).sort()).toEqual(['job-0.yaml', 'plan.json', 'plan.out']);
  });

  it('plans a recorded GPU node: one 16-core worker with 2 GPUs and eight 1-core workers without', async () => {
    const dir = tempDir();
    const job = jobFile(dir, {
      slots: [
        { cores: 16, count: 1, gpus: 2 },
        { cores: 1, count: 8 },
      ],
      gpusPerWorker: 0,
      reserveCores: 1,
      smt: 'all-threads',
      coreCountVariable: 'NPROC',
    });
    const topology = join(ROOT, 'test/fixtures/topology/four-gpu.json');
    const { code, output } = await yoda(['plan', job, '--json', '--topology', topology], {
      cwd: dir,
      log: join(dir, 'plan.json'),
    });
    expect(code, output).toBe(0);
    const plan = JSON.parse(output) as PlanJson;
    expect(plan.slots.map((s) => [s.width, s.cpus.length, s.gpus])).toEqual([
      [16, 32, [0, 1]],
      ...Array(8).fill([1, 2, []]),
    ]);
    expect(plan.slots[0].env).toMatchObject({
      OMP_NUM_THREADS: '32',
      NPROC: '32',
      CUDA_VISIBLE_DEVICES: expect.stringMatching(/^GPU-\S+,GPU-\S+$/),
    });
    expect(plan.slots[1].env).toMatchObject({ OMP_NUM_THREADS: '2', CUDA_VISIBLE_DEVICES: '' });
    expect(plan.reserved).toEqual([31, 63]);
  });

  it('records this node with --save-topology and plans the same from the recording', async () => {
    const dir = tempDir();
    const job = jobFile(dir, { coresPerWorker: 1, placement: 'scatter' });
    const saved = join(dir, 'node.json');
    // GPU visibility is part of the node as this process sees it: an entry no GPU matches hides every GPU, with a warning.
    const env = { CUDA_VISIBLE_DEVICES: 'GPU-no-such-gpu' };
    expect(
      (await yoda(['plan', job, '--save-topology', saved], { cwd: dir, log: join(dir, 'save.out'), env })).output,
    ).toContain(`recorded this node's topology in ${saved}`);
    expect(JSON.parse(readFileSync(saved, 'utf8')).env).toEqual(env);
    const here = JSON.parse(
      (await yoda(['plan', job, '--json'], { cwd: dir, log: join(dir, 'a.json'), env })).output,
    ) as PlanJson;
    const there = JSON.parse(
      (await yoda(['plan', job, '--json', '--topology', saved], { cwd: dir, log: join(dir, 'b.json') })).output,
    ) as PlanJson;
    expect(there.slots).toEqual(here.slots);
    expect(there.topology).toEqual(here.topology);
    expect(there.warnings).toEqual(here.warnings);
    expect(here.warnings).toContainEqual(expect.stringContaining('CUDA_VISIBLE_DEVICES=GPU-no-such-gpu'));
  });

  it('exits 2 naming the field when the job file or the (recorded 2-core) node cannot hold the request', async () => {
    const dir = tempDir();
    const both = await yoda(['plan', jobFile(dir, { coresPerWorker: 2, slots: [{ cores: 1 }] }), '--topology', VM], {
      cwd: dir,
      log: join(dir, 'both.out'),
    });
    expect([both.code, both.output]).toEqual([
      2,
      expect.stringContaining('payload.slots: give either slots or coresPerWorker, not both'),
    ]);
    const wide = await yoda(['plan', jobFile(dir, { coresPerWorker: 4 }), '--topology', VM], {
      cwd: dir,
      log: join(dir, 'wide.out'),
    });
    expect([wide.code, wide.output]).toEqual([
      2,
      expect.stringMatching(
        /payload\.coresPerWorker \{cores: 4\} cannot be met: slot 1 needs 4 cores, but 2 of 2 allowed cores are free/,
      ),
    ]);
    const gpus = await yoda(['plan', jobFile(dir, { gpusPerWorker: 1 }), '--topology', VM], {
      cwd: dir,
      log: join(dir, 'gpus.out'),
    });
    expect([gpus.code, gpus.output]).toEqual([2, expect.stringContaining('0 of 0 GPUs free')]);
  });
});
