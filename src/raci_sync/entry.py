"""The ``raci`` console script: signals are handled before anything else is imported, so a
Ctrl-C even during start-up ends with one line, never a traceback.

Importing this module (only the console script and ``python -m raci_sync`` do) installs a
minimal handler at once, from built-in modules only; :func:`main` then installs the full one
of :mod:`raci_sync.interrupt`, which records the run and releases the lock.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import FrameType


def _early(signum: int, _frame: FrameType | None) -> None:
    """A signal before the CLI has started anything: nothing to clean up, end quietly."""
    os.write(2, b"raci: interrupted during start-up\n")
    os._exit(128 + signum)


if threading.current_thread() is threading.main_thread():
    for _signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(_signum, _early)


def main() -> None:
    """Install the signal handlers, then run the CLI and exit with its code."""
    from raci_sync import interrupt

    interrupt.install()
    try:
        from raci_sync.cli import run_cli

        code = run_cli()
    except interrupt.Interrupted as exc:  # during start-up, before the CLI's own handler
        sys.stderr.write(f"raci: {exc}\n")
        code = exc.code
    if interrupt.STOP.is_set():
        interrupt.finish(code)  # do not wait for threads still blocked in network reads
    sys.exit(code)
