"""The ``raci`` console script: signals are handled before anything else is imported, so a
Ctrl-C even during start-up ends with one line, never a traceback."""

from __future__ import annotations

import sys


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
