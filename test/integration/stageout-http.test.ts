// Stage-out to a WebDAV server over http:// (Node's own server, test/integration/webdav.ts): PUT, MOVE, verified by
// the server's adler32 Digest or by reading back; a bearer token found the WLCG way; refused writes end with exit 3.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { doneRecords } from './jobs.js';
import { jobDirs, killAll, yoda } from './proc.js';
import { checkDelivered, stagedJob, stagedRecords } from './staged.js';
import { webdavServer } from './webdav.js';

afterEach(killAll);

describe('stage-out over http (WebDAV)', () => {
  it('delivers every output with PUT and MOVE into new collections, verified by the Digest, with the bearer token', async () => {
    const dav = await webdavServer({ token: 'secret-token' });
    const { dir, workdir } = jobDirs();
    writeFileSync(join(dir, 'token'), 'secret-token\n');
    const job = stagedJob(dir, 2, { destination: dav.url('/store/mc/') });
    const r = await yoda(['run', job, '--workdir', workdir], {
      log: join(dir, 'run.log'),
      env: { BEARER_TOKEN_FILE: join(dir, 'token') },
    });
    expect(r.code, r.output).toBe(0);
    checkDelivered(workdir, join(workdir, 'outputs'), join(dav.data, 'store', 'mc'));
    const staged = stagedRecords(workdir);
    expect(staged[0].out[0]).toMatch(new RegExp(`^${dav.url('/store/mc/')}`));
    expect(staged.every((s) => s.adler32?.[0]?.length === 8)).toBe(true);
    // The destination's collections did not exist: made on the first 409 (by each transfer that met one).
    expect(new Set(dav.requests.filter((q) => q.startsWith('MKCOL')))).toEqual(
      new Set(['MKCOL /store/', 'MKCOL /store/mc/']),
    );
    expect(dav.requests.filter((q) => q.startsWith('GET'))).toEqual([]); // the Digest sufficed
    await dav.close();
  });

  it('reads a file back to check its adler32 when the server offers no Digest', async () => {
    const dav = await webdavServer({ noDigest: true });
    const { dir, workdir } = jobDirs();
    const job = stagedJob(dir, 1, { destination: dav.url('/d/') });
    const r = await yoda(['run', job, '--workdir', workdir], { log: join(dir, 'run.log') });
    expect(r.code, r.output).toBe(0);
    checkDelivered(workdir, join(workdir, 'outputs'), join(dav.data, 'd'));
    expect(dav.requests.filter((q) => q.startsWith('GET'))).toHaveLength(doneRecords(workdir).length);
    await dav.close();
  });

  it('a server refusing writes: exit 3, naming the file and the HTTP status', async () => {
    const dav = await webdavServer({ refuseWrites: true });
    const { dir, workdir } = jobDirs();
    const job = stagedJob(dir, 1, { destination: dav.url('/d/'), attempts: 2 });
    const r = await yoda(['run', job, '--workdir', workdir], {
      log: join(dir, 'run.log'),
      env: { YODA_STAGE_BACKOFF_MS: '0' },
    });
    expect(r.code, r.output).toBe(3);
    expect(r.output).toMatch(/could not be delivered \(ERR_STAGE_OUT\)/);
    expect(r.output).toMatch(
      /f0\.txt_0-4\.out .*PUT http:\/\/127\.0\.0\.1:\d+\/d\/f0\.txt_0-4\.out\.yoda-part: HTTP 403: write access denied/,
    );
    await dav.close();
  });
});
