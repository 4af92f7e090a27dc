// Resident memory of a worker's whole process tree, from /proc: pure parsers, and one async reader.
import { readdir, readFile } from 'node:fs/promises';

/** One process as /proc/<pid>/stat describes it. */
export interface ProcEntry {
  pid: number;
  ppid: number;
  pgid: number;
}

/** Parses /proc/<pid>/stat (the command name may hold spaces and parentheses); null when malformed. */
export function parseProcStat(text: string): ProcEntry | null {
  const close = text.lastIndexOf(')');
  const pid = Number.parseInt(text, 10);
  if (close < 0 || !Number.isInteger(pid)) return null;
  // After ") ": state ppid pgrp ...
  const [, ppid, pgid] = text.slice(close + 2).split(' ');
  const entry = { pid, ppid: Number(ppid), pgid: Number(pgid) };
  return Number.isInteger(entry.ppid) && Number.isInteger(entry.pgid) ? entry : null;
}

/** VmRSS of /proc/<pid>/status in kB (0 for a kernel thread or a zombie, which have none). */
export function parseVmRssKB(status: string): number {
  const m = /^VmRSS:\s*(\d+)\s*kB/m.exec(status);
  return m ? Number(m[1]) : 0;
}

/** The process table indexed once per sample: pids, children by parent, members by process group. */
export interface ProcessIndex {
  pids: Set<number>;
  children: Map<number, number[]>;
  groups: Map<number, number[]>;
}

const push = (m: Map<number, number[]>, key: number, pid: number) => {
  const list = m.get(key);
  if (list) list.push(pid);
  else m.set(key, [pid]);
};

/** Indexes a process table for processTree (one index serves every worker of a sample). */
export function indexProcesses(table: ProcEntry[]): ProcessIndex {
  const index: ProcessIndex = { pids: new Set(), children: new Map(), groups: new Map() };
  for (const p of table) {
    index.pids.add(p.pid);
    push(index.children, p.ppid, p.pid);
    push(index.groups, p.pgid, p.pid);
  }
  return index;
}

/** The processes of a worker: its process group (the worker leads it) and every descendant of those. */
export function processTree(index: ProcessIndex, root: number): number[] {
  const members = new Set<number>();
  const todo = [...(index.groups.get(root) ?? []), ...(index.pids.has(root) ? [root] : [])];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    if (members.has(pid)) continue;
    members.add(pid);
    todo.push(...(index.children.get(pid) ?? []));
  }
  return [...members].sort((a, b) => a - b);
}

async function readOr(path: string, fallback: string): Promise<string> {
  try {
    return await readFile(path, 'latin1');
  } catch {
    return fallback; // the process exited meanwhile
  }
}

/** Every process of this machine (as this user can see them), from /proc/<pid>/stat. */
export async function readProcessTable(proc = '/proc'): Promise<ProcEntry[]> {
  const pids = (await readdir(proc)).filter((n) => /^\d+$/.test(n));
  const stats = await Promise.all(pids.map((pid) => readOr(`${proc}/${pid}/stat`, '')));
  return stats.map(parseProcStat).filter((e): e is ProcEntry => e !== null);
}

/** Summed resident memory (MB) of `pids`; processes gone meanwhile count 0. */
export async function residentMB(pids: number[], proc = '/proc'): Promise<number> {
  const kb = await Promise.all(pids.map(async (pid) => parseVmRssKB(await readOr(`${proc}/${pid}/status`, ''))));
  return Math.round(kb.reduce((a, b) => a + b, 0) / 1024);
}
