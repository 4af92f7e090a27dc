import { describe, expect, it } from 'vitest';
import {
  checkBooleanFlags,
  defaultHeartbeat,
  droidTuning,
  parseDeadline,
  runOptionsFrom,
  yodaTuning,
} from '../../../src/runtime/options.js';
import { YodaError } from '../../../src/util/errors.js';

const NOW = Date.parse('2026-12-01T07:00:00Z');
const opts = (extra: Record<string, unknown> = {}) => runOptionsFrom({ jobfile: 'job.yaml', ...extra }, NOW);

function refusal(extra: Record<string, unknown>): YodaError {
  try {
    opts(extra);
  } catch (e) {
    expect(e).toBeInstanceOf(YodaError);
    expect((e as YodaError).code).toBe('BAD_USAGE');
    return e as YodaError;
  }
  throw new Error(`accepted ${JSON.stringify(extra)}`);
}

describe('run options', () => {
  it('have one set of defaults', () => {
    const o = opts();
    expect(o).toMatchObject({
      grace: 60,
      droidTimeout: 10,
      heartbeat: 2,
      progress: 30,
      margin: 60,
      rendezvousTimeout: 300,
      logLevel: 'info',
      fresh: false,
      rerunMissing: false,
    });
    expect(o.deadline).toBeUndefined();
    expect(droidTuning(o)).toMatchObject({
      prefetchPerSlot: 1,
      reportIntervalMs: 200,
      reportBatch: 64,
      yodaTimeoutSeconds: 10,
      yodaGiveUpSeconds: 60,
    });
    expect(yodaTuning(o, 'n1', 3, null)).toMatchObject({
      node: 'n1',
      expectedDroids: 3,
      leaveTimeoutSeconds: 90,
      deadline: null,
      holdBackSeconds: 70,
    });
  });

  it('derive the heartbeat from a short droid timeout', () => {
    expect(opts({ 'droid-timeout': '1' }).heartbeat).toBeCloseTo(defaultHeartbeat(1));
    expect(opts({ 'droid-timeout': '1' }).heartbeat).toBeLessThanOrEqual(0.5);
  });

  it.each([
    [{ heartbeat: 'abc' }, /--heartbeat "abc": expected a number/],
    [{ 'droid-timeout': '0' }, /--droid-timeout "0": expected a number above 0/],
    [{ 'droid-timeout': '-1' }, /--droid-timeout "-1"/],
    [{ grace: '-1' }, /--grace "-1": expected a number of at least 0/],
    [{ grace: 'abc' }, /--grace "abc"/],
    [{ progress: '0' }, /--progress "0"/],
    [{ progress: '-1' }, /--progress "-1"/],
    [{ margin: 'abc' }, /--margin "abc": expected a number/],
    [{ workdir: '' }, /--workdir "": expected a directory/],
    [{ 'log-level': 'loud' }, /--log-level "loud"/],
    [
      { 'droid-timeout': '1', heartbeat: '5' },
      /--droid-timeout 1 with --heartbeat 5: the timeout must be at least twice the heartbeat/,
    ],
  ])('refuse %j, naming the option and the value', (extra, message) => {
    expect(refusal(extra).message).toMatch(message);
  });

  it('read --deadline as ISO 8601 with a date, or epoch seconds', () => {
    expect(opts({ deadline: '2026-12-01T09:00:00Z' }).deadline).toBe(Date.parse('2026-12-01T09:00:00Z'));
    expect(opts({ deadline: String(NOW / 1000 + 3600) }).deadline).toBe(NOW + 3600_000);
    expect(parseDeadline('2026-12-02', NOW)).toBe(Date.parse('2026-12-02'));
  });

  it.each(['-5', 'June 1', '1 2', '99999999999999', '2020-01-01T00:00:00Z', 'tomorrow', ''])(
    'refuse --deadline %j',
    (text) => {
      expect(refusal({ deadline: text }).message).toMatch(/^--deadline/);
    },
  );

  it('refuse a deadline closer than the margin', () => {
    expect(refusal({ deadline: String(NOW / 1000 + 30), margin: '60' }).message).toMatch(/closer than the margin/);
  });

  it('refuse a yes/no flag given another value', () => {
    expect(() => checkBooleanFlags(['run', 'j', '--fresh=maybe'], ['fresh'])).toThrow(
      /--fresh=maybe: a yes\/no option/,
    );
    expect(() => checkBooleanFlags(['run', 'j', '--fresh=true', '--quiet'], ['fresh', 'quiet'])).not.toThrow();
  });
});
