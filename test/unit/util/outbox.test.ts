// The outbox sends in order, one send at a time, reports a failed send and goes on, and tells when it is drained.
import { describe, expect, it } from 'vitest';
import { Outbox } from '../../../src/util/outbox.js';

/** A send the test completes by hand: each call waits until the test resolves or rejects it. */
class ManualSocket {
  readonly calls: { frame: string; resolve: () => void; reject: (e: Error) => void }[] = [];
  inFlight = 0;
  maxInFlight = 0;
  send = (frame: string): Promise<void> => {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return new Promise<void>((resolve, reject) => {
      const settle = (then: () => void) => {
        this.inFlight--;
        then();
      };
      this.calls.push({ frame, resolve: () => settle(resolve), reject: (e) => settle(() => reject(e)) });
    });
  };
  get sent(): string[] {
    return this.calls.map((c) => c.frame);
  }
}

// Lets the outbox's loop run up to its next await.
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('Outbox', () => {
  it('sends frames in the order pushed, starting the next only when the last send finished', async () => {
    const sock = new ManualSocket();
    const errors: Error[] = [];
    const box = new Outbox<string>(sock.send, (e) => errors.push(e));
    box.push('a');
    box.push('b');
    box.push('c');
    await settle();
    expect(sock.sent).toEqual(['a']); // b and c wait for a
    expect(box.pending).toBe(2);
    sock.calls[0].resolve();
    await settle();
    expect(sock.sent).toEqual(['a', 'b']);
    sock.calls[1].resolve();
    await settle();
    sock.calls[2].resolve();
    await box.drained();
    expect(sock.sent).toEqual(['a', 'b', 'c']);
    expect(sock.maxInFlight).toBe(1);
    expect(box.pending).toBe(0);
    expect(errors).toEqual([]);
  });

  it('reports a failed send, rejected or thrown, and goes on with the next frame', async () => {
    const sent: number[] = [];
    const errors: string[] = [];
    const box = new Outbox<number>(
      async (n) => {
        if (n === 2) throw new Error('send 2 failed');
        if (n === 4) return Promise.reject(new Error('send 4 failed'));
        sent.push(n);
      },
      (e) => errors.push(e.message),
    );
    for (const n of [1, 2, 3, 4, 5]) box.push(n);
    await box.drained();
    expect(sent).toEqual([1, 3, 5]);
    expect(errors).toEqual(['send 2 failed', 'send 4 failed']);

    // A send that throws synchronously (not an async function) is reported the same way.
    const syncErrors: string[] = [];
    const sync = new Outbox<number>(
      (n) => {
        if (n === 1) throw new Error('sync throw');
        sent.push(n);
        return Promise.resolve();
      },
      (e) => syncErrors.push(e.message),
    );
    sync.push(1);
    sync.push(6);
    await sync.drained();
    expect(syncErrors).toEqual(['sync throw']);
    expect(sent.at(-1)).toBe(6);
  });

  it('drained() resolves at once when idle, and only after the last frame (pushed while waiting, too) was sent', async () => {
    const sock = new ManualSocket();
    const box = new Outbox<string>(sock.send, () => {});
    let drained = false;
    await box.drained(); // idle: resolves without any send
    box.push('a');
    const wait = box.drained().then(() => (drained = true));
    await settle();
    box.push('b'); // pushed while a is in flight: drained must wait for it too
    sock.calls[0].resolve();
    await settle();
    expect(drained).toBe(false);
    expect(sock.sent).toEqual(['a', 'b']);
    sock.calls[1].resolve();
    await wait;
    expect(drained).toBe(true);
    // After draining, a new push starts the loop again.
    box.push('c');
    await settle();
    expect(sock.sent).toEqual(['a', 'b', 'c']);
    sock.calls[2].resolve();
    await box.drained();
  });

  it('drained() waits past a failed last send', async () => {
    const sock = new ManualSocket();
    const errors: Error[] = [];
    const box = new Outbox<string>(sock.send, (e) => errors.push(e));
    box.push('a');
    const wait = box.drained();
    await settle();
    sock.calls[0].reject(new Error('host unreachable'));
    await wait;
    expect(errors.map((e) => e.message)).toEqual(['host unreachable']);
  });
});
