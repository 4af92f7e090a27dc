import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { flakyJob } from './jobs.js';
import { killAll, tempDir, yoda } from './proc.js';

afterEach(() => killAll());

async function runWith(jobText: string | null, files: Record<string, string> = {}, args: string[] = []) {
  const dir = tempDir();
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  const job = join(dir, 'job.yaml');
  if (jobText !== null) writeFileSync(job, jobText);
  return { dir, ...(await yoda(['run', job, '--workdir', join(dir, 'work'), ...args], { log: join(dir, 'out.log') })) };
}

const GOOD = (over = '') => `
inputs: [{files: in/*.txt, events: 10}]
eventsPerRange: 5
payload: {command: [python3, x.py]}
${over}`;

describe('bad input gets a clear error, exit code 2, and nothing started', () => {
  it('names a missing job file', async () => {
    const r = await runWith(null);
    expect(r.code).toBe(2);
    expect(r.output).toMatch(/job file .*job.yaml does not exist/);
  });

  it('names each invalid field, its value and what was expected', async () => {
    const r = await runWith('inputs: []\neventsPerRange: 0\npayload: {command: [python3], mode: demon}\nretries: 3\n');
    expect(r.code).toBe(2);
    expect(r.output).toContain('inputs: Too small: expected array to have >=1 items (got [])');
    expect(r.output).toMatch(/eventsPerRange: .* \(got 0\)/);
    expect(r.output).toMatch(/payload.mode: .*"daemon"\|"command" \(got "demon"\)/);
    expect(r.output).toContain('unknown field(s) retries');
  });

  it('reports YAML syntax errors with their place', async () => {
    const r = await runWith('inputs: [\n  eventsPerRange: 5\n');
    expect(r.code).toBe(2);
    expect(r.output).toMatch(/is not valid YAML or JSON: .*line/);
  });

  it('names an input pattern that matches nothing', async () => {
    const r = await runWith(GOOD(), { 'x.py': '' });
    expect(r.code).toBe(2);
    expect(r.output).toMatch(/inputs\[0\].files: "in\/\*.txt" matched no file/);
  });

  it('refuses an input file with zero events', async () => {
    const r = await runWith(
      'inputs: [{files: in/a.txt, eventsCommand: [sh, -c, "wc -l < {file}"]}]\neventsPerRange: 5\npayload: {command: [python3, x.py]}\n',
      { 'in/a.txt': '' },
    );
    expect(r.code).toBe(2);
    expect(r.output).toMatch(/inputs\[0\]: input file .*in\/a.txt holds 0 events/);
  });

  it('names a payload program that does not exist', async () => {
    const r = await runWith(GOOD().replace('[python3, x.py]', '[no-such-simulator, --fast]'), { 'in/a.txt': 'x\n' });
    expect(r.code).toBe(2);
    expect(r.output).toContain('payload.command: program "no-such-simulator" was not found on PATH');
  });

  it('refuses slots this node cannot hold before creating anything', async () => {
    const r = await runWith(GOOD().replace('[python3, x.py]', '[python3, x.py], coresPerWorker: 4096'), {
      'in/a.txt': 'x\n',
    });
    expect(r.code).toBe(2);
    expect(r.output).toMatch(/payload.coresPerWorker \{cores: 4096\} cannot be met: .* cores are free/);
    expect(existsSync(join(r.dir, 'work'))).toBe(false);
  });

  it('refuses a different job on an existing work directory, and --fresh sets the old journal aside', async () => {
    const dir = tempDir();
    const job = flakyJob(dir, { files: 1, events: 10 });
    const workdir = join(dir, 'work');
    expect((await yoda(['run', job, '--workdir', workdir], { log: join(dir, 'a.log') })).code).toBe(0);
    const other = flakyJob(dir, { files: 1, events: 10, per: 2 });
    const refused = await yoda(['run', other, '--workdir', workdir], { log: join(dir, 'b.log') });
    expect(refused.code).toBe(2);
    expect(refused.output).toMatch(/holds another job .* changed: eventsPerRange/);
    const fresh = await yoda(['run', other, '--workdir', workdir, '--fresh'], { log: join(dir, 'c.log') });
    expect(fresh.code, fresh.output).toBe(0);
    expect(fresh.output).toMatch(/set the previous job's journal aside in .*superseded-/);
  });

  it('answers a bad command line with exit 2 and a hint', async () => {
    const dir = tempDir();
    const r = await yoda(['launch', 'x'], { log: join(dir, 'o.log') });
    expect(r.code).toBe(2);
    expect(r.output).toMatch(/Unknown argument|Try: yoda --help/);
  });
});
