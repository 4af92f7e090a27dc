// A Droid's socket shell: a DEALER to Yoda, the slot workers, and a timer, all feeding droidStep().
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { InputFetcher } from '../stagein/fetcher.js';
import type { RangeExtractor } from '../stagein/extractor.js';
import { prefetchStats } from './inputs.js';
import type { PrefetchPublisher } from './prefetch-file.js';
import { Dealer } from 'zeromq';
import type { Logger } from 'pino';
import { decodeYodaMessage, encode, MAX_FRAME_BYTES } from '../protocol/codec.js';
import { Outbox } from '../util/outbox.js';
import { startDaemonWorker, type WorkerEvents, type WorkerHandle } from '../payload/worker.js';
import { startCommandWorker } from '../payload/command-worker.js';
import type { WorkerSetup } from '../payload/worker-env.js';
import type { SlotEnv } from '../node/slot-env.js';
import type { LoadedAffinity } from '../native/affinity.js';
import { nodeFileOf, removeNodeFile, writeNodeFile } from './node-file.js';
import { WorkerWatch } from './watch.js';
import type { DroidEffect, DroidEvent } from './effects.js';
import type { DroidState } from './state.js';
import { droidStep } from './step.js';
import type { JobKeys } from '../security/keys.js';

/** The Droid's timer period, and how late it must fire to count as a pause of the whole process. */
const TICK_MS = 100;
const PAUSE_MS = 1000;

/** How a Droid ended: exit code 0, or 5 with the reason (and the worker log that explains it, if any). */
export interface DroidResult {
  exitCode: number;
  error: string | null;
  workerLog?: string | null;
}

/** Worker settings shared by every slot of a Droid. */
export type SlotTemplate = Omit<WorkerSetup, 'slot' | 'cpus' | 'gpus' | 'slotEnv' | 'log'>;

/** What the shell needs beside the state: worker settings, per-slot variables, pinning, where to publish workers. */
export interface DroidShell {
  template: SlotTemplate;
  slotEnv: Map<number, SlotEnv>;
  affinity: LoadedAffinity;
  /** <workdir>/nodes/<node>.rank<k>.json and the Droid's part of it. */
  nodeFile: { path: string; host: string };
  /** Fetches remote input files into the node's cache (stage-in), and extracts ranges of those read per range. */
  fetcher: InputFetcher;
  extractor: RangeExtractor;
  /** Keeps <workdir>/prefetch/<this Droid>.json current. */
  prefetchFile: PrefetchPublisher;
}

/** A running Droid. */
export class DroidClient {
  readonly finished: Promise<DroidResult>;
  private resolveFinished!: (r: DroidResult) => void;
  private socket: Dealer;
  private readonly outbox: Outbox<Buffer>;
  private readonly workers = new Map<number, WorkerHandle>();
  private readonly started = new Map<number, string>();
  private readonly ticker: NodeJS.Timeout;
  private readonly watch: WorkerWatch;
  private closed = false;

  constructor(
    endpoint: string,
    readonly state: DroidState,
    private readonly shell: DroidShell,
    private readonly log: Logger,
    keys: JobKeys | null,
  ) {
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
    this.socket = this.dealer(endpoint, keys);
    this.outbox = new Outbox(
      (frame) => this.socket.send(frame),
      (e) => log.debug({ err: e.message }, 'send failed'),
    );
    this.ticker = setInterval(() => this.onTimer(), TICK_MS);
    this.watch = new WorkerWatch({
      workers: () => this.watched(),
      overMemory: (slot, pid, rssMB, limitMB) => {
        if (this.workers.get(slot)?.pid === pid) this.dispatch({ type: 'workerOverMemory', slot, rssMB, limitMB });
      },
      affinity: shell.affinity.impl,
      log,
    });
    this.publishWorkers();
    void this.receiveLoop(this.socket);
    this.dispatch({ type: 'connected' });
  }

