// TEMPORARY recorder (replaced by the real test).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { it } from 'vitest';
import { startCluster } from './cluster.js';

it('records', async () => {
  const c = await startCluster({ nodes: 3, cpusPerNode: 2 });
  const out = path.resolve('test/unit/batch/fixtures/slurm-state');
  const rec = async (name: string, cmd: string, args: string[]) => {
    const r = await c.run(cmd, args);
    writeFileSync(path.join(out, name), r.stdout);
    console.log(`== ${name} (exit ${r.exitCode}) ${cmd} ${args.join(' ')}\n${r.stdout}${r.stderr}`);
  };
  const SI = ['-h', '-N', '-o', '%N|%P|%T|%c|%l|%a'];
  const SQ = ['-h', '-o', '%i|%P|%T|%S|%e|%D|%Q|%j|%k|%u|%N|%r'];
  try {
    await rec('sinfo-idle.txt', 'sinfo', SI);
    await rec('res-none.txt', 'scontrol', ['show', 'res', '-o']);
    await rec('squeue-empty.txt', 'squeue', SQ);
    const a = await c.sbatch(['-w', 'n1', '-N1', '-t', '20', '--exclusive', '-o', '/dev/null', '--wrap', 'sleep 600']);
    const b = await c.sbatch(['-N3', '-t', '30', '--exclusive', '-o', '/dev/null', '--comment', 'yoda-fill:abc', '-J', 'yoda-fill', '--wrap', 'sleep 600']);
    await new Promise((r) => setTimeout(r, 3000));
    await rec('sinfo-n1-busy.txt', 'sinfo', SI);
    await rec('squeue-busy.txt', 'squeue', SQ);
    await rec('squeue-start-busy.txt', 'squeue', ['--start', ...SQ]);
    const res = await c.run('scontrol', ['create', 'reservation', 'reservationname=soon', 'starttime=now+10minutes', 'duration=30', 'nodes=n3', 'users=root', 'flags=ignore_jobs']);
    console.log(res.stdout, res.stderr);
    const res2 = await c.run('scontrol', ['create', 'reservation', 'reservationname=all', 'starttime=now+2hours', 'duration=60', 'nodes=ALL', 'users=root', 'flags=ignore_jobs']);
    console.log(res2.stdout, res2.stderr);
    await rec('res-two.txt', 'scontrol', ['show', 'res', '-o']);
    await rec('res-two-multiline.txt', 'scontrol', ['show', 'res']);
    await rec('sinfo-partition.txt', 'sinfo', ['-h', '-o', '%P|%a|%l|%D|%c']);
    await rec('scontrol-partition.txt', 'scontrol', ['show', 'partition', '-o']);
    const bad = await c.run('sbatch', ['--parsable', '-p', 'nosuch', '-N1', '--wrap', 'true']);
    console.log('bad sbatch', bad.exitCode, bad.stdout, bad.stderr);
    writeFileSync(path.join(out, 'sbatch-bad-partition.txt'), bad.stderr);
    const bad2 = await c.run('sbatch', ['--parsable', '-N5', '--wrap', 'true']);
    console.log('bad sbatch N5', bad2.exitCode, bad2.stdout, bad2.stderr);
    const tm = await c.run('sbatch', ['--parsable', '-N1', '-t', '5', '--time-min', '2', '-o', '/dev/null', '--wrap', 'sleep 1']);
    console.log('ok', tm.exitCode, tm.stdout, tm.stderr);
    void a; void b;
  } finally {
    await c.stop();
  }
}, 180_000);
