// Merge and stage-out of the shipped montecarlo example (staged.yaml) against a real XRootD server: the staged merged
// files are byte-identical to a serial simulation of their input file; SIGKILL of the whole tree during merges and
// during transfers loses nothing and stages nothing twice; a merge failing on every attempt ends with exit 3.
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { journalRecords, montecarloExample, verifyMontecarlo } from './jobs.js';
import { CLI, jobDirs, killAll, killGroup, ROOT, start, waitFor, workerGroups, yoda } from './proc.js';
import { commandGate, gatedXrdcp } from './staged.js';
import { xrootdServer, type XrootdServer } from './xrootd.js';

afterEach(killAll);

const WAIT_MS = 300_000; // only a hang guard: every wait polls a condition the test controls

// The shipped staged.yaml beside the example's scripts, staging to `server` (its port), `merge` and `payload`
// overriding fields.
function stagedExample(
  dir: string,
  server: XrootdServer,
  files: number,
  merge: Record<string, unknown> = {},
  payload: Record<string, unknown> = {},
) {
  montecarloExample(dir, { files, events: 40 });
  const job = parse(readFileSync(join(ROOT, 'examples/montecarlo/staged.yaml'), 'utf8'));
  job.stageOut.destination = server.url('/yoda-montecarlo/');
  job.merge = { ...job.merge, ...merge };
  job.payload = { ...job.payload, ...payload };
  writeFileSync(join(dir, 'staged.yaml'), stringify(job));
  return join(dir, 'staged.yaml');
}

// The journal's records of kind `t` (none while the journal does not exist yet), with the group or range they name.
const recordsOf = (workdir: string, t: string) => {
  try {
    return journalRecords(workdir).flatMap((r) => (r.t === t && 'id' in r ? [{ ...r, id: r.id }] : []));
  } catch {
    return [];
  }
};
const staged = (workdir: string) => recordsOf(workdir, 'staged');
const merged = (workdir: string) => recordsOf(workdir, 'merged');

// Kills Yoda's process group (merges and transfers are in it) and the workers.
async function killTree(run: ReturnType<typeof start>, workdir: string) {
  killGroup(run.child.pid);
  for (const g of workerGroups(workdir)) killGroup(g);
  await run.exit;
}

