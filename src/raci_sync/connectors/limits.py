"""Client-side rate limits: stay inside each API's documented budget instead of hitting 429s.

A :class:`RateLimiter` is a sliding-window counter shared by every thread (and every source)
that uses the same credential: Trello allows 100 requests per 10 s per token, Asana 150 per
minute on free plans and 1,500 on paid ones. ``limiter_for`` hands out one limiter per
(API, credential) so two sources with one token share one budget.

Its pauses are waits like any other (PRODUCT §9 "Bounded"): the HTTP client passes a ``check``
that refuses a pause longer than ``[sync] max_wait_s`` or the source's time left, and the
default sleep ends at once on SIGINT/SIGTERM (``interrupt.pause``).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import deque
from collections.abc import Callable

from raci_sync.interrupt import pause as interruptible_pause


class RateLimiter:
    """At most ``limit`` acquisitions in any ``window`` seconds; ``acquire`` waits for a slot."""

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = interruptible_pause,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a rate limit needs limit >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self.clock = clock
        self.sleep = sleep
        self.waited = 0.0  # total seconds spent waiting (for benchmarks)
        self._stamps: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self, check: Callable[[float], None] | None = None) -> float:
        """Take one slot, waiting as long as needed; returns the seconds waited.

        ``check(pause)`` is called before each pause and may raise to refuse it (the caller's
        bounds, or a signal): then no slot is taken.
        """
        waited = 0.0
        while True:
            with self._lock:
                now = self.clock()
                while self._stamps and now - self._stamps[0] >= self.window:
                    self._stamps.popleft()
                if len(self._stamps) < self.limit:
                    self._stamps.append(now)
                    self.waited += waited
                    return waited
                pause = self.window - (now - self._stamps[0])
            pause = max(pause, 0.001)
            if check is not None:
                check(pause)
            self.sleep(pause)
            waited += pause


_REGISTRY: dict[tuple[str, str], RateLimiter] = {}
_REGISTRY_LOCK = threading.Lock()


def limiter_for(api: str, credential: str, limit: int, window: float) -> RateLimiter:
    """The one limiter of this API and credential (created on first use)."""
    key = (api, hashlib.sha256(credential.encode()).hexdigest())
    with _REGISTRY_LOCK:
        limiter = _REGISTRY.get(key)
        if limiter is None or (limiter.limit, limiter.window) != (limit, window):
            limiter = _REGISTRY[key] = RateLimiter(limit, window)
        return limiter
