// One sender per ZeroMQ socket: zeromq v6 allows a single pending send, so every send goes through here.

/** Sends frames in order, one at a time; `drained` resolves when nothing is pending. */
export class Outbox<F> {
  private queue: F[] = [];
  private sending = false;
  private idle: (() => void)[] = [];

  constructor(
    private readonly sendOne: (frame: F) => Promise<void>,
    private readonly onError: (e: Error) => void,
  ) {}

  /** Queues one frame. */
  push(frame: F): void {
    this.queue.push(frame);
    if (!this.sending) void this.loop();
  }

  /** Frames waiting to be sent. */
  get pending(): number {
    return this.queue.length;
  }

  private async loop(): Promise<void> {
    this.sending = true;
    while (this.queue.length > 0) {
      const frame = this.queue.shift() as F;
      try {
        await this.sendOne(frame);
      } catch (e) {
        this.onError(e as Error);
      }
    }
    this.sending = false;
    for (const resolve of this.idle.splice(0)) resolve();
  }

  /** Resolves once every queued frame was handed to the socket. */
  drained(): Promise<void> {
    return this.sending ? new Promise((resolve) => this.idle.push(resolve)) : Promise.resolve();
  }
}
