"""One run at a time: a file lock beside the store, taken without waiting."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from raci_sync.errors import LockedError


def lock_path(store: str | Path) -> Path:
    """The lock file of a store: ``<store>.lock`` beside it."""
    return Path(f"{store}.lock")


@contextmanager
def run_lock(store: str | Path) -> Iterator[None]:
    """Hold the store's lock for the block; raise LockedError at once if another run has it."""
    path = lock_path(store)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise LockedError(
            f"another raci run is using the store {store} (lock {path}); this run stops "
            "without touching it. Let the other run finish, or run this one later."
        ) from None
    try:
        yield
    finally:
        lock.release()
