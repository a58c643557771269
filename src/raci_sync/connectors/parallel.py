"""Run a connector's calls (one per board or project) on a few threads, results in call order.

The rule every connector needs: a read is complete or it fails. So when one call fails, no
new call starts, the calls already running finish, and the first failure in call order is
raised — a failed board fails the read, it never quietly shrinks it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Executor, ThreadPoolExecutor, wait
from typing import TypeVar

T = TypeVar("T")


class _Skipped(Exception):
    """A call not started because another call of the same batch had already failed."""


def in_order(
    calls: Sequence[Callable[[], T]],
    max_workers: int,
    *,
    pool: Executor | None = None,
    name: str = "raci",
) -> list[T]:
    """Every call's result, in call order, running up to ``max_workers`` at once (on ``pool``
    when given, so nested levels can share one); the first failure is raised."""
    if max_workers <= 1 or len(calls) <= 1:
        return [call() for call in calls]
    if pool is not None:
        return _run(pool, calls)
    with ThreadPoolExecutor(min(max_workers, len(calls)), thread_name_prefix=name) as own:
        return _run(own, calls)


def _run(pool: Executor, calls: Sequence[Callable[[], T]]) -> list[T]:
    failed = threading.Event()

    def guarded(call: Callable[[], T]) -> T:
        # A worker that finishes a call after another call failed must not start the next
        # one before the caller gets round to cancelling it.
        if failed.is_set():
            raise _Skipped
        try:
            return call()
        except BaseException:
            failed.set()
            raise

    futures = [pool.submit(guarded, call) for call in calls]
    wait(futures, return_when=FIRST_EXCEPTION)
    if failed.is_set():
        for f in futures:
            f.cancel()
        wait(futures)  # the calls already running end; then every error is known
        errors = (f.exception() for f in futures if not f.cancelled())
        raise next(e for e in errors if e is not None and not isinstance(e, _Skipped))
    return [f.result() for f in futures]
