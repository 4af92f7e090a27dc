#!/usr/bin/env python3
"""Benchmark payload (bench/edge.ts), daemon mode: each range sleeps EDGE_SLEEP seconds (when not 0), then writes
its first event's index to the suggested output. The same work as edge_mpi4py.py's task."""

import os
import time

from yoda_payload import serve

SLEEP = float(os.environ.get("EDGE_SLEEP", "0"))


# One task: optional sleep, then one small output file.
def process(r):
    if SLEEP:
        time.sleep(SLEEP)
    with open(r.output, "w") as f:
        f.write(f"{r.first}\n")
    return [r.output]


if __name__ == "__main__":
    serve(process)
