// The ZAP handler on a real CURVE handshake over loopback: the job's Droid key gets in, another key is refused and counted.
import type { Logger } from 'pino';
import { curveKeyPair, Dealer, Router } from 'zeromq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { newJobKeys } from '../../../src/security/keys.js';
import { ZapHandler } from '../../../src/security/zap.js';
import { waitFor } from '../../integration/proc.js';

/** A logger that keeps its warnings and errors (a unit test of the handler, not of pino). */
function recordingLogger(): Logger & { warnings: string[]; errors: string[] } {
  const warnings: string[] = [];
  const errors: string[] = [];
  return {
    warnings,
    errors,
    warn: (m: string) => warnings.push(m),
    error: (m: string) => errors.push(m),
  } as unknown as Logger & { warnings: string[]; errors: string[] };
}

// Dealers of one test; the handler and the router serve the whole file: the ZAP endpoint is one per process, and
// closing it frees its address only some time later (a close and an immediate start fail with 'Address already in use').
const open: { close(): void }[] = [];
afterEach(() => {
  for (const d of open.splice(0)) d.close();
});

const keys = newJobKeys();
const log = recordingLogger();
let zap: ZapHandler;
let router: Router;
let endpoint: string;
beforeAll(async () => {
  zap = await ZapHandler.start(keys.clientPublic, log);
  router = new Router({
    linger: 0,
    curveServer: true,
    curveSecretKey: keys.serverSecret,
    curvePublicKey: keys.serverPublic,
    zapDomain: 'yoda',
  });
  await router.bind('tcp://127.0.0.1:*');
  endpoint = router.lastEndpoint as string;
});
afterAll(() => {
  router.close();
  zap.close();
});

// `receiveTimeout`: a hang guard for an answer that must come; intruders use a short one to show nothing comes back.
function droid(
  id: string,
  serverPublic: string,
  pair: { publicKey: string; secretKey: string },
  receiveTimeout = 60_000,
): Dealer {
  const d = new Dealer({
    routingId: id,
    linger: 0,
    receiveTimeout,
    curveServerKey: serverPublic,
    curvePublicKey: pair.publicKey,
    curveSecretKey: pair.secretKey,
  });
  open.push(d);
  return d;
}

describe('ZAP handler', () => {
  it('admits a Droid holding the job key: its frame arrives and the answer goes back', async () => {
    const s = { keys, log, zap, router, endpoint };
    const d = droid('good', s.keys.serverPublic, { publicKey: s.keys.clientPublic, secretKey: s.keys.clientSecret });
    d.connect(s.endpoint);
    await d.send('hello');
    const [from, body] = await s.router.receive();
    expect([from.toString(), body.toString()]).toEqual(['good', 'hello']);
    await s.router.send([from, 'welcome']);
    expect((await d.receive())[0].toString()).toBe('welcome');
    expect(s.zap.refusedCount).toBe(0);
    expect(s.log.warnings).toEqual([]);
  });

  it('refuses another key at the handshake, counts each refusal per address, and warns once per address', async () => {
    const s = { keys, log, zap, router, endpoint };
    // Two intruders, each with a key of its own, from the same address.
    const intruders = ['intruder-1', 'intruder-2'].map((id) => droid(id, s.keys.serverPublic, curveKeyPair(), 1000));
    for (const bad of intruders) {
      bad.connect(s.endpoint);
      bad.send('hello').catch(() => undefined); // queued, never delivered: the handshake fails
    }
    await waitFor('two refusals', () => s.zap.refusedCount >= 2);
    expect([...s.zap.refused.keys()]).toEqual(['127.0.0.1']);
    expect(s.zap.refused.get('127.0.0.1')).toBe(s.zap.refusedCount);
    expect(s.log.warnings).toHaveLength(1);
    expect(s.log.warnings[0]).toMatch(/refused a CURVE connection from 127\.0\.0\.1: not this job's key/);
    // The good Droid still gets in beside them, and only its frame reaches the router.
    const good = droid('good', s.keys.serverPublic, { publicKey: s.keys.clientPublic, secretKey: s.keys.clientSecret });
    good.connect(s.endpoint);
    await good.send('hello');
    const [from] = await s.router.receive();
    expect(from.toString()).toBe('good');
    for (const bad of intruders) await expect(bad.receive()).rejects.toThrow(); // nothing ever comes back to them
    expect(s.log.errors).toEqual([]);
  });
});
