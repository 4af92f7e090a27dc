// CPU time of this process per thread kind (main JS thread, ZeroMQ I/O, V8 GC helpers, libuv pool), from /proc.
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MICROS = 10_000; // USER_HZ is 100 on Linux

/** Thread kinds by their comm name; anything else is `other`. */
function kindOf(comm: string, tid: string): string {
  if (tid === String(process.pid)) return 'main';
  if (comm.startsWith('ZMQbg')) return 'zmq';
  if (comm.startsWith('V8')) return 'v8';
  if (comm.startsWith('libuv')) return 'libuv';
  return 'other';
}

/** Microseconds of CPU (user + system) used so far by each kind of thread of this process; empty off Linux. */
export function threadCpuMicros(): Record<string, number> {
  const out: Record<string, number> = {};
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'latin1');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const f = stat.slice(close + 2).split(' ');
      const kind = kindOf(comm, tid);
      out[kind] = (out[kind] ?? 0) + (Number(f[11]) + Number(f[12])) * TICK_MICROS;
    } catch {
      /* the thread ended meanwhile */
    }
  }
  return out;
}
