#!/usr/bin/env python3
"""Write the montecarlo example's input files: generator events (particles) as text.

Usage: make_inputs.py [--files N] [--events M] [--out DIR]

Files are evgen_001.evgen, evgen_002.evgen, ... in DIR (default: inputs/ next to
this script). Line 1 is a header "# yoda-montecarlo-evgen v1 events=<M> seed=<S>",
then one line per event: "<event> <n>" followed by n particles "px py pz charge"
(GeV). Content depends only on the file index and event number, so reruns give
identical files.
"""

import argparse
import hashlib
import math
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))


# A deterministic integer seed from any text (unlike hash(), not salted per process).
def seed_of(text):
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


# One generator event: a few pions with falling pT, |eta| < 2.5 and random charge.
def generate_event(seed, event):
    rng = random.Random(seed_of(f"{seed}:{event}"))
    particles = []
    for _ in range(4 + rng.randrange(9)):
        pt = 0.25 + rng.expovariate(1 / 1.2)
        eta = rng.uniform(-2.5, 2.5)
        phi = rng.uniform(-math.pi, math.pi)
        charge = rng.choices((-1, 0, 1), weights=(0.4, 0.2, 0.4))[0]
        particles.append((pt * math.cos(phi), pt * math.sin(phi), pt * math.sinh(eta), charge))
    return particles


# The text of one input file: header line, then one line per event.
def file_text(index, events):
    seed = 1000 + index
    lines = [f"# yoda-montecarlo-evgen v1 events={events} seed={seed}\n"]
    for event in range(events):
        particles = generate_event(seed, event)
        fields = [f"{event} {len(particles)}"]
        fields += [f"{px:.6f} {py:.6f} {pz:.6f} {q}" for px, py, pz, q in particles]
        lines.append(" ".join(fields) + "\n")
    return "".join(lines)


# The text of a file, to compare with what would be written.
def read_text(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


# Write (or leave unchanged) every input file.
def main():
    parser = argparse.ArgumentParser(description="Write the montecarlo example's input files.")
    parser.add_argument("--files", type=int, default=4, help="number of input files (default 4)")
    parser.add_argument("--events", type=int, default=400, help="events per file (default 400)")
    parser.add_argument("--out", default=os.path.join(HERE, "inputs"), help="output directory")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for index in range(1, args.files + 1):
        path = os.path.join(args.out, f"evgen_{index:03d}.evgen")
        text = file_text(index, args.events)
        if os.path.exists(path) and read_text(path) == text:
            print(f"{path}: {args.events} events (unchanged)")
            continue
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
        print(f"{path}: {args.events} events")


if __name__ == "__main__":
    main()
