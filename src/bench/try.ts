import { FULL } from './config.js';
import { measureCeiling, measureDispatch } from './dispatch.js';
const c = { ...FULL, warmupMs: 1000, windowMs: 3000, minProcs: Number(process.env.MINPROCS ?? 1), curve: process.env.CURVE !== "0" };
const which = process.argv[2] ?? 'ceiling';
if (which === 'ceiling') {
  for (const droids of (process.argv[3] ?? '1,8,64').split(',').map(Number)) console.log(JSON.stringify(await measureCeiling({ ...c, ceiling: { droids, rangesPerReply: 10 } })));
} else {
  for (const droids of (process.argv[3] ?? '1,64').split(',').map(Number)) console.log(JSON.stringify(await measureDispatch({ ...c, dispatch: { droids: [droids], want: Number(process.argv[4] ?? 100) } }, droids)));
}
if (which === 'watch') {
  const { Child } = await import('./child.js');
  const droids = Number(process.argv[3] ?? 10000);
  const yoda = Child.start('yoda-child', 'yoda-watch', { ranges: 3_000_000, workdir: '/tmp/yoda-watch', rangesPerFile: 100, eventsPerRange: 100, curve: c.curve });
  const ready = await yoda.next('ready');
  const t0 = performance.now();
  const timer = setInterval(async () => {
    const s = await yoda.ask({ type: 'sample' }, 'sample');
    console.log(((performance.now() - t0) / 1000).toFixed(1), 'done', s.done, 'assigned', s.assigned, 'droids', s.droids, 'rss', Math.round(Number(s.rss) / 2 ** 20), JSON.stringify(s.threads));
  }, 1000);
  const { runLoad } = await import('./load.js');
  const r = await runLoad({ mode: 'yoda', droids, want: Number(process.argv[4] ?? 100), thinkMs: 0, warmupMs: 5000, windowMs: 10000, maxSocketsPerProc: 5000, minProcs: 1, joining: 32 }, yoda, ready, 'w');
  clearInterval(timer);
  console.log(r.requests, r.ranges, r.hist.quantile(0.5), r.errors);
  await yoda.stop();
}
