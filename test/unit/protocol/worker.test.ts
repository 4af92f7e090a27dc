// The worker channel: parsing of worker lines (as strict as Yoda's frames), the field rules against the types,
// and the error-code registry.
import { describe, expect, it } from 'vitest';
import {
  parseToWorker,
  parseWorkerLine,
  toWorkerLine,
  WORKER_MESSAGE_FIELDS,
  type DoneMessage,
  type FailedMessage,
  type FromWorker,
} from '../../../src/protocol/worker.js';
import { commandFailureCode, ERR, isErrorCode, isFatalCode, RANGE_ERRORS } from '../../../src/protocol/error-codes.js';

const line = (v: unknown) => JSON.stringify(v);

describe('parseWorkerLine', () => {
  it('accepts the three messages, ignoring extra fields, and keeps wall optional', () => {
    expect(parseWorkerLine(line({ type: 'ready', extra: 1 }))).toEqual({ ok: true, msg: { type: 'ready' } });
    expect(
      parseWorkerLine(line({ type: 'done', id: 'a:0-4', outputs: ['/o'], cpu: 1.5, wall: 2, future: true })),
    ).toEqual({ ok: true, msg: { type: 'done', id: 'a:0-4', outputs: ['/o'], cpu: 1.5, wall: 2 } });
    expect(parseWorkerLine(line({ type: 'done', id: 'a:0-4', outputs: ['/o'], cpu: 0 }))).toEqual({
      ok: true,
      msg: { type: 'done', id: 'a:0-4', outputs: ['/o'], cpu: 0 },
    });
    expect(parseWorkerLine(line({ type: 'failed', id: 'a:0-4', code: 'ERR_FATAL_X' }))).toEqual({
      ok: true,
      msg: { type: 'failed', id: 'a:0-4', code: 'ERR_FATAL_X', message: '' },
    });
  });

  it('reads the batch a ready offers, and refuses one that is not a whole number >= 1', () => {
    expect(parseWorkerLine(line({ type: 'ready', batch: 256 }))).toEqual({
      ok: true,
      msg: { type: 'ready', batch: 256 },
    });
    for (const batch of [0, 1.5, '3', -2])
      expect(parseWorkerLine(line({ type: 'ready', batch }))).toEqual({
        ok: false,
        why: expect.stringMatching(/^ready: batch must be absent or an integer >= 1/),
      });
  });

  it('refuses malformed done and failed reports, naming the field and keeping the range id', () => {
    const bad: [unknown, RegExp][] = [
      [{ type: 'done', id: 'r', outputs: ['/o'], cpu: '1.5' }, /cpu must be a number of seconds >= 0 \(got "1.5"\)/],
      [{ type: 'done', id: 'r', outputs: ['/o'] }, /cpu must be a number of seconds >= 0 \(got nothing\)/],
      [{ type: 'done', id: 'r', outputs: ['/o'], cpu: -1 }, /cpu must be/],
      [{ type: 'done', id: 'r', outputs: ['/o'], cpu: 1, wall: 'x' }, /wall must be absent or a number/],
      [{ type: 'done', id: 'r', outputs: '/o', cpu: 1 }, /outputs must be a list of paths/],
      [{ type: 'done', id: 'r', outputs: [''], cpu: 1 }, /outputs must be a list of paths/],
      [{ type: 'failed', id: 'r', code: 'oops' }, /code must be ERR_/],
      [{ type: 'failed', id: 'r', code: 'ERR_X', message: 3 }, /message must be absent or a string/],
    ];
    for (const [msg, why] of bad) {
      const p = parseWorkerLine(line(msg));
      expect(p.ok).toBe(false);
      if (!p.ok) {
        expect(p.why).toMatch(why);
        expect(p.id).toBe('r');
      }
    }
  });

  it('refuses what is not a message at all, without a range id', () => {
    for (const text of [
      'not json',
      '[1]',
      '"ready"',
      line({ type: 'hello' }),
      line({ type: 'done', outputs: ['/o'], cpu: 1 }),
    ]) {
      const p = parseWorkerLine(text);
      expect(p.ok).toBe(false);
      if (!p.ok) expect(p.id).toBeUndefined();
    }
  });

  it('the field rules name exactly the fields of each message type', () => {
    const keys = (o: object) => Object.keys(o).sort();
    const done: Required<Omit<DoneMessage, 'type'>> = { id: '', outputs: [], cpu: 0, wall: 0 };
    const failed: Required<Omit<FailedMessage, 'type'>> = { id: '', code: '', message: '' };
    expect(keys(WORKER_MESSAGE_FIELDS.done)).toEqual(keys(done));
    expect(keys(WORKER_MESSAGE_FIELDS.failed)).toEqual(keys(failed));
    expect(keys(WORKER_MESSAGE_FIELDS)).toEqual((['ready', 'done', 'failed'] satisfies FromWorker['type'][]).sort());
  });
});

describe('messages to a worker', () => {
  it('round-trips ranges, no_more_events and drain; unknown types are marked, not errors', () => {
    const ranges = {
      type: 'ranges' as const,
      ranges: [{ id: 'a:0-4', file: '/a', first: 0, last: 4, output: '/o', attempt: 1 }],
    };
    expect(parseToWorker(toWorkerLine(ranges))).toEqual(ranges);
    expect(parseToWorker(toWorkerLine({ type: 'drain', graceSeconds: 3 }))).toEqual({ type: 'drain', graceSeconds: 3 });
    expect(parseToWorker(toWorkerLine({ type: 'no_more_events' }))).toEqual({ type: 'no_more_events' });
    expect(parseToWorker(line({ type: 'later' }))).toEqual({ type: 'unknown', raw: { type: 'later' } });
    expect(parseToWorker('garbage')).toBeNull();
  });
});

describe('error codes', () => {
  it('every registered code is well-formed, and ERR names them', () => {
    for (const code of Object.keys(RANGE_ERRORS)) expect(isErrorCode(code)).toBe(true);
    expect(ERR.WORKER_PROTOCOL).toBe('ERR_WORKER_PROTOCOL');
    expect(Object.values(ERR).sort()).toEqual(Object.keys(RANGE_ERRORS).sort());
  });

  it('fatal codes, and command-mode codes', () => {
    expect(isFatalCode('ERR_FATAL_CONFIG')).toBe(true);
    expect(isFatalCode('ERR_BAD_INPUT')).toBe(false);
    expect(commandFailureCode(3, undefined)).toBe('ERR_EXIT_3');
    expect(commandFailureCode(undefined, 'SIGSEGV')).toBe('ERR_SIGNAL_SEGV');
  });
});
