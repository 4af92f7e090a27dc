// Renders a slot plan as a map a user can check before spending an allocation on it.
import { formatCpuList } from '../util/cpu-list.js';
import type { SlotPlan } from './planner.js';
import type { Topology } from './topology.js';

const pad = (s: string, n: number) => s.padEnd(n);

/** One line per NUMA node showing which slot holds each core, then a table of slots and GPUs. */
export function formatPlan(plan: SlotPlan, topo: Topology): string {
  const allowed = new Set(topo.allowed);
  const reserved = new Set(plan.reserved);
  const holder = new Map<number, string>();
  for (const s of plan.slots) for (const c of s.cores) holder.set(c, String(s.slot));
  const cell = Math.max(1, ...plan.slots.map((s) => String(s.slot).length));
  const label = (core: Topology['cores'][number]) => {
    if (holder.has(core.id)) return holder.get(core.id)!;
    if (core.threads.some((t) => reserved.has(t))) return 'R';
    return core.threads.some((t) => allowed.has(t)) ? '.' : 'x';
  };
  const lines: string[] = [];
  for (const n of topo.numaNodes) {
    const cores = topo.cores.filter((c) => c.numa === n.id);
    lines.push(`socket ${n.socket} numa ${n.id}: [ ${cores.map((c) => label(c).padStart(cell)).join(' ')} ]`);
  }
  lines.push('(one mark per core: slot number, R = reserved for the Droid, . = allowed but unused, x = not allowed)');
  const head = ['slot', 'worker', 'width', 'numa', 'socket', 'cpus', 'gpus'];
  const rows = plan.slots.map((s) => [
    String(s.slot),
    String(s.worker),
    String(s.width),
    s.numa.join(','),
    s.socket.join(','),
    formatCpuList(s.cpus),
    s.gpus.length > 0 ? s.gpus.join(',') : '-',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows])
    lines.push(
      r
        .map((v, i) => pad(v, widths[i]))
        .join('  ')
        .trimEnd(),
    );
  lines.push(`reserved cpus: ${plan.reserved.length > 0 ? formatCpuList(plan.reserved) : '-'}`);
  lines.push(`unused cpus: ${plan.unused.length > 0 ? formatCpuList(plan.unused) : '-'}`);
  for (const g of topo.gpus) {
    const where = g.numa === undefined ? 'affinity unknown' : `socket ${g.socket} numa ${g.numa}`;
    lines.push(`gpu ${g.index}: ${g.name ?? g.vendor} ${where}${g.uuid ? ` ${g.uuid}` : ''}`);
  }
  for (const w of [...topo.warnings, ...plan.warnings]) lines.push(`warning: ${w}`);
  return lines.join('\n');
}