describe('merge and stage-out', () => {
  it('staged.yaml: one merged file per input file at the XRootD server, byte-identical to the serial simulation', async () => {
    const server = await xrootdServer();
    await server.start();
    const { dir, workdir } = jobDirs();
    const job = stagedExample(dir, server, 3);
    const r = await yoda(['run', job, '--workdir', workdir], { log: join(dir, 'run.log') });
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/merge: 3\/3 group\(s\) merged, 0 pending, 0 failed/);
    const dest = join(server.data, 'yoda-montecarlo');
    const v = verifyMontecarlo(workdir, ['--staged', dest]);
    expect(v.code, v.output).toBe(0);
    expect(v.output).toMatch(/^OK staged: 3 merged files/m);
    const status = JSON.parse((await yoda(['status', workdir, '--json'], { log: join(dir, 's.log') })).output);
    expect(status.merge).toMatchObject({ groups: 3, merged: 3, pending: 0, waiting: 0, failed: 0 });
    expect(status.stageOut).toMatchObject({ unit: 'group', staged: 3, pending: 0, failed: 0 });
    const list = JSON.parse(
      (await yoda(['outputs', workdir, '--merged', '--json'], { log: join(dir, 'o.log') })).output,
    );
    expect(list.map((m: { group: string; first: number; last: number }) => [m.group, m.first, m.last])).toEqual([
      ['evgen_001.evgen', 0, 1],
      ['evgen_002.evgen', 2, 3],
      ['evgen_003.evgen', 4, 5],
    ]);
    expect(list[1].staged).toBe(`${server.url('/yoda-montecarlo/')}merged/evgen_002.evgen.merged`);
    expect(readdirSync(join(dest, 'merged')).sort()).toEqual([
      'evgen_001.evgen.merged',
      'evgen_002.evgen.merged',
      'evgen_003.evgen.merged',
    ]);
    // verify.py --staged can fail: a staged file that differs is caught.
    const one = join(dest, 'merged', 'evgen_002.evgen.merged');
    writeFileSync(one, readFileSync(one, 'utf8').replace(/\d\.\d{6}/, '9.999999'));
    const bad = verifyMontecarlo(workdir, ['--staged', dest]);
    expect(bad.code, bad.output).toBe(1);
    expect(bad.output).toMatch(/evgen_002.evgen.merged: adler32 .* the journal says/);
    await server.stop();
  });

  it('SIGKILL of the whole tree during merges: the rerun merges the rest, nothing merged or staged twice', async () => {
    const server = await xrootdServer();
    await server.start();
    const { dir, workdir } = jobDirs();
    const gate = commandGate(dir, 1); // the first merge runs at once, the others wait inside the merge command
    writeFileSync(join(dir, 'merge.sh'), gate.script('exec python3 merge.py "$1" "$2"'));
    chmodSync(join(dir, 'merge.sh'), 0o755);
    const job = stagedExample(dir, server, 3, { command: ['./merge.sh', '{inputs}', '{output}', '{group}'] });
    const run = start(process.execPath, [CLI, 'run', job, '--workdir', workdir], { log: join(dir, 'run1.log') });
    await waitFor(
      'one group merged and staged, one merge in flight',
      () => staged(workdir).length === 1 && gate.waiting() > 0,
      WAIT_MS,
    );
    await killTree(run, workdir);
    const first = merged(workdir).map((m) => m.id);
    expect(first).toHaveLength(1);
    const callsBefore = gate.calls().length;
    gate.open();
    const r = await yoda(['run', job, '--workdir', workdir], { log: join(dir, 'run2.log') });
    expect(r.code, r.output).toBe(0);
    const v = verifyMontecarlo(workdir, ['--staged', join(server.data, 'yoda-montecarlo')]);
    expect(v.code, v.output).toBe(0); // every input file merged once and staged once, byte-identical
    expect(
      gate
        .calls()
        .slice(callsBefore)
        .filter((c) => c.endsWith(` ${first[0]}`)),
    ).toEqual([]);
    expect(readdirSync(join(workdir, 'outputs', 'merged')).filter((f) => !f.endsWith('.merged'))).toEqual([]);
    await server.stop();
  });

  it('a drain lets the running merges finish and leaves the queued one to the next run (exit 4, then 0)', async () => {
    const server = await xrootdServer();
    await server.start();
    const { dir, workdir } = jobDirs();
    const gate = commandGate(dir, 0); // every merge waits inside the command until the gate opens
    writeFileSync(join(dir, 'merge.sh'), gate.script('exec python3 merge.py "$1" "$2"'));
    chmodSync(join(dir, 'merge.sh'), 0o755);
    // 3 groups, 2 worker slots (on any machine): at the tail 2 merge at once, the third waits in the queue.
    const command = ['./merge.sh', '{inputs}', '{output}', '{group}'];
    const job = stagedExample(dir, server, 3, { command }, { workers: 2 });
    const run = start(process.execPath, [CLI, 'run', job, '--workdir', workdir], { log: join(dir, 'run1.log') });
    await waitFor(
      'every range done and two merges in flight',
      () => gate.waiting() === 2 && recordsOf(workdir, 'done').length === 6,
      WAIT_MS,
    );
    process.kill(run.child.pid!, 'SIGUSR1');
    await waitFor('the drain', () => readFileSync(join(dir, 'run1.log'), 'utf8').includes('draining'), WAIT_MS);
    gate.open();
    const { code } = await run.exit;
    expect(code, readFileSync(join(dir, 'run1.log'), 'utf8')).toBe(4);
    expect(merged(workdir)).toHaveLength(2); // the running merges finished; the queued one never began
    expect(staged(workdir)).toHaveLength(0); // nothing new starts in a drain: its transfer waits for the next run
    expect(gate.calls()).toHaveLength(2);
    const r = await yoda(['run', job, '--workdir', workdir], { log: join(dir, 'run2.log') });
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/0 to do, 3 to deliver/); // the queued merge, and the transfers of the merged files
    expect(gate.calls()).toHaveLength(3);
    const v = verifyMontecarlo(workdir, ['--staged', join(server.data, 'yoda-montecarlo')]);
    expect(v.code, v.output).toBe(0);
    await server.stop();
  });

  it('SIGKILL of the whole tree during transfers: the rerun stages the rest, nothing twice', async () => {
    const server = await xrootdServer();
    await server.start();
    const { dir, workdir } = jobDirs();
    const job = stagedExample(dir, server, 3);
    const x = gatedXrdcp(dir, 1);
    const env = { PATH: `${x.bin}:${process.env.PATH}` };
    const run = start(process.execPath, [CLI, 'run', job, '--workdir', workdir], { log: join(dir, 'run1.log'), env });
    await waitFor(
      'one group staged, one transfer in flight',
      () => staged(workdir).length === 1 && x.waiting() > 0,
      WAIT_MS,
    );
    await killTree(run, workdir);
    const delivered = staged(workdir).map((s) => s.id);
    const callsBefore = x.calls().length;
    x.open();
    const r = await yoda(['run', job, '--workdir', workdir], { log: join(dir, 'run2.log'), env });
    expect(r.code, r.output).toBe(0);
    const v = verifyMontecarlo(workdir, ['--staged', join(server.data, 'yoda-montecarlo')]);
    expect(v.code, v.output).toBe(0);
    expect(
      x
        .calls()
        .slice(callsBefore)
        .filter((c) => c.includes(`${delivered[0]}.merged`)),
    ).toEqual([]);
    await server.stop();
  });

  it('a merge failing on every attempt ends the run with exit 3 naming the group; fixed, the rerun merges and deletes the range outputs', async () => {
    const { dir, workdir } = jobDirs();
    montecarloExample(dir, { files: 2, events: 40 });
    const dest = join(dir, 'dest');
    const command = ['bash', '-c', 'test -e ok || { echo "disk full" >&2; exit 7; }; exec python3 merge.py "$0" "$1"'];
    const job = parse(readFileSync(join(ROOT, 'examples/montecarlo/staged.yaml'), 'utf8'));
    job.merge = { command: [...command, '{inputs}', '{output}'], attempts: 2, deleteInputs: true };
    job.stageOut = { destination: `${dest}/` };
    writeFileSync(join(dir, 'staged.yaml'), stringify(job));
    const env = { YODA_STAGE_BACKOFF_MS: '0' };
    const r1 = await yoda(['run', join(dir, 'staged.yaml'), '--workdir', workdir], { log: join(dir, 'run1.log'), env });
    expect(r1.code, r1.output).toBe(3);
    expect(r1.output).toMatch(/2 group\(s\) could not be merged \(ERR_MERGE\)/);
    expect(r1.output).toMatch(/evgen_001.evgen .*exited with 7: disk full/);
    expect(recordsOf(workdir, 'mergefail')).toHaveLength(2);
    writeFileSync(join(dir, 'ok'), '');
    const r2 = await yoda(['run', join(dir, 'staged.yaml'), '--workdir', workdir], { log: join(dir, 'run2.log'), env });
    expect(r2.code, r2.output).toBe(0);
    expect(r2.output).toMatch(/0 to do, 2 to deliver/);
    const outputs = readdirSync(join(workdir, 'outputs'));
    expect(outputs).toEqual(['merged']); // the range outputs were deleted once merged
    for (const f of ['evgen_001.evgen', 'evgen_002.evgen']) {
      const lines = readFileSync(join(dest, 'merged', `${f}.merged`), 'utf8')
        .trim()
        .split('\n');
      expect(lines.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual(
        Array.from({ length: 40 }, (_, e) => `${f} ${e}`),
      );
    }
    // Nothing is left: the deleted range outputs do not count as lost, and a third run has nothing to do.
    const r3 = await yoda(['run', join(dir, 'staged.yaml'), '--workdir', workdir], { log: join(dir, 'run3.log') });
    expect(r3.code, r3.output).toBe(0);
    expect(r3.output).toMatch(/0 to do/);
    expect(r3.output).not.toMatch(/lost their output/);
  });
});
