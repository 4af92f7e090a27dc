// Child process: many simulated Droids (one DEALER each) speaking the real protocol, or the raw ceiling exchange.
import { readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Dealer, context } from 'zeromq';
import { decodeYodaMessage, encode, MAX_FRAME_BYTES, unpackUnchecked } from '../src/protocol/codec.js';
import { PROTOCOL_VERSION, type RangeResult, type RangeSpec } from '../src/protocol/messages.js';
import type { JobKeys } from '../src/security/keys.js';
import { childConfig, toParent, type Msg } from './child.js';
import { Histogram } from './histogram.js';

/** What one droid-sim process simulates. */
export interface DroidSimConfig {
  endpoint: string;
  sockets: number;
  /** `yoda`: hello, then report/ranges loops; `raw`: a fixed request answered by the ceiling server. */
  mode: 'yoda' | 'raw';
  want: number;
  /** Pause between receiving ranges and reporting them (mean, ms; 0 = closed loop at full speed). */
  thinkMs: number;
  name: string;
  /** At most this many connections being set up at once (Yoda's listen backlog is ZeroMQ's default, 100). */
  joining: number;
  /** The job's CURVE keys, or null for plain TCP. */
  keys: JobKeys | null;
}

const c = childConfig<DroidSimConfig>();
context.maxSockets = Math.max(context.maxSockets, c.sockets + 16);
let hist = new Histogram();
let ranges = 0;
let requests = 0;
let errors = 0;
let running = false;
/** Droids that have had fewer than two answers since `go` (the load is not steady before every Droid cycled). */
let warming = c.sockets;
const sockets: Dealer[] = [];

function results(list: RangeSpec[], now: number): RangeResult[] {
  return list.map((r) => ({
    i: r.i,
    id: r.id,
    ok: true,
    outputs: [`/scratch/bench/outputs/${r.id}.out`],
    cpu: 0,
    wall: 0,
    start: now,
    end: now,
    slot: 0,
  }));
}

/** A counting semaphore: at most `n` holders at once. */
function limiter(n: number): { take: () => Promise<void>; give: () => void } {
  const queue: (() => void)[] = [];
  return {
    take: () => {
      if (n <= 0) return new Promise<void>((resolve) => queue.push(resolve));
      n -= 1;
      return Promise.resolve();
    },
    give: () => {
      const next = queue.shift();
      if (next) next();
      else n += 1;
    },
  };
}

const joining = limiter(c.joining);

/** One simulated Droid: connects, says hello, waits for `go`, then loops request -> answer until stopped. */
async function droid(sock: Dealer, key: string, welcomed: () => void, go: Promise<void>): Promise<void> {
  await joining.take();
  sock.connect(c.endpoint);
  const request = (done: RangeResult[]) => encode({ type: 'report', results: done, released: [], want: c.want });
  if (c.mode === 'yoda') {
    await sock.send(
      encode({
        type: 'hello',
        version: PROTOCOL_VERSION,
        droid: key,
        node: `simnode-${key}`,
        rank: 0,
        pid: process.pid,
        slots: c.want,
        cores: c.want,
        launch: null,
        held: [],
        attempts: [],
      }),
    );
    for (;;) {
      const [frame] = await sock.receive();
      const d = decodeYodaMessage(frame);
      if (d.ok && d.message.type === 'welcome') break;
      if (d.ok && d.message.type === 'refuse') throw new Error(`refused: ${d.message.reason}`);
    }
  }
  joining.give();
  welcomed();
  await go;
  if (c.thinkMs > 0) await sleep(Math.random() * c.thinkMs);
  let sentAt = performance.now();
  let answers = 0;
  await sock.send(request([]));
  while (running) {
    const [frame] = await sock.receive();
    const now = performance.now();
    let got: RangeSpec[];
    if (c.mode === 'raw') got = (unpackUnchecked(frame) as { ranges: RangeSpec[] }).ranges;
    else {
      const d = decodeYodaMessage(frame);
      if (!d.ok) throw new Error(d.why);
      if (d.message.type === 'end') return;
      if (d.message.type !== 'ranges') continue; // heartbeat
      got = d.message.ranges;
    }
    hist.add(now - sentAt);
    if (++answers === 2) warming -= 1;
    requests += 1;
    ranges += got.length;
    if (c.thinkMs > 0) await sleep(c.thinkMs * (0.5 + Math.random()));
    if (!running) return;
    const done = c.mode === 'raw' ? [] : results(got, Date.now());
    sentAt = performance.now();
    await sock.send(request(done));
  }
}

async function main(): Promise<void> {
  let release!: () => void;
  const go = new Promise<void>((resolve) => (release = resolve));
  let welcomed = 0;
  const started = performance.now();
  const k = c.keys;
  const curve = k
    ? { curveServerKey: k.serverPublic, curvePublicKey: k.clientPublic, curveSecretKey: k.clientSecret }
    : {};
  const allWelcomed = new Promise<void>((resolve) => {
    const one = () => (welcomed += 1) === c.sockets && resolve();
    for (let n = 0; n < c.sockets; n++) {
      const key = `${c.name}-${n}`;
      const sock = new Dealer({
        routingId: key,
        maxMessageSize: MAX_FRAME_BYTES,
        linger: 0,
        reconnectInterval: 200,
        sendHighWaterMark: 0,
        receiveHighWaterMark: 0,
        ...curve,
      });
      sockets.push(sock);
      droid(sock, key, one, go).catch((e: Error) => {
        errors += 1;
        if (errors === 1) toParent({ type: 'error', message: `${key}: ${e.message}` });
      });
    }
  });
  process.on('message', (m: Msg) => {
    if (m.type === 'go') {
      running = true;
      release();
    } else if (m.type === 'mark') {
      hist = new Histogram();
      ranges = 0;
      requests = 0;
      toParent({ type: 'mark' });
    } else if (m.type === 'progress') {
      toParent({ type: 'progress', warming });
    } else if (m.type === 'collect') {
      toParent({ type: 'collect', hist: hist.toPairs(), ranges, requests, errors, rss: process.memoryUsage.rss() });
    } else if (m.type === 'stop') {
      running = false;
      for (const s of sockets) s.close();
      process.exit(0);
    }
  });
  process.on('disconnect', () => process.exit(0));
  await allWelcomed;
  toParent({
    type: 'ready',
    fds: readdirSync('/proc/self/fd').length,
    sockets: c.sockets,
    joinMs: performance.now() - started,
  });
}

main().catch((e: Error) => {
  toParent({ type: 'error', message: e.stack ?? e.message });
  process.exit(1);
});
