#!/usr/bin/env python3
"""Checksum example payload (command mode): one sha256 line per event, where an event is a line.

Usage:
  checksum.py FILE FIRST LAST OUTPUT   write "<basename> <event> <sha256 of the line>" for
                                       lines FIRST..LAST (0-based, inclusive) of FILE to OUTPUT
  checksum.py --count FILE             print the number of lines (events) in FILE
"""

import hashlib
import os
import sys


# The events of an input file: its lines, without their line ends.
def read_lines(path):
    with open(path, "rb") as f:
        data = f.read()
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return lines


# yoda_payload's write_atomically (temporary file in the same directory, fsync, rename). Yoda puts the
# helper on every worker's PYTHONPATH; --count (the job's event-count command) runs without it and never needs it.
def helper_write_atomically():
    try:
        from yoda_payload import write_atomically
    except ImportError:  # run from a checkout without PYTHONPATH: use the repo's python/ directory
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
        from yoda_payload import write_atomically
    return write_atomically


# Count lines (--count FILE) or checksum one range; return the exit status.
def main(argv):
    if len(argv) == 2 and argv[0] == "--count":
        print(len(read_lines(argv[1])))
        return 0
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    path, first, last, output = argv[0], int(argv[1]), int(argv[2]), argv[3]
    lines = read_lines(path)
    if not 0 <= first <= last < len(lines):
        print(f"checksum.py: events {first}-{last} outside 0-{len(lines) - 1} of {path}", file=sys.stderr)
        return 1
    base = os.path.basename(path)
    text = "".join(f"{base} {e} {hashlib.sha256(lines[e]).hexdigest()}\n" for e in range(first, last + 1))
    helper_write_atomically()(output, text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
