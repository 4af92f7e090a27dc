#!/usr/bin/env python3
"""Montecarlo example payload: propagates generator particles through a layered detector.

Usage:
  payload.py               run as a Yoda worker (started by a Droid, in daemon mode)
  payload.py --count FILE  print the number of events in an input file

Each range's output file holds one line per event:
  "<input basename> <event> <nhits> <edep layer0> ... <edep layer7>"  (edep in MeV).

Fault injection for tests (environment, optional):
  MONTECARLO_FAULTS="kind=RANGE_ID[@ATTEMPT];..."  kind: fail (ERR_INJECTED), fatal
      (ERR_FATAL_INJECTED), crash (exit 9 mid-range) or hang (sleep forever);
      ATTEMPT is an attempt number or * (default 1).
  MONTECARLO_SLEEP=SECONDS  sleep this long per event (to make ranges slow).
  MONTECARLO_GATE=PATH  before each range, wait until PATH exists (a test holds the job running).
"""

import hashlib
import math
import os
import random
import sys
import time

try:
    from yoda_payload import PayloadError, serve, write_atomically
except ImportError:  # run from a checkout without PYTHONPATH: use the repo's python/ directory
    # realpath: this file may be reached through a symlink (the tests run the example in a temp directory).
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "..", "python"))
    from yoda_payload import PayloadError, serve, write_atomically

# Detector: cylindrical layers (radius cm) of silicon in a 2 T solenoid field along z.
LAYERS = (4.0, 8.0, 12.0, 18.0, 26.0, 36.0, 48.0, 60.0)
THICKNESS = 0.3  # cm of silicon per layer
HALF_LENGTH = 130.0  # cm
B_FIELD = 2.0  # tesla
STEP = 0.25  # cm of path per step
X0_SILICON, X0_AIR = 9.37, 30390.0  # radiation lengths, cm
DEDX_SILICON = 3.88  # MeV/cm for a minimum ionizing particle
MASS = 0.13957  # GeV, charged pion
MAX_STEPS = 4000


# A deterministic integer seed for one event (hashlib, not the salted hash()).
def event_seed(basename, event):
    return int.from_bytes(hashlib.sha256(f"{basename}:{event}".encode("utf-8")).digest()[:8], "big")


# Read an input file: its event count (header) and, per event, a list of (px, py, pz, charge).
def read_events(path):
    with open(path, encoding="utf-8") as f:
        header = f.readline().split()
        if header[:3] != ["#", "yoda-montecarlo-evgen", "v1"] or not header[3].startswith("events="):
            raise ValueError(f"{path}: not a yoda-montecarlo-evgen v1 file")
        count = int(header[3][len("events="):])
        events = []
        for line in f:
            fields = line.split()
            n = int(fields[1])
            if int(fields[0]) != len(events) or len(fields) != 2 + 4 * n:
                raise ValueError(f"{path}: malformed line for event {len(events)}")
            events.append([tuple(float(v) for v in fields[2 + 4 * k:6 + 4 * k]) for k in range(n)])
    if len(events) != count:
        raise ValueError(f"{path}: header says {count} events, file holds {len(events)}")
    return count, events


# The index of the layer whose silicon contains radius r, or -1 in air.
def layer_at(r):
    for i, radius in enumerate(LAYERS):
        if abs(r - radius) < THICKNESS / 2:
            return i
    return -1


# Turn the unit direction u by two small gaussian angles of width theta0 (multiple scattering).
def kick(rng, ux, uy, uz, theta0):
    ax, ay, az = -uy, ux, 0.0
    norm = math.hypot(ax, ay)
    if norm < 1e-9:
        ax, ay, norm = 1.0, 0.0, 1.0
    ax, ay = ax / norm, ay / norm
    bx, by, bz = uy * az - uz * ay, uz * ax - ux * az, ux * ay - uy * ax
    t1, t2 = rng.gauss(0.0, theta0), rng.gauss(0.0, theta0)
    vx, vy, vz = ux + t1 * ax + t2 * bx, uy + t1 * ay + t2 * by, uz + t1 * az + t2 * bz
    norm = math.sqrt(vx * vx + vy * vy + vz * vz)
    return vx / norm, vy / norm, vz / norm


