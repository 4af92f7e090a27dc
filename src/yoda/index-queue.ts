// A FIFO of range indexes with no per-item allocation: each range sits in it at most once.

/** Ring buffer of range indexes, sized for every range of the job. */
export class IndexQueue {
  private readonly items: Int32Array;
  private head = 0;
  private count = 0;

  constructor(capacity: number) {
    this.items = new Int32Array(Math.max(1, capacity));
  }

  /** Number of queued indexes. */
  get size(): number {
    return this.count;
  }

  /** Appends `i` at the back. */
  push(i: number): void {
    if (this.count === this.items.length) throw new Error('IndexQueue overflow: a range was queued twice');
    this.items[(this.head + this.count) % this.items.length] = i;
    this.count += 1;
  }

  /** Removes and returns the front index; call only when size > 0. */
  shift(): number {
    const i = this.items[this.head];
    this.head = (this.head + 1) % this.items.length;
    this.count -= 1;
    return i;
  }
}
