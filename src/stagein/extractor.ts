// Per-range stage-in, ESS style: the input entry's `extract` command writes one range's events of a remote file into
// a small node-local file, ahead of the payload, with tries and backoff. Each range's file lives in a folder of its
// own under the node's cache (the Droid deletes it when the range ends); a few extractions run at once, in the
// order the ranges came, so the payload's cores stay with the payload.
import { createHash } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import type { Logger } from 'pino';
import type { RangeSpec } from '../protocol/messages.js';
import { backoffMs, Stopped, withRetries } from '../util/retry.js';
import type { FetchOptions } from './fetcher.js';

/** Extractions running at once on a node (more wait their turn, in order). */
export const EXTRACTS_AT_ONCE = 2;

/** The last characters of a failed command's stderr kept in its message. */
const STDERR_TAIL = 300;

/** Where range `r`'s extracted events go in cache directory `dir`: a folder per range and try, the input's name. */
export function extractPath(dir: string, r: RangeSpec): string {
  const name = basename(new URL(r.file.replace(/^x?root:/, 'http:')).pathname) || 'input';
  const tag = `${createHash('sha1').update(r.file).digest('hex').slice(0, 12)}.${r.first}-${r.last}.a${r.attempt}`;
  return join(dir, 'ranges', tag, name);
}

/** Runs the `extract` commands of a Droid's ranges. */
export class RangeExtractor {
  private readonly ac = new AbortController();
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  /** `commands`: the extract command of each remote input file read per range; `cwd`: where commands run. */
  constructor(
    readonly dir: string,
    private readonly commands: Map<string, string[]>,
    private readonly cwd: string,
    private readonly o: FetchOptions,
    private readonly log: Logger,
    private readonly backoff = backoffMs(),
  ) {}

  /** The small file holding range `r`'s events and its size; throws saying what failed on the last try. */
  async extract(r: RangeSpec): Promise<{ local: string; bytes: number }> {
    const command = this.commands.get(r.file);
    if (!command) throw new Error(`${r.file}: no extract command for this input file`);
    const local = extractPath(this.dir, r);
    await this.turn();
    try {
      return await withRetries(
        { attempts: this.o.attempts, backoff: this.backoff, signal: this.ac.signal },
        () => this.once(command, r, local),
        (k, why, wait) =>
          this.log.warn(
            `extract of ${r.id}: try ${k}/${this.o.attempts} failed: ${why}; trying again in ${(wait / 1000).toFixed(1)} s`,
          ),
      );
    } catch (e) {
      throw new Error(e instanceof Stopped ? 'the Droid is stopping' : `extract of ${r.id}: ${(e as Error).message}`);
    } finally {
      this.running -= 1;
      this.waiting.shift()?.();
    }
  }

  /** Stops every extraction (the Droid is ending); the cache directory goes with the fetcher's. */
  close(): void {
    this.ac.abort();
    for (const go of this.waiting.splice(0)) go();
  }

  // Waits for a free place among EXTRACTS_AT_ONCE.
  private async turn(): Promise<void> {
    if (this.running >= EXTRACTS_AT_ONCE) await new Promise<void>((go) => this.waiting.push(go));
    this.running += 1;
  }

  // One try: a fresh folder, the command, a file that exists afterwards.
  private async once(command: string[], r: RangeSpec, local: string): Promise<{ local: string; bytes: number }> {
    const folder = join(local, '..');
    await rm(folder, { recursive: true, force: true });
    await mkdir(folder, { recursive: true });
    const fill = (a: string) =>
      a
        .replaceAll('{url}', r.file)
        .replaceAll('{first}', String(r.first))
        .replaceAll('{last}', String(r.last))
        .replaceAll('{output}', local);
    const [cmd, ...args] = command.map(fill);
    const t0 = Date.now();
    const x = await execa(cmd, args, {
      cwd: this.cwd,
      reject: false,
      stdin: 'ignore',
      timeout: this.o.timeoutMs > 0 ? this.o.timeoutMs : undefined,
      cancelSignal: this.ac.signal,
      forceKillAfterDelay: 2000,
    });
    if (x.failed) {
      const why = x.timedOut
        ? `took longer than prefetch.timeoutSeconds (${this.o.timeoutMs / 1000} s)`
        : x.exitCode === undefined
          ? x.signal
            ? `killed by ${x.signal}`
            : ((x.cause as Error | undefined)?.message ?? 'could not start')
          : `exited with ${x.exitCode}`;
      const said = x.stderr.trim().slice(-STDERR_TAIL);
      throw new Error(`${command.join(' ')}: ${why}${said ? `: ${said}` : ''}`);
    }
    const bytes = await stat(local).then(
      (st) => st.size,
      () => {
        throw new Error(`${command.join(' ')} exited 0 but wrote no {output} file (${local})`);
      },
    );
    this.log.debug(`extract: ${r.id} -> ${local} (${bytes} bytes in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    return { local, bytes };
  }
}
