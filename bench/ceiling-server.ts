// Child process: the ceiling's server, a bare ROUTER answering every request with 10 ranges (the protocol's msgpackr codec, no Yoda).
import { Router } from 'zeromq';
import { encode, unpackUnchecked } from '../src/protocol/codec.js';
import type { RangeSpec } from '../src/protocol/messages.js';
import { newJobKeys } from '../src/security/keys.js';
import { childConfig, toParent, type Msg } from './child.js';

/** Ranges in every answer of the ceiling server. */
export interface CeilingConfig {
  rangesPerReply: number;
  /** Encrypt with CURVE (as Yoda does by default). */
  curve: boolean;
}

async function main(): Promise<void> {
  const c = childConfig<CeilingConfig>();
  const keys = c.curve ? newJobKeys() : null;
  const curve = keys ? { curveServer: true, curveSecretKey: keys.serverSecret, curvePublicKey: keys.serverPublic } : {};
  const socket = new Router({ linger: 0, mandatory: false, sendHighWaterMark: 0, receiveHighWaterMark: 0, ...curve });
  await socket.bind('tcp://127.0.0.1:*');
  let next = 0;
  const cpu0 = process.cpuUsage();
  process.on('message', (m: Msg) => {
    if (m.type === 'sample') {
      const cpu = process.cpuUsage(cpu0);
      toParent({ type: 'sample', cpuMicros: cpu.user + cpu.system, rss: process.memoryUsage.rss() });
    } else if (m.type === 'stop') process.exit(0);
  });
  process.on('disconnect', () => process.exit(0));
  toParent({ type: 'ready', endpoint: socket.lastEndpoint, pid: process.pid, keys });
  for await (const [id, frame] of socket) {
    const request = unpackUnchecked(frame) as { want: number };
    const ranges: RangeSpec[] = [];
    for (let k = 0; k < Math.min(request.want, c.rangesPerReply); k++, next++) {
      const first = (next % 100) * 100;
      ranges.push({
        i: next,
        id: `EVNT.bench._${String(Math.floor(next / 100)).padStart(6, '0')}.pool.root:${first}-${first + 99}`,
        file: '/scratch/bench/inputs/EVNT.bench.pool.root',
        first,
        last: first + 99,
        attempt: 1,
      });
    }
    await socket.send([id, encode({ type: 'ranges', ranges })]);
  }
}

main().catch((e: Error) => {
  toParent({ type: 'error', message: e.stack ?? e.message });
  process.exit(1);
});
