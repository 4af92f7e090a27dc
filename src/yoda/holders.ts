// Whether the Droids that held ranges when a new Yoda took over are known to be gone.
import { allocationEnded } from '../batch/allocation-ended.js';
import type { YodaState } from './state.js';
import { droidKeyPlace } from '../protocol/droid-key.js';
import { pidAlive } from '../util/pid-alive.js';

/** Milliseconds between two questions to the batch system about the held-back Droids. */
const ASK_EVERY_MS = 3000;

/**
 * A test of `droid` from a Yoda on `node`: gone when it ran on this same node and its process has ended (its workers
 * died with it: they get a parent-death signal). A Droid on another node cannot be judged from here: not gone.
 */
export function holderGoneOn(node: string): (droid: string) => boolean {
  return (droid) => {
    const place = droidKeyPlace(droid);
    return place !== null && place.node === node && !pidAlive(place.pid);
  };
}

/** The Droids ranges are held back for (YodaState.heldBack), each with its launch when known. */
export function heldDroids(s: Pick<YodaState, 'heldBack' | 'holderLaunch'>): Map<string, string | null> {
  return new Map([...new Set(s.heldBack.values())].map((d) => [d, s.holderLaunch.get(d) ?? null]));
}

/** Droids known gone, and why (the text goes to the journal's release record). */
export type HoldersGone = (droids: string[], why: string) => void;

/**
 * Watches the Droids ranges are held back for: one on this node is gone when its process ended; one on another node
 * when the batch system says its allocation ended (Slurm's squeue: the job is no longer running or completing, so
 * every process of it is dead). Other launchers cannot be asked: their ranges wait for the hold-back time.
 */
export class HolderWatch {
  private asking = false;
  private askedAt = -Infinity;
  private readonly sameNodeGone: (droid: string) => boolean;

  constructor(
    node: string,
    /** The launch of this Yoda's own allocation: alive while this Yoda runs, never asked about. */
    private readonly ownLaunch: string | null,
    private readonly ask: (launch: string) => Promise<boolean | null> = allocationEnded,
  ) {
    this.sameNodeGone = holderGoneOn(node);
  }

  /** Looks at the held-back Droids (with their launch, when known) and reports those known gone to `gone`. */
  check(held: Map<string, string | null>, now: number, gone: HoldersGone): void {
    const here = [...held.keys()].filter(this.sameNodeGone);
    if (here.length > 0) gone(here, 'their Droid is gone (its process on this node ended)');
    if (this.asking || now - this.askedAt < ASK_EVERY_MS) return;
    const launches = new Set<string>();
    for (const [droid, launch] of held)
      if (launch && launch !== this.ownLaunch && !here.includes(droid)) launches.add(launch);
    if (launches.size === 0) return;
    this.asking = true;
    this.askedAt = now;
    void Promise.all(
      [...launches].map(async (launch) => {
        if ((await this.ask(launch).catch(() => null)) !== true) return;
        const droids = [...held].filter(([, l]) => l === launch).map(([d]) => d);
        gone(droids, `their allocation ${launch} has ended (the batch system says so)`);
      }),
    ).finally(() => {
      this.asking = false;
    });
  }
}
