// Where the threads of a process may run, read from /proc/<pid>/task/*/status (Cpus_allowed_list).
import { readdir, readFile } from 'node:fs/promises';
import { parseCpuList } from '../util/cpu-list.js';

/** The allowed CPUs in a /proc status file, or null when it has no Cpus_allowed_list line. */
export function parseAllowedList(status: string): number[] | null {
  const m = /^Cpus_allowed_list:\s*(.*)$/m.exec(status);
  return m ? parseCpuList(m[1]) : null;
}

/** Threads whose mask reaches outside `cpus` (a mask inside them is fine: OpenMP binds threads to places). */
export function strayThreads(masks: Map<number, number[]>, cpus: number[]): number[] {
  const mine = new Set(cpus);
  return [...masks].filter(([, mask]) => mask.some((c) => !mine.has(c))).map(([tid]) => tid);
}

/** Every thread of `pid` with its allowed CPUs; threads that exit while being read are left out. */
export async function readThreadMasks(pid: number, proc = '/proc'): Promise<Map<number, number[]>> {
  const out = new Map<number, number[]>();
  let tids: string[];
  try {
    tids = await readdir(`${proc}/${pid}/task`);
  } catch {
    return out; // the process is gone
  }
  await Promise.all(
    tids.map(async (tid) => {
      try {
        const mask = parseAllowedList(await readFile(`${proc}/${pid}/task/${tid}/status`, 'latin1'));
        if (mask) out.set(Number(tid), mask);
      } catch {
        // exited meanwhile
      }
    }),
  );
  return out;
}
