// The Linux CPU list format: parseCpuList and formatCpuList.
import { describe, expect, it } from 'vitest';
import { formatCpuList, parseCpuList } from '../../../src/util/cpu-list.js';

describe('formatCpuList', () => {
  it('collapses runs into ranges', () => {
    expect(formatCpuList([0, 1, 2, 3, 8, 10, 11])).toBe('0-3,8,10-11');
  });
  it('sorts and removes duplicates', () => {
    expect(formatCpuList([11, 3, 3, 10, 1, 2, 0, 8])).toBe('0-3,8,10-11');
    expect(formatCpuList([])).toBe('');
    expect(formatCpuList([1500])).toBe('1500');
  });
});

describe('parseCpuList', () => {
  it('parses sysfs and Cpus_allowed_list text', () => {
    expect(parseCpuList('0-3,8,10-11\n')).toEqual([0, 1, 2, 3, 8, 10, 11]);
    expect(parseCpuList('0')).toEqual([0]);
    expect(parseCpuList('')).toEqual([]);
    expect(parseCpuList(' 5,1-2 ')).toEqual([1, 2, 5]);
  });
  it('understands strides (used/group)', () => {
    expect(parseCpuList('0-15:2/4')).toEqual([0, 1, 4, 5, 8, 9, 12, 13]);
  });
  it('round-trips with formatCpuList', () => {
    const cpus = [0, 2, 4, 5, 6, 63, 64, 65, 1023, 1024, 1025];
    expect(parseCpuList(formatCpuList(cpus))).toEqual(cpus);
  });
  it('rejects text that is not a CPU list', () => {
    expect(() => parseCpuList('0-3,x')).toThrow(/not a CPU list/);
    expect(() => parseCpuList('5-3')).toThrow(/bad range/);
  });
});
