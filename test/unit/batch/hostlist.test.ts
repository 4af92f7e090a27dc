import { describe, expect, it } from 'vitest';
import { expandHostlist } from '../../../src/batch/hostlist.js';

describe('expandHostlist', () => {
  it('expands ranges and single values in one bracket group, keeping zero padding', () => {
    expect(expandHostlist('n[01-04,7]')).toEqual(['n01', 'n02', 'n03', 'n04', 'n7']);
    expect(expandHostlist('nid[0008-0010]')).toEqual(['nid0008', 'nid0009', 'nid0010']);
    expect(expandHostlist('n[8-10]')).toEqual(['n8', 'n9', 'n10']);
    expect(expandHostlist('n[007]')).toEqual(['n007']);
  });

  it('takes the cartesian product of several bracket groups, in order', () => {
    expect(expandHostlist('r[1-2]n[01-02]')).toEqual(['r1n01', 'r1n02', 'r2n01', 'r2n02']);
    expect(expandHostlist('r[1-2]-ib[0-1]x')).toEqual(['r1-ib0x', 'r1-ib1x', 'r2-ib0x', 'r2-ib1x']);
  });

  it('handles comma-separated lists of plain names and bracket expressions', () => {
    expect(expandHostlist('a1,b[3-4],c')).toEqual(['a1', 'b3', 'b4', 'c']);
    expect(expandHostlist('n[1-3]')).toEqual(['n1', 'n2', 'n3']);
    expect(expandHostlist('node-7.cluster')).toEqual(['node-7.cluster']);
    expect(expandHostlist(' n1 ')).toEqual(['n1']);
    expect(expandHostlist('')).toEqual([]);
  });

  it('expands a large allocation', () => {
    const hosts = expandHostlist('nid[000001-004096]');
    expect(hosts).toHaveLength(4096);
    expect(hosts[4095]).toBe('nid004096');
  });

  it.each([
    ['n[1-3', 'unclosed "["'],
    ['n1-3]', 'unmatched "]"'],
    ['n[[1-2]]', 'nested "["'],
    ['n[]', 'empty brackets'],
    ['n[3-1]', 'runs backwards'],
    ['n[a-b]', '"a-b" is not a number'],
    ['n[1-2-3]', '"1-2-3" is not a number'],
    ['n[1,,2]', '"" is not a number'],
    ['a,,b', 'empty host name'],
    ['a,', 'empty host name'],
    ['a b', 'white space'],
    ['n[1-99999999]', 'too large'],
    ['a[1-1000]b[1-1001]', 'more than'],
  ])('rejects %s with an error naming the expression', (expr, why) => {
    expect(() => expandHostlist(expr)).toThrow(`bad hostlist expression "${expr}"`);
    expect(() => expandHostlist(expr)).toThrow(why);
  });
});
