"""Keep TensorFlow's and LiteRT's native start-up chatter off a command line's stderr.

TensorFlow >= 2.17 logs through Abseil before Abseil's logging is initialised,
so ``TF_CPP_MIN_LOG_LEVEL`` no longer silences lines such as::

    WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
    I0000 00:00:1795900266.835091    8248 cudart_stub.cc:31] Could not find cuda drivers on your machine, ...
    E0000 00:00:1795900272.269261    8248 cuda_platform.cc:52] failed call to cuInit: ...
    INFO: Created TensorFlow Lite XNNPACK delegate for CPU.

They are written by C++ straight to file descriptor 2.  :func:`quiet_native_logs`
points descriptor 2 at a pipe for the duration of a command and forwards every
line except these known informational ones; Python's own ``sys.stderr`` (our
messages, progress bars, warnings, tracebacks) keeps writing to the real
stderr directly.  Only the command-line entry point uses it; library code never
touches the process's file descriptors.

``TF_CPP_MIN_LOG_LEVEL=0`` in the environment turns the filter off (everything
is shown).
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading

#: native log lines that carry no information for a user (matched at a line start)
NOISE = re.compile(
    rb"(?:WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    rb"|[IW]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [\w./-]+:\d+\] "  # Abseil INFO / WARNING
    rb"|E\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [\w./-]+:\d+\] "  # Abseil ERROR, only the known CUDA-probe ones:
    rb"(?:failed call to cuInit|Unable to register cu\w+ factory|Could not find cuda drivers)"
    rb"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IW] "  # TensorFlow < 2.17 INFO / WARNING
    rb"|INFO: Created TensorFlow Lite XNNPACK delegate for CPU\.)"
)
# a partial line that may still turn into one of the above (held back until its end arrives)
_MAYBE_NOISE = re.compile(rb"(?:[IWE]\d|\d{4}-|WARNING: All|INFO: Created)")


def _write_all(fd: int, data: bytes) -> None:
    while data:
        data = data[os.write(fd, data) :]


def _pump(read_fd: int, out_fd: int) -> None:
    """Copy ``read_fd`` to ``out_fd`` line by line, dropping :data:`NOISE` lines, until EOF."""
    pending = b""
    try:
        while True:
            chunk = os.read(read_fd, 65536)
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            kept = b"".join(line + b"\n" for line in lines if not NOISE.match(line))
            if pending and not (len(pending) < 32 or _MAYBE_NOISE.match(pending)):
                kept, pending = kept + pending, b""  # a partial line that is not a log line: show it now
            if kept:
                _write_all(out_fd, kept)
        if pending and not NOISE.match(pending):
            _write_all(out_fd, pending)
    except OSError:
        pass
    finally:
        os.close(read_fd)


@contextlib.contextmanager
def quiet_native_logs():
    """Filter native log noise from file descriptor 2 inside the ``with`` block (see the module doc).

    Does nothing when ``sys.stderr`` is not the process's descriptor 2 (e.g.
    under a test runner's capture) or when ``TF_CPP_MIN_LOG_LEVEL=0``.
    """
    try:
        active = sys.stderr.fileno() == 2 and os.environ.get("TF_CPP_MIN_LOG_LEVEL") != "0"
    except (AttributeError, OSError, ValueError):
        active = False
    if not active:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    read_fd, write_fd = os.pipe()
    os.dup2(write_fd, 2)
    os.close(write_fd)
    pump = threading.Thread(target=_pump, args=(read_fd, saved), name="handdigits-stderr", daemon=True)
    pump.start()
    python_stderr = sys.stderr
    sys.stderr = open(  # noqa: SIM115 - closed in the finally clause
        saved, "w", encoding=python_stderr.encoding, errors=python_stderr.errors, buffering=1, closefd=False
    )
    try:
        yield
    finally:
        sys.stderr.flush()
        sys.stderr.close()
        sys.stderr = python_stderr
        os.dup2(saved, 2)  # closes the pipe's last write end: the pump sees EOF and stops
        pump.join(timeout=5)
        os.close(saved)
