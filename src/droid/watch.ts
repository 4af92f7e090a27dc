// The Droid's watch over its workers' process trees: resident memory every second against the slot's limit,
// and, now and then, that every thread of every process of a worker still runs on the slot's CPUs.
import type { Logger } from 'pino';
import type { Affinity } from '../native/affinity.js';
import { formatCpuList } from '../util/cpu-list.js';
import { indexProcesses, processTree, readProcessTable, residentMB } from '../node/memory.js';
import { readThreadMasks, strayThreads } from '../node/thread-masks.js';

/** A live worker to watch. */
export interface WatchedWorker {
  slot: number;
  pid: number;
  cpus: number[];
  limitMB: number | null;
}

/** What the watch needs: the live workers, whom to tell, how to re-pin. */
export interface WatchOptions {
  workers(): WatchedWorker[];
  overMemory(slot: number, pid: number, rssMB: number, limitMB: number): void;
  affinity: Affinity;
  log: Logger;
  intervalMs?: number;
  /** A worker's threads are checked this long after it is first seen, then every pinCheckMs. */
  firstPinCheckMs?: number;
  pinCheckMs?: number;
}

/** Samples the workers' process trees on a timer until stopped. */
export class WorkerWatch {
  private readonly timer: NodeJS.Timeout;
  private running = false;
  private readonly nextPinCheck = new Map<number, number>();
  private readonly overLimit = new Set<number>();

  constructor(private readonly o: WatchOptions) {
    this.timer = setInterval(() => void this.sample(), o.intervalMs ?? 1000);
    this.timer.unref();
  }

  /** Stops sampling. */
  stop(): void {
    clearInterval(this.timer);
  }

  private async sample(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const now = Date.now();
      const live = this.o.workers();
      const pids = new Set(live.map((w) => w.pid));
      for (const pid of [...this.nextPinCheck.keys()]) if (!pids.has(pid)) this.nextPinCheck.delete(pid);
      for (const pid of [...this.overLimit]) if (!pids.has(pid)) this.overLimit.delete(pid);
      for (const w of live)
        if (!this.nextPinCheck.has(w.pid)) this.nextPinCheck.set(w.pid, now + (this.o.firstPinCheckMs ?? 1000));
      const memory = live.filter((w) => w.limitMB !== null && !this.overLimit.has(w.pid));
      const pins = live.filter((w) => this.nextPinCheck.get(w.pid)! <= now);
      if (memory.length === 0 && pins.length === 0) return;
      // One index of /proc per sample, and each worker's processes looked up once for both checks.
      const index = indexProcesses(await readProcessTable());
      const checked = live.filter((w) => memory.includes(w) || pins.includes(w));
      const members = new Map(checked.map((w) => [w.pid, processTree(index, w.pid)]));
      for (const w of memory) await this.checkMemory(w, members.get(w.pid)!);
      for (const w of pins) {
        this.nextPinCheck.set(w.pid, now + (this.o.pinCheckMs ?? 30_000));
        await this.checkPins(w, members.get(w.pid)!);
      }
    } catch (e) {
      this.o.log.debug({ err: (e as Error).message }, 'worker watch: sampling /proc failed');
    } finally {
      this.running = false;
    }
  }

  private async checkMemory(w: WatchedWorker, members: number[]): Promise<void> {
    const rss = await residentMB(members);
    if (w.limitMB === null || rss <= w.limitMB) return;
    this.overLimit.add(w.pid);
    this.o.overMemory(w.slot, w.pid, rss, w.limitMB);
  }

  // Every thread of every process of the worker must be on the slot's CPUs; a stray one (the payload set its
  // own affinity) is put back, and said so.
  private async checkPins(w: WatchedWorker, members: number[]): Promise<void> {
    let threads = 0;
    for (const pid of members) {
      const masks = await readThreadMasks(pid);
      threads += masks.size;
      const stray = strayThreads(masks, w.cpus);
      if (stray.length === 0) continue;
      this.o.log.warn(
        `slot ${w.slot}: ${stray.length} thread(s) of process ${pid} may run outside the slot's CPUs ${formatCpuList(w.cpus)} (thread ids ${stray.join(',')}): pinning them back`,
      );
      for (const tid of stray) {
        try {
          await this.o.affinity.setAffinity(tid, w.cpus);
        } catch (e) {
          if ((e as { code?: string }).code !== 'ESRCH')
            this.o.log.warn(
              `slot ${w.slot}: could not pin thread ${tid} to CPUs ${formatCpuList(w.cpus)}: ${(e as Error).message}`,
            );
        }
      }
    }
    this.o.log.debug(
      `slot ${w.slot}: ${threads} thread(s) in ${members.length} process(es) of worker ${w.pid} checked against CPUs ${formatCpuList(w.cpus)}`,
    );
  }
}
