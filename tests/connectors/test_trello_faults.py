"""Trello under failure, against a real local server: each fault's outcome and request count.

A full read of the three-board workspace by name costs 7 requests when nothing fails:
the listing, then a board call and one card page per board.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from raci_sync.errors import AuthError, NotFoundError, ResponseError, RetryableError
from tests.fakes.trello_fixtures import (
    B1,
    B2,
    B3,
    KEY,
    RESET,
    TOKEN,
    FakeTrello,
    load,
    server_connector,
    workspace,
)

CLEAN = 7  # requests of the full read when nothing fails


def serve(httpserver: HTTPServer, faults: dict[str, list[Any]]) -> FakeTrello:
    fake = FakeTrello(list(workspace()), faults=faults)
    httpserver.expect_request(re.compile("^/1/")).respond_with_handler(fake)
    return fake


def status(code: int, body: str = "", content_type: str = "text/plain") -> Response:
    return Response(body, code, content_type=content_type)


def test_token_rate_limit_waits_out_the_10_second_window(httpserver: HTTPServer) -> None:
    limited = status(429, '{"error":"API_TOKEN_LIMIT_EXCEEDED","message":"Rate limit exceeded"}',
                     "application/json")  # fmt: skip
    assert limited.get_json() == load("error_429_token_limit.json")
    fake = serve(httpserver, {f"/boards/{B2}/cards": [limited]})
    waits: list[float] = []
    snap = server_connector(httpserver, waits=waits).fetch()
    assert "Retry-After" not in limited.headers
    assert waits == [10.0]  # Trello sends no Retry-After: its window is 10 s
    assert snap.requests == len(fake.requests) == CLEAN + 1 and len(snap.tasks) == 9


def test_burst_of_server_errors_then_success(httpserver: HTTPServer) -> None:
    burst = [status(502, "Bad Gateway"), status(503, "Service Unavailable"), status(500, "")]
    fake = serve(httpserver, {f"/boards/{B1}": burst})
    waits: list[float] = []
    snap = server_connector(httpserver, waits=waits).fetch()
    assert len(waits) == 3 and waits[0] < waits[2]  # backoff grows
    assert snap.requests == len(fake.requests) == CLEAN + 3 and len(snap.tasks) == 9


def test_server_errors_that_do_not_end_give_up(httpserver: HTTPServer) -> None:
    fake = serve(httpserver, {f"/boards/{B3}/cards": [status(503, "down")] * 10})
    with pytest.raises(RetryableError, match="gave up after 5 tries") as err:
        server_connector(httpserver).fetch()
    assert "source 'indhold' (trello)" in str(err.value) and "503" in str(err.value)
    assert len(fake.requests) == CLEAN + 4


def test_invalid_token_is_an_auth_error_naming_the_source(httpserver: HTTPServer) -> None:
    fake = serve(httpserver, {"/members/me/boards": [status(401, "invalid token")]})
    with pytest.raises(AuthError) as err:
        server_connector(httpserver).fetch()
    msg = str(err.value)
    assert err.value.source == "indhold" and "source 'indhold' (trello)" in msg
    assert "(401: invalid token)" in msg and "https://trello.com/power-ups/admin" in msg
    assert KEY not in msg and TOKEN not in msg
    assert len(fake.requests) == 1  # never retried


def test_board_gone_mid_sync_is_not_found(httpserver: HTTPServer) -> None:
    """Listed, then deleted before its read: the source fails, never "no tasks"."""
    gone = status(404, "The requested resource was not found.")
    fake = serve(httpserver, {f"/boards/{B3}": [gone]})
    with pytest.raises(NotFoundError) as err:
        server_connector(httpserver).fetch()
    msg = str(err.value)
    assert f"board {B3}" in msg and "Trello answered 404" in msg and "fix `boards`" in msg
    assert err.value.source == "indhold"
    # the listing and the three boards' definitions; no card is read once a board is missing
    assert len(fake.requests) == 4


def test_truncated_json_is_retried_and_fails_only_when_it_persists(
    httpserver: HTTPServer,
) -> None:
    """Issue 10: a cut-off 200 is asked again like a 5xx; five in a row fail the read, naming
    the request (its URL sanitised)."""
    cut = status(200, '[{"id": "67752629a1b2c3d4e5f60006", "na', "application/json")
    fake = serve(httpserver, {f"/boards/{B1}/cards": [cut]})
    waits: list[float] = []
    snap = server_connector(httpserver, waits=waits).fetch()
    assert snap.requests == len(fake.requests) == CLEAN + 1 and len(waits) == 1
    httpserver.clear()
    fake = serve(httpserver, {f"/boards/{B1}/cards": [cut] * 5})
    with pytest.raises(ResponseError) as err:
        server_connector(httpserver).fetch()
    msg = str(err.value)
    assert "source 'indhold' (trello)" in msg and "not valid JSON" in msg
    assert "gave up after 5 tries" in msg
    assert f"/boards/{B1}/cards" in msg and "key=***" in msg and TOKEN not in msg
    paths = [path for path, _ in fake.requests]
    assert paths.count(f"/boards/{B1}/cards") == 5  # tried 5 times
    # every board's definitions come first (the references are checked before any card);
    # then the cards concurrently: the failure cancels those whose read had not started yet,
    # so the count is the listing, 3 definitions and B1's 5 tries, plus 0, 1 or 2 card pages
    assert len(paths) - 4 in (CLEAN - 2, CLEAN - 1, CLEAN)


def test_dropped_connection_is_retried(httpserver: HTTPServer) -> None:
    fake = serve(httpserver, {"/members/me/boards": [RESET], f"/boards/{B2}": [RESET]})
    waits: list[float] = []
    snap = server_connector(httpserver, waits=waits).fetch()
    assert len(waits) == 2 and len(snap.tasks) == 9
    assert snap.requests == len(fake.requests) == CLEAN + 2
