// What a Droid's state machine reacts to and what it asks its shell to do.
import type { DroidMessage, RangeSpec, YodaMessage } from '../protocol/messages.js';
import type { WorkerReport } from '../protocol/worker.js';

/** Something that happened to a Droid. */
export type DroidEvent =
  | { type: 'connected' }
  | { type: 'yoda'; msg: YodaMessage }
  | { type: 'worker'; slot: number; report: WorkerReport }
  | { type: 'workerBroken'; slot: number; why: string }
  | { type: 'workerExited'; slot: number; code: number | null; signal: string | null }
  | { type: 'workerOverMemory'; slot: number; rssMB: number; limitMB: number }
  | { type: 'tick' }
  /** The Droid's own process did not run for `ms` (its timer fired that late: SIGSTOP, a starved node). */
  | { type: 'paused'; ms: number }
  | { type: 'drain'; reason: string; graceSeconds: number }
  /** A remote input file is on the node now (`local`), or could not be fetched on any try. */
  | { type: 'fetched'; url: string; local: string; bytes: number }
  | { type: 'fetchFailed'; url: string; message: string }
  /** Range `i`'s events were extracted into the small file `local` (`extract`), or could not be on any try. */
  | { type: 'extracted'; i: number; local: string; bytes: number }
  | { type: 'extractFailed'; i: number; message: string };

/** Something a Droid's shell must do. */
export type DroidEffect =
  | { type: 'toYoda'; msg: DroidMessage }
  | { type: 'startWorker'; slot: number }
  | { type: 'feedWorker'; slot: number; ranges: RangeSpec[] }
  | { type: 'stopWorker'; slot: number }
  | { type: 'killWorker'; slot: number }
  /** A drain began: tell a busy worker (the drain message, then SIGTERM to its process group). */
  | { type: 'drainWorker'; slot: number; graceSeconds: number }
  | { type: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; msg: string }
  /** Fetch a remote input file into the node's cache (answered by fetched or fetchFailed); delete a cached one. */
  | { type: 'fetch'; url: string }
  /** Extract one range's events of its remote file into a small local file (answered by extracted or extractFailed). */
  | { type: 'extract'; range: RangeSpec }
  | { type: 'evict'; local: string }
  | { type: 'exit'; code: number; error: string | null; workerLog: string | null };
