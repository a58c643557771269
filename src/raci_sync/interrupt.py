"""SIGINT and SIGTERM end a run within 2 s, with one line and no traceback (PRODUCT §9).

The first signal sets :data:`STOP` (workers stop starting requests and waiting) and raises
:class:`Interrupted` in the main thread, which records the run as "interrupted", keeps every
snapshot already stored (each was written whole, in its own transaction) and releases the lock
on its way out. Threads blocked in a network read are not waited for: the process ends with
``os._exit`` once the main thread has cleaned up. A second signal, or cleanup that takes longer
than :data:`GRACE` seconds, ends the process at once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from types import FrameType

STOP = threading.Event()
GRACE = 1.5  # seconds the main thread gets to clean up after a signal
NAMES = {signal.SIGINT: "SIGINT (Ctrl-C)", signal.SIGTERM: "SIGTERM"}


class Interrupted(BaseException):
    """A signal asked the run to end; ``code`` is the exit status (128 + signal number)."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.code = 128 + signum
        super().__init__(f"interrupted by {NAMES.get(signal.Signals(signum), signum)}")


def _handle(signum: int, _frame: FrameType | None) -> None:
    if STOP.is_set():  # the second signal: no more cleanup
        os._exit(128 + signum)
    STOP.set()
    watchdog = threading.Timer(GRACE, _hard_exit, (128 + signum,))
    watchdog.daemon = True
    watchdog.start()
    raise Interrupted(signum)


def _hard_exit(code: int) -> None:
    try:
        sys.stderr.write("raci: interrupted; cleanup took too long, stopping now\n")
        sys.stderr.flush()
    finally:
        os._exit(code)


def pause(seconds: float) -> None:
    """Sleep ``seconds``, or less: a signal (:data:`STOP`) ends every such wait at once."""
    STOP.wait(max(seconds, 0.0))


def install() -> None:
    """Handle SIGINT and SIGTERM as above (only from the main thread)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _handle)
        signal.signal(signal.SIGTERM, _handle)


def finish(code: int) -> None:
    """End the process with ``code`` without waiting for threads blocked in network reads."""
    import logging

    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)
