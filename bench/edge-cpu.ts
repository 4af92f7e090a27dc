// CPU of the `yoda run` process in the edge benchmark: /proc samples over time, and a Yoda / Droid split from its
// CPU profile (Yoda and the Droid share one process and one thread in local mode).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Clock ticks per second of /proc/<pid>/stat (getconf CLK_TCK; 100 on Linux). */
const CLK_TCK = 100;

/** One sample: wall clock (ms since the epoch) and the process's own CPU seconds (all threads, children excluded). */
export interface CpuSample {
  at: number;
  cpu: number;
}

/** The process's own CPU seconds (utime + stime of /proc/<pid>/stat), or null once it is gone. */
function cpuSeconds(pid: number): number | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

/** Samples `pid`'s CPU every `everyMs` until `stop()`; the samples end with the last one read before exit. */
export function sampleCpu(pid: number, everyMs = 25): { samples: CpuSample[]; stop: () => void } {
  const samples: CpuSample[] = [];
  const take = () => {
    const cpu = cpuSeconds(pid);
    if (cpu !== null) samples.push({ at: Date.now(), cpu });
  };
  take();
  const timer = setInterval(take, everyMs);
  return { samples, stop: () => clearInterval(timer) };
}

/** CPU seconds spent between wall times `from` and `to` (ms), interpolated between samples; null without samples. */
export function cpuBetween(samples: CpuSample[], from: number, to: number): number | null {
  if (samples.length < 2) return null;
  const at = (t: number): number => {
    if (t <= samples[0].at) return samples[0].cpu;
    for (let k = 1; k < samples.length; k++) {
      const b = samples[k];
      if (t <= b.at) {
        const a = samples[k - 1];
        return a.cpu + ((b.cpu - a.cpu) * (t - a.at)) / Math.max(1, b.at - a.at);
      }
    }
    return samples[samples.length - 1].cpu;
  };
  return Math.max(0, at(to) - at(from));
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

/** Which side a compiled module belongs to, by its path under dist/. */
function side(url: string): 'yoda' | 'droid' | null {
  if (/\/dist\/(yoda|journal)\//.test(url)) return 'yoda';
  if (/\/dist\/(droid|payload)\//.test(url)) return 'droid';
  return null;
}

/**
 * The Droid's share of the busy samples of the .cpuprofile files in `dir`: each busy sample goes to the side of the
 * innermost Yoda (src/yoda, src/journal) or Droid (src/droid, src/payload) frame on its stack; samples with
 * neither (GC, ZeroMQ and msgpack called from shared code, start-up) are split in the same proportion. Null when
 * there is no profile.
 */
export function droidShare(dir: string): number | null {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  } catch {
    return null;
  }
  let yoda = 0;
  let droid = 0;
  for (const f of files) {
    const p = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { nodes: ProfileNode[]; samples: number[] };
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const owner = new Map<number, 'yoda' | 'droid' | null>();
    // Parents come before children in the node list: each node inherits its parent's side unless it has its own.
    const walk = (n: ProfileNode, inherited: 'yoda' | 'droid' | null) => {
      const own = side(n.callFrame.url) ?? inherited;
      owner.set(n.id, own);
      for (const c of n.children ?? []) walk(byId.get(c)!, own);
    };
    walk(p.nodes[0], null);
    for (const id of p.samples) {
      const o = owner.get(id);
      if (o === 'yoda') yoda++;
      else if (o === 'droid') droid++;
    }
  }
  return yoda + droid > 0 ? droid / (yoda + droid) : null;
}
