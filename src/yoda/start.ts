// Starting Yoda: with the lease held, record the run first, then replay the journal and bind.
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { replayJournalFile } from '../journal/read.js';
import { JournalWriter } from '../journal/writer.js';
import { setAsideCorrupt } from '../journal/corrupt.js';
import type { JournalRecord } from '../journal/records.js';
import { foldRecord, type JournalState } from '../journal/replay.js';
import { planOf, type JobDescription } from '../job/workdir.js';
import { workdirPaths } from '../workdir/paths.js';
import { LeaseObserver, leaseTimeoutSeconds, takeLease } from '../workdir/lease.js';
import { YodaError } from '../util/errors.js';
import { createYodaState, type YodaConfig, type YodaState } from './state.js';
import { holderGoneOn } from './holders.js';
import { YodaServer, type YodaLease } from './server.js';
import type { JobKeys } from '../security/keys.js';
import { readJournal } from '../journal/read.js';
import { RangeState, unstagedDone } from '../journal/replay.js';
import { doneOutputs } from '../job/integrity.js';
import { currentOutputPath } from '../job/workdir.js';
import type { RangePlan } from '../job/plan.js';
import { MergeGroups, mergedPath } from '../job/merge-groups.js';
import { createMergeState } from './merge.js';
import type { MergeState } from './state.js';

/**
 * Journal records a run asks for at its start (--retry-fatal, --rerun-missing), from the state the lease holder replayed;
 * with `dryRun`, only to learn whether there are any (nothing is said).
 */
export type Amend = (past: JournalState, o?: { dryRun: boolean }) => JournalRecord[];

/** Knobs of a Yoda run that the command line may set. */
export type YodaTuning = Omit<YodaConfig, 'jobName' | 'jobHash' | 'workdir' | 'run' | 'maxAttempts' | 'launch'>;

/** What earlier runs left: the replayed journal and how many of its bytes are intact. */
export interface Past {
  state: JournalState;
  validBytes: number;
}

/** Replays the journal of a work directory; errors when it belongs to another job. Corrupt lines are reported loudly. */
export function loadPast(description: JobDescription, workdir: string, log: Logger, setAside = false): Past {
  const paths = workdirPaths(workdir);
  const { parsed, state } = replayJournalFile(paths.journal, description.totalRanges);
  if (parsed.corrupt.length > 0) {
    const bytes = parsed.corrupt.reduce((n, c) => n + c.bytes.length + 1, 0);
    const fresh = setAside ? setAsideCorrupt(paths.journalCorrupt, parsed.corrupt) : 0;
    log.error(
      `journal: ${parsed.corrupt.length} CORRUPT line(s) (${bytes} bytes) between good records, first at byte ${parsed.corrupt[0].offset}: ` +
        `they are left out of replay${setAside ? ` and set aside in ${paths.journalCorrupt}${fresh > 0 ? ` (${fresh} new)` : ''}` : ''}; every good record after them is kept. ` +
        'Check the file system (a flipped byte is not a killed run).',
    );
  }
  if (parsed.droppedBytes > 0)
    log.warn(
      `journal: dropped a torn tail of ${parsed.droppedBytes} bytes after the last intact record (in-flight records of a killed run)`,
    );
  if (state.fenced > 0) log.info(`journal: ignored ${state.fenced} late record(s) of a Yoda that had lost its lease`);
  if (state.job && state.job.hash !== description.hash) {
    throw new YodaError(
      'WORKDIR_MISMATCH',
      `journal in ${workdir} belongs to job hash ${state.job.hash}, job.json says ${description.hash}`,
      {},
    );
  }
  return { state, validBytes: parsed.validBytes };
}

/**
 * Opens the journal as the lease holder, writes this Yoda's `run` record (with its epoch) FIRST, then replays the
 * journal (so whatever a deposed Yoda wrote before that record is in the state, and anything after it is ignored by
 * the fold), and starts serving on `bindAddress`.
 */
