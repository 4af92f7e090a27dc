// Yoda's socket shell: a ROUTER that feeds frames to step() and carries out its effects.
import { Router } from 'zeromq';
import type { Logger } from 'pino';
import { decodeDroidMessage, encode, MAX_FRAME_BYTES } from '../protocol/codec.js';
import type { JournalWriter } from '../journal/writer.js';
import { Outbox } from '../util/outbox.js';
import type { YodaEffect, YodaEvent } from './effects.js';
import type { Outcome, YodaState } from './state.js';
import { step } from './step.js';
import type { JobKeys } from '../security/keys.js';
import { ZapHandler } from '../security/zap.js';

/** Longest stretch of message handling before the receive loop lets the event loop run. */
const YIELD_EVERY_MS = 5;

/** How a run of Yoda ended. */
export interface YodaResult {
  outcome: Outcome;
  exitCode: number;
}

/** A running Yoda: its endpoint, and a promise of how it ends. */
export class YodaServer {
  readonly finished: Promise<YodaResult>;
  /** Frames dropped because they did not decode or validate, and peers already warned about. */
  readonly dropped = { frames: 0, peers: new Set<string>() };
  private resolveFinished!: (r: YodaResult) => void;
  private readonly outbox: Outbox<[string, Buffer]>;
  private readonly ticker: NodeJS.Timeout;

  private constructor(
    private readonly socket: Router,
    readonly endpoint: string,
    readonly state: YodaState,
    private readonly journal: JournalWriter,
    private readonly log: Logger,
    /** The authenticator, when CURVE is on. */
    readonly zap: ZapHandler | null,
  ) {
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
    this.outbox = new Outbox(([to, frame]) => socket.send([to, frame]), (e) => log.debug({ err: e.message }, 'send failed'));
    this.ticker = setInterval(() => this.dispatch({ type: 'tick' }), 250);
    void this.receiveLoop();
  }

  /** Binds a ROUTER on `bindAddress` (e.g. tcp://127.0.0.1:*) and starts serving; with keys, only the job's Droids get in. */
  static async start(state: YodaState, bindAddress: string, journal: JournalWriter, log: Logger, keys: JobKeys | null): Promise<YodaServer> {
    const zap = keys ? await ZapHandler.start(keys.clientPublic, log) : null;
    const curve = keys ? { curveServer: true, curveSecretKey: keys.serverSecret, curvePublicKey: keys.serverPublic, zapDomain: 'yoda' } : {};
    // backlog: thousands of Droids connect at once at job start; ZeroMQ's default of 100 drops their SYNs (1-3 s retries).
    const socket = new Router({ maxMessageSize: MAX_FRAME_BYTES, linger: 2000, mandatory: false, handover: true, backlog: 4096, ...curve });
    await socket.bind(bindAddress);
    return new YodaServer(socket, socket.lastEndpoint ?? bindAddress, state, journal, log, zap);
  }

  /** Batches, records and bytes the journal has written in this run. */
  get journalStats(): JournalWriter['stats'] {
    return this.journal.stats;
  }

  /** Starts a drain: no new ranges; Droids get `graceSeconds` to finish what they hold. */
  drain(reason: string, graceSeconds: number): void {
    this.dispatch({ type: 'drain', reason, graceSeconds });
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
      this.log.warn({ peer: from.slice(0, 64) }, `dropped a frame from ${JSON.stringify(from.slice(0, 64))}: ${why} (further drops from this peer are only counted)`);
    }
  }

  private dispatch(event: YodaEvent): void {
    this.run(step(this.state, event, Date.now()));
  }

  private run(effects: YodaEffect[]): void {
    for (const e of effects) {
      switch (e.type) {
        case 'send':
          this.outbox.push([e.to, encode(e.msg)]);
          break;
        case 'journal':
          this.journal.append(e.records).catch((err: Error) => this.dispatch({ type: 'journalFailed', error: err.message }));
          break;
        case 'log':
          this.log[e.level](e.data ?? {}, e.msg);
          break;
        case 'finish':
          void this.close({ outcome: e.outcome, exitCode: e.exitCode });
          break;
      }
    }
  }

  private async close(result: YodaResult): Promise<void> {
    clearInterval(this.ticker);
    await this.journal.append([]).catch(() => undefined);
    await this.outbox.drained();
    this.socket.close();
    this.zap?.close();
    this.resolveFinished(result);
  }
}
