// Payload side of the worker control protocol for Node payloads: serve() runs the dialogue with the Droid.
// The protocol is docs/worker-protocol.md; its messages are typed in src/protocol/worker.ts.
//
// The Droid passes a UNIX stream socket as the fd in YODA_CONTROL_FD; messages are JSON, one per line:
//   worker -> droid  {"type":"ready","batch":N} at start and each time every range given has been reported
//                    (batch: the most ranges it takes in one message)
//   droid -> worker  {"type":"ranges","ranges":[...]} or {"type":"no_more_events"} (one reply per ready)
//   droid -> worker  {"type":"drain","graceSeconds":N} at any time (SIGTERM follows): isDraining() turns true
//   worker -> droid  {"type":"done",id,outputs,cpu,wall} or {"type":"failed",id,code,message}, one per range
// A failure code containing FATAL ends the worker (exit 3); EOF on the channel ends it at once (exit 4).
// Unknown message types from the Droid are ignored (later versions may add some).
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { ERR, isErrorCode, isFatalCode } from '../protocol/error-codes.js';
import {
  parseToWorker,
  type DoneMessage,
  type FailedMessage,
  type ToWorker,
  type WorkerRange,
} from '../protocol/worker.js';

let draining = false;

/** True once the Droid said the job drains (the drain message or SIGTERM): finish the range in hand quickly. */
export function isDraining(): boolean {
  return draining;
}

/** One event range to process (the protocol's WorkerRange), with the range exactly as the Droid sent it. */
export interface PayloadRange extends WorkerRange {
  raw: Record<string, unknown>;
}

/** A payload failure with a protocol code ERR_<NAME>; a name containing FATAL stops the worker. */
export class PayloadError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'PayloadError';
  }
}

type ControlMessage = Exclude<ToWorker, { type: 'drain' }>;
type Reply = Required<DoneMessage> | FailedMessage;
const EXIT_USAGE = 2;
const EXIT_FATAL = 3;
const EXIT_LOST = 4;

function die(status: number, why: string): never {
  process.stderr.write(`yoda payload helper: ${why}\n`);
  process.exit(status);
}

/** The control socket: incoming messages are queued; EOF before no_more_events ends the worker. */
class Channel {
  private readonly queue: ControlMessage[] = [];
  private waiter: ((m: ControlMessage) => void) | undefined;
  private finished = false;
  readonly socket: net.Socket;

  constructor(fd: number) {
    this.socket = new net.Socket({ fd, readable: true, writable: true });
    this.socket.on('error', (e) => die(EXIT_LOST, `control channel failed (${e.message}); exiting`));
    const lines = readline.createInterface({ input: this.socket, crlfDelay: Infinity });
    lines.on('line', (line) => this.push(line));
    lines.on('close', () => {
      if (!this.finished) die(EXIT_LOST, 'control channel closed (the droid is gone); exiting');
    });
  }

  private push(line: string): void {
    const parsed = parseToWorker(line);
    if (parsed === null) die(EXIT_LOST, `garbled control message ${JSON.stringify(line.slice(0, 200))}; exiting`);
    if (parsed.type === 'unknown') return; // a message of a later protocol version: ignored
    if (parsed.type === 'drain') {
      draining = true;
      return;
    }
    const msg: ControlMessage = parsed;
    if (msg.type === 'no_more_events') this.finished = true;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(msg);
    } else this.queue.push(msg);
  }

  receive(): Promise<ControlMessage> {
    const next = this.queue.shift();
    if (next) return Promise.resolve(next);
    return new Promise((resolve) => (this.waiter = resolve));
  }

  /** Writes one line. Each reply goes before the next range starts: a crash in a range loses no earlier report. */
  send(msg: object): Promise<void> {
    return new Promise((resolve) => this.socket.write(`${JSON.stringify(msg)}\n`, () => resolve()));
  }

  close(): void {
    this.finished = true;
    this.socket.end();
    this.socket.unref();
  }
}

