"""Progress of a sync: a bar on a terminal, plain one-line log records otherwise (cron)."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, TextIO

from raci_sync.errors import RaciError
from raci_sync.model import SourceRun

log = logging.getLogger("raci_sync.progress")


def setup_logging(
    *, verbose: int, debug: bool, log_file: str | None, stream: TextIO | None = None
) -> None:
    """stderr gets warnings (a terminal) or one line per event (no terminal: cron); a log file
    gets every INFO record; --debug adds every request and tracebacks."""
    err = stream or sys.stderr
    tty = err.isatty()
    fmt = logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S%z"
    )
    handler = logging.StreamHandler(err)
    handler.setFormatter(fmt)
    handler.setLevel(
        logging.DEBUG if debug else logging.INFO if verbose or not tty else logging.WARNING
    )
    handlers: list[logging.Handler] = [handler]
    if log_file:
        _create_private(log_file)  # it holds names and titles: owner only (PRODUCT §6)
        file_handler = logging.FileHandler(log_file, encoding="utf-8")
        file_handler.setFormatter(fmt)
        file_handler.setLevel(logging.DEBUG if debug else logging.INFO)
        handlers.append(file_handler)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
        old.close()
    for h in handlers:
        root.addHandler(h)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    for noisy in ("urllib3", "matplotlib", "PIL", "filelock"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if debug else logging.WARNING)


def _create_private(path: str) -> None:
    """Create ``path`` readable by its owner only (the umask may make it stricter); an
    existing file keeps its mode."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
    except OSError as exc:
        raise RaciError(f"cannot write the log file {path}: {exc.strerror or exc}") from None


def quiet_stderr() -> None:
    """Only warnings and errors on stderr from now on (a log file keeps everything)."""
    for handler in logging.getLogger().handlers:
        if type(handler) is logging.StreamHandler:  # not a FileHandler (a subclass)
            handler.setLevel(max(handler.level, logging.WARNING))


class SyncProgress:
    """Callback for ``SyncOptions.progress``: a tqdm bar on a terminal, log lines always."""

    def __init__(self, sources: int, *, quiet: bool = False, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.bar: Any = None
        if not quiet and self.stream.isatty() and sources:
            from tqdm import tqdm

            self.bar = tqdm(
                total=sources, desc="sync", unit="source", file=self.stream, leave=False
            )

    def __call__(self, name: str, result: SourceRun | None) -> None:
        if result is None:
            log.debug("sync: %s started", name)
            return
        if result.status == "ok":
            line = f"sync: {name}: ok, {result.tasks} tasks in {result.requests} requests"
            log.info("%s", line)
            if self.bar is not None:
                self.bar.write(line, file=self.stream)
        else:  # an error record reaches stderr on a terminal too
            log.error("sync: %s: FAILED — %s", name, result.error)
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
