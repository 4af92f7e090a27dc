// From job-file payload fields to a node plan: schema rules, defaults, the worker cap, job-file names in errors.
import { describe, expect, it } from 'vitest';
import { validateJobFile } from '../../../src/job/validate.js';
import {
  managesGpus,
  memoryLimitMB,
  planForPayload,
  planRequestOf,
  type PackingFields,
} from '../../../src/node/job-plan.js';
import { loadTopology } from '../../fixtures/topology/load.js';

const job = (payload: Record<string, unknown>) => ({
  inputs: [{ files: 'x', events: 1 }],
  eventsPerRange: 1,
  payload: { command: ['true'], ...payload },
});
const fields = (payload: Record<string, unknown>): PackingFields => validateJobFile(job(payload), 'job.yaml').payload;

describe('job file packing fields', () => {
  it('keeps coresPerWorker (default 1) and leaves the new fields out when not given (job hashes stay the same)', () => {
    const p = fields({});
    expect(p.coresPerWorker).toBe(1);
    expect(Object.keys(p)).not.toContain('slots');
    expect(Object.keys(p)).not.toContain('placement');
    expect(planRequestOf(p)).toMatchObject({
      workers: [{ cores: 1 }],
      policy: 'compact',
      smt: 'one-per-core',
      reserve: 0,
    });
  });

  it('refuses slots together with coresPerWorker or workers, naming the field', () => {
    expect(() => validateJobFile(job({ coresPerWorker: 2, slots: [{ cores: 1 }] }), 'job.yaml')).toThrow(
      /payload\.slots: give either slots or coresPerWorker, not both/,
    );
    expect(() => validateJobFile(job({ workers: 2, slots: [{ cores: 1 }] }), 'job.yaml')).toThrow(
      /payload\.slots: give either slots or workers/,
    );
  });

  it('names the field and the value of a bad packing field', () => {
    const bad = (payload: Record<string, unknown>) => () => validateJobFile(job(payload), 'job.yaml');
    expect(bad({ slots: [{ cores: 'half' }] })).toThrow(/payload\.slots\[0\]\.cores: .*\(got "half"\)/);
    expect(bad({ placement: 'spread' })).toThrow(/payload\.placement: .*\(got "spread"\)/);
    expect(bad({ smt: 2 })).toThrow(/payload\.smt: /);
    expect(bad({ reserveCores: -1 })).toThrow(/payload\.reserveCores: .*\(got -1\)/);
    expect(bad({ memoryLimitMBPerCore: 0 })).toThrow(/payload\.memoryLimitMBPerCore: .*\(got 0\)/);
    expect(bad({ coreCountVariable: 'MY-CORES' })).toThrow(
      /payload\.coreCountVariable: an environment variable name \(got "MY-CORES"\)/,
    );
    expect(bad({ slots: [] })).toThrow(/payload\.slots: /);
  });

  it('turns slots into planner requests, with gpusPerWorker as the default GPU count', () => {
    const p = fields({
      slots: [{ cores: 16, count: 1, gpus: 2 }, { cores: 1 }],
      gpusPerWorker: 0,
      placement: 'scatter',
      smt: 'all-threads',
      reserveCores: 1,
    });
    expect(planRequestOf(p)).toEqual({
      workers: [
        { cores: 16, count: 1, gpus: 2 },
        { cores: 1, gpus: 0 },
      ],
      policy: 'scatter',
      smt: 'all-threads',
      reserve: 1,
      labels: { workers: ['payload.slots[0]', 'payload.slots[1]'], reserve: 'payload.reserveCores' },
    });
    expect(managesGpus(p)).toBe(true);
    expect(managesGpus(fields({}))).toBe(false);
    expect(managesGpus(fields({ slots: [{ cores: 1, gpus: 0 }] }))).toBe(true);
  });

  it('on the 2-core VM: two 1-core workers by default, workers caps the count, reserveCores takes the last core', () => {
    const t = loadTopology('vm-2core');
    expect(planForPayload(t, fields({})).slots.map((s) => s.cpus)).toEqual([[0], [1]]);
    const capped = planForPayload(t, fields({ workers: 1 }));
    expect([capped.slots.map((s) => s.cpus), capped.unused]).toEqual([[[0]], [1]]);
    const reserved = planForPayload(t, fields({ reserveCores: 1 }));
    expect([reserved.slots.map((s) => s.cpus), reserved.reserved]).toEqual([[[0]], [1]]);
  });

  it('names the job-file field when a node cannot hold the request', () => {
    const t = loadTopology('vm-2core');
    expect(() => planForPayload(t, fields({ coresPerWorker: 4 }))).toThrow(
      /slot plan: payload\.coresPerWorker \{cores: 4\} cannot be met: slot 1 needs 4 cores, but 2 of 2 allowed cores are free/,
    );
    expect(() =>
      planForPayload(
        t,
        fields({
          slots: [
            { cores: 1, count: 1 },
            { cores: 2, count: 1 },
          ],
        }),
      ),
    ).toThrow(
      /payload\.slots\[0\] \{cores: 1, count: 1\} cannot be met: .* 0 of 2 allowed cores are free \(.* 2 in other slots\)/,
    );
    expect(() => planForPayload(t, fields({ reserveCores: 2 }))).toThrow(
      /payload\.reserveCores 2 leaves no core for workers/,
    );
  });

  it('one 16-core worker and 1-core workers on a 64-core node; the memory limit scales with the cores', () => {
    const t = loadTopology('two-socket-smt');
    const plan = planForPayload(
      t,
      fields({
        slots: [
          { cores: 16, count: 1 },
          { cores: 1, count: 8 },
        ],
      }),
    );
    expect(plan.slots.map((s) => s.width)).toEqual([16, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(plan.slots[0].numa).toEqual([0]);
    expect(memoryLimitMB(fields({ memoryLimitMBPerCore: 2048 }), 16)).toBe(32768);
    expect(memoryLimitMB(fields({}), 16)).toBeNull();
  });
});
