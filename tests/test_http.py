"""The shared HTTP layer against a real local server: statuses, retries, waits, redaction."""

from __future__ import annotations

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from raci_sync.connectors.http import HttpClient, RetryPolicy, sanitize_url
from raci_sync.errors import AuthError, NotFoundError, ResponseError, RetryableError, SourceError

TOKEN = "tok-SECRET-1234567890"


def client(**kw):  # type: ignore[no-untyped-def]
    waits: list[float] = []
    http = HttpClient(
        describe="source 'x' (asana)", timeout=2, sleep=waits.append, secrets=(TOKEN,), **kw
    )
    return http, waits


def test_ok_json_and_request_count(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/a", query_string="limit=100").respond_with_json({"data": [1]})
    http, _ = client()
    assert http.request_json("GET", httpserver.url_for("/a"), params={"limit": 100}) == {
        "data": [1]
    }
    assert http.requests_made == 1


def test_429_honours_retry_after_then_succeeds(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/a").respond_with_json(
        {"errors": [{"message": "rate limited"}]}, status=429, headers={"Retry-After": "7"}
    )
    httpserver.expect_ordered_request("/a").respond_with_json({"ok": True})
    http, waits = client()
    assert http.request_json("GET", httpserver.url_for("/a")) == {"ok": True}
    assert waits == [7.0] and http.requests_made == 2


def test_429_without_header_waits_out_a_ten_second_window(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/a").respond_with_json(
        {"error": "API_TOKEN_LIMIT_EXCEEDED", "message": "Rate limit exceeded"}, status=429
    )
    httpserver.expect_ordered_request("/a").respond_with_json([])
    http, waits = client()
    http.request_json("GET", httpserver.url_for("/a"))
    assert waits == [10.0]


def test_5xx_retried_with_backoff_then_gives_up(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/a").respond_with_data("oops", status=503)
    http, waits = client(retry=RetryPolicy(attempts=3, backoff=1.0))
    with pytest.raises(RetryableError, match="gave up after 3 tries"):
        http.request_json("GET", httpserver.url_for("/a"))
    assert http.requests_made == 3 and len(waits) == 2
    assert 0.5 <= waits[0] <= 1.5 and 1.0 <= waits[1] <= 3.0  # doubling, with jitter


def test_retry_budget_bounds_total_waiting(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/a").respond_with_json({}, status=429, headers={"Retry-After": "50"})
    http, waits = client(retry=RetryPolicy(attempts=10, budget=120))
    with pytest.raises(RetryableError):
        http.request_json("GET", httpserver.url_for("/a"))
    assert sum(waits) <= 120 and http.requests_made == 3


@pytest.mark.parametrize(
    ("status", "error", "words"),
    [
        (401, AuthError, "token is invalid"),
        (403, AuthError, "no access"),
        (404, NotFoundError, "check the board/project"),
        (400, SourceError, "answered 400"),
    ],
)
def test_client_errors_map_to_the_error_tree(
    httpserver: HTTPServer, status: int, error: type[Exception], words: str
) -> None:
    httpserver.expect_request("/a").respond_with_data(
        "unauthorized permission requested", status=status, content_type="text/plain"
    )
    http, _ = client()
    with pytest.raises(error, match=words) as info:
        http.request_json("GET", httpserver.url_for("/a"), params={"token": TOKEN})
    assert TOKEN not in str(info.value) and "source 'x'" in str(info.value)
    assert http.requests_made == 1  # never retried


def test_truncated_json_is_retried_then_a_clear_error(httpserver: HTTPServer) -> None:
    """Issue 10: a cut-off 200 to a read is retried like a 5xx; when it persists, the source
    fails saying what happened (tests/test_bounds.py has the rest of this rule)."""
    httpserver.expect_request("/a").respond_with_data(
        '{"data": [{"gid": "1"', status=200, content_type="application/json"
    )
    http, waits = client()
    with pytest.raises(ResponseError, match=r"gave up after 5 tries.*not valid JSON"):
        http.request_json("GET", httpserver.url_for("/a"))
    assert http.requests_made == 5 and len(waits) == 4


def test_dropped_connection_is_retried(httpserver: HTTPServer) -> None:
    calls = {"n": 0}

    def handler(request):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionResetError  # werkzeug drops the connection
        return Response('{"ok": 1}', content_type="application/json")

    httpserver.expect_request("/a").respond_with_handler(handler)
    http, waits = client()
    assert http.request_json("GET", httpserver.url_for("/a")) == {"ok": 1}
    assert len(waits) == 1


def test_check_hook_can_retry_a_200_body(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/g", method="POST").respond_with_json(
        {"errors": [{"extensions": {"code": "ComplexityException", "retry_in_seconds": 3}}]}
    )
    httpserver.expect_ordered_request("/g", method="POST").respond_with_json({"data": {}})

    def check(body):  # type: ignore[no-untyped-def]
        if body.get("errors"):
            raise RetryableError("complexity", wait=3)

    http, waits = client()
    assert http.request_json(
        "POST", httpserver.url_for("/g"), json_body={"query": "{me{id}}"}, check=check
    ) == {"data": {}}
    assert waits == [3]


def test_sanitize_url_hides_secret_params_and_userinfo() -> None:
    url = "https://u:p@api.trello.com/1/boards/x?key=abc&token=def&fields=name,url"
    safe = sanitize_url(url)
    assert "abc" not in safe and "def" not in safe and "u:p" not in safe
    assert "key=***" in safe and "fields=name,url" in safe


def test_log_lines_never_carry_tokens(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    httpserver.expect_request("/a").respond_with_json({})
    http, _ = client()
    caplog.set_level("DEBUG", logger="urllib3")
    with caplog.at_level("DEBUG"):
        http.request_json("GET", httpserver.url_for("/a"), params={"token": TOKEN, "key": TOKEN})
    ours = [r.getMessage() for r in caplog.records if not r.name.startswith("werkzeug")]
    assert any("urllib3" in r.name for r in caplog.records)  # the library's own URL line too
    assert ours and not any(TOKEN in m for m in ours), ours


def test_an_error_excerpt_never_holds_part_of_a_secret(httpserver: HTTPServer) -> None:
    # a server that echoes the request URL back, with the token just across the excerpt's cut
    body = "x" * 190 + f" token={TOKEN} key=other-secret-value"
    httpserver.expect_request("/a").respond_with_data(body, status=401)
    http, _ = client()
    with pytest.raises(AuthError) as info:
        http.request_json("GET", httpserver.url_for("/a"))
    assert TOKEN[:6] not in str(info.value) and "other-secret" not in str(info.value)
