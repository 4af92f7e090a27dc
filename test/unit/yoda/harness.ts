// A Yoda state machine driven in fake time, with a recording of every effect it asked for.
import { RangePlan } from '../../../src/job/plan.js';
import { emptyJournalState, type JournalState } from '../../../src/journal/replay.js';
import { PROTOCOL_VERSION, type DroidMessage, type RangeResult, type RangeSpec, type YodaMessage } from '../../../src/protocol/messages.js';
import type { YodaEffect } from '../../../src/yoda/effects.js';
import { createYodaState, type YodaConfig, type YodaState } from '../../../src/yoda/state.js';
import { step } from '../../../src/yoda/step.js';

export const config: YodaConfig = {
  jobName: 'test', jobHash: 'h', workdir: '/w', run: 1, maxAttempts: 3, heartbeatSeconds: 1, droidTimeoutSeconds: 10,
  expectedDroids: 1, joinTimeoutSeconds: 60, leaveTimeoutSeconds: 30, progressSeconds: 1e9, deadline: null, marginSeconds: 60,
};

/** A job of `files` files of `events` events each, cut into ranges of `per` events. */
export function plan(files = 1, events = 100, per = 10): RangePlan {
  return new RangePlan(Array.from({ length: files }, (_, k) => ({ path: `/in/f${k}.dat`, events })), per, '/in');
}

export class YodaHarness {
  now = 1_000_000;
  readonly effects: YodaEffect[] = [];
  readonly s: YodaState;

  constructor(p = plan(), over: Partial<YodaConfig> = {}, past?: JournalState) {
    this.s = createYodaState({ ...config, ...over }, p, past ?? emptyJournalState(p.total), this.now);
  }

  send(from: string, msg: DroidMessage): YodaEffect[] {
    const out = step(this.s, { type: 'message', from, msg }, this.now);
    this.effects.push(...out);
    return out;
  }

  tick(advanceMs = 0): YodaEffect[] {
    this.now += advanceMs;
    const out = step(this.s, { type: 'tick' }, this.now);
    this.effects.push(...out);
    return out;
  }

  drain(graceSeconds: number): YodaEffect[] {
    const out = step(this.s, { type: 'drain', reason: 'test', graceSeconds }, this.now);
    this.effects.push(...out);
    return out;
  }

  hello(from: string, version = PROTOCOL_VERSION): YodaEffect[] {
    return this.send(from, { type: 'hello', version, droid: from, node: `node-${from}`, rank: 0, pid: 1, slots: 2, cores: 2 });
  }

  /** Sends a report and returns the ranges Yoda answered with (if any). */
  report(from: string, results: RangeResult[], want = 0, released: number[] = []): RangeSpec[] {
    const out = this.send(from, { type: 'report', results, released, want });
    return sentTo(out, from).flatMap((m) => (m.type === 'ranges' ? m.ranges : []));
  }
}

/** Messages sent to `to` among `effects`. */
export function sentTo(effects: YodaEffect[], to: string): YodaMessage[] {
  return effects.flatMap((e) => (e.type === 'send' && e.to === to ? [e.msg] : []));
}

/** Journal records among `effects`. */
export function journaled(effects: YodaEffect[]) {
  return effects.flatMap((e) => (e.type === 'journal' ? e.records : []));
}

export const ok = (r: RangeSpec): RangeResult => ({ i: r.i, id: r.id, ok: true, outputs: [`/out/${r.i}`], cpu: 1, wall: 1, start: 0, end: 1, slot: 0 });
export const bad = (r: RangeSpec, code = 'ERR_CRASH'): RangeResult => ({ i: r.i, id: r.id, ok: false, code, message: 'boom', start: 0, end: 1, slot: 0 });
