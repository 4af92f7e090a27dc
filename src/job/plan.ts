// A job's ranges: cut from its input files, addressed by a dense index, named by a stable id.
import { basename, relative } from 'node:path';
import type { InputFile } from './inputs.js';

/** Where range `i` lives: which input file and which events. */
export interface RangeGeometry {
  i: number;
  id: string;
  file: number;
  first: number;
  last: number;
}

/** The last of the first `count` segments whose start (`starts`, ascending) is at most `i`: a binary search. */
export function segmentOf(starts: readonly number[], count: number, i: number): number {
  let lo = 0;
  let hi = count - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= i) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The ranges of a job, computed from its files; ids stay the same as long as files and eventsPerRange do. */
export class RangePlan {
  /** Index of the first range of each file, plus the total at the end. */
  private readonly starts: number[];
  private readonly tags: string[];
  /** The file of the last lookup: the next range is most often in it. */
  private lastFile = 0;

  constructor(
    readonly files: InputFile[],
    readonly eventsPerRange: number,
    baseDir: string,
  ) {
    this.starts = [0];
    for (const f of files) this.starts.push(this.starts[this.starts.length - 1] + Math.ceil(f.events / eventsPerRange));
    const names = files.map((f) => basename(f.path));
    const unique = new Set(names).size === names.length;
    this.tags = unique ? names : files.map((f) => relative(baseDir, f.path));
  }

  /** Number of ranges in the job. */
  get total(): number {
    return this.starts[this.starts.length - 1];
  }

  /** Number of events in the job. */
  get totalEvents(): number {
    return this.files.reduce((sum, f) => sum + f.events, 0);
  }

  /** The file index holding range `i` (binary search over the file starts; ranges come mostly in order). */
  fileOf(i: number): number {
    const last = this.lastFile;
    if (this.starts[last] <= i && i < this.starts[last + 1]) return last;
    this.lastFile = segmentOf(this.starts, this.files.length, i);
    return this.lastFile;
  }

  /** The first range of input file `file` (the job's range count for `file` = files.length). */
  firstRangeOf(file: number): number {
    return this.starts[file];
  }

  /** The name input file `file` goes by in range ids (its base name, or its path when base names repeat). */
  tagOf(file: number): string {
    return this.tags[file];
  }

  /** Events of range `i`. */
  eventsOf(i: number): number {
    const g = this.range(i);
    return g.last - g.first + 1;
  }

  /** Everything about range `i`. */
  range(i: number): RangeGeometry {
    const file = this.fileOf(i);
    const first = (i - this.starts[file]) * this.eventsPerRange;
    const last = Math.min(first + this.eventsPerRange, this.files[file].events) - 1;
    return { i, id: `${this.tags[file]}:${first}-${last}`, file, first, last };
  }
}

// Bytes kept as they are in output names; every other byte is written %XX (so `%` itself too).
const ORDINARY = /^[A-Za-z0-9._-]$/;

function escapeTag(tag: string): string {
  let out = '';
  for (const ch of tag) {
    if (ORDINARY.test(ch)) out += ch;
    else if (ch === '/') out += '~';
    else for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  // A leading dot would hide the file from `ls outputs/` and `outputs/*`.
  return out.startsWith('.') ? `%2E${out.slice(1)}` : out;
}

/**
 * A file-name-safe form of a range id `<file tag>:<first>-<last>`, for output names: `<tag>_<first>-<last>`, where
 * the tag keeps letters, digits, `.`, `_` and `-` (so ordinary names are unchanged, e.g. `evgen_001.evgen_0-19`),
 * writes `/` as `~`, a leading dot as `%2E` and every other byte as `%XX`. Distinct ids give distinct names.
 */
export function safeRangeName(id: string): string {
  const colon = id.lastIndexOf(':');
  if (colon < 0) return escapeTag(id);
  return `${escapeTag(id.slice(0, colon))}_${escapeTag(id.slice(colon + 1))}`;
}
