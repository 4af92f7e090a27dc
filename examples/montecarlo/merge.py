#!/usr/bin/env python3
"""Merge range outputs for Yoda's `merge` (see staged.yaml): concatenate the files listed in LIST into OUTPUT.

Usage: merge.py LIST OUTPUT

LIST holds one output path per line, in event order (Yoda writes it); OUTPUT is the file to write (Yoda moves it into
place once this exits 0). A missing input is an error: exit 1 with its name, nothing half-merged counts.
"""

import shutil
import sys


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        inputs = [line.rstrip("\n") for line in f if line.strip()]
    with open(sys.argv[2], "wb") as out:
        for path in inputs:
            try:
                with open(path, "rb") as src:
                    shutil.copyfileobj(src, out)
            except OSError as e:
                print(f"merge.py: cannot read {path}: {e.strerror}", file=sys.stderr)
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
