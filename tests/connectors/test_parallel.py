"""The connectors' one way to read boards/projects concurrently: in order, and all or nothing."""

from __future__ import annotations

import threading
import time

import pytest

from raci_sync.connectors.parallel import in_order


def test_results_come_in_call_order_whatever_finishes_first() -> None:
    def call(i: int, pause: float):  # type: ignore[no-untyped-def]
        return lambda: (time.sleep(pause), i)[1]

    calls = [call(0, 0.05), call(1, 0.0), call(2, 0.02)]
    assert in_order(calls, 3) == [0, 1, 2]


def test_after_a_failure_no_new_call_starts_and_the_first_failure_is_raised() -> None:
    started: list[int] = []
    lock = threading.Lock()

    def call(i: int):  # type: ignore[no-untyped-def]
        def run() -> int:
            with lock:
                started.append(i)
            time.sleep(0.02)
            if i in (0, 1):
                raise ValueError(f"board {i}")
            return i

        return run

    with pytest.raises(ValueError, match="board 0"):  # the first in call order, not in time
        in_order([call(i) for i in range(8)], 2)
    # the other six never started (1 may not have either: on a loaded machine its worker can
    # reach it only after 0 failed, and then skips it)
    assert 0 in started and set(started) <= {0, 1}


def test_one_worker_runs_inline_and_stops_at_the_failure() -> None:
    ran: list[int] = []

    def call(i: int):  # type: ignore[no-untyped-def]
        def run() -> int:
            ran.append(i)
            if i == 1:
                raise KeyError(i)
            return i

        return run

    with pytest.raises(KeyError):
        in_order([call(i) for i in range(4)], 1)
    assert ran == [0, 1]
