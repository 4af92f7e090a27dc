// Packs worker slots onto a node's allowed cores, NUMA domain by domain, and shares out its GPUs.
import { formatCpuList } from '../util/cpu-list.js';
import { YodaError } from '../util/errors.js';
import type { Core, Gpu, Topology } from './topology.js';

/** A slot's width: a number of cores, or one whole socket / NUMA node / the rest of the node. */
export type SlotWidth = number | 'socket' | 'numa' | 'node';

/** One kind of worker; `count` omitted = as many as fit in what the other workers leave. */
export interface WorkerRequest {
  cores: SlotWidth;
  count?: number;
  gpus?: number;
}

/** What to pack: several worker widths may share one node. `reserve` cores stay for the Droid. */
export interface PlanRequest {
  workers: WorkerRequest[];
  policy: 'compact' | 'scatter';
  smt: 'one-per-core' | 'all-threads';
  reserve: number;
  /** Names used in messages: of each worker request (default `workers[i]`) and of the reserve (default `reserve`). */
  labels?: { workers?: string[]; reserve?: string };
}

/** One worker slot: core ids (Topology.cores), the logical CPUs to pin, and its GPU indexes. */
export interface Slot {
  slot: number;
  worker: number;
  cores: number[];
  cpus: number[];
  numa: number[];
  socket: number[];
  gpus: number[];
  width: number;
}

/** The plan: slots, the reserved CPUs, allowed CPUs on cores no one holds, and warnings. */
export interface SlotPlan {
  slots: Slot[];
  reserved: number[];
  unused: number[];
  warnings: string[];
}

interface Domain {
  id: number;
  socket: number;
  cores: number[];
  free: number[];
}

interface Placed {
  worker: number;
  order: number;
  cores: number[];
  gpus: Gpu[];
}

const describe = (w: WorkerRequest, i: number, req: PlanRequest) =>
  `${req.labels?.workers?.[i] ?? `workers[${i}]`} {cores: ${JSON.stringify(w.cores)}${w.count === undefined ? '' : `, count: ${w.count}`}${w.gpus ? `, gpus: ${w.gpus}` : ''}}`;

function validate(req: PlanRequest): void {
  const bad = (why: string) => new YodaError('BAD_JOB_FILE', `slot plan: ${why}`, { request: req });
  if (req.workers.length === 0) throw bad('no workers requested');
  if (!Number.isInteger(req.reserve) || req.reserve < 0)
    throw bad(`${req.labels?.reserve ?? 'reserve'} must be a whole number >= 0, not ${req.reserve}`);
  req.workers.forEach((w, i) => {
    const named = w.cores === 'socket' || w.cores === 'numa' || w.cores === 'node';
    if (!named && !(Number.isInteger(w.cores) && (w.cores as number) > 0))
      throw bad(`${describe(w, i, req)}: cores must be a positive integer, 'socket', 'numa' or 'node'`);
    if (w.count !== undefined && !(Number.isInteger(w.count) && w.count > 0))
      throw bad(`${describe(w, i, req)}: count must be a positive integer`);
    if (w.gpus !== undefined && !(Number.isInteger(w.gpus) && w.gpus >= 0))
      throw bad(`${describe(w, i, req)}: gpus must be a whole number >= 0`);
    if (w.cores === 'node' && (w.count ?? 1) !== 1) throw bad(`${describe(w, i, req)}: there is only one node`);
  });
}

// Placement order: whole sockets/NUMA nodes first, then counted widths (widest first, which packs
// best), then the fills, and 'node' (everything left) last. Slot numbers still follow req.workers.
function rank(w: WorkerRequest): number {
  if (w.cores === 'socket' || w.cores === 'numa') return w.count === undefined ? 1 : 0;
  if (w.cores === 'node') return 4;
  return w.count === undefined ? 3 : 2;
}

