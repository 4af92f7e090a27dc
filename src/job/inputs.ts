// Resolves a job's input files (paths or globs) and learns how many events each holds.
import { shellQuote } from '../util/shell-quote.js';
import { spawn } from 'node:child_process';
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { globSync, isDynamicPattern } from 'tinyglobby';
import type { JobFile } from './schema.js';
import { YodaError } from '../util/errors.js';
import { MAX_EVENTS_PER_FILE } from './limits.js';
import { isRemote, probeAll } from './remote.js';

/** One input file of the job. */
export interface InputFile {
  path: string;
  events: number;
  guid?: string;
  scope?: string;
  /** The input entry's extract command (remote files read per range, ESS style; see the schema). */
  extract?: string[];
  /** Size and modification time when the job was created (absent in job.json written before they were recorded). */
  size?: number;
  mtimeMs?: number;
}

/** Input files found for an input entry, before their events are counted. */
export interface ResolvedInput {
  index: number;
  paths: string[];
}

function checkReadable(path: string, field: string): void {
  try {
    if (!statSync(path).isFile()) throw new Error('not a regular file');
    accessSync(path, constants.R_OK);
  } catch (e) {
    throw new YodaError('BAD_INPUT', `${field}: input file ${path} cannot be read (${(e as Error).message})`, { path });
  }
}

/** Expands every inputs[].files entry (relative to `baseDir`); errors name the entry and the pattern. */
export function resolveInputPaths(job: JobFile, baseDir: string): ResolvedInput[] {
  const seen = new Map<string, string>();
  return job.inputs.map((input, index) => {
    const patterns = Array.isArray(input.files) ? input.files : [input.files];
    const paths: string[] = [];
    for (const pattern of patterns) {
      const field = `inputs[${index}].files`;
      if (isRemote(pattern)) {
        // A remote file: no glob, read by the nodes (src/stagein/); probed when its events are counted.
        if (seen.has(pattern))
          throw new YodaError('BAD_INPUT', `${field}: ${pattern} is listed twice (also in ${seen.get(pattern)})`, {
            path: pattern,
          });
        seen.set(pattern, field);
        paths.push(pattern);
        continue;
      }
      const found = isDynamicPattern(pattern)
        ? globSync(pattern, { cwd: baseDir, absolute: true, onlyFiles: true, expandDirectories: false }).sort()
        : [isAbsolute(pattern) ? pattern : resolve(baseDir, pattern)];
      if (found.length === 0) {
        throw new YodaError('BAD_INPUT', `${field}: "${pattern}" matched no file (looked under ${baseDir})`, {
          pattern,
        });
      }
      for (const path of found) {
        checkReadable(path, field);
        // One file reached twice (a link and its target, two spellings of one path) is one file.
        const real = realpathSync(path);
        const earlier = seen.get(real);
        if (earlier)
          throw new YodaError('BAD_INPUT', `${field}: ${path} is listed twice (it is ${real}, also in ${earlier})`, {
            path,
          });
        seen.set(real, field);
        paths.push(path);
      }
    }
    return { index, paths };
  });
}

/** Replaces {file} in each argument of a command given as a list or as one shell string. */
function withFile(command: string | string[], file: string): { cmd: string; args: string[]; shell: boolean } {
  if (typeof command === 'string')
    return { cmd: command.replaceAll('{file}', shellQuote(file)), args: [], shell: true };
  const [cmd, ...args] = command.map((a) => a.replaceAll('{file}', file));
  return { cmd, args, shell: false };
}

/** Seconds an eventsCommand may take per file, unless the input entry sets eventsTimeoutSeconds. */
export const DEFAULT_COUNT_TIMEOUT_SECONDS = 600;

interface CountRun {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** Why it was stopped or never ran: spawn error code, 'timeout', 'too-long', 'aborted'. */
  why?: string;
}

