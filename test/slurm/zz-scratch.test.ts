import { test } from 'vitest';
import { startCluster } from './cluster.js';
test('explore', async () => {
  const c = await startCluster({ nodes: 2 });
  try {
    const a = await c.sbatch(['-N1', '-t', '2-03:04:05', '--wrap', 'env | grep -i end_time; sleep 30']);
    const b = await c.sbatch(['-N1', '--wrap', 'sleep 30']);
    const p = await c.sbatch(['-N2', '-t', '5', '--wrap', 'sleep 30']);
    await new Promise((r) => setTimeout(r, 4000));
    for (const id of [a, b, p]) for (const f of ['%e', '%L', '%T', '%r']) {
      const r = await c.run('squeue', ['-h', '-j', String(id), '-o', f]);
      console.log(id, f, JSON.stringify(r.stdout), r.stderr);
    }
  } finally { await c.stop(); }
}, 120000);
