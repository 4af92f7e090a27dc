// Quoting for /bin/sh: a value substituted into a command given as one string stays one word, whatever it holds.

/** `value` in single quotes for /bin/sh (a `'` inside becomes `'\''`). */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}
