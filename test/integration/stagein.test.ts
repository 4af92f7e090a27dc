// Event streaming: the montecarlo example with its inputs served by a real XRootD server (root://), fetched by each
// node into its cache: outputs byte-identical to a run on local inputs; a server stopped mid-run fails ranges with
// ERR_STAGE_IN (no payload attempt used) until it is back; a cache smaller than the inputs evicts and completes.
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { doneRecords, journalRecords, montecarloExample } from './jobs.js';
import { CLI, jobDirs, killAll, start, waitFor, yoda } from './proc.js';
import { commandGate } from './staged.js';
import { xrootdServer } from './xrootd.js';
import { webdavServer } from './webdav.js';

afterEach(killAll);

const WAIT_MS = 300_000; // only a hang guard

// The montecarlo example in `dir` (2 files x 40 events), and a copy of it whose inputs are served by `server`.
function remoteExample(
  dir: string,
  server: { data: string; url: (path: string) => string },
  prefetch: Record<string, unknown> = {},
) {
  const local = montecarloExample(dir, { files: 2, events: 40 });
  const served = join(server.data, 'in');
  mkdirSync(served, { recursive: true });
  const names = readdirSync(join(dir, 'inputs')).sort();
  for (const f of names) copyFileSync(join(dir, 'inputs', f), join(served, f));
  const job = parse(readFileSync(local, 'utf8'));
  job.inputs = [{ files: names.map((f) => server.url(`/in/${f}`)), events: 40 }];
  job.prefetch = prefetch;
  writeFileSync(join(dir, 'remote.yaml'), stringify(job));
  return { local, remote: join(dir, 'remote.yaml') };
}

// Every output of a work directory, concatenated in the job's order (input file, then event).
const allOutputs = (workdir: string) =>
  doneRecords(workdir)
    .sort((a, b) => a.i - b.i)
    .map((d) => readFileSync(d.out[0], 'utf8'))
    .join('');

// Runs the same job on local inputs and checks its outputs are byte-identical to those in `workdir`.
async function expectSameAsLocal(dir: string, localJob: string, workdir: string) {
  const localWork = join(dir, 'local.work');
  const l = await yoda(['run', localJob, '--workdir', localWork], { log: join(dir, 'local.log') });
  expect(l.code, l.output).toBe(0);
  expect(allOutputs(workdir)).toBe(allOutputs(localWork));
  return localWork;
}

