#!/usr/bin/env python3
"""Benchmark payload (bench/stream.ts), daemon mode: an input file is a row of fixed-size events (STREAM_EVENT_BYTES
each), so event i of a range is bytes [i x size, (i + 1) x size). Each range reads its events' bytes, then works
STREAM_EVENT_MS of CPU on each event (a checksum of it seeds the loop), and writes one line: the range id and each
event's checksum (the same in every case of the benchmark, or the bytes read were wrong).

Where the bytes come from: r.file (a local input file, or the Droid's prefetched copy of a remote one); or, when
STREAM_REMOTE_BASE is set, the payload reads them itself: one HTTP Range GET of the range's span per range, from
STREAM_REMOTE_BASE + the input file's name, over one kept-alive connection per worker.
"""

import http.client
import os
import time
import urllib.parse
import zlib

from yoda_payload import PayloadError, serve, write_atomically

EVENT_BYTES = int(os.environ.get("STREAM_EVENT_BYTES", "65536"))
EVENT_SECONDS = float(os.environ.get("STREAM_EVENT_MS", "40")) / 1000
REMOTE = os.environ.get("STREAM_REMOTE_BASE", "")

_conn = None


# The range's bytes over HTTP: one Range GET through the worker's connection (opened again if the server closed it).
def read_remote(name, offset, size):
    global _conn
    base = urllib.parse.urlsplit(REMOTE)
    path = base.path.rstrip("/") + "/" + urllib.parse.quote(name)
    headers = {"Range": f"bytes={offset}-{offset + size - 1}"}
    for attempt in (1, 2):
        if _conn is None:
            _conn = http.client.HTTPConnection(base.hostname, base.port, timeout=60)
        try:
            _conn.request("GET", path, headers=headers)
            res = _conn.getresponse()
            data = res.read()
        except (http.client.HTTPException, OSError):
            _conn.close()
            _conn = None
            if attempt == 2:
                raise
            continue
        if res.status != 206 or len(data) != size:
            raise PayloadError("ERR_BAD_INPUT", f"GET {path} {headers['Range']}: HTTP {res.status}, {len(data)} bytes")
        return data
    raise PayloadError("ERR_BAD_INPUT", f"GET {path}: no answer")


# The range's bytes from the input file on this node.
def read_local(path, offset, size):
    with open(path, "rb") as f:
        f.seek(offset)
        data = f.read(size)
    if len(data) != size:
        raise PayloadError("ERR_BAD_INPUT", f"{path}: {len(data)} of {size} bytes at {offset}")
    return data


# One event's work: its checksum seeds a CPU loop that runs for EVENT_SECONDS.
def work(event):
    crc = zlib.crc32(event)
    x = crc
    deadline = time.monotonic() + EVENT_SECONDS
    while time.monotonic() < deadline:
        for _ in range(500):
            x = (x * 1103515245 + 12345) & 0x7FFFFFFF
    return crc


def process(r):
    count = r.last - r.first + 1
    offset = r.first * EVENT_BYTES
    size = count * EVENT_BYTES
    name = os.path.basename(r.file)
    data = read_remote(name, offset, size) if REMOTE else read_local(r.file, offset, size)
    crcs = [work(data[k * EVENT_BYTES : (k + 1) * EVENT_BYTES]) for k in range(count)]
    write_atomically(r.output, f"{r.id} {' '.join(f'{c:08x}' for c in crcs)}\n")
    return [r.output]


if __name__ == "__main__":
    serve(process)
