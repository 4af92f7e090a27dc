// Hostile input: 100,000 random and mutated frames at Yoda while a real job runs; the job completes and verifies.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Dealer } from 'zeromq';
import { pack, unpack } from 'msgpackr';
import { afterEach, describe, expect, it } from 'vitest';
import { doneRecords, montecarloJob, verifyMontecarlo } from './jobs.js';
import { CLI, jobDirs, killAll, start, waitFor, yodaEndpoint } from './proc.js';

const FRAMES = Number(process.env.YODA_FUZZ_FRAMES ?? 100_000);
afterEach(killAll);

/** A deterministic pseudo-random generator (mulberry32), so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Valid-looking messages to mutate; none is a hello of the right version, and none names a real range. */
const BASES = [
  {
    type: 'report',
    results: [{ i: 3, id: 'fuzz:0-4', ok: true, outputs: ['/tmp/x'], cpu: 1, wall: 1, start: 0, end: 1, slot: 0 }],
    released: [1, 2],
    want: 3,
  },
  {
    type: 'report',
    results: [{ i: 2, id: 'fuzz:5-9', ok: false, code: 'ERR_X', message: 'm', start: 0, end: 1, slot: 0 }],
    released: [],
    want: 0,
  },
  { type: 'hello', version: 99, droid: 'fuzz', node: 'n', rank: 0, pid: 1, slots: 1, cores: 1 },
  { type: 'heartbeat' },
  { type: 'bye', reason: 'x' },
  { type: 'report', results: 'not a list', released: null, want: -1 },
  [1, 2, 3],
  'a string',
];

function frame(next: () => number, n: number): Buffer {
  if (n % 25_000 === 24_999) return Buffer.alloc(5 * 1024 * 1024, 0xa5); // over the frame limit: the peer is cut off
  const kind = next();
  if (kind < 0.2) return Buffer.from(Array.from({ length: Math.floor(next() * 64) }, () => Math.floor(next() * 256))); // random bytes
  const base = pack(BASES[Math.floor(next() * BASES.length)]);
  if (kind < 0.4) return base.subarray(0, Math.floor(next() * base.length)); // truncated
  if (kind < 0.45) return Buffer.concat([base, Buffer.alloc(Math.floor(next() * 70_000), 0x91)]); // oversized tail
  const mutated = Buffer.from(base);
  for (let k = 0; k < 1 + Math.floor(next() * 4); k++)
    mutated[Math.floor(next() * mutated.length)] = Math.floor(next() * 256);
  return mutated; // mutated: often valid msgpack of the wrong shape
}

describe('hostile frames', () => {
  it(`${FRAMES} random and mutated frames while a montecarlo job runs: dropped and counted, the job verifies`, async () => {
    const { dir, workdir } = jobDirs();
    // Every range waits until the gate file exists: the job surely runs while the frames arrive.
    const gate = join(dir, 'gate-open');
    const job = montecarloJob(dir, { files: 2, events: 80, per: 5, env: { MONTECARLO_GATE: gate } });
    const run = start(process.execPath, [CLI, 'run', job, '--workdir', workdir], { log: join(dir, 'yoda.log') });
    const ep = await yodaEndpoint(workdir);
    const keys = ep.keys;
    const fuzzer = new Dealer({
      routingId: 'fuzzer',
      linger: 30_000,
      sendHighWaterMark: 0,
      // Unlimited: its I/O thread takes every refusal off the wire even while this test is busy sending, so Yoda's
      // queue to it never fills (a ROUTER drops what it cannot queue, the last refusal included).
      receiveHighWaterMark: 0,
      curveServerKey: keys.serverPublic,
      curvePublicKey: keys.clientPublic,
      curveSecretKey: keys.clientSecret,
    });
    fuzzer.connect(ep.endpoint);
    const refusals: string[] = [];
    const drain = (async () => {
      // Read Yoda's refusals so its queue to us never fills; keep their reasons.
      for await (const [f] of fuzzer) {
        try {
          const m = unpack(f) as { type?: string; reason?: unknown };
          if (m?.type === 'refuse') refusals.push(String(m.reason));
        } catch {
          /* not ours to judge */
        }
      }
    })().catch(() => undefined);
    const next = rng(20261122);
    for (let n = 0; n < FRAMES; n++) await fuzzer.send(frame(next, n));
    // A last, well-formed hello of an unknown protocol version: Yoda refuses it only once it has read (and dropped)
    // the frames sent before it, so its refusal says the frames were taken while the job was still running.
    await fuzzer.send(
      pack({ type: 'hello', version: 424242, droid: 'fuzz-last', node: 'n', rank: 0, pid: 1, slots: 1, cores: 1 }),
    );
    // Yoda reads the backlog of 100,000 CURVE frames at its own pace: on a slow, loaded machine that took over 60 s, so
    // this bound is a hang guard only, like the test's.
    await waitFor(
      'the refusal of the last hello',
      () => refusals.some((r) => /protocol version 424242/.test(r)),
      480_000,
    );
    writeFileSync(gate, '');
    expect((await run.exit).code, readFileSync(join(dir, 'yoda.log'), 'utf8')).toBe(0);
    fuzzer.close();
    await drain;
    const out = readFileSync(join(dir, 'yoda.log'), 'utf8');
    const dropped = Number(/dropped (\d+) invalid frame/.exec(out)?.[1] ?? 0);
    expect(dropped).toBeGreaterThan(FRAMES / 3);
    const v = verifyMontecarlo(workdir);
    expect(v.code, v.output).toBe(0);
    const ids = doneRecords(workdir).map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
  }, 900_000); // a hang guard of its own: sending 100,000 frames takes about 25 s here, several times that on a slow, loaded machine
});
