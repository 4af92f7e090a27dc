// The Linux CPU list format ("0-3,8,10-11"), as in sysfs, /proc and taskset: pure parsing and formatting.
import { YodaError } from './errors.js';

/** Formats CPU ids in the Linux list format: [0,1,2,3,8,10,11] -> "0-3,8,10-11". */
export function formatCpuList(cpus: number[]): string {
  const ids = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < ids.length; ) {
    let j = i;
    while (j + 1 < ids.length && ids[j + 1] === ids[j] + 1) j++;
    parts.push(j === i ? `${ids[i]}` : `${ids[i]}-${ids[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** Parses the Linux CPU list format ("0-3,8,10-11", also "0-15:2/4" strides); sorted, distinct. */
export function parseCpuList(text: string): number[] {
  const out = new Set<number>();
  for (const raw of text.trim().split(',')) {
    const part = raw.trim();
    if (part === '') continue;
    const m = /^(\d+)(?:-(\d+)(?::(\d+)\/(\d+))?)?$/.exec(part);
    if (!m) throw new YodaError('BAD_TOPOLOGY', `not a CPU list: "${text.trim()}" (bad part "${part}")`, { text });
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    const used = m[3] === undefined ? 1 : Number(m[3]);
    const group = m[4] === undefined ? 1 : Number(m[4]);
    if (hi < lo || group < 1 || used > group)
      throw new YodaError('BAD_TOPOLOGY', `not a CPU list: "${text.trim()}" (bad range "${part}")`, { text });
    for (let c = lo; c <= hi; c++) if ((c - lo) % group < used) out.add(c);
  }
  return [...out].sort((a, b) => a - b);
}
