// Yoda's socket shell: a ROUTER that feeds frames to step() and carries out its effects.
import { Router } from 'zeromq';
import type { Logger } from 'pino';
import { decodeDroidMessage, encode, MAX_FRAME_BYTES } from '../protocol/codec.js';
import type { JournalWriter } from '../journal/writer.js';
import { Outbox } from '../util/outbox.js';
import type { YodaEffect, YodaEvent } from './effects.js';
import type { Outcome, YodaState } from './state.js';
import { forgivePause, step } from './step.js';
import { HolderWatch, heldDroids } from './holders.js';

/** Yoda's timer period, and how late a timer must fire to count as a pause of the whole process. */
const TICK_MS = 250;
const PAUSE_MS = 1000;
import type { JobKeys } from '../security/keys.js';
import { ZapHandler } from '../security/zap.js';
import type { HeldLease } from '../workdir/lease.js';
import { progressLine } from './progress.js';
import { isYodaError } from '../util/errors.js';
import { DeliveryShell, type DeliverySpec } from './delivery-shell.js';

/** Longest stretch of message handling before the receive loop lets the event loop run. */
const YIELD_EVERY_MS = 5;

/** The lease this Yoda holds, and how it got it. */
export interface YodaLease {
  held: HeldLease;
  launch: string | null;
  /** True when the job was taken over from a live or stale Yoda (not after a clean end). */
  takeover: boolean;
  timeoutSeconds: number;
}

/** How a run of Yoda ended, with what the summary needs (the shell's state stays private). */
export interface YodaResult {
  outcome: Outcome;
  exitCode: number;
  /** Why it stopped early (null when it did not). */
  reason: string | null;
  /** True when another Yoda took the lease over while this one ran. */
  lostLease: boolean;
  /** True when a drain handed the job over to Droids of other allocations (the lease was released for them). */
  handedOver: boolean;
  /** Connections refused for lacking the job's key, and from how many addresses. */
  refused: { connections: number; addresses: number };
  /** Frames dropped as invalid, and from how many peers. */
  dropped: { frames: number; peers: number };
}

/** A running Yoda: its endpoint, and a promise of how it ends. */
export class YodaServer {
  readonly finished: Promise<YodaResult>;
  /** Frames dropped because they did not decode or validate, and peers already warned about. */
  readonly dropped = { frames: 0, peers: new Set<string>() };
  private resolveFinished!: (r: YodaResult) => void;
  private readonly outbox: Outbox<[string, Buffer]>;
  private readonly ticker: NodeJS.Timeout;
  private readonly renewer: NodeJS.Timeout | null;
  /** Set once the lease was found taken by a newer epoch: nothing more is written. */
  private deposed = false;
  /** Runs the merges and stage-out transfers the state machine asks for. */
  private readonly delivery: DeliveryShell;
  /** Judges whether the Droids ranges are held back for (after a take-over) are gone. */
  private readonly holders: HolderWatch;

  private constructor(
    private readonly socket: Router,
    readonly endpoint: string,
    readonly state: YodaState,
    private readonly journal: JournalWriter,
    private readonly log: Logger,
    /** The authenticator, when CURVE is on. */
    readonly zap: ZapHandler | null,
    private readonly lease: YodaLease | null,
    delivery: DeliverySpec,
  ) {
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
    this.holders = new HolderWatch(state.config.node, state.config.launch);
    // A deposed Yoda writes no record, so it must never act as if one were written (e.g. delete merged inputs).
    const written = () => (this.deposed ? Promise.reject(new Error('this Yoda was deposed')) : journal.append([]));
    this.delivery = new DeliveryShell(delivery, log, (e) => this.dispatch(e), written);
    this.outbox = new Outbox(
      ([to, frame]) => socket.send([to, frame]),
      (e) => log.debug({ err: e.message }, 'send failed'),
    );
    this.ticker = setInterval(() => this.onTimer(), TICK_MS);
    // Renew the lease five times per timeout; a renewal that finds a newer epoch means this Yoda was deposed.
    this.renewer = lease ? setInterval(() => this.renew(), Math.max(100, (lease.timeoutSeconds * 1000) / 5)) : null;
    void this.receiveLoop();
  }

