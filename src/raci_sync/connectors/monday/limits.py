"""What monday's limits make the connector do (package-private): meter the complexity budget,
guard every paging loop, and read the wait signals the HTTP layer does not.

- :class:`ComplexityBudget`: the points monday last reported left, shared by the threads of one
  connector, so a query that would not fit waits for the reset instead of being refused.
- :class:`PageGuard`: a listing stops on a repeated cursor, on a page that brings nothing new and
  at ``[sync] max_pages`` — and such a stop fails the source (PRODUCT §9 "Bounded"), because a
  listing that stopped early is a listing that lost items.
- :class:`Signals` and :class:`SignalAdapter`: the transport under the connector's HTTP client.
  A 429 answer carries monday's wait in its *body* (``retry_in_seconds``), which the HTTP layer
  does not read; the adapter hands it over as ``Retry-After``, and fails at once when the wait is
  longer than ``[sync] max_wait_s``. An items page that gets no answer within the timeout (monday
  allows a call 60 s), or that monday refuses with ``FIELD_LIMIT_EXCEEDED``, raises
  :class:`PageTooLargeError` before the HTTP layer retries it at the same size: the connector
  asks again for half the items (after the HTTP layer's first backoff, or monday's wait). A
  gateway 5xx stays a passing error that the HTTP layer retries.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import requests
from requests.adapters import BaseAdapter

from raci_sync.connectors.http import HttpClient, retry_after
from raci_sync.connectors.monday.errors import (
    FIELD_LIMIT_CODES,
    PageTooLargeError,
    too_long,
    wait_in_body,
)
from raci_sync.connectors.monday.queries import ITEM_PAGES
from raci_sync.errors import SourceError


class ComplexityBudget:
    """The complexity budget monday last reported, shared by all threads of one connector.

    Before a query, :meth:`reserve` says how long to wait first: a query kind's last cost is
    its expected cost (a kind of items page not sent yet is expected to cost like the dearest
    items page seen), and when that exceeds what is left (the last reported ``after`` minus
    what queries in flight have reserved), the wait is the reported ``reset_in_x_seconds``.
    """

    def __init__(self) -> None:
        self.costs: dict[str, int] = {}  # last cost per query kind
        self.after: int | None = None  # points left as last reported; None = unknown
        self.reset_in: float = 0.0
        self.in_flight = 0  # points reserved by queries sent but not answered
        self._lock = threading.Lock()

    def reserve(self, kind: str) -> tuple[float, int]:
        """(seconds to wait before sending, points reserved for the query)."""
        with self._lock:
            cost = self._expected(kind)
            if cost is None:
                return 0.0, 0
            if self.after is not None and cost > self.after - self.in_flight:
                return max(self.reset_in, 0.0), 0
            self.in_flight += cost
            return 0.0, cost

    def waited(self) -> None:
        """A wait for the reset is over: what is left is unknown until the next answer."""
        with self._lock:
            self.after = None

    def release(self, reserved: int) -> None:
        with self._lock:
            self.in_flight -= reserved

    def _expected(self, kind: str) -> int | None:
        if kind in self.costs or kind not in ITEM_PAGES:
            return self.costs.get(kind)
        return max((c for k, c in self.costs.items() if k in ITEM_PAGES), default=None)

    def record(self, kind: str, complexity: Any) -> bool:
        """Take a ``complexity`` answer; False when it is not the documented shape."""
        if not isinstance(complexity, dict):
            return False
        values = [complexity.get(k) for k in ("query", "after", "reset_in_x_seconds")]
        numbers = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
        if len(numbers) != len(values):
            return False
        with self._lock:
            self.costs[kind], self.after, self.reset_in = numbers[0], numbers[1], float(numbers[2])
        return True


class PageGuard:
    """Watches one listing page by page; raises SourceError when it would not end.

    ``where`` names the listing in messages ("source 'x' (monday): list users"); ``max_pages``
    is ``[sync] max_pages``, for listings whose total the API does not give.
    """

    def __init__(self, where: str, max_pages: int) -> None:
        self.where = where
        self.max_pages = max_pages
        self.pages = 0
        self.cursors: set[str] = set()
        self.seen: set[str] = set()

    def page(self, ids: Iterable[str], *, more: bool, cursor: str | None = None) -> None:
        """One page read: its ids, whether the listing says more follow, and the cursor to the
        next page (cursor listings)."""
        self.pages += 1
        ids = list(ids)
        new = [i for i in ids if i not in self.seen]
        self.seen.update(ids)
        if not more:
            return
        if cursor is not None and cursor in self.cursors:
            self._stop(f"page {self.pages} came back with the cursor of an earlier page")
        if not new:
            got = f"only the {len(ids)} already listed" if ids else "nothing"
            self._stop(f"page {self.pages} brought {got} and says more follow")
        if self.pages >= self.max_pages:
            self._stop(
                f"it still says more follow after {self.pages} pages, the most [sync] "
                "max_pages allows"
            )
        if cursor is not None:
            self.cursors.add(cursor)

    def _stop(self, why: str) -> None:
        raise SourceError(
            f"{self.where}: the listing does not end: {why}. monday's answer is not a complete "
            "listing, so the read stops here and fails (the last good data of this source is "
            "kept); try again later, and report it if it keeps happening"
        )


class Signals:
    """What the transport must know of the request its thread is sending: its label (for
    messages) and whether it is an items page (which may be asked again, smaller)."""

    def __init__(self, describe: str, max_wait: float, backoff: float) -> None:
        self.describe = describe
        self.max_wait = max_wait
        self.backoff = backoff  # the pause before a timed-out page is asked again, smaller
        self._local = threading.local()

    def sending(self, name: str | None, what: str = "") -> None:
        """The query this thread sends next (None when it is done)."""
        self._local.name, self._local.what = name, what

    @property
    def what(self) -> str:
        return f"{self.describe}: {getattr(self._local, 'what', '') or 'a request'}"

    @property
    def page(self) -> bool:
        return getattr(self._local, "name", None) in ITEM_PAGES

    def answered(self, resp: requests.Response) -> None:
        """Read what the HTTP layer does not: the wait in a 429 body, an items page refused
        because of its size."""
        if resp.status_code != 429:
            return
        try:
            body = json.loads(resp.content or b"null")
        except ValueError:
            body = None
        wait, code = wait_in_body(body)
        if code in FIELD_LIMIT_CODES and self.page:
            raise PageTooLargeError(f"{self.what}: monday refused the page ({code})", wait=wait)
        header = retry_after(resp)
        if wait is not None and (header is None or wait > header):
            resp.headers["Retry-After"] = f"{wait:g}"
        longest = max((w for w in (wait, header) if w is not None), default=None)
        if longest is not None and longest > self.max_wait:
            raise too_long(self.what, longest, f"HTTP 429 {code or 'rate limit'}", self.max_wait)

    def timed_out(self, timeout: Any) -> PageTooLargeError | None:
        """The error for an items page that got no answer in time (None for other requests)."""
        if not self.page:
            return None
        return PageTooLargeError(
            f"{self.what}: no answer within the timeout ({timeout} s; monday allows a call 60 s)",
            wait=self.backoff,
        )


class SignalAdapter(BaseAdapter):
    """A transport adapter around another one that lets :class:`Signals` read each answer."""

    def __init__(self, inner: BaseAdapter, signals: Signals) -> None:
        super().__init__()
        self.inner = inner
        self.signals = signals

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        timeout = kwargs.get("timeout")
        limit = timeout[-1] if isinstance(timeout, tuple) else timeout
        started = time.monotonic()
        try:
            resp = self.inner.send(request, **kwargs)
        except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError) as exc:
            # the HTTP layer's watchdog may end a request at its deadline by closing its socket:
            # then the read fails as a lost connection, not a timeout, at the same moment
            late = isinstance(exc, requests.exceptions.ReadTimeout) or (
                isinstance(limit, int | float) and time.monotonic() - started >= limit * 0.95
            )
            error = self.signals.timed_out(limit) if late else None
            if error is None:
                raise
            raise error from None
        self.signals.answered(resp)
        return resp

    def close(self) -> None:
        self.inner.close()


def install(http: HttpClient, signals: Signals) -> None:
    """Put :class:`SignalAdapter` under every session of ``http`` (after its own ``mount``,
    which may attach a replay or test transport)."""
    previous: Callable[[requests.Session], None] | None = http.mount

    def mount(session: requests.Session) -> None:
        if previous is not None:
            previous(session)
        adapters: Mapping[str, BaseAdapter] = dict(session.adapters)
        for prefix, adapter in adapters.items():
            session.mount(prefix, SignalAdapter(adapter, signals))

    http.mount = mount
