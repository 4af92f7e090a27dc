// Remote inputs on the Droid (event streaming): a range of a remote file waits until the file is fetched, then runs on
// the local copy; a failed fetch fails its ranges with ERR_STAGE_IN (slot -1); past the cache cap, idle files go.
import { describe, expect, it } from 'vitest';
import { prefetchStats } from '../../../src/droid/inputs.js';
import { createDroidState } from '../../../src/droid/state.js';
import { config, Droid, ofType, range, toYoda } from './harness.js';

const URL_A = 'root://se.example.org//store/a.root';
const URL_B = 'https://se.example.org/store/b.root';
const remote = (i: number, url: string) => ({ ...range(i), file: url });

// A welcomed Droid whose two workers are ready, with a cache cap of `capBytes`.
function ready(capBytes = Number.POSITIVE_INFINITY) {
  const d = new Droid();
  d.s = createDroidState({ ...config, inputCacheBytes: capBytes }, 0);
  d.welcome();
  return d;
}

describe('Droid remote inputs', () => {
  it('fetches each remote file once; its ranges wait, local ones run meanwhile, then run on the local copy', () => {
    const d = ready();
    const out = d.on({ type: 'yoda', msg: { type: 'ranges', ranges: [remote(0, URL_A), remote(1, URL_A), range(2)] } });
    expect(ofType(out, 'fetch')).toEqual([{ type: 'fetch', url: URL_A }]);
    // Waiting ranges count as held; the report tells Yoda which remote files the node holds or fetches.
    expect(toYoda(out)).toEqual([{ type: 'report', results: [], released: [], want: 1, cached: [URL_A] }]);
    const fed = d.on({ type: 'worker', slot: 0, report: { type: 'ready' } });
    expect(ofType(fed, 'feedWorker')).toEqual([{ type: 'feedWorker', slot: 0, ranges: [range(2)] }]); // the local one
    expect(ofType(d.on({ type: 'worker', slot: 1, report: { type: 'ready' } }), 'feedWorker')).toEqual([]);
    const got = d.on({ type: 'fetched', url: URL_A, local: '/cache/x/a.root', bytes: 100 });
    expect(ofType(got, 'feedWorker')).toEqual([
      { type: 'feedWorker', slot: 1, ranges: [{ ...range(0), file: '/cache/x/a.root' }] },
    ]);
    // A later range of the same file: a hit, no second fetch.
    const later = d.on({ type: 'yoda', msg: { type: 'ranges', ranges: [remote(3, URL_A)] } });
    expect(ofType(later, 'fetch')).toEqual([]);
    toYoda(later);
    expect(d.s.queue.map((r) => r.file)).toEqual(['/cache/x/a.root', '/cache/x/a.root']);
    expect(d.s.inputs.stats).toMatchObject({ fetched: 1, hits: 1, bytesFetched: 100 });
  });

  it('a fetch failing on every try fails its ranges with ERR_STAGE_IN on no slot, and asks for more', () => {
    const d = ready();
    toYoda(d.on({ type: 'yoda', msg: { type: 'ranges', ranges: [remote(0, URL_B), remote(1, URL_B)] } }));
    d.on({ type: 'fetchFailed', url: URL_B, message: 'GET: HTTP 503' });
    const [report] = toYoda(d.on({ type: 'tick' }, config.reportIntervalMs)); // results go out on the report timer
    expect(report).toMatchObject({ type: 'report' });
    const results = report.type === 'report' ? report.results : [];
    expect(results.map((r) => [r.i, r.ok, !r.ok && r.code, r.slot])).toEqual([
      [0, false, 'ERR_STAGE_IN', -1],
      [1, false, 'ERR_STAGE_IN', -1],
    ]);
    expect(d.s.queue).toEqual([]);
    expect(d.s.inputs.files.has(URL_B)).toBe(false); // fetched again when a range of it comes back
  });

  it('past the cap, evicts the least recently used file no queued or running range reads', () => {
    const d = ready(150);
    toYoda(d.on({ type: 'yoda', msg: { type: 'ranges', ranges: [remote(0, URL_A)] } }));
    d.on({ type: 'fetched', url: URL_A, local: '/c/1/a.root', bytes: 100 }, 10);
    d.on({ type: 'worker', slot: 0, report: { type: 'ready' } });
    toYoda(d.on({ type: 'yoda', msg: { type: 'ranges', ranges: [remote(1, URL_B)] } }));
    // a.root is read by range 0 (running): kept although b.root takes the cache past its cap.
    expect(ofType(d.on({ type: 'fetched', url: URL_B, local: '/c/2/b.root', bytes: 100 }, 10), 'evict')).toEqual([]);
    const done = d.on({
      type: 'worker',
      slot: 0,
      report: { type: 'done', id: 'f:0', outputs: ['/o/0'], cpu: 1, wall: 1 },
    });
    expect(ofType(done, 'evict')).toEqual([{ type: 'evict', local: '/c/1/a.root' }]);
    toYoda(done);
    expect(d.s.inputs.usedBytes).toBe(100);
  });

  it('counts hits and misses per range, and the time a worker waits with only ranges of files being fetched', () => {
    const d = ready();
    toYoda(d.on({ type: 'yoda', msg: { type: 'ranges', ranges: [remote(0, URL_A), remote(1, URL_A)] } }));
    d.on({ type: 'worker', slot: 0, report: { type: 'ready' } }, 100); // waits from t=100: nothing here yet
    d.on({ type: 'worker', slot: 1, report: { type: 'ready' } }, 100); // waits from t=200
    d.on({ type: 'tick' }, 300); // t=500: still waiting
    expect(prefetchStats(d.s, 600).workerWaitMs).toBe(500 + 400); // waits going on are counted when asked
    d.on({ type: 'fetched', url: URL_A, local: '/c/a.root', bytes: 10 }, 500); // t=1000: both workers fed
    expect(d.s.inputs.stats).toMatchObject({ misses: 2, hits: 0, workerWaitMs: 900 + 800 });
    toYoda(d.on({ type: 'yoda', msg: { type: 'ranges', ranges: [remote(2, URL_A)] } }));
    d.on({ type: 'tick' }, 1000);
    expect(prefetchStats(d.s, d.now)).toMatchObject({ misses: 2, hits: 1, workerWaitMs: 1700 }); // busy: no wait
  });

  it('tells Yoda which remote files the node holds only when that changed: a new file, a failed fetch', () => {
    const d = ready();
    const first = toYoda(d.on({ type: 'yoda', msg: { type: 'ranges', ranges: [remote(0, URL_A)] } }));
    expect(first.map((m) => m.type === 'report' && m.cached)).toEqual([[URL_A]]);
    d.on({ type: 'fetched', url: URL_A, local: '/c/a.root', bytes: 10 });
    const again = toYoda(d.on({ type: 'yoda', msg: { type: 'ranges', ranges: [remote(1, URL_A)] } }));
    expect(again.map((m) => m.type === 'report' && m.cached)).toEqual([undefined]); // a hit: nothing new to say
    toYoda(d.on({ type: 'yoda', msg: { type: 'ranges', ranges: [remote(2, URL_B)] } }));
    d.on({ type: 'fetchFailed', url: URL_B, message: 'HTTP 503' });
    const [report] = toYoda(d.on({ type: 'tick' }, config.reportIntervalMs));
    expect(report).toMatchObject({ type: 'report', cached: [URL_A] }); // URL_B is no longer on the node
  });

  it("fetches the file Yoda names next at once, before any range of it, and counts its ranges' arrival as hits", () => {
    const d = ready();
    const out = d.on({ type: 'yoda', msg: { type: 'ranges', ranges: [range(0)], prefetch: [URL_B] } });
    expect(ofType(out, 'fetch')).toEqual([{ type: 'fetch', url: URL_B }]);
    toYoda(out);
    d.on({ type: 'fetched', url: URL_B, local: '/c/b.root', bytes: 10 });
    const later = d.on({ type: 'yoda', msg: { type: 'ranges', ranges: [remote(1, URL_B)] } });
    expect(ofType(later, 'fetch')).toEqual([]);
    toYoda(later);
    expect(d.s.inputs.stats).toMatchObject({ fetched: 1, hits: 1, misses: 0 });
  });

  it('never evicts a file fetched ahead before a range of it came, even past the cap', () => {
    const d = ready(50);
    toYoda(d.on({ type: 'yoda', msg: { type: 'ranges', ranges: [], prefetch: [URL_B] } }));
    const got = d.on({ type: 'fetched', url: URL_B, local: '/c/b.root', bytes: 100 });
    expect(ofType(got, 'evict')).toEqual([]);
    expect(d.s.inputs.files.get(URL_B)?.local).toBe('/c/b.root');
  });
});
