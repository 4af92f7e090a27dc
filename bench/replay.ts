// Journal replay time: a child process builds a journal of N done ranges, then times replayJournalFile on it (one pass).
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Child } from './child.js';
import type { ReplayConfig } from './replay-child.js';
import type { ReplayFigures } from './results.js';

/** Replays a journal of `ranges` done ranges (one assign record per 100, as Yoda writes them) in a fresh process. */
export async function measureReplay(ranges: number): Promise<ReplayFigures> {
  const config: ReplayConfig = { ranges, dir: join(tmpdir(), `yoda-bench-replay-${process.pid}`), perAnswer: 100 };
  const child = Child.start('replay-child', 'replay', config);
  try {
    const m = await child.next('replay', 900_000);
    if (!m.ok) throw new Error(`replay of ${ranges} ranges did not find every range done`);
    const r2 = (x: unknown) => Number(Number(x).toFixed(2));
    return {
      ranges,
      seconds: Number(Number(m.seconds).toFixed(3)),
      megabytes: r2(Number(m.bytes) / 2 ** 20),
      records: Number(m.records),
      addedRssMB: r2(m.addedRssMB),
    };
  } finally {
    await child.stop();
  }
}
