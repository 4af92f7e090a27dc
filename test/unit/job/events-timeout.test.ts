import { describe, expect, it } from 'vitest';
import { validateJobFile } from '../../../src/job/validate.js';

describe('eventsTimeoutSeconds', () => {
  const job = (t: number) => ({
    inputs: [{ files: 'a', eventsCommand: ['count', '{file}'], eventsTimeoutSeconds: t }],
    eventsPerRange: 1,
    payload: { command: ['x'], output: '{range}.out' },
  });

  it('past 7 days (where setTimeout would overflow and fire at once) is refused, naming the field', () => {
    expect(() => validateJobFile(job(30 * 86400), 'j.yaml')).toThrow(/eventsTimeoutSeconds/);
    expect(validateJobFile(job(7 * 86400), 'j.yaml').inputs[0].eventsTimeoutSeconds).toBe(604800);
  });
});
