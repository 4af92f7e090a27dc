#!/usr/bin/env python3
"""Extract one event range of a remote montecarlo input file into a small local file (Yoda's `extract`, ESS style).

Usage: extract.py URL FIRST LAST OUTPUT

URL is a root:// (read with `xrdcp -s URL -`), http(s):// or local input file; FIRST..LAST (0-based, inclusive) the
events to extract; OUTPUT the file to write. It reads the file as a stream and stops after event LAST, so early
ranges read only the start of the file. OUTPUT is a valid input file of its own: its header says how many events it
holds and the number of its first event (`first=`); its events are numbered from 0, so the payload reads event e of
the job as event e - FIRST of OUTPUT (Yoda passes FIRST to the worker as `fileFirst`).
"""
import os
import subprocess
import sys
import urllib.request


# The input file's lines, as a stream of text lines, and a function that stops reading.
def open_lines(url):
    if url.startswith(("root://", "xroot://")):
        p = subprocess.Popen(["xrdcp", "-s", url, "-"], stdout=subprocess.PIPE, text=True)
        return p.stdout, lambda: (p.kill(), p.wait())
    if url.startswith(("http://", "https://")):
        r = urllib.request.urlopen(url, timeout=60)
        lines = (line.decode("utf-8") for line in r)
        return lines, r.close
    f = open(url, encoding="utf-8")
    return f, f.close


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    url, first, last, output = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    lines, stop = open_lines(url)
    try:
        header = next(iter(lines), "").split()
        if header[:3] != ["#", "yoda-montecarlo-evgen", "v1"]:
            sys.exit(f"extract.py: {url} is not a yoda-montecarlo-evgen v1 file")
        events = []
        for line in lines:
            event, rest = line.split(" ", 1)
            if int(event) > last:
                break
            if int(event) >= first:
                events.append(f"{int(event) - first} {rest}")
    finally:
        stop()
    if len(events) != last - first + 1:
        sys.exit(f"extract.py: {url} holds events up to {first + len(events) - 1}, not {last}")
    seed = next((h for h in header if h.startswith("seed=")), "seed=0")
    tmp = f"{output}.tmp"
    with open(tmp, "w", encoding="utf-8") as out:
        out.write(f"# yoda-montecarlo-evgen v1 events={len(events)} {seed} first={first}\n")
        out.writelines(events)
    os.replace(tmp, output)


if __name__ == "__main__":
    main()