# Step one particle out of the detector; add its energy loss to edep; return its layer crossings.
def propagate(rng, px, py, pz, q, edep):
    p = math.sqrt(px * px + py * py + pz * pz)
    if p == 0.0:
        return 0
    ux, uy, uz = px / p, py / p, pz / p
    x = y = z = 0.0
    r, hits = 0.0, 0
    for _ in range(MAX_STEPS):
        if q:  # helix: the transverse direction turns by 0.003 B q ds / p
            dphi = -0.003 * B_FIELD * q * STEP / p
            c, s = math.cos(dphi), math.sin(dphi)
            ux, uy = c * ux - s * uy, s * ux + c * uy
        x, y, z = x + STEP * ux, y + STEP * uy, z + STEP * uz
        r_old, r = r, math.hypot(x, y)
        if r > LAYERS[-1] + 5.0 or abs(z) > HALF_LENGTH:
            break
        for radius in LAYERS:
            if (r_old - radius) * (r - radius) < 0.0:
                hits += 1
        layer = layer_at(r)
        x0 = X0_SILICON if layer >= 0 else X0_AIR
        energy = math.sqrt(p * p + MASS * MASS)
        beta = p / energy
        t = STEP / x0
        theta0 = 0.0136 / (beta * p) * math.sqrt(t) * (1.0 + 0.038 * math.log(t))
        ux, uy, uz = kick(rng, ux, uy, uz, max(theta0, 0.0))
        if layer >= 0 and q:
            loss = DEDX_SILICON * STEP * (0.8 + 0.25 * rng.expovariate(1.0))  # MeV, Landau-like tail
            edep[layer] += loss
            energy -= loss / 1000.0
            if energy <= MASS * 1.01:
                break
            p = math.sqrt(energy * energy - MASS * MASS)
    return hits


# Simulate one event; return its output line (with the trailing newline).
def simulate_event(basename, event, particles):
    rng = random.Random(event_seed(basename, event))
    edep = [0.0] * len(LAYERS)
    hits = 0
    for px, py, pz, q in particles:
        hits += propagate(rng, px, py, pz, int(q), edep)
    return f"{basename} {event} {hits} " + " ".join(f"{e:.6f}" for e in edep) + "\n"


# The injected fault kind for this range attempt, if MONTECARLO_FAULTS names one.
def faults(r):
    for entry in filter(None, os.environ.get("MONTECARLO_FAULTS", "").split(";")):
        kind, _, target = entry.strip().partition("=")
        rid, _, attempt = target.partition("@")
        if rid == r.id and (attempt or "1") in ("*", str(r.attempt)):
            return kind
    return None


# Simulate the events of one range and write them, atomically, to r.output.
def process(r):
    fault = faults(r)
    if fault == "fail":
        raise PayloadError("ERR_INJECTED", f"injected failure for {r.id} attempt {r.attempt}")
    if fault == "fatal":
        raise PayloadError("ERR_FATAL_INJECTED", f"injected fatal failure for {r.id}")
    try:
        count, events = read_events(r.file)
    except FileNotFoundError as e:
        raise PayloadError("ERR_INPUT_NOT_FOUND", str(e))
    except (ValueError, IndexError) as e:
        raise PayloadError("ERR_BAD_INPUT", str(e))
    # With `extract` (extract.py) the file holds only this range's events: event e is its (e - file_first)-th.
    base = r.file_first
    if not 0 <= r.first - base <= r.last - base < count:
        raise PayloadError("ERR_BAD_RANGE", f"events {r.first}-{r.last} outside {base}-{base + count - 1} of {r.file}")
    gate = os.environ.get("MONTECARLO_GATE")
    while gate and not os.path.exists(gate):
        time.sleep(0.05)
    basename = os.path.basename(r.file)
    pause = float(os.environ.get("MONTECARLO_SLEEP", "0"))
    lines = []
    for event in range(r.first, r.last + 1):
        if fault == "crash" and event > r.first:
            os._exit(9)
        if fault == "hang":
            time.sleep(3600 * 24)
        lines.append(simulate_event(basename, event, events[event - base]))
        if pause:
            time.sleep(pause)
    write_atomically(r.output, "".join(lines))
    return [r.output]


# Count events (--count FILE) or serve as a worker.
def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--count":
        print(read_events(sys.argv[2])[0])
        return
    if len(sys.argv) != 1:
        sys.exit("usage: payload.py [--count FILE]")
    serve(process)


if __name__ == "__main__":
    main()
