// The helpers follow the protocol on a drain: the drain message and SIGTERM do not kill the range in hand,
// draining() / isDraining() turn true, and the range finished within the grace counts as done.
import { readdirSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { journalRecords } from './jobs.js';
import { CLI, jobDirs, killAll, ROOT, start, waitFor } from './proc.js';

afterEach(killAll);

// Each payload records its pid when it holds a range, waits until the helper says the job drains, then writes.
const PYTHON = `
import os, time
from yoda_payload import serve, draining, write_atomically
def process(r):
    open(os.path.join(os.environ["REC"], f"held.{os.getpid()}"), "w").write(r.id)
    while not draining():
        time.sleep(0.05)
    write_atomically(r.output, "drained\\n")
    return [r.output]
serve(process)
`;
const NODE = `
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serve, isDraining } from '${join(ROOT, 'dist/payload/helper.js')}';
await serve(async (r) => {
  writeFileSync(join(process.env.REC, 'held.' + process.pid), r.id);
  while (!isDraining()) await new Promise((res) => setTimeout(res, 50));
  writeFileSync(r.output, 'drained\\n');
  return [r.output];
});
`;

describe.each([
  ['python', ['python3', 'payload.py'], PYTHON],
  ['node', [process.execPath, 'payload.mjs'], NODE],
] as const)('the %s helper on a drain', (_name, command, source) => {
  it('finishes the range in hand within the grace: it is done, nothing failed', async () => {
    const { dir, workdir } = jobDirs();
    const rec = join(dir, 'rec');
    mkdirSync(rec);
    mkdirSync(join(dir, 'in'));
    writeFileSync(join(dir, 'in', 'f0.txt'), 'x\n');
    writeFileSync(join(dir, command[1]), source);
    const job = join(dir, 'job.yaml');
    writeFileSync(
      job,
      stringify({
        name: 'helper-drain',
        inputs: [{ files: 'in/f0.txt', events: 10 }],
        eventsPerRange: 5,
        payload: { command, workers: 2, env: { REC: rec } },
      }),
    );
    const run = start(process.execPath, [CLI, 'run', job, '--workdir', workdir, '--grace', '30'], {
      log: join(dir, 'run.log'),
    });
    await waitFor(
      'two workers holding a range',
      () => readdirSync(rec).filter((f) => f.startsWith('held.')).length === 2,
    );
    process.kill(run.child.pid!, 'SIGTERM');
    const { code } = await run.exit;
    const recs = journalRecords(workdir);
    expect(
      recs
        .filter((r) => r.t === 'done')
        .map((r) => r.id)
        .sort(),
      readFileSync(join(dir, 'run.log'), 'utf8'),
    ).toEqual(['f0.txt:0-4', 'f0.txt:5-9']);
    expect(recs.filter((r) => r.t === 'fail')).toEqual([]);
    expect(code).toBe(0);
  });
});