export async function startYoda(
  description: JobDescription,
  workdir: string,
  tuning: YodaTuning,
  bindAddress: string,
  lease: YodaLease,
  log: Logger,
  keys: JobKeys | null,
  amend: Amend | null = null,
): Promise<YodaServer> {
  const paths = workdirPaths(workdir);
  const stageOut = description.spec.stageOut;
  const before = replayJournalFile(paths.journal, description.totalRanges);
  const writer = await JournalWriter.open(paths.journal, before.parsed.validBytes);
  const epoch = lease.held.epoch;
  writer.fenceWith(epoch, () =>
    lease.held.deposed() ? `this Yoda lost its lease on ${paths.root}: another Yoda took epoch ${epoch + 1}` : null,
  );
  const run = before.state.runs + 1;
  const now = Date.now();
  const opening: JournalRecord[] = [];
  if (!before.state.job)
    opening.push({
      t: 'job',
      hash: description.hash,
      name: description.name,
      ranges: description.totalRanges,
      events: description.totalEvents,
      at: now,
    });
  opening.push({
    t: 'run',
    run,
    at: now,
    host: hostname(),
    pid: process.pid,
    launch: lease.launch,
    epoch,
    takeover: lease.takeover,
  });
  await writer.append(opening);
  const past = loadPast(description, workdir, log, true);
  // Written under this Yoda's epoch, after its run record: a deposed Yoda can neither lose nor undo them.
  const amendments = amend ? amend(past.state) : [];
  if (amendments.length > 0) {
    await writer.append(amendments);
    for (const r of amendments) foldRecord(past.state, r);
  }
  const config: YodaConfig = {
    ...tuning,
    jobName: description.name,
    jobHash: description.hash,
    workdir: paths.root,
    run,
    launch: lease.launch,
    maxAttempts: description.spec.maxAttempts,
    stageOut: stageOut ? { parallel: stageOut.parallel } : null,
  };
  const plan = planOf(description);
  const merge = description.spec.merge ? mergeStateOf(description, plan, paths.journal, past.state) : null;
  if (merge && merge.queue.length > 0)
    log.info(`merge: ${merge.queue.length} complete group(s) not merged yet are queued`);
  const unstaged = stageOut ? unstagedOutputs(description, paths.journal, past.state) : new Map<number, string[]>();
  if (unstaged.size > 0) log.info(`stage-out: ${unstaged.size} output set(s) not delivered yet are queued`);
  const state = createYodaState(config, plan, past.state, now, holderGoneOn(config.node), unstaged, merge);
  await recordHeldBack(state, writer, log, now);
  const delivery = {
    stage: stageOut ? { spec: stageOut, outputDir: description.outputDir } : null,
    merge: description.spec.merge ? { spec: description.spec.merge, cwd: description.payloadCwd } : null,
  };
  const server = await YodaServer.start(state, bindAddress, writer, log, keys, lease, delivery);
  void server.finished.then(() => writer.close());
  return server;
}

// The merge state of a run: groups the journal says are merged, and the outputs (where they are now) of the done
// ranges of the others, read from the journal's done records.
function mergeStateOf(description: JobDescription, plan: RangePlan, journal: string, past: JournalState): MergeState {
  const spec = description.spec.merge!;
  const groups = new MergeGroups(plan, spec.per);
  const done = (i: number) => past.state[i] === RangeState.done;
  const outs = new Map<number, string[]>();
  if (past.merged.size < groups.count)
    for (const [i, d] of doneOutputs(readJournal(journal).records))
      if (!past.merged.has(groups.groupOf(i)))
        outs.set(
          i,
          d.out.map((o) => currentOutputPath(description, o)),
        );
  const outputOf = (g: number) => mergedPath(description.outputDir, spec, groups.id(g));
  return createMergeState(groups, outputOf, spec, new Set(past.merged.keys()), done, outs);
}

// What is not delivered yet, where it is now: the outputs of done ranges (from the journal's done records), or with
// merge the merged files of merged groups.
function unstagedOutputs(description: JobDescription, journal: string, past: JournalState): Map<number, string[]> {
  if (description.spec.merge) {
    const todo = [...past.merged].filter(([g]) => !past.stagedGroups.has(g));
    return new Map(todo.map(([g, m]) => [g, [currentOutputPath(description, m.out)]]));
  }
  const todo = unstagedDone(past);
  if (todo.length === 0) return new Map();
  const outs = doneOutputs(readJournal(journal).records);
  return new Map(todo.map((i) => [i, (outs.get(i)?.out ?? []).map((o) => currentOutputPath(description, o))]));
}

// Ranges held back at a take-over stay assigned to the Droid that may still run them in the journal too, so that a
// Yoda that takes over from this one holds them back as well.
async function recordHeldBack(state: YodaState, writer: JournalWriter, log: Logger, now: number): Promise<void> {
  if (state.heldBack.size === 0) return;
  const byDroid = new Map<string, number[]>();
  for (const [i, droid] of state.heldBack) byDroid.set(droid, [...(byDroid.get(droid) ?? []), i]);
  const records: JournalRecord[] = [...byDroid].map(([droid, r]) => ({
    t: 'assign',
    at: now,
    droid,
    r,
    a: r.map((i) => state.failures[i] + 1),
  }));
  await writer.append(records);
  log.warn(
    `${state.heldBack.size} range(s) were in flight when the previous Yoda stopped, on ${byDroid.size} Droid(s) that may still ` +
      `run them: held back until those Droids come back for them or are gone, at most ${state.config.holdBackSeconds} s`,
  );
}

/** Takes the lease of a work directory no other Yoda uses (benchmarks, tests); errors when a live Yoda holds it. */
export function soleLease(workdir: string, launch: string | null = null): YodaLease {
  const dir = workdirPaths(workdir).lease;
  const timeoutSeconds = leaseTimeoutSeconds();
  const view = new LeaseObserver(dir, timeoutSeconds, hostname()).look(Date.now());
  const held = view.state === 'free' ? takeLease(dir, view, { host: hostname(), pid: process.pid, launch }) : null;
  if (!held) throw new YodaError('WORKDIR_UNUSABLE', `another Yoda holds the lease on ${workdir}`, { dir: workdir });
  return { held, launch, takeover: false, timeoutSeconds };
}
