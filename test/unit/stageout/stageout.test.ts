// The pure parts of stage-out: Adler-32, destinations, the job file's stageOut section, replay of staged records.
import { describe, expect, it } from 'vitest';
import { validateJobFile } from '../../../src/job/validate.js';
import type { JournalRecord } from '../../../src/journal/records.js';
import { replay, unstagedDone } from '../../../src/journal/replay.js';
import { adler32, adler32Hex, adler32Update } from '../../../src/stageout/adler32.js';
import { destinationName, parseDestination } from '../../../src/job/destination.js';

// The definition, one modulo per byte: slow and obviously right.
function naiveAdler32(buf: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (const x of buf) {
    a = (a + x) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

const job = (stageOut: unknown) => ({
  inputs: [{ files: 'in/*.txt', events: 10 }],
  eventsPerRange: 5,
  payload: { command: ['true'] },
  stageOut,
});

describe('adler32', () => {
  it('matches known vectors', () => {
    expect(adler32(new Uint8Array())).toBe(1);
    expect(adler32Hex(adler32(Buffer.from('Wikipedia')))).toBe('11e60398');
    expect(adler32Hex(adler32(Buffer.from('abc')))).toBe('024d0127');
    expect(adler32Hex(adler32(Buffer.from('hello\n')))).toBe('084b021f'); // as xrdadler32 prints it
  });

  it('matches the definition on large buffers of 0xff (the sums wrap), in one piece or in chunks', () => {
    const buf = Buffer.alloc(100_003, 0xff);
    for (let k = 0; k < buf.length; k += 7) buf[k] = k & 0xff;
    const whole = adler32(buf);
    expect(whole).toBe(naiveAdler32(buf));
    let v = 1;
    for (let k = 0; k < buf.length; k += 4099) v = adler32Update(v, buf.subarray(k, k + 4099));
    expect(v).toBe(whole);
  });
});

describe('stage-out destinations', () => {
  it('parses root:// URLs (default port 1094) and local paths', () => {
    expect(parseDestination('root://eos.cern.ch//eos/user/x/')).toEqual({
      kind: 'xrootd',
      server: 'root://eos.cern.ch:1094',
      dir: '/eos/user/x/',
      url: 'root://eos.cern.ch//eos/user/x/',
    });
    expect(parseDestination('root://localhost:21094//d')).toMatchObject({
      server: 'root://localhost:21094',
      dir: '/d/',
    });
    expect(parseDestination('/scratch/out')).toMatchObject({ kind: 'local', dir: '/scratch/out/' });
  });

  it('reads https:// and http:// (WebDAV) destinations, their directory ending in /', () => {
    expect(parseDestination('https://webdav.example.org:2880/store/mc')).toEqual({
      kind: 'http',
      base: 'https://webdav.example.org:2880/store/mc/',
      dir: '/store/mc/',
      url: 'https://webdav.example.org:2880/store/mc',
    });
    expect(parseDestination('http://127.0.0.1:8080/d/')).toMatchObject({
      kind: 'http',
      base: 'http://127.0.0.1:8080/d/',
    });
  });

  it('refuses user:password and queries in https URLs, dav://, a single slash before the directory, and ..', () => {
    expect(parseDestination('https://me:pw@host/dir/')).toMatch(/bearer token/);
    expect(parseDestination('https://host/dir/?a=1')).toMatch(/query/);
    expect(parseDestination('https://host/a/../b/')).toMatch(/\.\./);
    expect(parseDestination('davs://host/dir/')).toMatch(/as https:\/\//);
    expect(parseDestination('root://host/dir/')).toMatch(/two slashes/);
    expect(parseDestination('/a/../b')).toMatch(/\.\./);
    expect(parseDestination('relative/dir')).toMatch(/expected/);
  });

  it('names a file at the destination by its path inside the output directory, else by its base name', () => {
    expect(destinationName('/w/outputs/sub/a.out', '/w/outputs')).toBe('sub/a.out');
    expect(destinationName('/elsewhere/b.out', '/w/outputs')).toBe('b.out');
  });
});

describe('the job file stageOut section', () => {
  it('applies defaults', () => {
    expect(validateJobFile(job({ destination: 'root://h//d/' }), 'job.yaml').stageOut).toEqual({
      destination: 'root://h//d/',
      checksum: 'adler32',
      attempts: 5,
      parallel: 2,
    });
  });

  it('names the field and the value of every problem', () => {
    const bad = job({ destination: 'root://h/d/', checksum: 'md5', parallel: 0, extra: 1 });
    expect(() => validateJobFile(bad, 'job.yaml')).toThrow(/stageOut: unknown field\(s\) extra/);
    expect(() => validateJobFile(bad, 'job.yaml')).toThrow(/stageOut\.destination: .*two slashes.*"root:\/\/h\/d\/"/);
    expect(() => validateJobFile(bad, 'job.yaml')).toThrow(/stageOut\.checksum: .*\(got "md5"\)/);
    expect(() => validateJobFile(bad, 'job.yaml')).toThrow(/stageOut\.parallel: .*\(got 0\)/);
  });
});

describe('replay of staged records', () => {
  const done = (i: number): JournalRecord => ({
    t: 'done',
    i,
    id: `r${i}`,
    out: [`/o/${i}`],
    cpu: 1,
    wall: 1,
    start: 0,
    end: 1,
    droid: 'd',
    node: 'n',
    slot: 0,
    attempt: 1,
  });
  const staged = (i: number): JournalRecord => ({
    t: 'staged',
    i,
    id: `r${i}`,
    at: 1,
    out: [],
    bytes: 5,
    adler32: null,
  });

  it('counts each done range staged once; a second staged record is a duplicate; a failure is kept until staged', () => {
    const fail: JournalRecord = {
      t: 'stagefail',
      i: 1,
      id: 'r1',
      at: 1,
      code: 'ERR_STAGE_OUT',
      file: '/o/1',
      msg: 'x',
    };
    const s = replay([done(0), done(1), done(2), staged(0), staged(0), fail, staged(3)], 4);
    expect(s.stagedCount).toBe(1);
    expect(s.stagedBytes).toBe(5);
    expect(s.duplicateStaged).toBe(1);
    expect([...s.stageFailures.keys()]).toEqual([1]);
    expect(unstagedDone(s)).toEqual([1, 2]);
    const later = replay([done(0), done(1), fail, staged(1)], 2);
    expect(later.stageFailures.size).toBe(0);
    expect(unstagedDone(later)).toEqual([0]);
  });

  it('a range run again (redo) is delivered again once done again', () => {
    const s = replay([done(0), staged(0), { t: 'redo', at: 2, r: [0], why: 'output gone' }, done(0)], 1);
    expect(s.stagedCount).toBe(0);
    expect(unstagedDone(s)).toEqual([0]);
  });
});
