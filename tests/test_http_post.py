"""``HttpClient.post_json``, the webhook POST of the HTTP layer, against a real local server:
answers that are no JSON, retries with the service's own wait, statuses mapped to the error
tree, no redirect followed, and no secret piece of the URL in any message."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from raci_sync.connectors.http import HttpClient, RetryPolicy
from raci_sync.errors import AuthError, NotFoundError, RetryableError, SourceError

SECRET = "HookSecret-5b7e1c9a"
PATH = f"/services/T1/B1/{SECRET}"


def client() -> tuple[HttpClient, list[float]]:
    waits: list[float] = []
    http = HttpClient(
        describe="notify 'chat' (slack)",
        timeout=2,
        sleep=waits.append,
        secrets=(SECRET,),
        retry=RetryPolicy(attempts=3),
    )
    return http, waits


@pytest.mark.parametrize(
    ("status", "body"), [(200, "ok"), (202, ""), (200, "1"), (204, ""), (200, '{"ok":true}')]
)
def test_an_answer_that_is_no_json_is_fine(httpserver: HTTPServer, status: int, body: str) -> None:
    httpserver.expect_request(PATH, method="POST", json={"text": "hi"}).respond_with_data(
        body, status=status
    )
    http, _ = client()
    assert http.post_json(httpserver.url_for(PATH), {"text": "hi"}, what="the hook") == status
    assert http.requests_made == 1


def test_429_and_5xx_are_retried_with_the_services_wait(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request(PATH).respond_with_data(
        "rate_limited", status=429, headers={"Retry-After": "3"}
    )
    httpserver.expect_ordered_request(PATH).respond_with_data("rollup_error", status=500)
    httpserver.expect_ordered_request(PATH).respond_with_data("ok")
    http, waits = client()
    assert http.post_json(httpserver.url_for(PATH), {}, what="the hook") == 200
    assert waits[0] == 3.0 and len(waits) == 2 and http.requests_made == 3


def test_giving_up_says_so(httpserver: HTTPServer) -> None:
    httpserver.expect_request(PATH).respond_with_data("down", status=503)
    http, waits = client()
    with pytest.raises(RetryableError, match=r"gave up after 3 tries.*503: down"):
        http.post_json(httpserver.url_for(PATH), {}, what="the hook")
    assert len(waits) == 2


@pytest.mark.parametrize(
    ("status", "error"),
    [(400, SourceError), (403, AuthError), (404, NotFoundError), (410, NotFoundError)],
)
def test_client_errors_map_to_the_tree_without_source_hints(
    httpserver: HTTPServer, status: int, error: type[SourceError]
) -> None:
    httpserver.expect_request(PATH).respond_with_data(f"refused {PATH}", status=status)
    http, waits = client()
    with pytest.raises(error) as caught:
        http.post_json(httpserver.url_for(PATH), {}, what="the hook")
    text = str(caught.value)
    assert f"the hook answered {status}: refused /services/T1/B1/***" in text
    assert SECRET not in text and "board" not in text and waits == []
    assert type(caught.value) is error


def test_a_redirect_is_not_followed(httpserver: HTTPServer) -> None:
    httpserver.expect_request(PATH).respond_with_response(
        Response("", status=302, headers={"Location": "/elsewhere"})
    )
    httpserver.expect_request("/elsewhere").respond_with_data("ok")
    http, _ = client()
    with pytest.raises(SourceError, match="answered 302 \\(a redirect, not followed\\)"):
        http.post_json(httpserver.url_for(PATH), {}, what="the hook")
    assert http.requests_made == 1


def test_a_huge_answer_is_read_only_in_part(httpserver: HTTPServer) -> None:
    """A 1 GB answer (generated as it goes): post_json reads its start and hangs up."""
    sent = [0]

    def endless() -> Iterator[bytes]:
        chunk = b"x" * 65536
        for _ in range(16384):
            sent[0] += len(chunk)
            yield chunk

    httpserver.expect_request(PATH).respond_with_response(Response(endless(), status=200))
    http, _ = client()
    assert http.post_json(httpserver.url_for(PATH), {}, what="the hook") == 200
    assert sent[0] < 64 * 1024 * 1024  # what the socket buffers took, not the gigabyte
