#!/usr/bin/env python3
"""Benchmark payload: every range keeps one core busy for a fixed wall time, then writes a one-line output.

Environment: FIXED_RANGE_SECONDS (default 1.0). The CPU is burned in a loop (not slept), so the
range's cpu and wall times in the journal both show the work. Started by a Droid in daemon mode.
"""

import os
import time

from yoda_payload import serve, write_atomically

SECONDS = float(os.environ.get("FIXED_RANGE_SECONDS", "1.0"))


# Burn CPU until SECONDS of wall time have passed since the range started.
def process(r):
    deadline = time.monotonic() + SECONDS
    x = 0
    while time.monotonic() < deadline:
        for _ in range(2000):
            x = (x * 1103515245 + 12345) & 0x7FFFFFFF
    write_atomically(r.output, f"{r.id} {r.first}-{r.last} {x}\n")
    return [r.output]


if __name__ == "__main__":
    serve(process)