  // A DEALER to Yoda at `endpoint`, authenticated with the job's keys when given.
  private dealer(endpoint: string, keys: JobKeys | null): Dealer {
    const curve = keys
      ? { curveServerKey: keys.serverPublic, curvePublicKey: keys.clientPublic, curveSecretKey: keys.clientSecret }
      : {};
    const socket = new Dealer({
      routingId: this.state.config.key,
      maxMessageSize: MAX_FRAME_BYTES,
      linger: 2000,
      reconnectInterval: 200,
      ...curve,
    });
    socket.connect(endpoint);
    return socket;
  }

  /** Follows Yoda to a new endpoint (a hand-over): a new socket, a hello listing the ranges held; workers keep running. */
  reconnect(endpoint: string, keys: JobKeys | null): void {
    if (this.closed) return;
    const old = this.socket;
    this.socket = this.dealer(endpoint, keys);
    // Tell the old Yoda (if it still runs) that this Droid left, so it does not wait for it; then let the socket go.
    old
      .send(encode({ type: 'bye', reason: 'following the new Yoda' }))
      .catch(() => undefined)
      .finally(() => old.close());
    void this.receiveLoop(this.socket);
    this.dispatch({ type: 'connected' });
  }

  /** True when this Droid may need another Yoda: not welcomed (yet, or again), told Yoda is moving, or Yoda silent past two heartbeats. */
  lookingForYoda(now: number): boolean {
    const s = this.state;
    return this.awaitingWelcome || s.moving || now - s.lastHeardFromYoda > 2 * s.config.heartbeatSeconds * 1000;
  }

  /** True while a hello (the first, or a rejoin after a hand-over) has had no welcome. */
  get awaitingWelcome(): boolean {
    return this.state.phase === 'connecting' || this.state.rejoining;
  }

  /** Where the Droid stands: connecting (no welcome yet), running, draining, ending or stopped. */
  get phase(): DroidState['phase'] {
    return this.state.phase;
  }

  /** Starts a drain: queued ranges go back to Yoda, busy workers get `graceSeconds`. */
  drain(reason: string, graceSeconds: number): void {
    this.dispatch({ type: 'drain', reason, graceSeconds });
  }

  /** Kills every worker's process group at once (second signal, or process exit). */
  killAll(): void {
    for (const w of this.workers.values()) w.kill();
  }

  private async receiveLoop(socket: Dealer): Promise<void> {
    try {
      for await (const [frame] of socket) {
        const decoded = decodeYodaMessage(frame);
        if (decoded.ok) this.dispatch({ type: 'yoda', msg: decoded.message });
        else this.log.warn(`dropped a frame from Yoda: ${decoded.why}`);
      }
    } catch (e) {
      if (!this.closed && !socket.closed) this.log.error({ err: (e as Error).message }, 'Droid receive loop failed');
    }
  }

  private lastTimerAt = Date.now();

  // A timer that fires long after it was due means this process was not running (SIGSTOP, starved): Yoda gets that
  // time back before the tick judges its silence (its frames queued meanwhile are read right after).
  private onTimer(): void {
    const now = Date.now();
    const late = now - this.lastTimerAt - TICK_MS;
    this.lastTimerAt = now;
    if (late > PAUSE_MS) this.dispatch({ type: 'paused', ms: late });
    this.dispatch({ type: 'tick' });
    this.shell.prefetchFile.update(prefetchStats(this.state, now), now);
  }

  private dispatch(event: DroidEvent): void {
    if (this.closed) return;
    for (const e of droidStep(this.state, event, Date.now())) this.run(e);
  }

  private workerEvents(slot: number): WorkerEvents {
    return {
      report: (report) => this.dispatch({ type: 'worker', slot, report }),
      broken: (why) => this.dispatch({ type: 'workerBroken', slot, why }),
      exited: (code, signal) => {
        this.workers.delete(slot);
        this.started.delete(slot);
        this.publishWorkers();
        this.dispatch({ type: 'workerExited', slot, code, signal });
      },
    };
  }

