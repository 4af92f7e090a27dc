// Slurm hostlist expressions: `n[01-04,7]`, `r[1-2]n[01-02]`, `a1,b[3-4],c`.
import { YodaError } from '../util/errors.js';

const MAX_HOSTS = 1_000_000;

function fail(expr: string, why: string): never {
  throw new YodaError('BAD_ENVIRONMENT', `bad hostlist expression "${expr}": ${why}`);
}

// Split on commas that are not inside brackets.
function splitTop(expr: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (c === '[') {
      if (depth > 0) fail(expr, `nested "[" at position ${i}`);
      depth = 1;
    } else if (c === ']') {
      if (depth === 0) fail(expr, `unmatched "]" at position ${i}`);
      depth = 0;
    } else if (c === ',' && depth === 0) {
      parts.push(expr.slice(start, i));
      start = i + 1;
    }
  }
  if (depth > 0) fail(expr, 'unclosed "["');
  parts.push(expr.slice(start));
  return parts;
}

// One bracket body such as `01-04,7` -> ['01','02','03','04','7'].
function expandRanges(expr: string, body: string): string[] {
  if (body === '') fail(expr, 'empty brackets');
  const out: string[] = [];
  for (const range of body.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(range);
    if (!m) fail(expr, `"${range}" is not a number or a range like 1-4`);
    const [, loText, hiText] = m;
    const lo = Number(loText);
    const hi = hiText === undefined ? lo : Number(hiText);
    if (hi < lo) fail(expr, `range "${range}" runs backwards`);
    if (hi - lo + 1 > MAX_HOSTS) fail(expr, `range "${range}" is too large`);
    // Zero padding follows the width of the lower bound, as Slurm does (n[08-10] -> n08..n10).
    const width = loText.length;
    for (let v = lo; v <= hi; v++) out.push(String(v).padStart(width, '0'));
  }
  return out;
}

// One comma-free item: literal text and bracket groups, expanded as a cartesian product.
function expandItem(expr: string, item: string): string[] {
  if (item === '') fail(expr, 'empty host name (stray comma?)');
  let names = [''];
  const re = /([^[\]]*)(?:\[([^\]]*)\])?/y;
  let pos = 0;
  while (pos < item.length) {
    re.lastIndex = pos;
    const m = re.exec(item);
    if (!m || m[0] === '') fail(expr, `unexpected "${item[pos]}" in "${item}"`);
    const [whole, text, body] = m;
    if (/\s/.test(text)) fail(expr, `white space in "${item}"`);
    names = names.map((n) => n + text);
    if (body !== undefined) {
      const values = expandRanges(expr, body);
      if (names.length * values.length > MAX_HOSTS) fail(expr, `more than ${MAX_HOSTS} hosts`);
      names = names.flatMap((n) => values.map((v) => n + v));
    }
    pos += whole.length;
  }
  return names;
}

// Expand a Slurm hostlist expression into host names, in order; '' gives [].
export function expandHostlist(expr: string): string[] {
  const trimmed = expr.trim();
  if (trimmed === '') return [];
  const hosts = splitTop(trimmed).flatMap((item) => expandItem(trimmed, item));
  if (hosts.length > MAX_HOSTS) fail(trimmed, `more than ${MAX_HOSTS} hosts`);
  return hosts;
}