// Runs one counting command in its own process group; the whole group is killed on timeout, on a flood of
// output, and when `abort` fires (a stop signal while starting), so nothing is left running under init.
function runCounting(
  cmd: string,
  args: string[],
  shell: boolean,
  cwd: string,
  timeoutMs: number,
  abort?: AbortSignal,
): Promise<CountRun> {
  return new Promise((done) => {
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    let why: string | undefined;
    const child = spawn(cmd, args, { cwd, shell, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const kill = (reason: string) => {
      why ??= reason;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    const timer = setTimeout(() => kill('timeout'), timeoutMs);
    const onAbort = () => kill('aborted');
    abort?.addEventListener('abort', onAbort);
    if (abort?.aborted) onAbort();
    child.stdout.on('data', (b: Buffer) => {
      outBytes += b.length;
      if (outBytes > 4096) kill('too-long');
      else out.push(b);
    });
    child.stderr.on('data', (b: Buffer) => {
      err = (err + b.toString('utf8')).slice(-2000);
    });
    const finish = (r: Omit<CountRun, 'stdout' | 'stderr' | 'why'>) => {
      clearTimeout(timer);
      abort?.removeEventListener('abort', onAbort);
      done({ ...r, stdout: Buffer.concat(out).toString('utf8'), stderr: err, ...(why ? { why } : {}) });
    };
    child.on('error', (e: NodeJS.ErrnoException) => {
      why ??= e.code ?? e.message;
      finish({ code: null, signal: null });
    });
    child.on('close', (code, signal) => finish({ code, signal }));
  });
}

async function countEvents(
  command: string | string[],
  path: string,
  cwd: string,
  field: string,
  timeoutSeconds: number,
  abort?: AbortSignal,
): Promise<number> {
  const { cmd, args, shell } = withFile(command, path);
  const r = await runCounting(cmd, args, shell, cwd, timeoutSeconds * 1000, abort);
  const fail = (why: string) =>
    new YodaError('BAD_INPUT', `${field}: counting events of ${path} failed: ${why}`, { path });
  if (r.why === 'aborted')
    throw new YodaError(
      'STOPPED',
      `stopped while counting the events of ${path} (the counting command was killed); nothing ran: run the same command again`,
      { path },
    );
  if (r.why === 'ENOENT')
    throw fail(
      `the program "${cmd}" was not found${shell ? '' : ' on PATH'} (or the working directory ${cwd} does not exist)`,
    );
  if (r.why === 'EACCES') throw fail(`the program "${cmd}" is not executable`);
  if (r.why === 'timeout')
    throw fail(
      `the command did not finish within ${timeoutSeconds} s and was killed (set inputs[].eventsTimeoutSeconds to allow more)`,
    );
  if (r.why === 'too-long')
    throw fail('the command printed more than 4096 bytes; it must print only the number of events');
  if (r.why) throw fail(`the command could not be started (${r.why})`);
  const text = r.stdout.trim();
  if (r.code !== 0) throw fail(`the command exited with ${r.code ?? r.signal}: ${r.stderr.trim().slice(-300)}`);
  if (!/^\d+$/.test(text)) throw fail(`the command printed ${JSON.stringify(text.slice(0, 80))}, not a whole number`);
  const events = Number(text);
  if (!(events <= MAX_EVENTS_PER_FILE))
    throw fail(
      `the command printed ${text.slice(0, 40)}${text.length > 40 ? '...' : ''}: more than the ${MAX_EVENTS_PER_FILE} events per file Yoda accepts`,
    );
  return events;
}

/** Learns the events of every input file: given in the job file, or printed by its eventsCommand. */
export async function countInputEvents(
  job: JobFile,
  resolved: ResolvedInput[],
  cwd: string,
  abort?: AbortSignal,
): Promise<InputFile[]> {
  const files: InputFile[] = [];
  const probes = await probeAll(resolved.flatMap((r) => r.paths.filter(isRemote)));
  for (const { index, paths } of resolved) {
    const input = job.inputs[index];
    for (const path of paths) {
      const field = `inputs[${index}]`;
      const timeout = input.eventsTimeoutSeconds ?? DEFAULT_COUNT_TIMEOUT_SECONDS;
      // A remote file must be there now (a clear error at start rather than stage-in failures on every node later).
      const probe = probes.get(path);
      if (probe instanceof Error)
        throw new YodaError('BAD_INPUT', `${field}.files: ${path} cannot be reached: ${probe.message}`, { path });
      const remoteSize = probe ?? null;
      const events =
        input.events ?? (await countEvents(input.eventsCommand!, path, cwd, `${field}.eventsCommand`, timeout, abort));
      if (events === 0)
        throw new YodaError('BAD_INPUT', `${field}: input file ${path} holds 0 events: nothing to do for it`, { path });
      // A remote file's size is recorded, not its time: job.json's change check (integrity.ts) skips it.
      const { size, mtimeMs } = remoteSize === null ? statSync(path) : { size: remoteSize, mtimeMs: undefined };
      files.push({
        path,
        events,
        ...(input.guid ? { guid: input.guid } : {}),
        ...(input.scope ? { scope: input.scope } : {}),
        ...(input.extract ? { extract: input.extract } : {}),
        size,
        mtimeMs,
      });
    }
  }
  return files;
}
