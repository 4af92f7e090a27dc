// A Yoda state machine driven in fake time, with a recording of every effect it asked for.
// Every message in and out crosses the wire (encoded, then decoded by the receiver's real decoder), and each test
// ends by checking that every message Yoda sent was looked at (sentTo, report, take): heartbeats excepted.
import { afterEach } from 'vitest';
import { RangePlan } from '../../../src/job/plan.js';
import { emptyJournalState, type JournalState } from '../../../src/journal/replay.js';
import {
  PROTOCOL_VERSION,
  type DroidMessage,
  type RangeResult,
  type RangeSpec,
  type YodaMessage,
} from '../../../src/protocol/messages.js';
import type { YodaEffect, YodaEvent } from '../../../src/yoda/effects.js';
import { createYodaState, type YodaConfig, type YodaState } from '../../../src/yoda/state.js';
import { step } from '../../../src/yoda/step.js';
import type { MergeState } from '../../../src/yoda/state.js';
import { droidToYoda, yodaToDroid } from '../protocol/wire.js';

export const config: YodaConfig = {
  jobName: 'test',
  node: 'yoda-node',
  holdBackSeconds: 90,
  jobHash: 'h',
  workdir: '/w',
  run: 1,
  launch: 'slurm:1.0',
  maxAttempts: 3,
  heartbeatSeconds: 1,
  droidTimeoutSeconds: 10,
  expectedDroids: 1,
  joinTimeoutSeconds: 60,
  leaveTimeoutSeconds: 30,
  progressSeconds: 1e9,
  deadline: null,
  marginSeconds: 60,
};

/** A job of `files` files of `events` events each, cut into ranges of `per` events. */
export function plan(files = 1, events = 100, per = 10): RangePlan {
  return new RangePlan(
    Array.from({ length: files }, (_, k) => ({ path: `/in/f${k}.dat`, events })),
    per,
    '/in',
  );
}

// Sends a test has looked at; the harnesses of the running test, checked when it ends.
const consumed = new WeakSet<YodaEffect>();
const live: YodaHarness[] = [];
afterEach(() => {
  for (const h of live.splice(0)) h.expectNothingElse();
});

export class YodaHarness {
  now = 1_000_000;
  readonly effects: YodaEffect[] = [];
  readonly s: YodaState;

  /** `holderGone`: which Droids that held ranges in flight at the start of this run are known to be gone. */
  constructor(
    p = plan(),
    over: Partial<YodaConfig> = {},
    past?: JournalState,
    holderGone: (droid: string) => boolean = () => false,
    unstaged: Map<number, string[]> = new Map(),
    merge: MergeState | null = null,
  ) {
    const state = past ?? emptyJournalState(p.total);
    this.s = createYodaState({ ...config, ...over }, p, state, this.now, holderGone, unstaged, merge);
    live.push(this);
  }

  /** Delivers `msg` from Droid `from` as Yoda's decoder would (the test fails if Yoda would drop it). */
  send(from: string, msg: DroidMessage): YodaEffect[] {
    const out = step(this.s, { type: 'message', from, msg: droidToYoda(msg) }, this.now);
    this.record(out);
    return out;
  }

  // Keeps the effects; every message Yoda sends must survive the Droid's decoder.
  private record(out: YodaEffect[]): void {
    for (const e of out) if (e.type === 'send') yodaToDroid(e.msg);
    this.effects.push(...out);
  }

  /** The messages sent to `to` that no check has looked at yet, now marked as looked at. */
  take(to: string): YodaMessage[] {
    return sentTo(
      this.effects.filter((e) => !consumed.has(e)),
      to,
    );
  }

  /** Fails when Yoda sent a message (other than a heartbeat) that the test never looked at. */
  expectNothingElse(): void {
    const left = this.effects.filter((e) => e.type === 'send' && e.msg.type !== 'heartbeat' && !consumed.has(e));
    if (left.length > 0) {
      const list = left
        .map((e) => (e.type === 'send' ? `to ${e.to}: ${JSON.stringify(e.msg).slice(0, 200)}` : ''))
        .join('\n  ');
      throw new Error(`Yoda sent ${left.length} message(s) the test did not expect:\n  ${list}`);
    }
  }

  /** Applies any event at the current fake time. */
  step(event: YodaEvent): YodaEffect[] {
    const out = step(this.s, event, this.now);
    this.record(out);
    return out;
  }

  tick(advanceMs = 0): YodaEffect[] {
    this.now += advanceMs;
    const out = step(this.s, { type: 'tick' }, this.now);
    this.record(out);
    return out;
  }

  drain(graceSeconds: number): YodaEffect[] {
    const out = step(this.s, { type: 'drain', reason: 'test', graceSeconds }, this.now);
    this.record(out);
    return out;
  }

  /** Says hello from `from`; the welcome it gets counts as expected (a refusal must still be looked at). */
  hello(
    from: string,
    version = PROTOCOL_VERSION,
    o: { launch?: string | null; held?: number[]; attempts?: number[] } = {},
  ): YodaEffect[] {
    const held = o.held ?? [];
    return this.welcomed(from, {
      type: 'hello',
      version,
      droid: from,
      node: `node-${from}`,
      rank: 0,
      pid: 1,
      slots: 2,
      cores: 2,
      launch: o.launch === undefined ? config.launch : o.launch,
      held,
      attempts: o.attempts ?? held.map(() => 1),
    });
  }

  // Sends `msg` and marks the welcome it gets as looked at.
  private welcomed(from: string, msg: DroidMessage): YodaEffect[] {
    const out = this.send(from, msg);
    for (const e of out) if (e.type === 'send' && e.to === from && e.msg.type === 'welcome') consumed.add(e);
    return out;
  }

  /** Sends a report and returns the ranges Yoda answered with (if any). */
  report(from: string, results: RangeResult[], want = 0, released: number[] = [], cached?: string[]): RangeSpec[] {
    const out = this.send(from, { type: 'report', results, released, want, ...(cached ? { cached } : {}) });
    // Only the answer counts as looked at: anything else sent meanwhile (an end, a refusal) is for the test to check.
    return sentTo(
      out.filter((e) => e.type === 'send' && e.msg.type === 'ranges'),
      from,
    ).flatMap((m) => (m.type === 'ranges' ? m.ranges : []));
  }
}

/** Messages sent to `to` among `effects` (which marks them as looked at). */
export function sentTo(effects: YodaEffect[], to: string): YodaMessage[] {
  return effects.flatMap((e) => {
    if (e.type !== 'send' || e.to !== to) return [];
    consumed.add(e);
    return [e.msg];
  });
}

/** Journal records among `effects`. */
export function journaled(effects: YodaEffect[]) {
  return effects.flatMap((e) => (e.type === 'journal' ? e.records : []));
}

export const ok = (r: RangeSpec): RangeResult => ({
  i: r.i,
  id: r.id,
  ok: true,
  outputs: [`/out/${r.i}`],
  cpu: 1,
  wall: 1,
  start: 0,
  end: 1,
  slot: 0,
});
export const bad = (r: RangeSpec, code = 'ERR_CRASH'): RangeResult => ({
  i: r.i,
  id: r.id,
  ok: false,
  code,
  message: 'boom',
  start: 0,
  end: 1,
  slot: 0,
});
