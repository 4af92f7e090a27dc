// The simple slot plan: equal widths over the CPUs this process may use (full NUMA-aware packing is planned elsewhere).
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** CPUs this process may run on, from /proc/self/status (Slurm and cgroups often give a subset). */
export function allowedCpus(): number[] {
  try {
    const line = /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (line) return parseCpuRanges(line);
  } catch {
    /* not Linux: fall through */
  }
  return Array.from({ length: availableParallelism() }, (_, i) => i);
}

/** Parses the kernel's CPU list format ("0-3,8,10-11"). */
export function parseCpuRanges(text: string): number[] {
  const cpus: number[] = [];
  for (const part of text.trim().split(',').filter(Boolean)) {
    const [a, b] = part.split('-').map(Number);
    for (let c = a; c <= (b ?? a); c++) cpus.push(c);
  }
  return cpus;
}

/** Cuts `cpus` into slots of `width` CPUs, at most `maxWorkers`; at least one slot even on a small node. */
export function equalSlots(cpus: number[], width: number, maxWorkers?: number): number[][] {
  const count = Math.max(1, Math.min(Math.floor(cpus.length / width), maxWorkers ?? Infinity));
  return Array.from({ length: count }, (_, k) => cpus.slice(k * width, (k + 1) * width)).map((s, k) => (s.length > 0 ? s : [cpus[k % cpus.length]]));
}
