// Names substituted into a command given as one string reach /bin/sh as one word: spaces, quotes and $() included.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { countInputEvents } from '../../../src/job/inputs.js';
import type { JobFile } from '../../../src/job/schema.js';
import { fillPlaceholders } from '../../../src/payload/command-worker.js';
import { shellQuote } from '../../../src/util/shell-quote.js';

describe('shell quoting of placeholders', () => {
  it('counts the events of files named with a space, a quote and $(...) through a string eventsCommand', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'yoda-quote-'));
    const names = ['x y.dat', "it's.dat", '$(touch pwned).dat'];
    for (const n of names) writeFileSync(join(dir, n), 'a\nb\nc\n');
    const job = { inputs: [{ files: names, eventsCommand: 'wc -l < {file}' }] } as unknown as JobFile;
    const files = await countInputEvents(job, [{ index: 0, paths: names.map((n) => join(dir, n)) }], dir);
    expect(files.map((f) => f.events)).toEqual([3, 3, 3]);
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
  });

  it('fills a string command-mode argument with quoted paths that /bin/sh reads back unchanged', () => {
    const range = { i: 0, id: "it's x:0-4", file: "/in/it's x.dat", first: 0, last: 4, attempt: 1 };
    const line = fillPlaceholders('printf "%s|" {file} {output}', range, '/out/a $b.out', shellQuote);
    expect(execFileSync('/bin/sh', ['-c', line], { encoding: 'utf8' })).toBe("/in/it's x.dat|/out/a $b.out|");
    // A list-form argument is passed as it is (no shell reads it).
    expect(fillPlaceholders('{file}', range, '/o')).toBe("/in/it's x.dat");
  });
});
