#!/usr/bin/env python3
"""Check a montecarlo job's outputs against a serial, single-process simulation.

Usage: verify.py [--partial] [--staged DIR] WORKDIR

Reads WORKDIR/job.json (input files and event counts) and WORKDIR/journal.log
(the done records and their output files). Without --partial, every event of
every input file must be present exactly once and the combined outputs must be
byte-identical to the serial simulation. With --partial (after a stop), events
may be missing, but those present must be correct and not duplicated.
With --staged DIR (a job with merge per file and stageOut, DIR being the local
directory the stage-out destination is): every input file's merged file was
merged and staged exactly once (one merged and one staged record), is in DIR
with the journaled Adler-32, and is byte-identical to the serial simulation of
that input file.
Exit status: 0 when all is well, 1 otherwise (with the differences printed).
"""

import argparse
import hashlib
import json
import os
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from payload import read_events, simulate_event  # noqa: E402

SHOW = 5  # how many examples of each problem to print


# The journal's records up to the first torn or corrupt line (crc32 hex, space, JSON, newline).
def read_journal(path):
    with open(path, "rb") as f:
        data = f.read()
    records = []
    lines = data.split(b"\n")
    for number, line in enumerate(lines[:-1], 1):  # the last piece has no newline: torn or empty
        crc, body = line[:8], line[9:]
        if len(line) < 10 or line[8:9] != b" " or crc != b"%08x" % zlib.crc32(body):
            print(f"journal: stopped at line {number} (bad crc: torn or corrupt tail)")
            return records
        records.append(json.loads(body))
    if lines[-1]:
        print(f"journal: ignored an incomplete last line ({len(lines[-1])} bytes)")
    return records


# (basename, first, last) from a range id like "evgen_001.evgen:0-19", or None.
def parse_range_id(rid):
    name, _, span = str(rid).rpartition(":")
    first, _, last = span.partition("-")
    if name and first.isdigit() and last.isdigit():
        return name, int(first), int(last)
    return None


# Map (basename, event) -> [(line, output path), ...] over the done ranges; note problems found.
def collect_outputs(workdir, done, known, problems):
    seen = {}
    for rec in done:
        span = parse_range_id(rec.get("id"))
        in_range = set()
        for out in rec.get("out", []):
            out = os.path.join(workdir, out)  # outputs are absolute; a relative one is taken in the work directory
            try:
                with open(out, encoding="utf-8", newline="") as f:
                    lines = f.read().splitlines(keepends=True)
            except OSError as e:
                problems.append(f"range {rec['i']} ({rec.get('id')}): cannot read output {out}: {e}")
                continue
            for line in lines:
                fields = line.split()
                key = (fields[0], int(fields[1])) if len(fields) > 1 and fields[1].isdigit() else None
                if key is None or key[0] not in known or not 0 <= key[1] < known[key[0]]:
                    problems.append(f"{out}: line not for a known event: {line.rstrip()[:100]!r}")
                    continue
                seen.setdefault(key, []).append((line, out))
                in_range.add(key)
        if span:
            want = {(span[0], e) for e in range(span[1], span[2] + 1)}
            if in_range != want:
                extra, lack = sorted(in_range - want), sorted(want - in_range)
                problems.append(f"range {rec['i']} ({rec['id']}): outputs hold {len(extra)} events outside "
                                f"the range {extra[:SHOW]} and lack {len(lack)} of its events {lack[:SHOW]}")
    return seen


# The --staged check: each input file's merged file merged and staged once, in DIR, checksummed, equal to the serial run.
def check_staged(job, records, files, dest_dir, problems):
    merged, staged = {}, {}
    for rec in records:
        if rec.get("t") == "merged":
            merged.setdefault(rec["id"], []).append(rec)
        elif rec.get("t") == "staged" and "g" in rec:
            staged.setdefault(rec["id"], []).append(rec)
    destination = job["spec"]["stageOut"]["destination"]
    for path, n in files:
        base = os.path.basename(path)
        m, s = merged.get(base, []), staged.get(base, [])
        if len(m) != 1 or len(s) != 1:
            problems.append(f"{base}: merged {len(m)} times and staged {len(s)} times (want once each)")
            continue
        url = s[0]["out"][0]
        if not url.startswith(destination):
            problems.append(f"{base}: staged to {url}, not under {destination}")
            continue
        local = os.path.join(dest_dir, url[len(destination):])
        try:
            with open(local, "rb") as f:
                data = f.read()
        except OSError as e:
            problems.append(f"{base}: cannot read the staged file {local}: {e.strerror}")
            continue
        if s[0].get("adler32") and s[0]["adler32"][0] != "%08x" % zlib.adler32(data):
            problems.append(f"{local}: adler32 {zlib.adler32(data):08x}, the journal says {s[0]['adler32'][0]}")
        events = read_events(path)[1]
        want = "".join(simulate_event(base, e, events[e]) for e in range(n)).encode()
        if data != want:
            problems.append(f"{local}: not byte-identical to the serial simulation of {base}")
    return sum(len(v) for v in staged.values())


