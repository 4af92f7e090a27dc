// Issue 18 #15: a stopped process (SIGSTOP ... SIGCONT) carries on: the time it did not run is no one's silence.
import { describe, expect, it } from 'vitest';
import { forgivePause } from '../../../src/yoda/step.js';
import { droidStep } from '../../../src/droid/step.js';
import { forgiveYodaPause } from '../../../src/droid/yoda-silence.js';
import { createDroidState, type DroidConfig } from '../../../src/droid/state.js';
import { ok, plan, YodaHarness } from '../yoda/harness.js';

describe('Yoda after a pause of its own process', () => {
  it('loses a Droid silent for 30 s when Yoda was running all along', () => {
    const y = new YodaHarness(plan(1, 40, 10));
    y.hello('a');
    y.report('a', [], 2);
    y.tick(30_000);
    expect(y.s.droids.get('a')!.gone).toBe(true);
  });

  it('gives the paused time back: the queued done reports are honoured, the Droid is not lost', () => {
    const y = new YodaHarness(plan(1, 40, 10));
    y.hello('a');
    const held = y.report('a', [], 2);
    y.now += 30_000; // SIGSTOP for 30 s: the timer fires once, late
    const warned = forgivePause(y.s, 29_750, y.now);
    expect(warned[0]).toMatchObject({ type: 'log', level: 'warn' });
    y.tick();
    expect(y.s.droids.get('a')!.gone).toBe(false);
    y.report('a', held.map(ok), 2); // what the worker finished meanwhile, read after the tick
    expect(y.s.counts.done).toBe(2);
    expect(y.s.stats.lostDroids).toBe(0);
  });

  it('still loses a Droid that stays silent after the pause', () => {
    const y = new YodaHarness(plan(1, 40, 10));
    y.hello('a');
    y.report('a', [], 2);
    y.tick(9_000);
    y.now += 30_000;
    forgivePause(y.s, 30_000, y.now);
    y.tick();
    expect(y.s.droids.get('a')!.gone).toBe(false);
    y.tick(2_000);
    expect(y.s.droids.get('a')!.gone).toBe(true);
  });
});

describe('a Droid after a pause of its own process', () => {
  const config: DroidConfig = {
    key: 'd0',
    node: 'n0',
    rank: 0,
    pid: 42,
    launch: null,
    slots: [{ slot: 0, cpus: [0], cores: 1, gpus: [], log: '/w/l', memoryLimitMB: null }],
    prefetchPerSlot: 1,
    reportIntervalMs: 200,
    reportBatch: 64,
    heartbeatSeconds: 1,
    startTimeoutSeconds: 5,
    maxStartFailures: 3,
    yodaTimeoutSeconds: 10,
    yodaGiveUpSeconds: 60,
    rangeTimeoutSeconds: null,
  };

  it('does not give Yoda up for the time it was stopped itself', () => {
    const s = createDroidState(config, 0);
    droidStep(
      s,
      {
        type: 'yoda',
        msg: { type: 'welcome', job: { name: 'j', hash: 'h', workdir: '/w', totalRanges: 9, heartbeatSeconds: 1 } },
      },
      0,
    );
    forgiveYodaPause(s, 90_000, 90_000);
    droidStep(s, { type: 'tick' }, 90_000);
    expect(s.error).toBeNull();
    const gaveUp = createDroidState(config, 0);
    droidStep(
      gaveUp,
      {
        type: 'yoda',
        msg: { type: 'welcome', job: { name: 'j', hash: 'h', workdir: '/w', totalRanges: 9, heartbeatSeconds: 1 } },
      },
      0,
    );
    droidStep(gaveUp, { type: 'tick' }, 90_000);
    expect(gaveUp.error).toMatch(/lost Yoda/);
  });
});
