// `yoda report` on a real job: the page opens in headless Chromium with no network, one row per worker, one bar per range.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flakyJob } from '../integration/jobs.js';
import { jobDirs, killAll, ROOT, tempDir, yoda } from '../integration/proc.js';

const CHROMIUM = '/usr/bin/chromium';
const IN_CI = process.env.CI === 'true';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && !IN_CI)
  console.warn(`report.test.ts: skipping the browser check: ${CHROMIUM} is missing (apt-get install chromium)`);

const { dir, workdir } = jobDirs('yoda-report-');
const html = join(dir, 'out', 'report.html');
let browser: Browser | undefined;

beforeAll(async () => {
  flakyJob(dir, { files: 2, events: 40, per: 5, env: { FLAKY_MODE: 'crash-once', FLAKY_RANGE: 'f1.txt:10-14' } });
  const run = await yoda(['run', join(dir, 'job.yaml'), '--workdir', workdir], { log: join(dir, 'run.log') });
  expect(run.code, run.output).toBe(0);
  const rep = await yoda(['report', workdir, '--out', html], { log: join(dir, 'report.log') });
  expect(rep.code, rep.output).toBe(0);
  expect(rep.output).toContain(html);
});

afterAll(async () => {
  await browser?.close();
  killAll();
});

describe('yoda report', () => {
  it('writes the page and the same numbers as JSON beside it', () => {
    const m = JSON.parse(readFileSync(join(dir, 'out', 'report.json'), 'utf8'));
    expect(m.totals).toMatchObject({
      rangesDone: 16,
      eventsDone: 80,
      failedAttempts: 1,
      fatal: 0,
      runs: 1,
      outcome: 'complete',
    });
    expect(m.lanes).toHaveLength(2);
    expect(m.lanes.reduce((s: number, l: { bars: unknown[] }) => s + l.bars.length, 0)).toBe(16);
    expect(m.failures).toMatchObject([{ id: 'f1.txt:10-14', attempt: 1, code: 'ERR_WORKER_DIED', fatal: false }]);
    expect(m.runs).toMatchObject([{ run: 1, ended: true, outcome: 'complete', exit: 0 }]);
  });

  it('writes <workdir>/report.html by default, and exits 2 naming a directory that holds no job', async () => {
    const def = await yoda(['report', workdir], { log: join(dir, 'default.log') });
    expect(def.code, def.output).toBe(0);
    expect(existsSync(join(workdir, 'report.html')) && existsSync(join(workdir, 'report.json'))).toBe(true);
    const empty = tempDir('yoda-report-empty-');
    const bad = await yoda(['report', empty], { log: join(dir, 'bad.log') });
    expect(bad.code).toBe(2);
    expect(bad.output).toContain(`yoda: ${empty} holds no job (no job.json)`);
  });

  it.skipIf(!haveChromium && !IN_CI)(
    'opens offline in headless Chromium: a row per worker, a bar per range and failed attempt, charts drawn',
    async () => {
      expect(haveChromium, `${CHROMIUM} is missing: CI must install the Debian package chromium`).toBe(true);
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const url = pathToFileURL(html).href;
      const requests: string[] = [];
      const blocked: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.route('**/*', (route) => {
        if (route.request().url() === url) return route.continue();
        blocked.push(route.request().url());
        return route.abort();
      });
      await page.goto(url, { waitUntil: 'load' });

      expect(await page.locator('svg.gantt .lane-label').allTextContents()).toHaveLength(2);
      // Bars of one row share a vertical centre (failed attempts are drawn a little taller).
      const rows = await page
        .locator('svg.gantt rect.bar')
        .evaluateAll(
          (els) => new Set(els.map((e) => Number(e.getAttribute('y')) + Number(e.getAttribute('height')) / 2)).size,
        );
      expect(rows).toBe(2);
      expect(await page.locator('svg.gantt rect.bar.done, svg.gantt rect.bar.retry').count()).toBe(16);
      expect(await page.locator('svg.gantt rect.bar.retry').count()).toBe(1);
      expect(await page.locator('svg.gantt rect.bar.fail').count()).toBe(1);
      expect(await page.locator('svg.gantt rect.bar.fail title').textContent()).toMatch(
        /^f1\.txt:10-14 FAILED, attempt 1\nERR_WORKER_DIED: worker exited/,
      );
      expect(await page.locator('svg.gantt rect.bar.retry title').textContent()).toMatch(
        /^f1\.txt:10-14, attempt 2, 5 events\n[\s\S]*outputs:\n {2}\S+f1\.txt_10-14\.out/,
      );

      const sizes = await page
        .locator('svg.chart')
        .evaluateAll((els) => els.map((e) => e.getBoundingClientRect()).map((r) => [r.width, r.height]));
      expect(sizes).toHaveLength(4);
      for (const [w, h] of sizes) expect(w > 0 && h > 0).toBe(true);
      for (const cls of ['util', 'events', 'ranges']) {
        const width = await page.locator(`path.line.${cls}`).evaluate((p) => (p as SVGPathElement).getBBox().width);
        expect(width, `${cls} line`).toBeGreaterThan(500);
      }
      expect(await page.locator('#failures tbody tr').count()).toBe(1);
      expect(await page.locator('#nodes tbody tr').count()).toBe(1);
      expect(await page.locator('#runs tbody tr').count()).toBe(1);

      mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
      await page.screenshot({ path: join(ROOT, 'test-artifacts', 'report.png'), fullPage: true });
      expect(requests).toEqual([url]);
      expect(blocked).toEqual([]);
    },
  );
});