  private run(e: DroidEffect): void {
    switch (e.type) {
      case 'toYoda':
        this.outbox.push(encode(e.msg));
        break;
      case 'startWorker': {
        const slot = this.state.config.slots.find((s) => s.slot === e.slot)!;
        const setup: WorkerSetup = {
          ...this.shell.template,
          slot: slot.slot,
          cpus: slot.cpus,
          gpus: slot.gpus,
          slotEnv: this.shell.slotEnv.get(slot.slot) ?? {},
          log: slot.log,
        };
        const start = setup.mode === 'command' ? startCommandWorker : startDaemonWorker;
        this.workers.set(e.slot, start(setup, this.workerEvents(e.slot)));
        this.started.set(e.slot, new Date().toISOString());
        this.publishWorkers();
        break;
      }
      case 'feedWorker':
        this.workers.get(e.slot)?.feed(e.ranges);
        break;
      case 'stopWorker':
        this.workers.get(e.slot)?.stop();
        break;
      case 'killWorker':
        this.workers.get(e.slot)?.kill();
        break;
      case 'drainWorker':
        this.workers.get(e.slot)?.drain(e.graceSeconds);
        break;
      case 'log':
        this.log[e.level](e.msg);
        break;
      case 'fetch':
        this.shell.fetcher.fetch(e.url).then(
          (f) => !this.closed && this.dispatch({ type: 'fetched', url: e.url, local: f.local, bytes: f.bytes }),
          (err: Error) => !this.closed && this.dispatch({ type: 'fetchFailed', url: e.url, message: err.message }),
        );
        break;
      case 'extract':
        this.shell.extractor.extract(e.range).then(
          (f) => !this.closed && this.dispatch({ type: 'extracted', i: e.range.i, local: f.local, bytes: f.bytes }),
          (err: Error) => !this.closed && this.dispatch({ type: 'extractFailed', i: e.range.i, message: err.message }),
        );
        break;
      case 'evict':
        void rm(dirname(e.local), { recursive: true, force: true }); // the file's own directory (stagein/fetcher.ts)
        break;
      case 'exit':
        void this.close({ exitCode: e.code, error: e.error, workerLog: e.workerLog });
        break;
    }
  }

  // The live workers, for the memory and pinning watch.
  private watched() {
    return this.state.config.slots.flatMap(({ slot, cpus, memoryLimitMB }) => {
      const pid = this.workers.get(slot)?.pid;
      return pid ? [{ slot, pid, cpus, limitMB: memoryLimitMB }] : [];
    });
  }

  // Rewrites the node file `yoda status` reads (on worker start and exit; never per range).
  private publishWorkers(): void {
    if (this.closed) return;
    const f = nodeFileOf(this.state.config, this.shell.nodeFile.host, this.shell.template, (slot) => {
      const w = this.workers.get(slot);
      return w && { pid: w.pid ?? null, startedAt: this.started.get(slot) };
    });
    try {
      writeNodeFile(this.shell.nodeFile.path, f);
    } catch (e) {
      this.log.debug({ err: (e as Error).message }, `could not write ${this.shell.nodeFile.path}`);
    }
  }

  private async close(result: DroidResult): Promise<void> {
    this.closed = true;
    clearInterval(this.ticker);
    this.watch.stop();
    try {
      removeNodeFile(this.shell.nodeFile.path);
    } catch {
      // a work directory gone read-only: `yoda status` drops the file once this Droid's pid is gone
    }
    this.killAll();
    const now = Date.now();
    this.shell.prefetchFile.update(prefetchStats(this.state, now), now, true);
    this.shell.extractor.close();
    await this.shell.fetcher.close(); // the node's copies of remote inputs go with the Droid
    await this.outbox.drained();
    this.socket.close();
    this.resolveFinished(result);
  }
}