describe('remote inputs (stage-in)', () => {
  it('inputs over root://: fetched to the node, outputs byte-identical to a run on local inputs', async () => {
    const server = await xrootdServer();
    await server.start();
    const { dir, workdir } = jobDirs();
    const job = remoteExample(dir, server);
    const r = await yoda(['run', job.remote, '--workdir', workdir], { log: join(dir, 'remote.log') });
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/stage-in: root:\/\/localhost:\d+\/\/in\/evgen_001\.evgen -> /);
    await expectSameAsLocal(dir, job.local, workdir);
    expect(allOutputs(workdir).split('\n').length).toBe(81);
    await server.stop();
  });

  it("inputs over http:// (Node's own server): fetched with GET, outputs byte-identical to local inputs", async () => {
    const dav = await webdavServer();
    const { dir, workdir } = jobDirs();
    const job = remoteExample(dir, dav);
    const r = await yoda(['run', job.remote, '--workdir', workdir], { log: join(dir, 'remote.log') });
    expect(r.code, r.output).toBe(0);
    // One GET per file (both are fetched at once, in either order).
    expect(dav.requests.filter((q) => q.startsWith('GET')).sort()).toEqual([
      'GET /in/evgen_001.evgen',
      'GET /in/evgen_002.evgen',
    ]);
    const localWork = await expectSameAsLocal(dir, job.local, workdir);
    // What the node's cache did, in `yoda status --json` and in the report: both files fetched, each range a miss
    // (its file was being fetched when it came) or a hit, no failure.
    const bytes = readdirSync(join(dir, 'inputs')).reduce((n, f) => n + statSync(join(dir, 'inputs', f)).size, 0);
    const status = JSON.parse((await yoda(['status', workdir, '--json'], { log: join(dir, 'status.log') })).output);
    expect(status.prefetch.total).toMatchObject({ files: 2, bytesFetched: bytes, failures: 0 });
    expect(status.prefetch.total.hits + status.prefetch.total.misses).toBe(4);
    expect(status.prefetch.nodes.map((n: { node: string }) => n.node)).toEqual([status.nodes[0].node]);
    const local = JSON.parse((await yoda(['status', localWork, '--json'], { log: join(dir, 'status2.log') })).output);
    expect(local.prefetch).toBeNull();
    expect((await yoda(['report', workdir], { log: join(dir, 'report.log') })).code).toBe(0);
    const report = JSON.parse(readFileSync(join(workdir, 'report.json'), 'utf8'));
    expect(report.prefetch.total).toEqual(status.prefetch.total);
    expect(readFileSync(join(workdir, 'report.html'), 'utf8')).toContain('waited for input');
    await dav.close();
  });

  it('per range (extract, ESS style): each range extracted into a small file; outputs byte-identical to local', async () => {
    const dav = await webdavServer();
    const { dir, workdir } = jobDirs();
    const job = remoteExample(dir, dav);
    const spec = parse(readFileSync(job.remote, 'utf8'));
    spec.inputs[0].extract = ['python3', 'extract.py', '{url}', '{first}', '{last}', '{output}'];
    writeFileSync(job.remote, stringify(spec));
    const r = await yoda(['run', job.remote, '--workdir', workdir], { log: join(dir, 'remote.log') });
    expect(r.code, r.output).toBe(0);
    // One streamed GET per range (4 ranges of 20 events), no whole-file fetch.
    expect(dav.requests.filter((q) => q.startsWith('GET')).sort()).toEqual([
      'GET /in/evgen_001.evgen',
      'GET /in/evgen_001.evgen',
      'GET /in/evgen_002.evgen',
      'GET /in/evgen_002.evgen',
    ]);
    const status = JSON.parse((await yoda(['status', workdir, '--json'], { log: join(dir, 'status.log') })).output);
    expect(status.prefetch.total).toMatchObject({ files: 0, extracts: 4, failures: 0 });
    await expectSameAsLocal(dir, job.local, workdir); // event e read as the small file's (e - fileFirst)-th
    await dav.close();
  });

  it('a GET broken off mid-file is resumed with a Range request for the rest; outputs byte-identical', async () => {
    const dav = await webdavServer({ cutAfter: 1000 });
    const { dir, workdir } = jobDirs();
    const job = remoteExample(dir, dav);
    const r = await yoda(['run', job.remote, '--workdir', workdir], {
      log: join(dir, 'remote.log'),
      env: { YODA_STAGE_BACKOFF_MS: '100' },
    });
    expect(r.code, r.output).toBe(0);
    expect(dav.requests.filter((q) => q.startsWith('GET')).sort()).toEqual([
      'GET /in/evgen_001.evgen',
      'GET /in/evgen_001.evgen bytes=1000-',
      'GET /in/evgen_002.evgen',
      'GET /in/evgen_002.evgen bytes=1000-',
    ]);
    await expectSameAsLocal(dir, job.local, workdir);
    await dav.close();
  });

  // An xrdcp first on PATH whose first copy of each file writes `head` (1,000 bytes of the file, or of garbage) to its
  // target and fails; later copies are the real xrdcp. Every call's arguments are logged to <dir>/calls.
  function brokenFirstXrdcp(dir: string, data: string, head: 'file' | 'garbage') {
    mkdirSync(join(dir, 'bin'));
    const source = head === 'file' ? `"${data}/\${url#*//*//}"` : '/dev/urandom';
    writeFileSync(
      join(dir, 'bin', 'xrdcp'),
      `#!/bin/bash
echo "$*" >> "${dir}/calls"
url="\${@: -2:1}"; target="\${@: -1}"
if mkdir "${dir}/first-$(basename "$target")" 2>/dev/null; then head -c 1000 ${source} > "$target"; exit 1; fi
exec /usr/bin/xrdcp "$@"
`,
    );
    chmodSync(join(dir, 'bin', 'xrdcp'), 0o755);
    return { PATH: `${join(dir, 'bin')}:${process.env.PATH}`, YODA_STAGE_BACKOFF_MS: '100' };
  }
  // The option each xrdcp call began with, per input file, in order.
  const xrdcpCalls = (dir: string, file: string) =>
    readFileSync(join(dir, 'calls'), 'utf8')
      .trim()
      .split('\n')
      .filter((c) => c.includes(file))
      .map((c) => c.split(' ')[0]);

  // Runs the remote job with brokenFirstXrdcp(head): exit 0, `calls` per input file, outputs as with local inputs.
  async function continuedRun(head: 'file' | 'garbage', calls: string[]) {
    const server = await xrootdServer();
    await server.start();
    const { dir, workdir } = jobDirs();
    const job = remoteExample(dir, server);
    const env = brokenFirstXrdcp(dir, server.data, head);
    const r = await yoda(['run', job.remote, '--workdir', workdir], { log: join(dir, 'run.log'), env });
    expect(r.code, r.output).toBe(0);
    for (const f of ['evgen_001', 'evgen_002']) expect(xrdcpCalls(dir, f)).toEqual(calls);
    await expectSameAsLocal(dir, job.local, workdir);
    await server.stop();
    return r.output;
  }

  it('an xrdcp that broke off is continued (--continue), the whole copy checked by adler32', async () => {
    await continuedRun('file', ['-f', '--continue']);
  });

  it('a continued copy whose start was wrong fails the adler32 check and is copied again whole', async () => {
    const output = await continuedRun('garbage', ['-f', '--continue', '-f']);
    expect(output).toMatch(/the continued copy's adler32 is [0-9a-f]{8}, the server's [0-9a-f]{8}/);
  });

  it('an input the server does not have stops the job at start (exit 2), naming the URL', async () => {
    const server = await xrootdServer();
    await server.start();
    const { dir, workdir } = jobDirs();
    const job = remoteExample(dir, server);
    const text = readFileSync(job.remote, 'utf8').replace('/in/evgen_002.evgen', '/in/missing.evgen');
    writeFileSync(job.remote, text);
    const r = await yoda(['run', job.remote, '--workdir', workdir], { log: join(dir, 'run.log') });
    expect(r.code, r.output).toBe(2);
    expect(r.output).toMatch(/inputs\[0\]\.files: root:\/\/localhost:\d+\/\/in\/missing\.evgen cannot be reached: /);
    await server.stop();
  });

  it('a server stopped mid-run: ranges fail with ERR_STAGE_IN, using no attempt, and complete once it is back', {
    timeout: 600_000,
  }, async () => {
    const server = await xrootdServer();
    await server.start();
    const { dir, workdir } = jobDirs();
    const job = remoteExample(dir, server);
    // The first xrdcp copies at once; the next waits at the gate, and the test stops the server meanwhile.
    const gate = commandGate(dir, 1);
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin', 'xrdcp'), gate.script('exec /usr/bin/xrdcp "$@"'));
    chmodSync(join(dir, 'bin', 'xrdcp'), 0o755);
    const env = { PATH: `${join(dir, 'bin')}:${process.env.PATH}`, YODA_STAGE_BACKOFF_MS: '1000' };
    const run = start(process.execPath, [CLI, 'run', job.remote, '--workdir', workdir], {
      log: join(dir, 'run.log'),
      env,
    });
    // One input fetched (the gate's one ticket; either file may ask first), the other's fetch waiting at the gate:
    // now the server goes away.
    const fetched = () => /stage-in: \S+evgen_00[12]\.evgen -> /.test(readFileSync(join(dir, 'run.log'), 'utf8'));
    await waitFor('one input fetched and a fetch waiting at the gate', () => fetched() && gate.waiting() > 0, WAIT_MS);
    await server.stop();
    gate.open();
    const stageIn = () => journalRecords(workdir).filter((r) => r.t === 'fail' && r.code === 'ERR_STAGE_IN');
    await waitFor('a range failed with ERR_STAGE_IN', () => stageIn().length > 0, WAIT_MS);
    // Copies wait at the gate while the server restarts, so a slow restart cannot use up the stage-in failures.
    gate.close();
    await server.start();
    gate.open();
    const { code } = await run.exit;
    expect(code, readFileSync(join(dir, 'run.log'), 'utf8')).toBe(0);
    expect(doneRecords(workdir)).toHaveLength(4);
    const attempts = journalRecords(workdir).flatMap((r) => (r.t === 'done' ? [r.attempt] : []));
    expect(attempts).toEqual([1, 1, 1, 1]); // the stage-in failures used no attempt
    await server.stop();
  });

  it('a cache smaller than one input file: files no range needs are evicted, and the job completes', async () => {
    const server = await xrootdServer();
    await server.start();
    const { dir, workdir } = jobDirs();
    const job = remoteExample(dir, server, { cacheGB: 1e-6 }); // 1 kB: every input file is larger
    const r = await yoda(['run', job.remote, '--workdir', workdir], { log: join(dir, 'run.log') });
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/stage-in: evicted root:\/\/\S+ from the node's cache/);
    expect(doneRecords(workdir)).toHaveLength(4);
    await server.stop();
  });
});
