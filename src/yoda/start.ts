// Starting Yoda for one run: replay the journal, record the run, bind.
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { replayJournalFile } from '../journal/read.js';
import { JournalWriter } from '../journal/writer.js';
import type { JournalRecord } from '../journal/records.js';
import type { JournalState } from '../journal/replay.js';
import { planOf, type JobDescription } from '../job/workdir.js';
import { workdirPaths } from '../workdir/paths.js';
import { YodaError } from '../util/errors.js';
import { createYodaState, type YodaConfig } from './state.js';
import { YodaServer } from './server.js';
import type { JobKeys } from '../security/keys.js';

/** Knobs of a Yoda run that the command line may set. */
export type YodaTuning = Omit<YodaConfig, 'jobName' | 'jobHash' | 'workdir' | 'run' | 'maxAttempts'>;

/** What earlier runs left: the replayed journal and how many of its bytes are intact. */
export interface Past {
  state: JournalState;
  validBytes: number;
}

/** Replays the journal of a work directory; errors when it belongs to another job. */
export function loadPast(description: JobDescription, workdir: string, log: Logger): Past {
  const { parsed, state } = replayJournalFile(workdirPaths(workdir).journal, description.totalRanges);
  if (parsed.droppedBytes > 0) log.warn(`journal: dropped a torn or corrupt tail of ${parsed.droppedBytes} bytes (in-flight records of a killed run)`);
  if (state.job && state.job.hash !== description.hash) {
    throw new YodaError('WORKDIR_MISMATCH', `journal in ${workdir} belongs to job hash ${state.job.hash}, job.json says ${description.hash}`, {});
  }
  return { state, validBytes: parsed.validBytes };
}

/** Opens the journal, records this run and starts serving on `bindAddress`. */
export async function startYoda(description: JobDescription, workdir: string, tuning: YodaTuning, bindAddress: string, past: Past, log: Logger, keys: JobKeys | null): Promise<YodaServer> {
  const paths = workdirPaths(workdir);
  const writer = await JournalWriter.open(paths.journal, past.validBytes);
  const run = past.state.runs + 1;
  const now = Date.now();
  const opening: JournalRecord[] = [];
  if (!past.state.job) opening.push({ t: 'job', hash: description.hash, name: description.name, ranges: description.totalRanges, events: description.totalEvents, at: now });
  opening.push({ t: 'run', run, at: now, host: hostname(), pid: process.pid });
  await writer.append(opening);
  const config: YodaConfig = { ...tuning, jobName: description.name, jobHash: description.hash, workdir: paths.root, run, maxAttempts: description.spec.maxAttempts };
  const state = createYodaState(config, planOf(description), past.state, now);
  const server = await YodaServer.start(state, bindAddress, writer, log, keys);
  void server.finished.then(() => writer.close());
  return server;
}
