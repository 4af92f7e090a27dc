// When does the allocation end? Parsers for squeue, qstat and Slurm's environment (no processes spawned here).
import { YodaError } from '../util/errors.js';

const NO_LIMIT = new Set(['', 'N/A', 'UNKNOWN', 'NONE', 'UNLIMITED', 'INFINITE', 'INVALID', 'NOT_SET']);

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? ''
  );
}

function num(part: string, what: string): number {
  if (!/^\d+$/.test(part)) throw new YodaError('BAD_ENVIRONMENT', `cannot parse ${what}: "${part}" is not a number`);
  return Number(part);
}

// End time from `squeue -h -j $SLURM_JOB_ID -o %e` (e.g. 2026-11-22T01:23:45, Slurm's local time);
// null for N/A, Unknown, NONE or empty output.
export function parseSqueueEndTime(text: string): Date | null {
  const line = firstLine(text);
  if (NO_LIMIT.has(line.toUpperCase())) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(line);
  if (!m)
    throw new YodaError('BAD_ENVIRONMENT', `cannot parse squeue end time "${line}" (expected YYYY-MM-DDTHH:MM:SS)`);
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
  const date = new Date(y, mo - 1, d, h, mi, s);
  if (date.getMonth() !== mo - 1 || date.getDate() !== d || h > 23 || mi > 59 || s > 59) {
    throw new YodaError('BAD_ENVIRONMENT', `cannot parse squeue end time "${line}": no such date or time`);
  }
  return date;
}

// Seconds left from `squeue -h -j $SLURM_JOB_ID -o %L`: D-HH:MM:SS, D-HH:MM, D-HH, HH:MM:SS, MM:SS or
// minutes; null for UNLIMITED, INVALID, NOT_SET, N/A or empty output (no deadline to plan for).
export function parseSlurmTimeLeft(text: string): number | null {
  const line = firstLine(text);
  if (NO_LIMIT.has(line.toUpperCase())) return null;
  const what = `Slurm time left "${line}"`;
  const m = /^(?:(\d+)-)?([\d:]+)$/.exec(line);
  if (!m) throw new YodaError('BAD_ENVIRONMENT', `cannot parse ${what} (expected D-HH:MM:SS, HH:MM:SS or MM:SS)`);
  const parts = m[2].split(':').map((p) => num(p, what));
  if (parts.length > 3) throw new YodaError('BAD_ENVIRONMENT', `cannot parse ${what}: too many fields`);
  if (m[1] !== undefined) {
    const [h, mi = 0, s = 0] = parts;
    return num(m[1], what) * 86400 + h * 3600 + mi * 60 + s;
  }
  if (parts.length === 3) return parts[0] * 3600 + parts[1] * 60 + parts[2];
  if (parts.length === 2) return parts[0] * 60 + parts[1];
  return parts[0] * 60;
}

function pbsDuration(value: string, what: string): number {
  const parts = value.split(':').map((p) => num(p, what));
  if (parts.length > 3) throw new YodaError('BAD_ENVIRONMENT', `cannot parse ${what}: too many fields`);
  return parts.reduce((acc, p) => acc * 60 + p, 0);
}

// Wall-time limit and use from `qstat -f $PBS_JOBID` (HH:MM:SS, or plain seconds); null without a limit.
// usedSeconds is 0 while PBS has not reported resources_used.walltime yet.
export function parseQstatWalltime(text: string): { limitSeconds: number; usedSeconds: number } | null {
  const attr = (name: string) => {
    const m = new RegExp(`^\\s*${name.replace('.', '\\.')}\\s*=\\s*(\\S+)\\s*$`, 'm').exec(text);
    return m?.[1];
  };
  const limit = attr('Resource_List.walltime');
  if (limit === undefined) return null;
  const used = attr('resources_used.walltime');
  return {
    limitSeconds: pbsDuration(limit, `Resource_List.walltime = ${limit}`),
    usedSeconds: used === undefined ? 0 : pbsDuration(used, `resources_used.walltime = ${used}`),
  };
}

// Job end time from SLURM_JOB_END_TIME (epoch seconds, set by newer Slurm); null when not set.
export function slurmEndFromEnv(env: Record<string, string | undefined>): Date | null {
  const v = env.SLURM_JOB_END_TIME?.trim();
  if (!v) return null;
  if (!/^\d+$/.test(v))
    throw new YodaError('BAD_ENVIRONMENT', `SLURM_JOB_END_TIME="${env.SLURM_JOB_END_TIME}" is not epoch seconds`);
  return new Date(Number(v) * 1000);
}
