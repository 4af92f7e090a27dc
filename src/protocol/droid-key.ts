// A Droid's identity on the wire (its ZeroMQ routing id, and the `droid` of journal records): rank, node and pid.

/** The key of the Droid of `rank` on `node` in process `pid`. */
export function droidKey(rank: number, node: string, pid: number): string {
  return `droid-${rank}-${node}-${pid}`;
}

/** The node and pid a Droid key names, or null when it is not one (node names may hold dashes). */
export function droidKeyPlace(key: string): { node: string; pid: number } | null {
  const m = /^droid-\d+-(.+)-(\d+)$/.exec(key);
  return m ? { node: m[1], pid: Number(m[2]) } : null;
}
