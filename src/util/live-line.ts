// One status line kept at the bottom of a terminal; log lines written through it scroll above it.
import { Writable } from 'node:stream';

/** A redrawable last line on a TTY stream (stderr). */
export class LiveLine {
  private text = '';

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {}

  /** Replaces the live line. */
  update(text: string): void {
    const width = this.out.columns ?? 120;
    this.text = text.length > width - 1 ? `${text.slice(0, width - 2)}…` : text;
    this.out.write(`\r\x1b[K${this.text}`);
  }

  /** A stream for log lines: each is written above the live line, which is then redrawn. */
  stream(): Writable {
    return new Writable({
      write: (chunk: Buffer, _enc, done) => {
        this.out.write(`\r\x1b[K${chunk.toString()}${this.text}`);
        done();
      },
    });
  }

  /** Removes the live line for good (before the final summary). */
  done(): void {
    if (this.text) this.out.write('\r\x1b[K');
    this.text = '';
  }
}
