import { mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { currentOutputPath, readJobDescription } from '../../../src/job/workdir.js';
import { changedInputs, doneOutputs } from '../../../src/job/integrity.js';
import type { JournalRecord } from '../../../src/journal/records.js';
import { isYodaError } from '../../../src/util/errors.js';

function oldStyleWorkdir(over: Record<string, unknown> = {}): { root: string; dir: string } {
  const root = mkdtempSync(join(tmpdir(), 'yoda-unit-'));
  const dir = join(root, 'w');
  mkdirSync(dir);
  // job.json as written before paths were stored relative: outputDir absolute, no createdIn.
  writeFileSync(
    join(dir, 'job.json'),
    JSON.stringify({
      version: 1,
      name: 'j',
      hash: 'h',
      jobFile: '/j/job.yaml',
      baseDir: '/j',
      payloadCwd: '/j',
      spec: {
        inputs: [{ files: 'a', events: 10 }],
        eventsPerRange: 5,
        payload: { command: ['x'], output: '{range}.out' },
        output: 'outputs',
        maxAttempts: 3,
      },
      files: [{ path: '/j/a', events: 10 }],
      eventsPerRange: 5,
      totalRanges: 2,
      totalEvents: 10,
      outputDir: join(dir, 'outputs'),
      created: '2026-11-30T00:00:00Z',
      ...over,
    }),
  );
  return { root, dir };
}

describe('job.json', () => {
  it('written before relocation support still loads after the work directory moved, outputs found in the new place', () => {
    const { root, dir } = oldStyleWorkdir();
    const moved = join(root, 'w2');
    renameSync(dir, moved);
    const d = readJobDescription(moved)!;
    expect(d.outputDir).toBe(join(moved, 'outputs'));
    expect(d.recordedOutputDir).toBe(join(dir, 'outputs'));
    expect(currentOutputPath(d, join(dir, 'outputs', 'a_0-4.out'))).toBe(join(moved, 'outputs', 'a_0-4.out'));
    expect(currentOutputPath(d, '/elsewhere/x.out')).toBe('/elsewhere/x.out');
  });

  it('in place has nothing to map', () => {
    const { dir } = oldStyleWorkdir();
    const d = readJobDescription(dir)!;
    expect(d.outputDir).toBe(join(dir, 'outputs'));
    expect(d.recordedOutputDir).toBeUndefined();
  });

  it('describing an absurd job (from an older yoda) is refused with a message, not a crash', () => {
    const { dir } = oldStyleWorkdir({ files: [{ path: '/j/a', events: 1e22 }], totalRanges: 2e21 });
    let err: unknown;
    try {
      readJobDescription(dir);
    } catch (e) {
      err = e;
    }
    expect(isYodaError(err, 'WORKDIR_UNUSABLE')).toBe(true);
    expect((err as Error).message).toMatch(/cannot hold .*1e\+22 events.*--fresh/);
  });
});

describe('integrity', () => {
  it('takes the outputs of the done record that counts: the first, or the first after a redo', () => {
    const done = (i: number, out: string): JournalRecord => ({
      t: 'done',
      i,
      id: `a:${i}`,
      out: [out],
      cpu: 0,
      wall: 0,
      start: 0,
      end: 0,
      droid: 'd',
      node: 'n',
      slot: 0,
      attempt: 1,
    });
    const outs = doneOutputs([
      done(0, '/first'),
      done(0, '/duplicate'),
      done(1, '/b1'),
      { t: 'redo', at: 0, r: [1], why: 'output missing' },
      done(1, '/b2'),
    ]);
    expect(outs.get(0)!.out).toEqual(['/first']);
    expect(outs.get(1)!.out).toEqual(['/b2']);
  });

  it('notices input files changed or gone since they were recorded', () => {
    const root = mkdtempSync(join(tmpdir(), 'yoda-unit-'));
    writeFileSync(join(root, 'a'), 'abc');
    const base = {
      version: 1,
      files: [
        { path: join(root, 'a'), events: 1, size: 3, mtimeMs: 1 },
        { path: join(root, 'gone'), events: 1, size: 1, mtimeMs: 1 },
        { path: join(root, 'old'), events: 1 },
      ],
    };
    const changed = changedInputs(base as never);
    expect(changed).toEqual([
      { file: join(root, 'a'), why: expect.stringMatching(/was modified/) },
      { file: join(root, 'gone'), why: 'it is gone' },
    ]);
  });
});
