// Whether a process exists on this host, by signal 0.

/** Whether process `pid` exists here; EPERM means it exists, owned by someone else. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
