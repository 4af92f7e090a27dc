"""Payload side of the Yoda worker control protocol (Python standard library only).

A payload worker is a long-lived process started by a Droid. Its stdout and
stderr are free for its own logs; the dialogue with the Droid runs over the
UNIX stream socket whose file descriptor is given in YODA_CONTROL_FD (normally
3). Messages are UTF-8 JSON objects, one per line, each ending in "\\n".

  worker -> droid  {"type":"ready","batch":N}   at start, and again each time
                                      every range it was given has been
                                      reported; batch: the most ranges it
                                      takes in one message (absent: 1)
  droid -> worker  {"type":"ranges","ranges":[R, ...]}  or  {"type":"no_more_events"}
                                      (exactly one reply per ready; after
                                      no_more_events the worker exits 0)
  worker -> droid  {"type":"done","id":..,"outputs":[abs paths],"cpu":s,"wall":s}
                   {"type":"failed","id":..,"code":"ERR_<NAME>","message":".."}
                                      one per range, in any order; a code whose
                                      name contains FATAL means the worker
                                      cannot go on and exits non-zero after it

  droid -> worker  {"type":"drain","graceSeconds":N}   at any time: the job
                                      drains; SIGTERM follows at once, SIGKILL
                                      after N seconds. draining() turns True;
                                      the range in hand may still finish.

R = {"id","file","first","last","output","attempt","guid"?,"scope"?,"fileFirst"?,
"source"?}: events first..last (0-based, inclusive) of the input file, and a
suggested output path. With the job's `extract` (ESS style) `file` is a small
file holding only the range's events: event e is its (e - fileFirst)-th
(Range.file_first; 0 for a whole input file), `source` the remote file.
When the control channel reaches EOF (the Droid died) the worker exits at once.
Message types the worker does not know are ignored. The whole protocol is
docs/worker-protocol.md.

Usage:

    from yoda_payload import serve, PayloadError

    def process(r):
        ...write r.output...
        return [r.output]

    serve(process)
"""

import json
import os
import queue
import re
import resource
import signal
import socket
import sys
import threading
import time
import traceback

__all__ = ["serve", "PayloadError", "Range", "write_atomically", "draining"]

CODE_RE = re.compile(r"^ERR_[A-Z0-9_]+$")
EXIT_USAGE = 2  # not started by yoda (no control channel)
EXIT_FATAL = 3  # reported a FATAL failure
EXIT_LOST = 4  # control channel closed or garbled: the Droid is gone

_draining = threading.Event()


# True once the Droid said the job drains (the drain message, or SIGTERM): finish the range in hand quickly.
def draining():
    return _draining.is_set()


# A payload failure with a protocol error code (ERR_<NAME>; FATAL in the name stops the worker).
class PayloadError(Exception):
    def __init__(self, code, message=""):
        super().__init__(message)
        self.code = code
        self.message = str(message)

    def __str__(self):
        return f"{self.code}: {self.message}"


# One event range to process: events first..last (inclusive) of input file `file`.
class Range:
    def __init__(self, raw):
        self.raw = raw
        self.id = raw["id"]
        self.file = raw["file"]
        self.first = int(raw["first"])
        self.last = int(raw["last"])
        self.output = raw.get("output")
        self.attempt = int(raw.get("attempt", 1))
        self.guid = raw.get("guid")
        self.scope = raw.get("scope")
        # With `extract` (ESS style) `file` holds only this range's events: event e is its (e - file_first)-th.
        self.file_first = int(raw.get("fileFirst", 0))
        self.source = raw.get("source")

    def __repr__(self):
        return f"Range({self.id!r}, attempt={self.attempt})"


# Write data (bytes or str) to path atomically: temporary file in the same directory, fsync, rename.
def write_atomically(path, data):
    path = os.path.abspath(os.fspath(path))
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        os.unlink(tmp)
        raise
    os.close(fd)
    os.replace(tmp, path)
    try:
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass  # some file systems refuse fsync on directories


def _die(status, why):
    sys.stderr.write(f"yoda_payload: {why}\n")
    sys.stderr.flush()
    sys.stdout.flush()
    os._exit(status)


def _cpu_seconds():
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + kids.ru_utime + kids.ru_stime


