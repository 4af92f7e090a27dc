// A TCP proxy on loopback that makes a local server look remote (the `stream` benchmark, issue "Event streaming"):
// every chunk is delayed by a one-way delay in both directions (so a round trip costs twice that), in order, and the
// bytes of each direction share one bandwidth cap across all connections (a token bucket, like one WAN link).
import { connect, createServer, type Server, type Socket } from 'node:net';

/** Where the proxy forwards to, and what the link between them is like. */
export interface DelayProxyOptions {
  /** The real server, on loopback. */
  target: { host: string; port: number };
  /** Added to every chunk in each direction (10 ms: 20 ms per round trip). */
  oneWayDelayMs: number;
  /** Bytes per second of each direction, shared by every connection; 0: no cap. */
  bytesPerSecond: number;
  /** Bytes that may pass at once after the link was idle (the bucket's size); default 64 KiB. */
  burstBytes?: number;
}

/** A running proxy: connect to 127.0.0.1:`port`; `close()` ends every connection and the listener. */
export interface DelayProxy {
  port: number;
  /** Bytes forwarded so far: client to server (`up`) and server to client (`down`). */
  bytes: { up: number; down: number };
  close(): Promise<void>;
}

/** A source reading ahead of the link pauses past this many queued bytes, and resumes once they are below it. */
const HIGH_WATER = 256 * 1024;

/**
 * One direction of the link, as a virtual-time token bucket (GCRA): `release(n)` is when `n` bytes may leave,
 * never earlier than now and never before the bytes reserved before them; the times it returns never go back.
 */
class Link {
  private tat = 0;
  constructor(
    private readonly bytesPerSecond: number,
    private readonly burstBytes: number,
  ) {}

  release(n: number, now: number): number {
    if (this.bytesPerSecond <= 0) return now;
    this.tat = Math.max(this.tat, now) + (n * 1000) / this.bytesPerSecond;
    return Math.max(now, this.tat - (this.burstBytes * 1000) / this.bytesPerSecond);
  }
}

/** Chunks of one connection in one direction, each delivered at its due time, in order; `null` is the end. */
class Pipe {
  private readonly queue: { chunk: Buffer | null; due: number }[] = [];
  private queued = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly link: Link,
    private readonly delayMs: number,
    private readonly count: (n: number) => void,
  ) {
    from.on('data', (chunk: Buffer) => this.push(chunk));
    from.on('end', () => this.push(null));
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queue.length = 0;
  }

  private push(chunk: Buffer | null): void {
    const now = performance.now();
    const last = this.queue.at(-1)?.due ?? now;
    const sent = chunk ? this.link.release(chunk.length, now) : now;
    this.queue.push({ chunk, due: Math.max(last, sent + this.delayMs) });
    if (chunk) {
      this.queued += chunk.length;
      if (this.queued > HIGH_WATER) this.from.pause();
    }
    this.arm();
  }

  private arm(): void {
    if (this.timer || this.queue.length === 0) return;
    this.timer = setTimeout(() => this.flush(), Math.max(0, this.queue[0].due - performance.now()));
  }

  private flush(): void {
    this.timer = null;
    const now = performance.now();
    while (this.queue.length > 0 && this.queue[0].due <= now + 0.5) {
      const { chunk } = this.queue.shift()!;
      const open = !this.to.destroyed && !this.to.writableEnded;
      if (chunk === null) {
        if (open) this.to.end();
        continue;
      }
      this.queued -= chunk.length;
      this.count(chunk.length);
      if (open) this.to.write(chunk);
    }
    if (this.queued <= HIGH_WATER && this.from.isPaused()) this.from.resume();
    this.arm();
  }
}

/** Starts a proxy on a free loopback port in front of `o.target`. */
export async function startDelayProxy(o: DelayProxyOptions): Promise<DelayProxy> {
  const burst = o.burstBytes ?? 64 * 1024;
  const upLink = new Link(o.bytesPerSecond, burst);
  const downLink = new Link(o.bytesPerSecond, burst);
  const bytes = { up: 0, down: 0 };
  const open = new Set<{ client: Socket; server: Socket; pipes: Pipe[] }>();
  const proxy: Server = createServer({ allowHalfOpen: true }, (client) => {
    const server = connect({ port: o.target.port, host: o.target.host, allowHalfOpen: true });
    const pipes = [
      new Pipe(client, server, upLink, o.oneWayDelayMs, (n) => (bytes.up += n)),
      new Pipe(server, client, downLink, o.oneWayDelayMs, (n) => (bytes.down += n)),
    ];
    const conn = { client, server, pipes };
    open.add(conn);
    // A failure on either side ends both at once; otherwise each side's end travels (delayed) to the other, and the
    // connection is over when both sockets have closed.
    const abort = () => {
      for (const p of pipes) p.stop();
      client.destroy();
      server.destroy();
      open.delete(conn);
    };
    for (const s of [client, server]) {
      s.on('error', abort);
      s.on('close', () => client.destroyed && server.destroyed && open.delete(conn));
    }
  });
  await new Promise<void>((resolve, reject) => {
    proxy.once('error', reject);
    proxy.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (proxy.address() as { port: number }).port,
    bytes,
    close: () =>
      new Promise((resolve) => {
        for (const c of [...open]) {
          for (const p of c.pipes) p.stop();
          c.client.destroy();
          c.server.destroy();
        }
        open.clear();
        proxy.close(() => resolve());
      }),
  };
}
