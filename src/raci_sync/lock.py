"""One run at a time: a file lock beside the store, taken without waiting."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from raci_sync.errors import LockedError, StoreError


def lock_path(store: str | Path) -> Path:
    """The lock file of a store: ``<store>.lock`` beside the file the path resolves to, so that
    two runs reaching one store through different paths (a symlink) share one lock."""
    return Path(f"{Path(store).resolve()}.lock")


@contextmanager
def run_lock(store: str | Path) -> Iterator[None]:
    """Hold the store's lock for the block; raise LockedError at once if another run has it."""
    path = lock_path(store)
    lock = FileLock(str(path), timeout=0, mode=0o600)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock.acquire()
    except Timeout:  # before OSError: filelock's Timeout is a TimeoutError
        raise LockedError(
            f"another raci run is using the store {store} (lock {path}); this run stops "
            "without touching it. Let the other run finish, or run this one later."
        ) from None
    except OSError as exc:
        raise StoreError(
            f"cannot create the lock {path} beside the store: {exc.strerror or exc}. Give this "
            "user write access to that folder, or point `store` somewhere it can write"
        ) from None
    try:
        yield
    finally:
        lock.release()
