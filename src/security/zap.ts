// A ZAP handler (ZeroMQ RFC 27) that admits only the job's own CURVE client key; refusals are counted.
import { Reply } from 'zeromq';
import type { Logger } from 'pino';
import { z85Decode } from './z85.js';

const ZAP_ENDPOINT = 'inproc://zeromq.zap.01';

/** A running ZAP handler; `refused` counts refused handshakes, per peer address. */
export class ZapHandler {
  readonly refused = new Map<string, number>();
  private readonly socket = new Reply({ linger: 0 });

  private constructor(
    private readonly allowed: Buffer,
    private readonly log: Logger,
  ) {}

  /** Binds the handler for every CURVE server socket of this process. */
  static async start(clientPublicZ85: string, log: Logger): Promise<ZapHandler> {
    const h = new ZapHandler(z85Decode(clientPublicZ85), log);
    await h.socket.bind(ZAP_ENDPOINT);
    void h.loop();
    return h;
  }

  /** Total handshakes refused. */
  get refusedCount(): number {
    let n = 0;
    for (const v of this.refused.values()) n += v;
    return n;
  }

  private async loop(): Promise<void> {
    try {
      for await (const frames of this.socket) {
        const [version, requestId, , address, , mechanism, credential] = frames;
        const ok = mechanism?.toString() === 'CURVE' && credential !== undefined && credential.equals(this.allowed);
        if (!ok) this.noteRefusal(address?.toString() ?? '?', mechanism?.toString() ?? '?');
        await this.socket.send([
          version ?? '1.0',
          requestId ?? '',
          ok ? '200' : '400',
          ok ? 'OK' : "not this job's key",
          '',
          '',
        ]);
      }
    } catch (e) {
      if (!this.socket.closed) this.log.error(`ZAP handler stopped: ${(e as Error).message}`);
    }
  }

  private noteRefusal(address: string, mechanism: string): void {
    const n = (this.refused.get(address) ?? 0) + 1;
    this.refused.set(address, n);
    if (n === 1)
      this.log.warn(
        `refused a ${mechanism} connection from ${address}: not this job's key (further refusals from it are only counted)`,
      );
  }

  /** Stops answering. */
  close(): void {
    this.socket.close();
  }
}