  /** Binds a ROUTER on `bindAddress` (e.g. tcp://127.0.0.1:*) and starts serving; with keys, only the job's Droids get in. */
  static async start(
    state: YodaState,
    bindAddress: string,
    journal: JournalWriter,
    log: Logger,
    keys: JobKeys | null,
    lease: YodaLease | null = null,
    /** The job's merge and stageOut (none by default). */
    delivery: DeliverySpec = { stage: null, merge: null },
  ): Promise<YodaServer> {
    const zap = keys ? await ZapHandler.start(keys.clientPublic, log) : null;
    const curve = keys
      ? { curveServer: true, curveSecretKey: keys.serverSecret, curvePublicKey: keys.serverPublic, zapDomain: 'yoda' }
      : {};
    // backlog: thousands of Droids connect at once at job start; ZeroMQ's default of 100 drops their SYNs (1-3 s retries).
    const socket = new Router({
      maxMessageSize: MAX_FRAME_BYTES,
      linger: 2000,
      mandatory: false,
      handover: true,
      backlog: 4096,
      ...curve,
    });
    await socket.bind(bindAddress);
    return new YodaServer(socket, socket.lastEndpoint ?? bindAddress, state, journal, log, zap, lease, delivery);
  }

  /** Batches, records and bytes the journal has written in this run. */
  get journalStats(): JournalWriter['stats'] {
    return this.journal.stats;
  }

  /** Starts a drain: no new ranges; Droids get `graceSeconds` to finish what they hold. */
  drain(reason: string, graceSeconds: number): void {
    this.dispatch({ type: 'drain', reason, graceSeconds });
  }

  /** The run number this Yoda recorded in the journal. */
  get runNumber(): number {
    return this.state.config.run;
  }

  /** One line of progress (ranges and events done, rate, ETA) for a terminal. */
  progress(now: number): string {
    return progressLine(this.state, now);
  }

  /** The lease epoch this Yoda holds (0 without a lease). */
  get epoch(): number {
    return this.lease?.held.epoch ?? 0;
  }

  /** True when another Yoda took the lease over from this one. */
  get lostLease(): boolean {
    return this.deposed;
  }

  /** When the lease was last renewed, or a renewal tried (a failing one is tried again by the renewer, not per frame). */
  private renewedAt = Date.now();

