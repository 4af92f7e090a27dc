// A Droid state machine driven in fake time. Every message in and out crosses the wire (encoded, then decoded by
// the receiver's real decoder), and each test ends by checking that every message the Droid sent to Yoda was looked
// at (toYoda, take): heartbeats excepted.
import { afterEach } from 'vitest';
import type { DroidEffect, DroidEvent } from '../../../src/droid/effects.js';
import { createDroidState, type DroidConfig, type DroidState } from '../../../src/droid/state.js';
import { droidStep } from '../../../src/droid/step.js';
import type { DroidMessage, RangeSpec } from '../../../src/protocol/messages.js';
import { droidToYoda, yodaToDroid } from '../protocol/wire.js';

export const config: DroidConfig = {
  key: 'd0',
  node: 'n0',
  rank: 0,
  pid: 42,
  launch: null,
  slots: [0, 1].map((slot) => ({
    slot,
    cpus: [slot],
    cores: 1,
    gpus: [],
    log: `/w/logs/workers/n0.${slot}.log`,
    memoryLimitMB: 100,
  })),
  prefetchPerSlot: 1,
  reportIntervalMs: 200,
  reportBatch: 64,
  heartbeatSeconds: 1,
  startTimeoutSeconds: 5,
  maxStartFailures: 3,
  yodaTimeoutSeconds: 30,
  yodaGiveUpSeconds: 120,
  rangeTimeoutSeconds: 60,
};

/** Range `i` of a job of ranges of 10 events. */
export const range = (i: number): RangeSpec => ({
  i,
  id: `f:${i}`,
  file: '/f',
  first: i * 10,
  last: i * 10 + 9,
  attempt: 1,
});

// Sends a test has looked at; the harnesses of the running test, checked when it ends.
const consumed = new WeakSet<DroidEffect>();
const live: Droid[] = [];
afterEach(() => {
  for (const d of live.splice(0)) d.expectNothingElse();
});

export class Droid {
  now = 0;
  s: DroidState = createDroidState(config, 0);
  readonly effects: DroidEffect[] = [];

  constructor() {
    live.push(this);
  }

  /** Delivers `e` after `advance` ms; a message from Yoda arrives as the Droid's decoder would deliver it. */
  on(e: DroidEvent, advance = 0): DroidEffect[] {
    this.now += advance;
    const out = droidStep(this.s, e.type === 'yoda' ? { type: 'yoda', msg: yodaToDroid(e.msg) } : e, this.now);
    for (const x of out) if (x.type === 'toYoda') droidToYoda(x.msg);
    this.effects.push(...out);
    return out;
  }

  /** Yoda's welcome; the Droid's first request for ranges (an empty report) counts as expected. */
  welcome(): DroidEffect[] {
    const out = this.on({
      type: 'yoda',
      msg: { type: 'welcome', job: { name: 'j', hash: 'h', workdir: '/w', totalRanges: 9, heartbeatSeconds: 1 } },
    });
    for (const e of out)
      if (e.type === 'toYoda' && e.msg.type === 'report' && e.msg.results.length === 0) consumed.add(e);
    return out;
  }

  /** The messages to Yoda that no check has looked at yet, now marked as looked at. */
  take(): DroidMessage[] {
    return toYoda(this.effects.filter((e) => !consumed.has(e)));
  }

  /** Fails when the Droid sent Yoda a message (other than a heartbeat) that the test never looked at. */
  expectNothingElse(): void {
    const left = this.effects.filter((e) => e.type === 'toYoda' && e.msg.type !== 'heartbeat' && !consumed.has(e));
    if (left.length > 0) {
      const list = left.map((e) => JSON.stringify(e.type === 'toYoda' ? e.msg : e).slice(0, 200)).join('\n  ');
      throw new Error(`the Droid sent ${left.length} message(s) to Yoda the test did not expect:\n  ${list}`);
    }
  }
}

/** Messages to Yoda among `out` (which marks them as looked at). */
export const toYoda = (out: DroidEffect[]): DroidMessage[] =>
  out.flatMap((e) => {
    if (e.type !== 'toYoda') return [];
    consumed.add(e);
    return [e.msg];
  });

/** The effects of type `t` among `out`. */
export const ofType = <T extends DroidEffect['type']>(out: DroidEffect[], t: T) =>
  out.filter((e) => e.type === t) as Extract<DroidEffect, { type: T }>[];
