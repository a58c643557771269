"""The client-side rate limiter keeps a token inside Trello's 100 requests per 10 s."""

from __future__ import annotations

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from raci_sync.connectors.http import HttpClient
from raci_sync.connectors.limits import RateLimiter
from tests.fakes.clock import FakeClock


def most_in_any_window(stamps: list[float], window: float) -> int:
    """The largest number of stamps inside any half-open window [t, t + window)."""
    return max(sum(t <= s < t + window for s in stamps) for t in stamps)


def test_250_requests_never_exceed_100_per_10_seconds(httpserver: HTTPServer) -> None:
    clock = FakeClock()
    stamps: list[float] = []

    def answer(request: Request) -> Response:
        stamps.append(clock())  # when the limiter let the request through
        return Response('{"ok": true}', content_type="application/json")

    httpserver.expect_request("/1/boards").respond_with_handler(answer)
    limiter = RateLimiter(100, 10.0, clock=clock, sleep=clock.sleep)
    http = HttpClient(describe="source 'x' (trello)", limiter=limiter, sleep=lambda s: None)
    for _ in range(250):
        http.request_json("GET", httpserver.url_for("/1/boards"))
    assert len(stamps) == 250 == http.requests_made
    assert most_in_any_window(stamps, 10.0) == 100
    assert stamps[99] == 0.0 and stamps[100] == 10.0 and stamps[200] == 20.0  # waits, no more
    assert limiter.waited == 20.0


def test_limiter_alone_spaces_acquisitions() -> None:
    clock = FakeClock()
    limiter = RateLimiter(3, 1.0, clock=clock, sleep=clock.sleep)
    stamps = []
    for _ in range(7):
        limiter.acquire()
        stamps.append(clock())
    assert stamps == [0, 0, 0, 1, 1, 1, 2]
