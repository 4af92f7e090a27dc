// Turns schema failures into messages that name the field, the value and what was expected.
import type { z } from 'zod';
import { jobFileSchema, type JobFile } from './schema.js';
import { YodaError } from '../util/errors.js';

function valueAt(data: unknown, path: PropertyKey[]): unknown {
  let v: unknown = data;
  for (const key of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function fieldName(path: PropertyKey[]): string {
  return (
    path.map((k, n) => (typeof k === 'number' ? `[${k}]` : `${n ? '.' : ''}${String(k)}`)).join('') || '(top level)'
  );
}

function describe(issue: z.core.$ZodIssue, data: unknown): string {
  const field = fieldName(issue.path);
  if (issue.code === 'unrecognized_keys') return `${field}: unknown field(s) ${issue.keys.join(', ')}`;
  const value = valueAt(data, issue.path);
  const shown = value === undefined ? 'nothing' : JSON.stringify(value).slice(0, 80);
  return `${field}: ${issue.message} (got ${shown})`;
}

/** Validates parsed job-file data; throws BAD_JOB_FILE listing every problem. */
export function validateJobFile(data: unknown, source: string): JobFile {
  const result = jobFileSchema.safeParse(data);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  - ${describe(i, data)}`);
  throw new YodaError('BAD_JOB_FILE', `job file ${source} is not valid:\n${lines.join('\n')}`, { source });
}
