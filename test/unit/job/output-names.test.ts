import { describe, expect, it } from 'vitest';
import { safeRangeName } from '../../../src/job/plan.js';
import { checkJobSize, MAX_RANGES } from '../../../src/job/limits.js';
import { validateJobFile } from '../../../src/job/validate.js';

describe('output names of ranges', () => {
  it('leave ordinary file names as they were', () => {
    expect(safeRangeName('evgen_001.evgen:0-19')).toBe('evgen_001.evgen_0-19');
    expect(safeRangeName('a-b.C9:100-199')).toBe('a-b.C9_100-199');
  });

  it('give distinct names to files that differ only in characters that are not ordinary', () => {
    const ids = ['x y.dat', 'x_y.dat', 'x+y.dat', 'x:y.dat', 'xé.dat', 'x%20y.dat', 'x~y.dat', 'x/y.dat'].map(
      (f) => `${f}:0-4`,
    );
    const names = ids.map(safeRangeName);
    expect(new Set(names).size).toBe(ids.length);
    expect(names[0]).toBe('x%20y.dat_0-4');
    expect(names[4]).toBe('x%C3%A9.dat_0-4');
    for (const n of names) expect(n).toMatch(/^[A-Za-z0-9._%~-]+$/);
  });

  it('name same-named files in different folders visibly (no leading dot) and uniquely', () => {
    const a = safeRangeName('../in/d1/same.dat:0-4');
    const b = safeRangeName('../in/d2/same.dat:0-4');
    expect(a).not.toBe(b);
    expect(a.startsWith('.')).toBe(false);
    expect(a).toContain('same.dat_0-4');
    expect(safeRangeName('.hidden:0-4')).toBe('%2Ehidden_0-4');
  });
});

describe('job size limits', () => {
  it('refuse absurd event counts and range totals, naming the limit', () => {
    expect(checkJobSize([{ path: '/a', events: 1e22 }], 5)).toMatch(/1e\+22 events; at most 1000000000000 per file/);
    expect(checkJobSize([{ path: '/a', events: 1e11 }], 5)).toMatch(new RegExp(`at most ${MAX_RANGES} ranges`));
    expect(checkJobSize([{ path: '/a', events: 100 }], 5)).toBeNull();
  });
});

describe('payload.output', () => {
  const job = (output: string) => ({
    inputs: [{ files: 'a', events: 1 }],
    eventsPerRange: 1,
    payload: { command: ['x'], output },
  });

  it('must hold {range}', () => {
    expect(() => validateJobFile(job('same.out'), 'j.yaml')).toThrow(
      /payload.output: must contain \{range\}.*\(got "same.out"\)/,
    );
  });

  it('must stay inside the output directory', () => {
    expect(() => validateJobFile(job('../../../{range}.out'), 'j.yaml')).toThrow(
      /payload.output: must stay inside the output directory/,
    );
    expect(() => validateJobFile(job('/tmp/{range}.out'), 'j.yaml')).toThrow(/payload.output: must stay inside/);
    expect(validateJobFile(job('{range}.root'), 'j.yaml').payload.output).toBe('{range}.root');
  });

  it('an events count past the limit is refused in the job file', () => {
    expect(() => validateJobFile({ ...job('{range}'), inputs: [{ files: 'a', events: 1e22 }] }, 'j.yaml')).toThrow(
      /inputs\[0\].events/,
    );
  });
});
