import { FULL } from './config.js';
import { measureCeiling, measureDispatch } from './dispatch.js';
const c = { ...FULL, warmupMs: 1000, windowMs: 3000, minProcs: Number(process.env.MINPROCS ?? 1), curve: process.env.CURVE !== "0" };
const which = process.argv[2] ?? 'ceiling';
if (which === 'ceiling') {
  for (const droids of (process.argv[3] ?? '1,8,64').split(',').map(Number)) console.log(JSON.stringify(await measureCeiling({ ...c, ceiling: { droids, rangesPerReply: 10 } })));
} else {
  for (const droids of (process.argv[3] ?? '1,64').split(',').map(Number)) console.log(JSON.stringify(await measureDispatch({ ...c, dispatch: { droids: [droids], want: Number(process.argv[4] ?? 100) } }, droids)));
}
