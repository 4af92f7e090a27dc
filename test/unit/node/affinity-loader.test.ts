// loadAffinity: where the addon is looked for, the reason given when it is absent, the forced fallback.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addonPath, loadAffinity } from '../../../src/native/affinity.js';
import { findPackageRoot } from '../../../src/util/package-root.js';
import { readAllowed } from '../../../src/node/read-topology.js';

describe('loadAffinity', () => {
  it('looks for the addon under the package root (the directory holding package.json)', () => {
    const root = findPackageRoot();
    expect(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).name).toBe('yoda-hpc');
    expect(addonPath()).toBe(join(root, 'native', 'build', 'Release', 'yoda_affinity.node'));
  });

  it('says why when the addon is missing, and still works through taskset', async () => {
    const loaded = loadAffinity({ addonPath: '/nonexistent/yoda_affinity.node' });
    expect(loaded.native).toBe(false);
    expect(loaded.why).toMatch(
      /not loaded: \/nonexistent\/yoda_affinity.node is missing \(build it with: node scripts\/build-native.mjs\)/,
    );
    expect(await loaded.impl.getAffinity(process.pid)).toEqual(readAllowed());
  });

  it('can be forced onto taskset', () => {
    expect(loadAffinity({ forceFallback: true })).toMatchObject({ native: false, why: 'taskset fallback forced' });
  });

  it('is native when the addon has been built (node scripts/build-native.mjs)', () => {
    const loaded = loadAffinity();
    expect(loaded.native).toBe(existsSync(addonPath()));
    expect(loadAffinity()).toBe(loaded);
  });

  it.each([false, true])('rejects with an errno code (forceFallback %s)', async (forceFallback) => {
    const { impl } = loadAffinity({ forceFallback });
    const pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
    await expect(impl.setAffinity(pidMax + 1, [0])).rejects.toMatchObject({ code: 'ESRCH' });
    await expect(impl.getAffinity(pidMax + 1)).rejects.toMatchObject({ code: 'ESRCH' });
    await expect(impl.setAffinity(process.pid, [100_000])).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(impl.setAffinity(process.pid, [])).rejects.toMatchObject({ code: 'EINVAL' });
  });
});