/** Plans worker slots on `topo`; throws a BAD_JOB_FILE YodaError when a request cannot be met. */
export function planSlots(topo: Topology, req: PlanRequest): SlotPlan {
  validate(req);
  const allowed = new Set(topo.allowed);
  const threads = (c: Core) => c.threads.filter((t) => allowed.has(t));
  const usable = topo.cores.filter((c) => threads(c).length > 0);
  const coreById = new Map(usable.map((c) => [c.id, c]));
  if (req.reserve >= usable.length) {
    throw new YodaError(
      'BAD_JOB_FILE',
      `slot plan: ${req.labels?.reserve ?? 'reserve'} ${req.reserve} leaves no core for workers: ${usable.length} cores are allowed (CPUs ${formatCpuList(topo.allowed)})`,
      { reserve: req.reserve, cores: usable.length },
    );
  }
  // The reserve comes from the end (last socket's last cores) so that slot 0 starts at core 0 and
  // every NUMA domain but the last stays whole: taking it from the front would shift all slots
  // off the domain boundaries. Cores sort by socket, NUMA node, first thread (see topology.ts).
  const reservedCores = usable.slice(usable.length - req.reserve);
  const reservedIds = new Set(reservedCores.map((c) => c.id));
  // NUMA nodes come sorted by socket, then id (topology.ts): the order slots fill them in.
  const domains: Domain[] = topo.numaNodes
    .map((n) => {
      const cores = usable.filter((c) => c.numa === n.id && !reservedIds.has(c.id)).map((c) => c.id);
      return { id: n.id, socket: n.socket, cores, free: [...cores] };
    })
    .filter((d) => d.cores.length > 0);
  // Scatter visits domains round-robin across sockets: s0's first, s1's first, s0's second, ...
  const bySocket = topo.sockets.map((s) => domains.filter((d) => d.socket === s.id));
  const scatterOrder = domains.flatMap((_, k) => bySocket.flatMap((ds) => (ds[k] ? [ds[k]] : [])));
  let cursor = 0;
  const widest = Math.max(...domains.map((d) => d.cores.length));
  const gpusLeft = [...topo.gpus];
  const placed: Placed[] = [];
  const warnings: string[] = [];
  const freeCount = () => domains.reduce((n, d) => n + d.free.length, 0);
  const available = () =>
    `${freeCount()} of ${usable.length} allowed cores are free (allowed CPUs ${formatCpuList(topo.allowed)} on ${domains.length} NUMA node(s); ` +
    `${req.reserve} reserved, ${placed.reduce((n, p) => n + p.cores.length, 0)} in other slots), ${gpusLeft.length} of ${topo.gpus.length} GPUs free`;

  const take = (d: Domain, n: number) => d.free.splice(0, n);
  const localGpus = (ds: Domain[]) => gpusLeft.filter((g) => ds.some((d) => g.numa === d.id)).length;
  // Picks a domain with `w` free cores for one slot; prefers domains with enough local GPUs.
  const pickDomain = (w: number, g: number): Domain | undefined => {
    const order =
      req.policy === 'scatter' ? [...scatterOrder.slice(cursor), ...scatterOrder.slice(0, cursor)] : domains;
    const fits = order.filter((d) => d.free.length >= w);
    const d = (g > 0 ? fits.find((x) => localGpus([x]) >= g) : undefined) ?? fits[0];
    if (d && req.policy === 'scatter') cursor = (scatterOrder.indexOf(d) + 1) % scatterOrder.length;
    return d;
  };
  // Adjacent domains (fewest, then fewest sockets, then first) that together have `w` free cores.
  const pickRun = (w: number): Domain[] | undefined => {
    let best: Domain[] | undefined;
    const score = (r: Domain[]) => r.length * 1000 + new Set(r.map((d) => d.socket)).size;
    for (let i = 0; i < domains.length; i++) {
      for (let j = i, sum = 0; j < domains.length; j++) {
        sum += domains[j].free.length;
        if (sum < w) continue;
        const run = domains.slice(i, j + 1);
        if (!best || score(run) < score(best)) best = run;
        break;
      }
    }
    return best;
  };
  const pickGpus = (cores: number[], g: number): Gpu[] => {
    const numa = new Set(cores.map((c) => coreById.get(c)!.numa));
    const socket = new Set(cores.map((c) => coreById.get(c)!.socket));
    const cost = (x: Gpu) => (x.numa === undefined ? 2 : numa.has(x.numa) ? 0 : socket.has(x.socket!) ? 1 : 3);
    const chosen = [...gpusLeft].sort((a, b) => cost(a) - cost(b) || a.index - b.index).slice(0, g);
    for (const x of chosen) gpusLeft.splice(gpusLeft.indexOf(x), 1);
    return chosen;
  };

  // Places one slot of worker `i`; returns false when it does not fit.
  const placeOne = (w: WorkerRequest, i: number): boolean => {
    const g = w.gpus ?? 0;
    if (g > gpusLeft.length) return false;
    let cores: number[];
    if (w.cores === 'socket' || w.cores === 'numa') {
      const units = w.cores === 'numa' ? domains.map((d) => [d]) : bySocket;
      const whole = units.find((ds) => ds.length > 0 && ds.every((d) => d.free.length === d.cores.length));
      if (!whole) return false;
      cores = whole.flatMap((d) => take(d, d.free.length));
    } else if (w.cores === 'node') {
      if (freeCount() === 0) return false;
      cores = domains.flatMap((d) => take(d, d.free.length));
    } else {
      const width = w.cores;
      const d = width <= widest ? pickDomain(width, g) : undefined;
      if (d) {
        cores = take(d, width);
      } else {
        const run = pickRun(width);
        if (!run) return false;
        if (width <= widest)
          warnings.push(
            `a ${width}-core slot of ${describe(w, i, req)} spans NUMA nodes ${run.map((x) => x.id).join(',')}: no single NUMA node had ${width} free cores left`,
          );
        cores = [];
        for (const x of run) cores.push(...take(x, Math.min(x.free.length, width - cores.length)));
      }
    }
    placed.push({ worker: i, order: placed.length, cores, gpus: pickGpus(cores, g) });
    return true;
  };

  const order = req.workers
    .map((w, i) => ({ w, i }))
    .sort((a, b) => rank(a.w) - rank(b.w) || width(b.w) - width(a.w) || a.i - b.i);
  for (const { w, i } of order) {
    const before = placed.length;
    const want = w.count ?? Infinity;
    while (placed.length - before < want && placeOne(w, i));
    const got = placed.length - before;
    if (got === 0 || (w.count !== undefined && got < w.count)) {
      const need = typeof w.cores === 'number' ? `${w.cores} cores` : `a whole free ${w.cores}`;
      throw new YodaError(
        'BAD_JOB_FILE',
        `slot plan: ${describe(w, i, req)} cannot be met: slot ${got + 1} needs ${need}${w.gpus ? ` and ${w.gpus} GPU(s)` : ''}, but ${available()}`,
        { worker: w, placed: got },
      );
    }
  }

  const cpusOf = (c: Core) => (req.smt === 'all-threads' ? threads(c) : threads(c).slice(0, 1));
  const slots: Slot[] = [...placed]
    .sort((a, b) => a.worker - b.worker || a.order - b.order)
    .map((p, slot) => {
      const cores = [...p.cores].sort((a, b) => a - b).map((id) => coreById.get(id)!);
      const gpus = p.gpus.map((x) => x.index).sort((a, b) => a - b);
      const numa = [...new Set(cores.map((c) => c.numa))].sort((a, b) => a - b);
      const socket = [...new Set(cores.map((c) => c.socket))].sort((a, b) => a - b);
      for (const x of p.gpus) {
        if (x.socket !== undefined && !socket.includes(x.socket))
          warnings.push(
            `slot ${slot} runs on socket ${socket.join(',')} but its GPU ${x.index} is on socket ${x.socket}`,
          );
      }
      return {
        slot,
        worker: p.worker,
        cores: cores.map((c) => c.id),
        cpus: cores.flatMap(cpusOf).sort((a, b) => a - b),
        numa,
        socket,
        gpus,
        width: cores.length,
      };
    });
  const held = new Set([...placed.flatMap((p) => p.cores), ...reservedIds]);
  const unused = usable
    .filter((c) => !held.has(c.id))
    .flatMap(threads)
    .sort((a, b) => a - b);
  if (unused.length > 0 && req.workers.some((w) => w.count === undefined)) {
    warnings.push(`${usable.length - held.size} allowed core(s) hold no slot (CPUs ${formatCpuList(unused)})`);
  }
  return { slots, reserved: reservedCores.flatMap(threads).sort((a, b) => a - b), unused, warnings };
}

// Cores a request's slot needs, for ordering only (named widths sort by rank first).
function width(w: WorkerRequest): number {
  return typeof w.cores === 'number' ? w.cores : 0;
}
