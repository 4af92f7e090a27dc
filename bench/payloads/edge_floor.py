#!/usr/bin/env python3
"""Benchmark floor (bench/edge.ts): `edge_floor.py <slots> <N>` forks <slots> processes; process k runs tasks k,
k+slots, ... of N in a plain loop, with no coordination at all: what the payload alone costs on this machine, the
ceiling any runner (Yoda, mpi4py) sits under. Task i sleeps EDGE_SLEEP seconds (when not 0), then writes
$EDGE_OUT/i.done: the same work as edge_worker.py's range and edge_mpi4py.py's task."""

import os
import sys
import time

OUT = os.environ.get("EDGE_OUT", ".")
SLEEP = float(os.environ.get("EDGE_SLEEP", "0"))

if __name__ == "__main__":
    slots, n = int(sys.argv[1]), int(sys.argv[2])
    children = []
    for k in range(slots):
        pid = os.fork()
        if pid == 0:
            for i in range(k, n, slots):
                if SLEEP:
                    time.sleep(SLEEP)
                with open(os.path.join(OUT, f"{i}.done"), "w") as f:
                    f.write(f"{i}\n")
            os._exit(0)
        children.append(pid)
    sys.exit(max(os.waitpid(p, 0)[1] != 0 for p in children))
