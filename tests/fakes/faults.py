"""Faults to inject into the fake server (tests/fakes/server.py), shaped as each vendor sends them.

The catalogue: each API's rate-limit answers with the wait the client must ask for
(``RATE_LIMITS``), its own 5xx bodies (``SERVER_ERRORS``), a request in the middle of each API's
full read (``MID``), and each fake's answer to a revoked token (:func:`revoked`). The plans
beyond ``fail_first``/``fail_from``: one burst on one request (:func:`same_request`), answers in
turn (:func:`in_turn`), a counter of what a plan injected (:class:`Counted`), and monday's clock
jumped past the cursors' lifetime (:class:`CursorClock`). Used by tests/test_faults.py and the
connector contract (tests/connectors/contract.py).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from tests.fakes import monday as fake_monday
from tests.fakes.server import FakeServer, Fault, Reply, Request

ASANA_429 = {  # asana/examples/error_429_rate_limited.docs.json
    "errors": [
        {
            "message": "You've made too many requests and hit a rate limit. Please retry after "
            "the given amount of time."
        }
    ]
}
TRELLO_429 = {"error": "API_TOKEN_LIMIT_EXCEEDED", "message": "Rate limit exceeded"}
MONDAY_429 = {
    "errors": [
        {
            "message": "Rate Limit Exceeded",
            "extensions": {"code": "RATE_LIMIT_EXCEEDED", "status_code": 429},
        }
    ]
}
MONDAY_BUDGET = fake_monday.error_body(
    "Complexity budget exhausted, query cost 29014 budget remaining 1207 out of 10000000 "
    "reset in 7 seconds",
    "COMPLEXITY_BUDGET_EXHAUSTED",
    429,
    {"complexity": 29014, "complexity_budget_left": 1207, "complexity_budget_limit": 10_000_000},
    retry_in_seconds=7,
)
# (answer, the wait the client must ask for) per rate-limit signal
RATE_LIMITS: dict[str, tuple[str, Reply, float]] = {
    "asana-429-retry-after": ("asana", Reply(429, ASANA_429, {"Retry-After": "30"}), 30.0),
    "trello-429-token-limit-no-header": ("trello", Reply(429, TRELLO_429), 10.0),
    "monday-429-retry-after": ("monday", Reply(429, MONDAY_429, {"Retry-After": "20"}), 20.0),
    "monday-200-complexity-budget-exhausted": ("monday", Reply(200, MONDAY_BUDGET), 7.0),
}
SERVER_ERRORS = {  # each API's own 5xx bodies
    "asana": [
        Reply(500, {"errors": [{"message": "Server Error", "phrase": "6 sad squid snuggle"}]}),
        Reply(503, {"errors": [{"message": "Service Unavailable"}]}),
        Reply(502, "<html><body>502 Bad Gateway</body></html>", {"Content-Type": "text/html"}),
    ],
    "trello": [Reply(502, "Bad Gateway"), Reply(503, "Service Unavailable"), Reply(500, "")],
    "monday": [
        Reply(500, {"errors": [{"message": "Internal server error"}]}),
        Reply(503, "upstream connect error"),
        Reply(504, "<html><body>504 Gateway Time-out</body></html>"),
    ],
}


def query_text(req: Request) -> str:
    return str(req.body.get("query", "")) if isinstance(req.body, dict) else ""


# A request in the middle of each API's full read (after the listings and the first pages).
MID: dict[str, Callable[[Request], bool]] = {
    "asana": lambda r: r.path.endswith("/tasks") and "offset" in r.query,  # a 2nd task page
    "trello": lambda r: r.path.endswith("/cards"),  # a board's cards
    "monday": lambda r: "next_items_page" in query_text(r),  # a board's 2nd items page
}


def same_request(pred: Callable[[Request], bool]) -> Callable[[Request], bool]:
    """Matches the first request that ``pred`` accepts, and then only that request again (its
    retries): a burst on ONE request, whatever the other threads are doing."""
    first: list[tuple[Any, ...]] = []
    lock = threading.Lock()

    def when(req: Request) -> bool:
        key = (
            req.method,
            req.path,
            sorted(req.query.items()),
            json.dumps(req.body, sort_keys=True),
        )
        with lock:
            if not first:
                if not pred(req):
                    return False
                first.append(key)
            return key == first[0]

    return when


def in_turn(outcomes: Sequence[Reply], *, api: str, when: Callable[[Request], bool]) -> Fault:
    """A fault plan: the matching requests get ``outcomes`` one after the other, then normal."""
    left = list(outcomes)
    lock = threading.Lock()

    def hook(req: Request) -> Reply | None:
        if req.api != api or not when(req):
            return None
        with lock:
            return left.pop(0) if left else None

    return hook


class Counted:
    """Wraps a fault plan and counts the faults it injected (per API)."""

    def __init__(self, plan: Fault) -> None:
        self.plan = plan
        self.injected = 0
        self.first = 0  # the number (per API, from 1) of the first request it faulted
        self._lock = threading.Lock()

    def __call__(self, req: Request) -> Any:
        outcome = self.plan(req)
        if outcome is not None:
            with self._lock:
                self.injected += 1
                self.first = min(self.first or req.n, req.n)
        return outcome


def revoked(server: FakeServer, api: str) -> Reply:
    """The fake's own answer to a request whose token is no longer valid."""
    fake = server.fakes[api]
    if api == "asana":
        answer = fake.handle("GET", "/users/me", {}, None, {"Authorization": "Bearer revoked"})
    elif api == "trello":
        answer = fake.handle("GET", "/members/me", {"key": fake.key, "token": "revoked"}, None, {})
    else:
        answer = fake.handle("POST", "/", {}, {"query": "{ me { id } }"}, {"Authorization": "x"})
    status, headers, body = answer
    assert status == 401, answer
    return Reply(status, body, headers)


class CursorClock:
    """The monday fake's clock, jumped 61 minutes ahead by a fault hook: every cursor issued
    before the jump is expired (the fake's own CursorExpiredError), later ones are fine."""

    def __init__(self, jumps: int) -> None:
        self.offset = 0.0
        self.jumps = jumps
        self.injected = 0

    def now(self) -> float:
        return time.time() + self.offset

    def hook(self, req: Request) -> None:
        if req.api == "monday" and MID["monday"](req) and self.injected < self.jumps:
            self.injected += 1
            self.offset += 3660
