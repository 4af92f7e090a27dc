// Only the job's own Droids get in: a peer without the job's CURVE key can neither take a range nor report one.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { curveKeyPair, Dealer } from 'zeromq';
import { pack, unpack } from 'msgpackr';
import { afterEach, describe, expect, it } from 'vitest';
import { doneRecords, gatedJob } from './jobs.js';
import { CLI, jobDirs, killAll, start, waitFor, yodaEndpoint } from './proc.js';

afterEach(killAll);

describe('CURVE authentication', () => {
  it('refuses peers without the job key, keeps the secrets private, and the job completes untouched', async () => {
    const { dir, workdir } = jobDirs();
    // Every range waits at the gate: the job is surely still running while the peers knock.
    const { job, gate } = gatedJob(dir, { files: 2, events: 100, per: 5, tickets: 0 });
    const run = start(process.execPath, [CLI, 'run', job, '--workdir', workdir], { log: join(dir, 'yoda.log') });
    const ep = await yodaEndpoint(workdir);
    expect(ep.curve).toBe(true);
    expect(statSync(join(workdir, 'keys', 'curve.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(workdir, 'keys')).mode & 0o777).toBe(0o700);
    const keys = ep.keys;
    const wrong = curveKeyPair();
    const peers = [
      new Dealer({ routingId: 'plain', linger: 0 }), // no CURVE at all
      new Dealer({
        routingId: 'wrong-key',
        linger: 0,
        curveServerKey: keys.serverPublic,
        curvePublicKey: wrong.publicKey,
        curveSecretKey: wrong.secretKey,
      }),
    ];
    const forged = (id: string) => [
      pack({ type: 'hello', version: 1, droid: id, node: 'evil', rank: 9, pid: 1, slots: 1, cores: 1 }),
      pack({
        type: 'report',
        results: [
          { i: 0, id: 'f0.txt:0-4', ok: true, outputs: ['/etc/passwd'], cpu: 0, wall: 0, start: 0, end: 0, slot: 0 },
        ],
        released: [],
        want: 5,
      }),
    ];
    for (const p of peers) {
      p.receiveTimeout = 1500;
      p.connect(ep.endpoint);
      // One send at a time (a zeromq socket takes one pending send): each waits until the frame is queued, which
      // may be never for a peer whose handshake is refused; closing the socket below ends the chain.
      void forged(String(p.routingId))
        .reduce((sent, f) => sent.then(() => p.send(f)), Promise.resolve())
        .catch(() => undefined);
    }
    for (const p of peers) await expect(p.receive().then((f) => unpack(f[0]))).rejects.toThrow();
    for (const p of peers) p.close();
    // Yoda has handled the refused handshake (it logs the first refusal from an address) before the job may end.
    const logs = () =>
      [join(dir, 'yoda.log'), join(workdir, 'logs', 'yoda-rank0.log')]
        .map((f) => (existsSync(f) ? readFileSync(f, 'utf8') : ''))
        .join('\n');
    await waitFor("Yoda's log of the refused connection", () => /refused a \S+ connection from/.test(logs()));
    gate.open();
    expect((await run.exit).code).toBe(0);
    const out = readFileSync(join(dir, 'yoda.log'), 'utf8');
    expect(out).toMatch(/refused \d+ connection\(s\) without this job's key from 1 address\(es\)/);
    const journal = readFileSync(join(workdir, 'journal.log'), 'utf8');
    expect(journal).not.toContain('evil');
    expect(journal).not.toContain('/etc/passwd');
    expect(doneRecords(workdir).every((d) => d.out[0].startsWith(workdir))).toBe(true);
  });
});
