// Remote input files read per range (`extract`, ESS style) on the Droid: each range waits for its own small file,
// then runs on it with fileFirst (event e is the file's (e - fileFirst)-th); the file goes when the range ends; an
// extraction failing on every try fails the range with ERR_STAGE_IN (slot -1). And the job file's `extract` rules.
import { describe, expect, it } from 'vitest';
import { createDroidState } from '../../../src/droid/state.js';
import { validateJobFile } from '../../../src/job/validate.js';
import { config, Droid, ofType, range, toYoda } from './harness.js';

const URL = 'root://se.example.org//store/a.root';
const remote = (i: number) => ({ ...range(i), file: URL });

function ready() {
  const d = new Droid();
  d.s = createDroidState({ ...config, extractUrls: [URL] }, 0);
  d.welcome();
  return d;
}

describe('Droid extract (per range)', () => {
  it('extracts each range ahead, feeds the small file with fileFirst and source, and deletes it once done', () => {
    const d = ready();
    const out = d.on({ type: 'yoda', msg: { type: 'ranges', ranges: [remote(0), remote(1)] } });
    expect(ofType(out, 'extract').map((e) => e.range.i)).toEqual([0, 1]);
    expect(ofType(out, 'fetch')).toEqual([]);
    toYoda(out);
    expect(ofType(d.on({ type: 'worker', slot: 0, report: { type: 'ready' } }), 'feedWorker')).toEqual([]);
    const fed = d.on({ type: 'extracted', i: 1, local: '/c/r1/a.root', bytes: 7 });
    const r1 = { ...remote(1), file: '/c/r1/a.root', fileFirst: remote(1).first, source: URL };
    expect(ofType(fed, 'feedWorker')).toEqual([{ type: 'feedWorker', slot: 0, ranges: [r1] }]);
    const done = d.on({
      type: 'worker',
      slot: 0,
      report: { type: 'done', id: r1.id, outputs: ['/o/1'], cpu: 0.1, wall: null },
    });
    expect(ofType(done, 'evict')).toEqual([{ type: 'evict', local: '/c/r1/a.root' }]);
    expect(d.s.inputs.stats).toMatchObject({ extracted: 1, bytesFetched: 7, misses: 2, fetched: 0 });
  });

  it('an extraction failing on every try fails its range with ERR_STAGE_IN on no slot', () => {
    const d = ready();
    toYoda(d.on({ type: 'yoda', msg: { type: 'ranges', ranges: [remote(0), remote(1)] } }));
    d.on({ type: 'extractFailed', i: 0, message: 'extract of r0: exited with 1' });
    const [report] = toYoda(d.on({ type: 'tick' }, config.reportIntervalMs));
    const results = report.type === 'report' ? report.results : [];
    expect(results.map((r) => [r.i, !r.ok && r.code, r.slot])).toEqual([[0, 'ERR_STAGE_IN', -1]]);
    expect(d.s.queue.map((r) => r.i)).toEqual([1]); // still waiting for its own extraction
  });
});

describe('job file: extract', () => {
  const job = (files: string, extract: string[]) => ({
    inputs: [{ files, events: 10, extract }],
    eventsPerRange: 5,
    payload: { command: ['true'] },
  });
  const cmd = ['x', '{url}', '{first}', '{last}', '{output}'];

  it('is accepted for remote files, with every placeholder', () => {
    expect(validateJobFile(job('https://h/a.root', cmd), 'job.yaml').inputs[0].extract).toEqual(cmd);
  });

  it('is refused for a local file, and without {output} or {first}, naming the field', () => {
    expect(() => validateJobFile(job('in/a.root', cmd), 'job.yaml')).toThrow(
      /inputs\[0\]\.extract: extract is for remote input files/,
    );
    expect(() => validateJobFile(job('https://h/a.root', ['x', '{url}', '{first}', '{last}']), 'j')).toThrow(
      /inputs\[0\]\.extract: must contain \{output\}/,
    );
    expect(() => validateJobFile(job('https://h/a.root', ['x', '{url}', '{output}']), 'j')).toThrow(
      /inputs\[0\]\.extract: must contain \{first\} and \{last\}/,
    );
  });
});
