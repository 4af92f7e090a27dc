// Several ranges per message, on the worker's side: both helpers offer a batch in their ready, run every range of a
// message and report each, and on a drain they finish the range in hand and leave the rest of the message unreported
// (it goes back to Yoda without burning an attempt). The test speaks the protocol itself over the real control socket.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { journalRecords } from './jobs.js';
import { jobDirs, killAll, ROOT, waitFor, yoda } from './proc.js';

const children: ChildProcess[] = [];
afterEach(() => {
  killAll();
  for (const c of children.splice(0))
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
});

// Range 0 says it holds the range (a file "held") and waits until the helper says the job drains; every range writes
// its output.
const PYTHON = `
import time
from yoda_payload import serve, draining, write_atomically
def process(r):
    if r.first == 0:
        open("held", "w").close()
    while r.first == 0 and not draining():
        time.sleep(0.02)
    write_atomically(r.output, "ok\\n")
    return [r.output]
serve(process)
`;
const NODE = `
import { writeFileSync } from 'node:fs';
import { serve, isDraining } from '${join(ROOT, 'dist/payload/helper.js')}';
await serve(async (r) => {
  if (r.first === 0) writeFileSync('held', '');
  while (r.first === 0 && !isDraining()) await new Promise((res) => setTimeout(res, 20));
  writeFileSync(r.output, 'ok\\n');
  return [r.output];
});
`;

/** A helper worker on a control socket: the lines it sent so far, a way to send, and its exit. */
function startWorker(dir: string, command: string[]) {
  const child = spawn(command[0], command.slice(1), {
    cwd: dir,
    env: { ...process.env, YODA_CONTROL_FD: '3', PYTHONPATH: join(ROOT, 'python') },
    stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
    detached: true,
  });
  children.push(child);
  const control = child.stdio[3] as Socket;
  const lines: Record<string, unknown>[] = [];
  let buffered = '';
  control.setEncoding('utf8');
  control.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buffered.slice(0, nl)));
      buffered = buffered.slice(nl + 1);
    }
  });
  control.on('error', () => undefined);
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { lines, exit, send: (m: unknown) => control.write(`${JSON.stringify(m)}\n`) };
}

const ranges = (dir: string, firsts: number[]) =>
  firsts.map((first) => ({
    id: `f:${first}`,
    file: join(dir, 'in.txt'),
    first,
    last: first,
    output: join(dir, 'out', `${first}.out`),
    attempt: 1,
  }));

describe.each([
  ['python', ['python3', 'payload.py'], PYTHON],
  ['node', [process.execPath, 'payload.mjs'], NODE],
] as const)('the %s helper with several ranges per message', (_name, command, source) => {
  function setUp() {
    const { dir } = jobDirs();
    mkdirSync(join(dir, 'out'));
    writeFileSync(join(dir, 'in.txt'), 'x\n');
    writeFileSync(join(dir, command[1]), source);
    return { dir, w: startWorker(dir, [...command]) };
  }

  it('offers a batch, runs and reports every range of a message, then says ready once', async () => {
    const { dir, w } = setUp();
    await waitFor('the first ready', () => w.lines.length === 1);
    expect(w.lines[0]).toEqual({ type: 'ready', batch: expect.any(Number) });
    expect(w.lines[0].batch as number).toBeGreaterThan(1);
    w.send({ type: 'ranges', ranges: ranges(dir, [1, 2, 3]) });
    await waitFor('three reports and a ready', () => w.lines.length === 5);
    expect(w.lines.slice(1).map((l) => [l.type, l.id])).toEqual([
      ['done', 'f:1'],
      ['done', 'f:2'],
      ['done', 'f:3'],
      ['ready', undefined],
    ]);
    w.send({ type: 'no_more_events' });
    expect(await w.exit).toBe(0);
  });

  it('on a drain, finishes the range in hand and leaves the rest of the message unreported', async () => {
    const { dir, w } = setUp();
    await waitFor('the first ready', () => w.lines.length === 1);
    w.send({ type: 'ranges', ranges: ranges(dir, [0, 1, 2]) });
    await waitFor('range 0 in hand', () => existsSync(join(dir, 'held')));
    w.send({ type: 'drain', graceSeconds: 30 });
    expect(await w.exit).toBe(0);
    expect(w.lines.slice(1).map((l) => [l.type, l.id])).toEqual([['done', 'f:0']]);
    expect(existsSync(join(dir, 'out', '1.out'))).toBe(false);
  });
});

// A worker speaking the protocol itself: it offers 64 ranges per message and notes the size of each message.
const SIZES = `
import json, os, socket, sys
sock = socket.socket(fileno=int(os.environ["YODA_CONTROL_FD"]))
reader = sock.makefile("rb")
sizes = open(os.environ["SIZES"], "a")
while True:
    sock.sendall(b'{"type":"ready","batch":64}\\n')
    msg = json.loads(reader.readline())
    if msg["type"] == "no_more_events":
        sys.exit(0)
    sizes.write(f"{len(msg['ranges'])}\\n"); sizes.flush()
    out = []
    for r in msg["ranges"]:
        open(r["output"], "w").write("ok\\n")
        out.append(json.dumps({"type": "done", "id": r["id"], "outputs": [r["output"]], "cpu": 0}) + "\\n")
    sock.sendall("".join(out).encode())
`;

describe('the Droid with a worker that takes several ranges per message', () => {
  it('sends short ranges several to a message, at most what the worker offered, each range done once', async () => {
    const { dir, workdir } = jobDirs();
    writeFileSync(join(dir, 'sizes.py'), SIZES);
    writeFileSync(join(dir, 'in.txt'), 'x\n');
    const sizes = join(dir, 'sizes.txt');
    const job = join(dir, 'job.yaml');
    writeFileSync(
      job,
      stringify({
        name: 'batches',
        inputs: [{ files: 'in.txt', events: 600 }],
        eventsPerRange: 1,
        payload: { command: ['python3', 'sizes.py'], workers: 2, env: { SIZES: sizes } },
      }),
    );
    const { code, output } = await yoda(['run', job, '--workdir', workdir], { log: join(dir, 'run.log') });
    expect(code, output).toBe(0);
    const done = journalRecords(workdir).filter((r) => r.t === 'done');
    expect(done).toHaveLength(600);
    expect(new Set(done.map((r) => r.i)).size).toBe(600);
    const n = readFileSync(sizes, 'utf8').trim().split('\n').map(Number);
    expect(n.reduce((a, b) => a + b, 0)).toBe(600);
    expect(Math.max(...n)).toBeGreaterThan(1);
    expect(Math.max(...n)).toBeLessThanOrEqual(64);
  });
});