# Check the work directory; return the exit status.
def main():
    parser = argparse.ArgumentParser(description="Verify a montecarlo work directory.")
    parser.add_argument("workdir")
    parser.add_argument("--partial", action="store_true", help="allow missing events (after a stop)")
    parser.add_argument("--staged", metavar="DIR", help="check the merged files staged out to DIR (see above)")
    args = parser.parse_args()
    try:
        with open(os.path.join(args.workdir, "job.json"), encoding="utf-8") as f:
            job = json.load(f)
        records = read_journal(os.path.join(args.workdir, "journal.log"))
    except (OSError, ValueError) as e:
        print(f"FAIL: cannot read the work directory: {e}")
        return 1
    problems = []
    files = [(f["path"], int(f["events"])) for f in job["files"]]
    known = {os.path.basename(p): n for p, n in files}
    if len(known) != len(files):
        problems.append("input files with the same basename: outputs cannot tell them apart")
    done, by_index = [], {}
    for rec in records:
        if rec.get("t") != "done":
            continue
        if rec["i"] in by_index:
            problems.append(f"range {rec['i']} done twice in the journal ({rec.get('id')})")
            continue
        by_index[rec["i"]] = rec
        done.append(rec)
    seen = collect_outputs(args.workdir, done, known, problems)

    order = [(os.path.basename(p), e) for p, n in files for e in range(n)]
    dups = [k for k in order if len(seen.get(k, ())) > 1]
    missing = [k for k in order if k not in seen]
    for k in dups[:SHOW]:
        problems.append(f"event {k[0]}:{k[1]} present {len(seen[k])} times, in {[o for _, o in seen[k]]}")
    if len(dups) > SHOW:
        problems.append(f"... {len(dups)} duplicated events in all")
    if missing and not args.partial:
        problems.append(f"{len(missing)} events missing, first: " + ", ".join(f"{b}:{e}" for b, e in missing[:SHOW]))

    # Serial recomputation of every event present (every event of the job without --partial).
    got, expected, diffs = [], [], []
    for path, n in files:
        base = os.path.basename(path)
        wanted = [e for e in range(n) if (base, e) in seen or not args.partial]
        if not wanted:
            continue
        events = read_events(path)[1]
        for e in wanted:
            line = simulate_event(base, e, events[e])
            expected.append(line)
            if (base, e) in seen:
                got.append(seen[(base, e)][0][0])
                if seen[(base, e)][0][0] != line:
                    diffs.append((base, e, seen[(base, e)][0], line))
    for base, e, (line, out), want in diffs[:SHOW]:
        problems.append(f"event {base}:{e} differs in {out}:\n    got      {line!r}\n    expected {want!r}")
    if len(diffs) > SHOW:
        problems.append(f"... {len(diffs)} events differ in all")
    got_text, expected_text = "".join(got).encode(), "".join(expected).encode()
    if not args.partial and not problems and got_text != expected_text:
        problems.append("combined outputs differ from the serial simulation")

    staged = check_staged(job, records, files, args.staged, problems) if args.staged else 0

    if problems:
        print(f"FAIL {job.get('name')}: {len(problems)} problem(s)")
        for p in problems:
            print("  " + p)
        return 1
    digest = hashlib.sha256(got_text).hexdigest()[:16]
    if args.partial:
        print(f"OK (partial) {job.get('name')}: {len(done)} done ranges, {len(got)} of {len(order)} events "
              f"match the serial simulation, {len(missing)} not done yet, none duplicated")
    else:
        print(f"OK {job.get('name')}: {len(done)} done ranges, {len(got)} events of {len(files)} input files "
              f"byte-identical to the serial simulation (sha256 {digest})")
        if args.staged:
            print(f"OK staged: {staged} merged files in {args.staged}, one per input file, each merged and staged "
                  f"once, checksums match, byte-identical to the serial simulation of its input file")
    return 0


if __name__ == "__main__":
    sys.exit(main())
