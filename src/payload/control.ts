// The worker control channel: JSON lines over the worker's fd 3, parsed and checked here.
import type { WorkerReport } from '../droid/effects.js';
import type { RangeSpec } from '../protocol/messages.js';

/** Longest control line accepted from a worker; longer means a broken worker. */
export const MAX_CONTROL_LINE = 1024 * 1024;

/** One range as a worker receives it. */
export interface WorkerRange {
  id: string;
  file: string;
  first: number;
  last: number;
  output: string;
  attempt: number;
  guid?: string;
  scope?: string;
}

/** The line sent to a worker to hand it ranges. */
export function rangesLine(ranges: RangeSpec[], outputFor: (r: RangeSpec) => string): string {
  const items: WorkerRange[] = ranges.map((r) => ({
    id: r.id, file: r.file, first: r.first, last: r.last, output: outputFor(r), attempt: r.attempt,
    ...(r.guid !== undefined ? { guid: r.guid } : {}),
    ...(r.scope !== undefined ? { scope: r.scope } : {}),
  }));
  return `${JSON.stringify({ type: 'ranges', ranges: items })}\n`;
}

/** The line telling a worker to finish. */
export const NO_MORE_EVENTS_LINE = `${JSON.stringify({ type: 'no_more_events' })}\n`;

const CODE = /^ERR_[A-Z0-9_]+$/;

/** Parses one control line from a worker; returns the report or why it is not one. */
export function parseWorkerLine(line: string): { ok: true; report: WorkerReport } | { ok: false; why: string } {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return { ok: false, why: `not JSON: ${JSON.stringify(line.slice(0, 80))}` };
  }
  if (typeof v !== 'object' || v === null) return { ok: false, why: `not a JSON object: ${line.slice(0, 80)}` };
  const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : 0);
  switch (v.type) {
    case 'ready':
      return { ok: true, report: { type: 'ready' } };
    case 'done':
      if (typeof v.id !== 'string' || !Array.isArray(v.outputs) || !v.outputs.every((o) => typeof o === 'string')) {
        return { ok: false, why: 'done needs id (string) and outputs (list of paths)' };
      }
      return { ok: true, report: { type: 'done', id: v.id, outputs: v.outputs as string[], cpu: num(v.cpu), wall: num(v.wall) } };
    case 'failed':
      if (typeof v.id !== 'string') return { ok: false, why: 'failed needs id (string)' };
      return {
        ok: true,
        report: {
          type: 'failed',
          id: v.id,
          code: typeof v.code === 'string' && CODE.test(v.code) ? v.code : 'ERR_PAYLOAD',
          message: typeof v.message === 'string' ? v.message.slice(0, 2000) : '',
        },
      };
    default:
      return { ok: false, why: `unknown message type ${JSON.stringify(v.type)?.slice(0, 40)}` };
  }
}
