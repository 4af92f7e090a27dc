// Prints the top functions of a V8 .cpuprofile (node --cpu-prof): self time and total time, in percent.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
  children?: number[];
}

/** Self and total percentages per function of one profile, largest self time first. */
export function topFunctions(path: string, limit = 25): string[] {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as { nodes: ProfileNode[] };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const name = (n: ProfileNode) =>
    `${n.callFrame.functionName || '(anonymous)'} ${basename(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let all = 0;
  const walk = (n: ProfileNode, stack: Set<string>): number => {
    const key = name(n);
    let hits = n.hitCount;
    self.set(key, (self.get(key) ?? 0) + n.hitCount);
    const inner = new Set(stack).add(key);
    for (const c of n.children ?? []) hits += walk(byId.get(c)!, inner);
    if (!stack.has(key)) total.set(key, (total.get(key) ?? 0) + hits);
    return hits;
  };
  all = walk(profile.nodes[0], new Set());
  const idle = (self.get('(idle) :0') ?? 0) + (self.get('(program) :0') ?? 0);
  const busy = Math.max(1, all - idle);
  const pct = (x: number) => `${((100 * x) / busy).toFixed(1)}%`.padStart(6);
  const rows = [...self]
    .sort((a, b) => b[1] - a[1])
    .filter(([k]) => !k.startsWith('(idle)') && !k.startsWith('(root)'));
  return [
    `${basename(path)}: ${all} samples, ${(100 * (1 - idle / all)).toFixed(1)}% busy; percentages of busy samples`,
    '  self  total  function',
    ...rows.slice(0, limit).map(([k, v]) => `${pct(v)} ${pct(total.get(k) ?? v)}  ${k}`),
  ];
}

if (process.argv[1] && import.meta.url.endsWith(basename(process.argv[1]))) {
  for (const file of process.argv.slice(2)) console.log(topFunctions(file, Number(process.env.TOP ?? 25)).join('\n'));
}
