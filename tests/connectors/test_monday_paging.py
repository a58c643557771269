"""A monday read is complete or it fails (issue 9; PRODUCT §9 "Bounded"): every paging loop
stops on a repeated cursor, on a page that brings nothing new and at ``[sync] max_pages`` — and
such a stop fails the source; every wait monday asks for is capped by ``[sync] max_wait_s``
(longer: the source fails at once, without sleeping), wherever monday puts it (the budget's
``reset_in_x_seconds``, ``retry_in_seconds`` in a 200 body, or in a 429 body, which the HTTP
layer does not read).

Against the local fake monday of tests/fakes/monday_local.py; each test counts the requests.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from pytest_httpserver import HTTPServer

from raci_sync.config import Bounds
from raci_sync.errors import RetryableError, SourceError
from tests.fakes.monday_local import ALL_IDS, B1, B2, B3, FakeMonday

YEAR = 365 * 24 * 3600


@pytest.fixture
def monday(httpserver: HTTPServer) -> Iterator[FakeMonday]:
    fake = FakeMonday(httpserver)
    yield fake
    assert fake.invalid == [], "queries that do not validate against the SDL"


def bounded(c: object, **bounds: float) -> object:
    source = c.source  # type: ignore[attr-defined]
    c.source = replace(source, bounds=replace(source.bounds, **bounds))  # type: ignore[attr-defined]
    c.signals.max_wait = c.source.bounds.max_wait_s  # type: ignore[attr-defined]
    return c


# -- paging loops -------------------------------------------------------------------------------


def test_a_cursor_that_comes_back_again_fails_the_read(monday: FakeMonday) -> None:
    """3,544 requests in 45 s once: now the second time a cursor is seen is the last."""
    monday.stuck_cursor = True
    with pytest.raises(SourceError, match="came back with the cursor of an earlier page") as err:
        monday.connector(boards=(B1,), item_page_size=2).fetch()
    assert "read board 5001001001: the listing does not end" in str(err.value)
    assert err.value.source == "kampagner"
    assert monday.ops == ["Directory", "BoardItems", "NextItems"]


def test_a_users_listing_that_always_returns_a_full_page_fails(monday: FakeMonday) -> None:
    monday.endless = {"users"}
    with pytest.raises(SourceError, match="list users: the listing does not end: page 2 brought "
                       "only the 2 already listed"):  # fmt: skip
        monday.connector(boards=(B3,), user_page_size=2).fetch()
    assert monday.ops == ["Directory", "Users"]


def test_a_board_listing_that_always_returns_a_full_page_fails(monday: FakeMonday) -> None:
    monday.endless = {"boards"}
    with pytest.raises(SourceError, match="list boards: the listing does not end"):
        monday.connector(boards=("Drift",), board_page_size=2).fetch()
    assert monday.ops == ["ListBoards", "ListBoards"]


def test_the_users_listing_pages_until_a_short_page(monday: FakeMonday) -> None:
    snap = monday.connector(boards=(B3,), user_page_size=2).fetch()
    assert monday.ops == ["Directory", "Users", "BoardItems"]
    assert len(snap.accounts) == 3


def test_a_listing_stops_at_max_pages_and_fails(monday: FakeMonday) -> None:
    c = bounded(monday.connector(boards=(B1,), item_page_size=1), max_pages=3)
    with pytest.raises(SourceError, match="still says more follow after 3 pages"):
        c.fetch()  # type: ignore[attr-defined]
    assert monday.ops == ["Directory", "BoardItems", "NextItems", "NextItems"]


def test_max_pages_is_per_listing_and_a_listing_within_it_is_read(monday: FakeMonday) -> None:
    c = bounded(monday.connector(item_page_size=1), max_pages=5)  # B1 has 5 items: 5 pages
    snap = c.fetch()  # type: ignore[attr-defined]
    assert [t.id for t in snap.tasks] == ALL_IDS


def test_the_default_max_pages_is_the_sync_setting() -> None:
    assert Bounds().max_pages == 10_000


# -- waits --------------------------------------------------------------------------------------


def test_a_budget_reset_of_a_year_fails_without_sleeping(monday: FakeMonday) -> None:
    monday.full_budget = monday.budget = 1_000_000
    monday.costs = {"Directory": 1_000, "BoardItems": 400_000}
    monday.reset_in = YEAR
    with pytest.raises(SourceError, match=r"budget.*a wait of 31536000 s .*\[sync\] max_wait_s"):
        monday.connector().fetch()
    assert monday.waits == []  # not one second slept
    assert monday.ops == ["Directory", "BoardItems", "BoardItems"]  # the 3rd board never sent


def test_a_budget_reset_within_max_wait_is_waited(monday: FakeMonday) -> None:
    monday.full_budget = monday.budget = 1_000_000
    monday.costs = {"Directory": 1_000, "BoardItems": 400_000}
    monday.connector().fetch()
    assert monday.waits == [37.0]


def test_retry_in_seconds_longer_than_max_wait_in_a_200_body_fails_at_once(
    monday: FakeMonday,
) -> None:
    body = {
        "errors": [
            {
                "message": "Complexity budget exhausted",
                "extensions": {"code": "COMPLEXITY_BUDGET_EXHAUSTED", "retry_in_seconds": YEAR},
            }
        ]
    }
    monday.fail("BoardItems", 200, body)
    c = bounded(monday.connector(boards=(B2,)), max_wait_s=60)
    with pytest.raises(SourceError, match=r"wait 31536000 s.*max_wait_s = 60 s") as err:
        c.fetch()  # type: ignore[attr-defined]
    assert not isinstance(err.value, RetryableError)
    assert monday.waits == [] and monday.ops == ["Directory", "BoardItems"]


@pytest.mark.parametrize(
    "body",
    [
        {
            "errors": [
                {
                    "message": "Rate Limit Exceeded",
                    "extensions": {"code": "RATE_LIMIT_EXCEEDED", "retry_in_seconds": 13},
                }
            ]
        },
        {
            "errors": [
                {
                    "message": "Concurrency limit exceeded",
                    "extensions": {
                        "code": "maxConcurrencyExceeded",
                        "error_data": {"retry_in_seconds": 13},
                    },
                }
            ]
        },
        {"error_message": "Rate limit", "error_code": "X", "error_data": {"retry_in_seconds": 13}},
    ],
    ids=["extensions", "error_data", "pre-2025-01"],
)
def test_a_429_body_gives_its_retry_in_seconds(monday: FakeMonday, body: dict) -> None:
    monday.fail("BoardItems", 429, body)  # no Retry-After header
    snap = monday.connector(boards=(B2,)).fetch()
    assert monday.waits == [13.0]  # not the 10 s the HTTP layer waits without a signal
    assert monday.ops == ["Directory", "BoardItems", "BoardItems"] and len(snap.tasks) == 3


def test_a_429_body_asking_a_year_fails_without_sleeping(monday: FakeMonday) -> None:
    body = {"errors": [{"message": "x", "extensions": {"code": "X", "retry_in_seconds": YEAR}}]}
    monday.fail("Directory", 429, body)
    with pytest.raises(SourceError, match=r"wait 31536000 s \(HTTP 429 X\).*max_wait_s"):
        monday.connector(boards=(B3,)).fetch()
    assert monday.waits == [] and monday.ops == ["Directory"]


def test_a_429_header_wait_longer_than_max_wait_fails_too(monday: FakeMonday) -> None:
    monday.fail("Directory", 429, {"errors": [{"message": "slow down"}]}, **{"Retry-After": "600"})
    with pytest.raises(SourceError, match=r"wait 600 s"):
        monday.connector(boards=(B3,)).fetch()
    assert monday.waits == []
