import { describe, expect, it } from 'vitest';
import { buildReport } from '../../../src/report/build.js';
import { renderReportHtml } from '../../../src/report/html.js';
import { GAP_PX, timeScale } from '../../../src/report/scale.js';
import { formatDuration, formatElapsed } from '../../../src/report/time-axis.js';
import { bigJournal, description, RECORDS, T1 } from './fixtures.js';

const now = new Date(T1 + 60_000);

describe('report page', () => {
  const html = renderReportHtml(
    buildReport({ description: description(), workdir: '/work', records: RECORDS, eventsOf: () => 5, now }),
  );

  it('is self-contained: no script, no link, no external reference of any kind', () => {
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(html).not.toMatch(/\s(src|href)=/i);
    // The only URL is the SVG namespace, which browsers never fetch.
    expect(html.match(/https?:\/\/[^"\s]+/g)?.filter((u) => u !== 'http://www.w3.org/2000/svg') ?? []).toEqual([]);
  });

  it('draws a bar per done range and per failed attempt, with hover text, and one row label per worker', () => {
    expect(html.match(/<rect class="bar (done|retry|dup)"/g)).toHaveLength(6);
    expect(html.match(/<rect class="bar (fail|fatal)"/g)).toHaveLength(2);
    expect(html).toMatch(/<title>f:4 FAILED \(fatal, last attempt\), attempt 1\nERR_BAD: broke 4/);
    expect(html.match(/class="lane-label"/g)).toHaveLength(4);
    expect(html).toContain('<path class="line util" d="M');
  });

  it('marks the fatal range in the failures table and shows the job spec', () => {
    expect(html).toMatch(/<tr class="fatal-row"><td><code>f:4<\/code>/);
    expect(html).toContain('&quot;maxAttempts&quot;: 1');
    expect(html).toContain('Shaded breaks are times when no allocation ran');
  });
});

describe('time scale', () => {
  it('maps pieces side by side with a fixed break between them, monotonically', () => {
    const s = timeScale(
      [
        { start: 0, end: 10_000 },
        { start: 1_000_000, end: 1_010_000 },
      ],
      100,
      418,
      0,
    );
    expect(s.x(0)).toBe(100);
    expect(s.x(10_000)).toBe(300);
    expect(s.x(1_000_000)).toBe(300 + GAP_PX);
    expect(s.x(1_010_000)).toBe(518);
    expect(s.gaps).toEqual([{ x0: 300, x1: 300 + GAP_PX, seconds: 990 }]);
    expect(s.ticks).toEqual([
      { x: 100, label: '0:00' },
      { x: 300, label: '0:10' },
    ]);
  });

  it('labels ticks in one style per axis: seconds under a minute, else clock time', () => {
    expect([0, 0.5, 1.5].map((v) => formatElapsed(v, 0.5, 2))).toEqual(['0 s', '0.5 s', '1.5 s']);
    expect([0, 30, 90].map((v) => formatElapsed(v, 30, 600))).toEqual(['0:00', '0:30', '1:30']);
    expect([3620, 3625].map((v) => formatElapsed(v, 5, 3640))).toEqual(['1:00:20', '1:00:25']);
    expect(formatElapsed(93_600, 3600, 100_000)).toBe('26:00 h');
    expect([0.0021, 0.25, 4.256, 42, 185, 3930].map(formatDuration)).toEqual([
      '2.1 ms',
      '250 ms',
      '4.26 s',
      '42 s',
      '3 min 5 s',
      '1 h 6 min',
    ]);
    // Rounding up to the next unit switches to that unit.
    expect([0.9996, 3599.4, 3599.7].map(formatDuration)).toEqual(['1 s', '59 min 59 s', '1 h 0 min']);
  });
});

describe('large jobs', () => {
  // How fast it is belongs to `npm run bench`; this checks that a large job is drawn as merged segments.
  it('builds and renders 100k ranges on 2048 workers, drawing merged segments', () => {
    const m = buildReport({
      description: description(100_000),
      workdir: '/w',
      records: bigJournal(100_000, 64, 32),
      eventsOf: () => 5,
      now,
    });
    const page = renderReportHtml(m);
    expect(m.lanes).toHaveLength(2048);
    expect(m.lanes.every((l) => l.merged)).toBe(true);
    expect(m.totals.rangesDone).toBe(100_000);
    expect(m.bins.length).toBeLessThanOrEqual(130);
    expect(page).toContain('100000 ranges are too many to draw one by one');
    expect((page.match(/<rect class="bar/g) ?? []).length).toBeLessThan(20_000);
    expect(page.length).toBeLessThan(10_000_000);
  });
});