  private renew(): void {
    if (this.deposed || !this.lease || this.state.phase === 'finished') return;
    let ok = true;
    this.renewedAt = Date.now();
    try {
      ok = this.lease.held.renew();
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'could not renew the lease (will retry)');
    }
    if (!ok)
      this.onDeposed(
        `this Yoda lost its lease on ${this.state.config.workdir}: another Yoda took epoch ${this.lease.held.epoch + 1} (was this process paused past the ${this.lease.timeoutSeconds} s lease timeout?)`,
      );
  }

  // Deposed: write nothing more. A Yoda that was handing over anyway just lets its own Droids finish; any other stops.
  private onDeposed(why: string): void {
    if (this.deposed) return;
    this.deposed = true;
    if (this.handedOver) {
      this.log.warn(`${why}; the results of this allocation's last ranges are left to the next Yoda`);
      return;
    }
    this.log.error(why);
    this.dispatch({ type: 'journalFailed', error: why });
  }

  private async receiveLoop(): Promise<void> {
    // zeromq resolves up to 512 receives and sends in a row without returning to the event loop; under load that
    // starves journal writes, timers and signals for 0.3 s and more. Yield every few milliseconds instead.
    let yieldAt = performance.now() + YIELD_EVERY_MS;
    try {
      for await (const frames of this.socket) {
        if (performance.now() >= yieldAt) {
          await new Promise((resolve) => setImmediate(resolve));
          yieldAt = performance.now() + YIELD_EVERY_MS;
        }
        const [id, frame] = frames;
        const from = id.toString('latin1');
        if (frames.length !== 2) {
          this.drop(from, `${frames.length - 1} body frames`);
          continue;
        }
        const decoded = decodeDroidMessage(frame);
        if (decoded.ok) this.dispatch({ type: 'message', from, msg: decoded.message });
        else this.drop(from, decoded.why);
      }
    } catch (e) {
      if (!this.socket.closed) this.log.error({ err: (e as Error).message }, 'receive loop failed');
    }
  }

  private drop(from: string, why: string): void {
    this.dropped.frames += 1;
    if (this.dropped.peers.size < 1000 && !this.dropped.peers.has(from)) {
      this.dropped.peers.add(from);
      this.log.warn(
        { peer: from.slice(0, 64) },
        `dropped a frame from ${JSON.stringify(from.slice(0, 64))}: ${why} (further drops from this peer are only counted)`,
      );
    }
  }

  private lastTimerAt = Date.now();

  // A timer that fires long after it was due means this process was not running (SIGSTOP, starved): the Droids get that
  // time back before the tick judges their silence (their frames queued meanwhile are read right after).
  private onTimer(): void {
    const now = Date.now();
    const late = now - this.lastTimerAt - TICK_MS;
    this.lastTimerAt = now;
    if (late > PAUSE_MS) this.run(forgivePause(this.state, late, now));
    if (this.state.heldBack.size > 0) {
      // The batch system answers later: by then this Yoda may have finished, and writes nothing more.
      this.holders.check(heldDroids(this.state), now, (droids, why) => {
        if (this.state.phase !== 'finished' && !this.deposed) this.dispatch({ type: 'holdersGone', droids, why });
      });
    }
    this.dispatch({ type: 'tick' });
  }

  private dispatch(event: YodaEvent): void {
    const now = Date.now();
    // Not renewed for half the timeout (this process was paused, or starved): make sure no other Yoda took over before
    // acting on anything, so a deposed Yoda never hands out a range (renew() finds a newer epoch and stops this one).
    if (this.lease && !this.released && now - this.renewedAt > this.lease.timeoutSeconds * 500) this.renew();
    this.run(step(this.state, event, now));
    // A drain found Droids of other allocations: release the lease at once so one of them takes over.
    if (this.state.handingOver && !this.released && !this.deposed) {
      this.handedOver = true;
      this.releaseLease(false);
    }
  }

  private released = false;
  /** A drain handed the job over (as opposed to a deposed Yoda telling its Droids to move on). */
  private handedOver = false;

  private releaseLease(ended: boolean): void {
    if (this.released || !this.lease) return;
    this.released = true;
    try {
      this.lease.held.release(ended);
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'could not release the lease (the next Yoda waits for its timeout)');
    }
  }

  private run(effects: YodaEffect[]): void {
    for (const e of effects) {
      switch (e.type) {
        case 'send':
          this.outbox.push([e.to, encode(e.msg)]);
          break;
        case 'journal':
          if (this.deposed) break;
          this.journal.append(e.records).catch((err: Error) => {
            if (isYodaError(err, 'LEASE_LOST')) this.onDeposed(err.message);
            else this.dispatch({ type: 'journalFailed', error: err.message });
          });
          break;
        case 'log':
          this.log[e.level](e.data ?? {}, e.msg);
          break;
        case 'finish':
          void this.close(e.outcome, e.exitCode);
          break;
        default:
          this.delivery.run(e);
      }
    }
  }

  private async close(outcome: Outcome, exitCode: number): Promise<void> {
    clearInterval(this.ticker);
    this.delivery.stop(); // merges and transfers left running (a drain's grace is over) are redone by the next run
    if (this.renewer) clearInterval(this.renewer);
    await this.journal.append([]).catch(() => undefined);
    // The next Yoda need not wait for the timeout: a clean end, or a hand-over already released it.
    if (!this.deposed) this.releaseLease(!this.handedOver);
    await this.outbox.drained();
    this.socket.close();
    this.zap?.close();
    this.resolveFinished({
      outcome,
      exitCode,
      reason: this.state.stopReason,
      lostLease: this.deposed,
      handedOver: this.handedOver,
      refused: { connections: this.zap?.refusedCount ?? 0, addresses: this.zap?.refused.size ?? 0 },
      dropped: { frames: this.dropped.frames, peers: this.dropped.peers.size },
    });
  }
}
