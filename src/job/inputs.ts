// Resolves a job's input files (paths or globs) and learns how many events each holds.
import { accessSync, constants, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { execa } from 'execa';
import { globSync, isDynamicPattern } from 'tinyglobby';
import type { JobFile } from './schema.js';
import { YodaError } from '../util/errors.js';

/** One input file of the job. */
export interface InputFile {
  path: string;
  events: number;
  guid?: string;
  scope?: string;
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
      const found = isDynamicPattern(pattern)
        ? globSync(pattern, { cwd: baseDir, absolute: true, onlyFiles: true, expandDirectories: false }).sort()
        : [isAbsolute(pattern) ? pattern : resolve(baseDir, pattern)];
      if (found.length === 0) {
        throw new YodaError('BAD_INPUT', `${field}: "${pattern}" matched no file (looked under ${baseDir})`, { pattern });
      }
      for (const path of found) {
        checkReadable(path, field);
        const earlier = seen.get(path);
        if (earlier) throw new YodaError('BAD_INPUT', `${field}: ${path} is listed twice (also in ${earlier})`, { path });
        seen.set(path, field);
        paths.push(path);
      }
    }
    return { index, paths };
  });
}

/** Replaces {file} in each argument of a command given as a list or as one shell string. */
function withFile(command: string | string[], file: string): { cmd: string; args: string[]; shell: boolean } {
  if (typeof command === 'string') return { cmd: command.replaceAll('{file}', file), args: [], shell: true };
  const [cmd, ...args] = command.map((a) => a.replaceAll('{file}', file));
  return { cmd, args, shell: false };
}

async function countEvents(command: string | string[], path: string, cwd: string, field: string): Promise<number> {
  const { cmd, args, shell } = withFile(command, path);
  const result = await execa(cmd, args, { cwd, shell, reject: false, timeout: 600_000, stdin: 'ignore' });
  const text = String(result.stdout).trim();
  if (result.exitCode !== 0 || !/^\d+$/.test(text)) {
    const why = result.exitCode !== 0 ? `exited with ${result.exitCode ?? result.signal}: ${String(result.stderr).trim().slice(-300)}` : `printed ${JSON.stringify(text.slice(0, 80))}, not a whole number`;
    throw new YodaError('BAD_INPUT', `${field}: counting events of ${path} failed: the command ${why}`, { path });
  }
  return Number(text);
}

/** Learns the events of every input file: given in the job file, or printed by its eventsCommand. */
export async function countInputEvents(job: JobFile, resolved: ResolvedInput[], cwd: string): Promise<InputFile[]> {
  const files: InputFile[] = [];
  for (const { index, paths } of resolved) {
    const input = job.inputs[index];
    for (const path of paths) {
      const field = `inputs[${index}]`;
      const events = input.events ?? (await countEvents(input.eventsCommand!, path, cwd, `${field}.eventsCommand`));
      if (events === 0) throw new YodaError('BAD_INPUT', `${field}: input file ${path} holds 0 events: nothing to do for it`, { path });
      files.push({ path, events, ...(input.guid ? { guid: input.guid } : {}), ...(input.scope ? { scope: input.scope } : {}) });
    }
  }
  return files;
}
