// Child process: one real Yoda (journal on, in a temp work dir) serving a synthetic job, sampled over IPC.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { JobDescription } from '../src/job/workdir.js';
import type { InputFile } from '../src/job/inputs.js';
import { silentLogger } from '../src/util/logger.js';
import { soleLease, startYoda } from '../src/yoda/start.js';
import { createJobKeys } from '../src/security/keys.js';
import { childConfig, toParent, type Msg } from './child.js';
import { threadCpuMicros } from './threads.js';

/** What the benchmark asks of a Yoda child. */
export interface YodaChildConfig {
  ranges: number;
  workdir: string;
  /** Ranges per synthetic input file. */
  rangesPerFile: number;
  eventsPerRange: number;
  /** CURVE on, as `yoda run` does by default. */
  curve: boolean;
}

/** A job description of `ranges` ranges over synthetic files (never opened: Yoda only names them). */
function syntheticJob(c: YodaChildConfig): JobDescription {
  const files: InputFile[] = [];
  const count = Math.ceil(c.ranges / c.rangesPerFile);
  for (let f = 0; f < count; f++) {
    const n = Math.min(c.rangesPerFile, c.ranges - f * c.rangesPerFile);
    files.push({
      path: join(c.workdir, 'inputs', `EVNT.bench._${String(f).padStart(6, '0')}.pool.root`),
      events: n * c.eventsPerRange,
    });
  }
  const spec = {
    inputs: [{ files: 'inputs/*.root', events: c.rangesPerFile * c.eventsPerRange }],
    eventsPerRange: c.eventsPerRange,
    payload: {
      mode: 'daemon' as const,
      command: ['true'],
      coresPerWorker: 1,
      env: {},
      output: '{range}.out',
      startTimeoutSeconds: 120,
    },
    output: 'outputs',
    maxAttempts: 3,
  };
  return {
    version: 1,
    name: 'bench',
    hash: 'bench00000000000',
    jobFile: join(c.workdir, 'job.yaml'),
    baseDir: c.workdir,
    payloadCwd: c.workdir,
    spec,
    files,
    eventsPerRange: c.eventsPerRange,
    totalRanges: c.ranges,
    totalEvents: c.ranges * c.eventsPerRange,
    outputDir: join(c.workdir, 'outputs'),
    created: new Date().toISOString(),
  };
}

async function main(): Promise<void> {
  const c = childConfig<YodaChildConfig>();
  rmSync(c.workdir, { recursive: true, force: true });
  mkdirSync(join(c.workdir, 'logs'), { recursive: true });
  const log = silentLogger();
  const description = syntheticJob(c);
  const tuning = {
    node: 'bench',
    holdBackSeconds: 0,
    heartbeatSeconds: 2,
    droidTimeoutSeconds: 300,
    expectedDroids: 1_000_000,
    joinTimeoutSeconds: 600,
    leaveTimeoutSeconds: 30,
    progressSeconds: 3600,
    deadline: null,
    marginSeconds: 0,
  };
  const keys = c.curve ? createJobKeys(c.workdir) : null;
  const yoda = await startYoda(description, c.workdir, tuning, 'tcp://127.0.0.1:*', soleLease(c.workdir), log, keys);
  // The server keeps its writer private; the benchmark reads its counters (batches, records, bytes).
  const cpu0 = process.cpuUsage();
  const sample = (): Msg => {
    const cpu = process.cpuUsage(cpu0);
    const s = yoda.state;
    return {
      type: 'sample',
      at: performance.now(),
      cpuMicros: cpu.user + cpu.system,
      rss: process.memoryUsage.rss(),
      maxRss: process.resourceUsage().maxRSS * 1024,
      done: s.counts.done,
      assigned: s.counts.assigned,
      droids: s.activeCount,
      threads: threadCpuMicros(),
      journal: { ...yoda.journalStats },
      dropped: yoda.dropped.frames,
      phase: s.phase,
    };
  };
  process.on('message', (m: Msg) => {
    if (m.type === 'sample') toParent(sample());
    else if (m.type === 'gc') {
      (globalThis as { gc?: () => void }).gc?.();
      toParent({ type: 'gc' });
    } else if (m.type === 'stop') {
      if (process.env.BENCH_KEEP_WORKDIR !== '1') rmSync(c.workdir, { recursive: true, force: true });
      process.exit(0);
    }
  });
  process.on('disconnect', () => process.exit(0));
  toParent({ type: 'ready', endpoint: yoda.endpoint, pid: process.pid, keys });
}

main().catch((e: Error) => {
  toParent({ type: 'error', message: e.stack ?? e.message });
  process.exit(1);
});