function toRange(raw: Record<string, unknown>): PayloadRange {
  return {
    id: String(raw.id),
    file: String(raw.file),
    first: Number(raw.first),
    last: Number(raw.last),
    output: String(raw.output),
    attempt: raw.attempt === undefined ? 1 : Number(raw.attempt),
    guid: typeof raw.guid === 'string' ? raw.guid : undefined,
    scope: typeof raw.scope === 'string' ? raw.scope : undefined,
    fileFirst: typeof raw.fileFirst === 'number' ? raw.fileFirst : 0,
    source: typeof raw.source === 'string' ? raw.source : undefined,
    raw,
  };
}

function checkOutputs(result: unknown): string[] {
  if (!Array.isArray(result)) {
    throw new PayloadError(ERR.PAYLOAD, 'the process function must return an array of output paths');
  }
  const outputs = result.map((p) => path.resolve(String(p)));
  if (outputs.length === 0)
    throw new PayloadError(
      ERR.OUTPUT_INVALID,
      'the process function returned no output path: a done range needs at least one output',
    );
  const missing = outputs.filter((p) => !fs.existsSync(p));
  if (missing.length > 0) throw new PayloadError(ERR.OUTPUT_MISSING, `output not found: ${missing.join(', ')}`);
  return outputs;
}

async function runOne(
  processRange: (r: PayloadRange) => Promise<string[]> | string[],
  raw: Record<string, unknown>,
): Promise<Reply> {
  const id = String(raw?.id);
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  try {
    const outputs = checkOutputs(await processRange(toRange(raw)));
    const cpu = process.cpuUsage(cpu0);
    const wall = (performance.now() - wall0) / 1000;
    return { type: 'done', id, outputs, cpu: (cpu.user + cpu.system) / 1e6, wall: Math.round(wall * 1e6) / 1e6 };
  } catch (e) {
    if (e instanceof PayloadError) {
      return { type: 'failed', id, code: isErrorCode(e.code) ? e.code : ERR.PAYLOAD, message: e.message };
    }
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return { type: 'failed', id, code: ERR.EXCEPTION, message };
  }
}

/** Most ranges this worker takes in one message; the Droid sends several only when ranges are short. */
const BATCH = 256;

/** Run the worker dialogue, calling processRange for each range; resolves after no_more_events. */
export async function serve(processRange: (r: PayloadRange) => Promise<string[]> | string[]): Promise<void> {
  const fdText = process.env.YODA_CONTROL_FD;
  if (!fdText) {
    die(
      EXIT_USAGE,
      'YODA_CONTROL_FD is not set. This program is a Yoda payload worker: it must be started by a yoda\n' +
        'Droid, which hands it event ranges over a control channel. Run it through a yoda job file instead.',
    );
  }
  const fd = Number(fdText);
  let channel: Channel;
  try {
    if (!Number.isInteger(fd) || fd < 0 || !fs.fstatSync(fd).isSocket()) throw new Error('not a socket');
    channel = new Channel(fd);
  } catch (e) {
    die(EXIT_USAGE, `YODA_CONTROL_FD=${fdText} is not a usable control socket: ${(e as Error).message}`);
  }
  // The drain's SIGTERM must not kill the range in hand: the range may finish within the grace (SIGKILL ends it).
  process.on('SIGTERM', () => {
    draining = true;
  });
  for (;;) {
    await channel.send({ type: 'ready', batch: BATCH });
    const msg = await channel.receive();
    if (msg.type === 'no_more_events') {
      channel.close();
      return;
    }
    const ranges = msg.ranges as unknown as Record<string, unknown>[];
    for (const raw of ranges) {
      if (draining && ranges.length > 1) {
        // The rest of the message is not started: it goes back to Yoda without burning an attempt.
        process.exit(0);
      }
      const reply = await runOne(processRange, raw);
      await channel.send(reply);
      if (reply.type === 'failed' && isFatalCode(reply.code)) {
        die(EXIT_FATAL, `fatal failure ${reply.code}: ${reply.message}`);
      }
    }
  }
}
