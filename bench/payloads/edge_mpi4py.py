#!/usr/bin/env python3
"""Benchmark baseline (bench/edge.ts): `mpiexec -n <slots+1> python3 -m mpi4py.futures edge_mpi4py.py N` runs N tasks
on an MPIPoolExecutor; task i sleeps EDGE_SLEEP seconds (when not 0), then writes $EDGE_OUT/i.done. The settings
are environment variables because the pool's worker ranks do not see the script's arguments."""

import os
import sys
import time

from mpi4py.futures import MPIPoolExecutor

OUT = os.environ.get("EDGE_OUT", ".")
SLEEP = float(os.environ.get("EDGE_SLEEP", "0"))


# One task: optional sleep, then one small output file (the same work as edge_worker.py's range).
def task(i):
    if SLEEP:
        time.sleep(SLEEP)
    with open(os.path.join(OUT, f"{i}.done"), "w") as f:
        f.write(f"{i}\n")
    return i


if __name__ == "__main__":
    with MPIPoolExecutor() as ex:
        for _ in ex.map(task, range(int(sys.argv[1]))):
            pass