class _Channel:
    """The control socket: a reader thread queues messages; EOF ends the worker at once."""

    def __init__(self, fd):
        os.set_inheritable(fd, False)  # children of the payload must not hold the channel open
        self.sock = socket.socket(fileno=fd)
        self.messages = queue.Queue()
        threading.Thread(target=self._read, name="yoda-control", daemon=True).start()

    def _read(self):
        reader = self.sock.makefile("rb")
        while True:
            try:
                line = reader.readline()
            except OSError as e:
                _die(EXIT_LOST, f"control channel read failed ({e}); exiting")
            if not line.endswith(b"\n"):
                _die(EXIT_LOST, "control channel closed (the droid is gone); exiting")
            try:
                msg = json.loads(line)
            except ValueError:
                _die(EXIT_LOST, f"garbled control message {line[:200]!r}; exiting")
            kind = msg.get("type") if isinstance(msg, dict) else None
            if kind == "drain":
                _draining.set()
                continue
            if kind not in ("ranges", "no_more_events"):
                continue  # a message of a later protocol version: ignored
            self.messages.put(msg)
            if kind == "no_more_events":
                return  # nothing more may come; EOF after this is normal

    def send(self, msg):
        # Each reply is written before the next range starts: a payload that crashes in a range loses no report
        # of the ranges before it, and the Droid fails only the range in hand.
        try:
            self.sock.sendall((json.dumps(msg, separators=(",", ":")) + "\n").encode("utf-8"))
        except OSError as e:
            _die(EXIT_LOST, f"control channel write failed ({e}); exiting")

    def receive(self):
        return self.messages.get()


def _outputs(result):
    if result is None:
        raise PayloadError("ERR_PAYLOAD", "process() returned None instead of a list of output paths")
    if isinstance(result, (str, bytes, os.PathLike)):
        result = [result]
    paths = [os.path.abspath(os.fsdecode(p)) for p in result]
    if not paths:
        raise PayloadError("ERR_OUTPUT_INVALID", "process() returned no output path: a done range needs at least one output")
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        raise PayloadError("ERR_OUTPUT_MISSING", "output not found: " + ", ".join(missing))
    return paths


def _run_one(process, raw):
    """Process one range; return the done or failed message for it."""
    rid = raw.get("id") if isinstance(raw, dict) else None
    wall0, cpu0 = time.monotonic(), _cpu_seconds()
    try:
        outputs = _outputs(process(Range(raw)))
    except PayloadError as e:
        code = e.code if isinstance(e.code, str) and CODE_RE.match(e.code) else "ERR_PAYLOAD"
        return {"type": "failed", "id": rid, "code": code, "message": e.message}
    except Exception as e:
        traceback.print_exc(file=sys.stderr)
        return {"type": "failed", "id": rid, "code": "ERR_EXCEPTION", "message": f"{type(e).__name__}: {e}"}
    wall, cpu = time.monotonic() - wall0, _cpu_seconds() - cpu0
    return {"type": "done", "id": rid, "outputs": outputs, "cpu": round(cpu, 6), "wall": round(wall, 6)}


# Most ranges this worker takes in one message; the Droid sends several only when ranges are short.
BATCH = 256


# Run the worker dialogue, calling process(range) for each range; returns after no_more_events.
def serve(process):
    fd_text = os.environ.get("YODA_CONTROL_FD")
    if not fd_text:
        sys.stderr.write(
            "yoda_payload: YODA_CONTROL_FD is not set. This program is a Yoda payload worker: it must be\n"
            "started by a yoda Droid, which hands it event ranges over a control channel.\n"
            "Run it through a yoda job file instead of directly.\n"
        )
        sys.exit(EXIT_USAGE)
    try:
        channel = _Channel(int(fd_text))
    except (ValueError, OSError) as e:
        sys.stderr.write(f"yoda_payload: YODA_CONTROL_FD={fd_text!r} is not a usable control socket: {e}\n")
        sys.exit(EXIT_USAGE)
    # The drain's SIGTERM must not kill the range in hand: it may finish within the grace (SIGKILL ends it).
    try:
        signal.signal(signal.SIGTERM, lambda *_: _draining.set())
    except ValueError:
        pass  # serve() not on the main thread: SIGTERM keeps its default action
    while True:
        channel.send({"type": "ready", "batch": BATCH})
        msg = channel.receive()
        kind = msg.get("type") if isinstance(msg, dict) else None
        if kind == "no_more_events":
            sys.stdout.flush()
            return
        if kind != "ranges" or not isinstance(msg.get("ranges"), list) or not msg["ranges"]:
            _die(EXIT_LOST, f"unexpected control message {msg!r}; exiting")
        for raw in msg["ranges"]:
            if draining() and len(msg["ranges"]) > 1:
                # The rest of the message is not started: it goes back to Yoda without burning an attempt.
                sys.stdout.flush()
                sys.exit(0)
            reply = _run_one(process, raw)
            channel.send(reply)
            if reply["type"] == "failed" and "FATAL" in reply["code"]:
                sys.stdout.flush()
                sys.stderr.write(f"yoda_payload: fatal failure {reply['code']}: {reply['message']}\n")
                sys.exit(EXIT_FATAL)
