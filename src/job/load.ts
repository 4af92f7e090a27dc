// Loads a job file: read, parse (YAML or JSON), validate, resolve inputs, check the payload can start.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { JobFile } from './schema.js';
import { validateJobFile } from './validate.js';
import { resolveInputPaths, type ResolvedInput } from './inputs.js';
import { YodaError } from '../util/errors.js';
import { findOnPath, isExecutableFile } from '../util/path-lookup.js';

/** A job file, validated, with its inputs found but not yet counted. */
export interface LoadedJob {
  jobFile: string;
  /** Directory of the job file: relative paths in it start here. */
  baseDir: string;
  name: string;
  spec: JobFile;
  /** Working directory of the payload. */
  payloadCwd: string;
  inputs: ResolvedInput[];
  /** Hash of everything that defines the job's ranges and payload. */
  hash: string;
}

/** A job file larger than this is not a job file (a log, a data file, /dev/zero). */
const MAX_JOB_FILE_BYTES = 4 * 1024 * 1024;

function readJobText(path: string): string {
  try {
    // Looked at before it is read: a FIFO or a device would block or never end.
    const st = statSync(path);
    if (!st.isFile() && !st.isDirectory()) {
      const kind = st.isFIFO()
        ? 'a named pipe (FIFO)'
        : st.isCharacterDevice() || st.isBlockDevice()
          ? 'a device'
          : st.isSocket()
            ? 'a socket'
            : 'not a regular file';
      throw new YodaError('BAD_JOB_FILE', `job file ${path} is ${kind}: give a YAML or JSON file`, { path });
    }
    if (st.isFile() && st.size > MAX_JOB_FILE_BYTES) {
      throw new YodaError(
        'BAD_JOB_FILE',
        `job file ${path} is ${st.size} bytes: a job file is at most ${MAX_JOB_FILE_BYTES} bytes (is it really the job file?)`,
        { path },
      );
    }
    return readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof YodaError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    throw new YodaError('BAD_JOB_FILE', `job file ${path} ${why}`, { path });
  }
}

function parseJobText(text: string, path: string): unknown {
  try {
    return parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (e) {
    throw new YodaError('BAD_JOB_FILE', `job file ${path} is not valid YAML or JSON: ${(e as Error).message}`, {
      path,
    });
  }
}

/** Throws when the payload's program cannot be found, naming it and where it was looked for. */
export function checkPayloadProgram(command: string | string[], cwd: string, env: NodeJS.ProcessEnv): void {
  const program = Array.isArray(command) ? command[0] : /^\s*(\S+)/.exec(command)?.[1];
  if (!program || (typeof command === 'string' && /[;&|<>$`(]/.test(program))) return;
  if (program.includes('/')) {
    if (!isExecutableFile(isAbsolute(program) ? program : resolve(cwd, program))) {
      throw new YodaError(
        'BAD_JOB_FILE',
        `payload.command: ${program} is not an executable file (relative to ${cwd})`,
        { program },
      );
    }
    return;
  }
  if (findOnPath(program, env.PATH ?? '') === null) {
    throw new YodaError('BAD_JOB_FILE', `payload.command: program "${program}" was not found on PATH`, { program });
  }
}

// The payload's working directory must exist before anything starts (else every worker fails to spawn).
function checkDirectory(path: string, field: string, given: string): void {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new YodaError('BAD_JOB_FILE', `${field}: ${given} does not exist (resolved to ${path})`, { path });
  }
  if (!isDir)
    throw new YodaError('BAD_JOB_FILE', `${field}: ${given} is not a directory (resolved to ${path})`, { path });
}

/** Reads and checks a job file; nothing is started and nothing is written. */
export function loadJob(jobFilePath: string, env: NodeJS.ProcessEnv = process.env): LoadedJob {
  const jobFile = resolve(jobFilePath);
  const spec = validateJobFile(parseJobText(readJobText(jobFile), jobFile), jobFile);
  const baseDir = dirname(jobFile);
  const payloadCwd = spec.payload.cwd ? resolve(baseDir, spec.payload.cwd) : baseDir;
  if (spec.payload.cwd) checkDirectory(payloadCwd, 'payload.cwd', spec.payload.cwd);
  checkPayloadProgram(spec.payload.command, payloadCwd, { ...env, ...spec.payload.env });
  const inputs = resolveInputPaths(spec, baseDir);
  const name = spec.name ?? basename(jobFile, extname(jobFile));
  const { workdir: _ignored, ...defining } = spec;
  const hash = createHash('sha256')
    .update(JSON.stringify({ defining, files: inputs.map((i) => i.paths) }))
    .digest('hex')
    .slice(0, 16);
  return { jobFile, baseDir, name, spec, payloadCwd, inputs, hash };
}

/** Reads and validates a job file's fields only: no input is looked for, no program checked (for `yoda plan`). */
export function readJobSpec(jobFilePath: string): JobFile {
  const jobFile = resolve(jobFilePath);
  return validateJobFile(parseJobText(readJobText(jobFile), jobFile), jobFile);
}
