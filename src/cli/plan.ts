// `yoda plan`: how a job's workers would be packed onto a node, as a map and as JSON; nothing is started.
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { readJobSpec } from '../job/load.js';
import { formatCpuList } from '../util/cpu-list.js';
import { memoryLimitMB, planForPayload, planRequestOf, slotEnvOptions } from '../node/job-plan.js';
import { formatPlan } from '../node/plan-format.js';
import { readTopology, recordTopology, topologyFromFile, type TopologyFile } from '../node/read-topology.js';
import type { Topology } from '../node/topology.js';
import { slotEnv } from '../node/slot-env.js';
import { YodaError } from '../util/errors.js';
import { defineCommand } from './command.js';

/** Options of `yoda plan`. */
export interface PlanOptions {
  jobfile: string;
  json: boolean;
  topology?: string;
  saveTopology?: string;
}

function loadTopologyFile(path: string): Topology {
  try {
    return topologyFromFile(JSON.parse(readFileSync(path, 'utf8')) as TopologyFile);
  } catch (e) {
    throw new YodaError(
      'BAD_USAGE',
      `--topology ${path}: not a recorded topology (write one with yoda plan --save-topology): ${(e as Error).message}`,
      { path },
    );
  }
}

/** The plan of `jobfile` on this node (or a recorded one, or `topo` when given), as printed by `yoda plan --json`. */
export function planReport(
  o: Pick<PlanOptions, 'jobfile' | 'topology'>,
  topo = o.topology ? loadTopologyFile(o.topology) : readTopology(),
) {
  const spec = readJobSpec(o.jobfile);
  const p = spec.payload;
  const plan = planForPayload(topo, p);
  const { labels: _labels, ...request } = planRequestOf(p);
  const envOptions = slotEnvOptions(p);
  const report = {
    node: o.topology ? `recorded topology ${o.topology}` : hostname(),
    mode: p.mode,
    request,
    topology: {
      allowed: formatCpuList(topo.allowed),
      cpus: topo.cpus.length,
      cores: topo.cores.length,
      sockets: topo.sockets.length,
      numaNodes: topo.numaNodes.map((n) => ({ id: n.id, socket: n.socket, cpus: formatCpuList(n.cpus) })),
      gpus: topo.gpus,
    },
    slots: plan.slots.map((s) => ({
      ...s,
      memoryLimitMB: memoryLimitMB(p, s.width),
      env: slotEnv(s, topo, envOptions),
    })),
    reserved: plan.reserved,
    unused: plan.unused,
    warnings: [...topo.warnings, ...plan.warnings],
  };
  return { report, text: formatPlan(plan, topo) };
}

function envLine(env: Record<string, string | null>): string {
  return Object.entries(env)
    .map(([k, v]) => (v === null ? `-${k}` : `${k}=${v}`))
    .join(' ');
}

// Records this node in `path` (for --topology elsewhere) and returns its topology, read once.
function saveTopology(path: string): Topology {
  const f: TopologyFile = { description: `recorded by yoda plan on ${hostname()}`, ...recordTopology() };
  writeFileSync(path, `${JSON.stringify(f, null, 2)}\n`);
  process.stderr.write(
    `yoda: recorded this node's topology in ${path} (plan with it elsewhere: yoda plan <jobfile> --topology ${path})\n`,
  );
  return topologyFromFile(f);
}

/** Prints the plan; `--save-topology` records this node for planning elsewhere. */
export function planCommand(o: PlanOptions): number {
  const here = o.saveTopology ? saveTopology(o.saveTopology) : undefined;
  const { report, text } = planReport(o, o.topology ? undefined : here);
  if (o.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  const lines = [
    `${report.slots.length} ${report.mode} worker slot(s) on ${report.node} (allowed CPUs ${report.topology.allowed}); nothing was started`,
    text,
  ];
  for (const s of report.slots)
    lines.push(
      `slot ${s.slot}: ${envLine(s.env)}${s.memoryLimitMB === null ? '' : `; killed above ${s.memoryLimitMB} MB resident`}`,
    );
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

/** `yoda plan <jobfile> [--json] [--topology file] [--save-topology file]`. */
export const planCli = defineCommand({
  command: 'plan <jobfile>',
  describe: "show how the job's workers would be packed and pinned on this node (nothing is started)",
  builder: (y) =>
    y
      .positional('jobfile', { type: 'string', demandOption: true, describe: 'job file (YAML or JSON)' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object for scripts' })
      .option('topology', {
        type: 'string',
        describe: 'plan for a node recorded with --save-topology instead of this one',
      })
      .option('save-topology', {
        type: 'string',
        describe: "record this node's CPUs, NUMA nodes and GPUs in a file, for --topology elsewhere",
      }),
  handler: (a) =>
    planCommand({ jobfile: a.jobfile, json: a.json, topology: a.topology, saveTopology: a['save-topology'] }),
});
