// The merge shell beside Yoda (rank 0): runs the merge commands the state machine asks for (child processes, at most
// merge.parallel), retries each group with backoff, and reports every group's outcome back as a Yoda event.
// A merge writes a temporary file moved into place only when the command succeeded: a killed merge leaves no file
// that looks merged, and the next run merges the group again (it is journaled only once merged).
import { mkdir, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { execa } from 'execa';
import type { Logger } from 'pino';
import type { MergeSpec } from '../job/schema.js';
import { fileAdler32, PART_SUFFIX } from '../stageout/transfer.js';
import { backoffMs, Stopped, withRetries } from '../util/retry.js';

/** How one group's merge ended (dispatched to the state machine as an event of the same shape). */
export type MergeOutcome =
  | { type: 'merged'; g: number; out: string; inputs: number; bytes: number; adler32: string }
  | { type: 'mergeFailed'; g: number; msg: string };

/** What a merge command's stderr may add to an error message (its last lines). */
const STDERR_TAIL = 400;

/** Runs merge commands for Yoda; one per group at a time, each reported once. */
export class Merger {
  private readonly running = new Map<number, AbortController>();

  constructor(
    private readonly spec: MergeSpec,
    /** Where the merge command runs (the payload's working directory). */
    private readonly cwd: string,
    private readonly log: Logger,
    private readonly report: (e: MergeOutcome) => void,
    private readonly backoff = backoffMs(),
  ) {}

  /** Starts merging group `g`'s `inputs` (in order) into `output`; reports merged or mergeFailed. */
  start(g: number, id: string, inputs: string[], output: string): void {
    if (this.running.has(g)) return;
    const ac = new AbortController();
    this.running.set(g, ac);
    void this.mergeGroup(g, id, inputs, output, ac.signal).then((e) => {
      if (this.running.get(g) !== ac) return;
      this.running.delete(g);
      if (e && !ac.signal.aborted) this.report(e);
    });
  }

  /** Kills the merges of these groups (nothing is reported for them); all of them without `groups`. */
  stop(groups: number[] = [...this.running.keys()]): void {
    for (const g of groups) {
      this.running.get(g)?.abort();
      this.running.delete(g);
    }
  }

  private async mergeGroup(
    g: number,
    id: string,
    inputs: string[],
    output: string,
    signal: AbortSignal,
  ): Promise<MergeOutcome | null> {
    await removeLeftovers(output);
    try {
      const m = await withRetries(
        { attempts: this.spec.attempts, backoff: this.backoff, signal },
        (k) => this.mergeOnce(id, inputs, output, `${process.pid}-${k}`, signal),
        (k, why, wait) =>
          this.log.warn(
            { group: id, attempt: k },
            `merge of ${id}: attempt ${k}/${this.spec.attempts} failed: ${why}; trying again in ${(wait / 1000).toFixed(1)} s`,
          ),
      );
      return { type: 'merged', g, out: output, inputs: inputs.length, ...m };
    } catch (e) {
      return e instanceof Stopped ? null : { type: 'mergeFailed', g, msg: (e as Error).message };
    }
  }

  // One attempt: the list file, the command writing a part file, the part moved into place, its size and checksum.
  private async mergeOnce(id: string, inputs: string[], output: string, tag: string, signal: AbortSignal) {
    await mkdir(dirname(output), { recursive: true });
    const part = `${output}.${tag}${PART_SUFFIX}`;
    const list = `${output}.${tag}.inputs`;
    await writeFile(list, inputs.map((f) => `${f}\n`).join(''));
    try {
      const fill = (a: string) => a.replaceAll('{inputs}', list).replaceAll('{output}', part).replaceAll('{group}', id);
      const [cmd, ...args] = this.spec.command.map(fill);
      const r = await execa(cmd, args, {
        cwd: this.cwd,
        reject: false,
        stdin: 'ignore',
        timeout: this.spec.timeoutSeconds ? this.spec.timeoutSeconds * 1000 : undefined,
        cancelSignal: signal,
        forceKillAfterDelay: 2000,
      });
      if (r.failed) {
        const why = r.timedOut
          ? `took longer than merge.timeoutSeconds (${this.spec.timeoutSeconds} s)`
          : r.exitCode === undefined
            ? `${r.signal ? `killed by ${r.signal}` : ((r.cause as Error | undefined)?.message ?? 'could not start')}`
            : `exited with ${r.exitCode}`;
        const said = r.stderr.trim().slice(-STDERR_TAIL);
        throw new Error(`${this.spec.command.join(' ')}: ${why}${said ? `: ${said}` : ''}`);
      }
      await syncFile(part).catch(() => {
        throw new Error(`${this.spec.command.join(' ')} exited 0 but wrote no {output} file (${part})`);
      });
      await rename(part, output);
      const bytes = (await stat(output)).size;
      return { bytes, adler32: await fileAdler32(output, signal) };
    } finally {
      await rm(list, { force: true });
      await rm(part, { force: true });
    }
  }
}

// Part and list files of `output` left by merges killed mid-way (an earlier run's): removed before merging again.
async function removeLeftovers(output: string): Promise<void> {
  const dir = dirname(output);
  const prefix = `${basename(output)}.`;
  const names = await readdir(dir).catch(() => [] as string[]);
  const stale = names.filter((n) => n.startsWith(prefix) && (n.endsWith(PART_SUFFIX) || n.endsWith('.inputs')));
  await Promise.all(stale.map((n) => rm(join(dir, n), { force: true })));
}

// Flushes a file to disk before it is moved into place (throws when it does not exist).
async function syncFile(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
