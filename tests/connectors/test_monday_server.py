"""The monday connector against a real local HTTP server (``FakeMonday`` of
tests/fakes/monday_local.py: every query executed with graphql-core against the pinned SDL over
an in-memory workspace, a complexity budget, injectable faults). Each test asserts the outcome
and the number of requests.

test_monday_incremental.py uses the same fake for incremental reads.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer

from raci_sync.connectors.monday.client import ComplexityBudget
from raci_sync.errors import AuthError, NotFoundError, ResponseError, RetryableError
from raci_sync.model import Snapshot, State
from tests.fakes.monday_local import (
    ALL_IDS,
    ANNA,
    B1,
    B1_SUBS,
    B2,
    B3,
    BO,
    CARL,
    TEAM,
    TOKEN,
    FakeMonday,
    load,
    threaded_fake,
)


@pytest.fixture
def monday(httpserver: HTTPServer) -> Iterator[FakeMonday]:
    fake = FakeMonday(httpserver)
    yield fake
    assert fake.invalid == [], "queries that do not validate against the SDL"


def ids(snap: Snapshot) -> list[str]:
    return [t.id for t in snap.tasks]


# -- full reads: cost, order, concurrency -------------------------------------------------------


@pytest.mark.parametrize("page_size", [500, 2])
def test_a_full_read_costs_the_documented_minimum(monday: FakeMonday, page_size: int) -> None:
    snap = monday.connector(item_page_size=page_size).fetch()
    assert ids(snap) == ALL_IDS
    per_board = [max(1, math.ceil(n / page_size)) for n in (5, 3, 0)]  # items per board
    assert monday.requests == snap.requests == 1 + sum(per_board)  # + one directory query
    assert monday.ops.count("Directory") == 1 and "ListBoards" not in monday.ops


def test_board_names_cost_one_listing(monday: FakeMonday) -> None:
    snap = monday.connector(boards=("kampagner", "EVENTS")).fetch()
    assert monday.ops == ["ListBoards", "Directory", "BoardItems", "BoardItems"]
    assert snap.containers == ("Kampagner", "Events")


@pytest.fixture
def threaded_monday() -> Iterator[FakeMonday]:
    with threaded_fake() as fake:
        yield fake


def test_concurrent_reads_overlap_and_keep_the_board_order(threaded_monday: FakeMonday) -> None:
    monday = threaded_monday
    monday.delay = {B1: 0.6, B2: 0.3, B3: 0.3}  # the first board answers last
    sequential = monday.connector(max_workers=1).fetch()
    assert monday.most_in_flight == 1
    concurrent = monday.connector(max_workers=4).fetch()
    # the boards overlapped (counted at the server, not timed: a busy machine cannot fail it)
    assert monday.most_in_flight >= 2
    assert ids(concurrent) == ids(sequential) == ALL_IDS
    assert concurrent.containers == ("Kampagner", "Events", "Drift")
    assert monday.requests == 8 and monday.invalid == []


def test_state_caches_boards_subitems_board_and_teams(monday: FakeMonday) -> None:
    state = monday.connector().fetch().state
    assert json.loads(state["monday.boards"]) == [
        [B1, "Kampagner", B1_SUBS],
        [B2, "Events", ""],
        [B3, "Drift", ""],
    ]
    assert json.loads(state["monday.teams"]) == {TEAM: [BO, CARL]}


# -- cursor expiry ------------------------------------------------------------------------------


def test_an_expired_cursor_mid_board_restarts_it_without_dups_or_gaps(monday: FakeMonday) -> None:
    monday.fail("NextItems", 200, load("error_cursor_expired.json"))
    snap = monday.connector(boards=(B1,), item_page_size=2).fetch()
    assert monday.ops == [
        "Directory",
        "BoardItems",  # page 1: 6001, 6002
        "NextItems",  # page 2: the cursor expired
        "BoardItems",  # restart: page 1 again
        "NextItems",  # page 2
        "NextItems",  # page 3
    ]
    assert monday.requests == snap.requests == 6
    assert ids(snap) == ["6001", "6101", "6102", "6002", "6003", "6004", "6005"]


def test_cursor_restarts_are_bounded(monday: FakeMonday) -> None:
    for _ in range(3):
        monday.fail("NextItems", 200, load("error_cursor_expired.json"))
    c = monday.connector(boards=(B1,), item_page_size=2, max_cursor_restarts=2)
    with pytest.raises(Exception, match="gave up after 2 restarts"):
        c.fetch()
    assert monday.ops.count("BoardItems") == 3


# -- the complexity budget ----------------------------------------------------------------------


def test_a_low_budget_sleeps_until_reset_before_the_next_query(monday: FakeMonday) -> None:
    monday.full_budget = monday.budget = 1_000_000
    monday.costs = {"Directory": 1_000, "BoardItems": 400_000}
    snap = monday.connector().fetch()
    # Directory leaves 999k, board 1 599k, board 2 199k: board 3's 400k does not fit
    assert monday.waits == [37.0]
    assert monday.ops == ["Directory", "BoardItems", "BoardItems", "BoardItems"]
    assert monday.requests == snap.requests == 4  # no request was refused


def test_a_complexity_exception_in_a_200_body_waits_retry_in_seconds(monday: FakeMonday) -> None:
    body = {
        "errors": [
            {
                "message": "Complexity budget exhausted",
                "extensions": {"code": "ComplexityException", "retry_in_seconds": 21},
            }
        ],
        "account_id": 1,
    }
    monday.fail("BoardItems", 200, body)
    snap = monday.connector(boards=(B2,)).fetch()
    assert monday.waits == [21.0]
    assert monday.ops == ["Directory", "BoardItems", "BoardItems"]
    assert monday.requests == snap.requests == 3 and len(snap.tasks) == 3


def test_the_budget_exhausted_body_waits_retry_in_seconds(monday: FakeMonday) -> None:
    monday.fail("Directory", 200, load("error_complexity_budget.json"))
    monday.connector(boards=(B3,)).fetch()
    assert monday.waits == [17.0]
    assert monday.requests == 3


# -- HTTP faults --------------------------------------------------------------------------------


def test_429_honours_retry_after(monday: FakeMonday) -> None:
    monday.fail("BoardItems", 429, {"error_message": "Rate Limit Exceeded"}, **{"Retry-After": "7"})
    snap = monday.connector(boards=(B2,)).fetch()
    assert monday.waits == [7.0]
    assert monday.requests == snap.requests == 3 and len(snap.tasks) == 3


def test_a_burst_of_500s_is_retried_with_backoff(monday: FakeMonday) -> None:
    for _ in range(3):
        monday.fail("BoardItems", 500, "Internal Server Error")
    snap = monday.connector(boards=(B2,)).fetch()
    assert len(monday.waits) == 3 and monday.waits[0] < monday.waits[2]
    assert monday.requests == snap.requests == 5 and len(snap.tasks) == 3


def test_500s_beyond_the_retry_budget_fail_the_source(monday: FakeMonday) -> None:
    for _ in range(5):
        monday.fail("Directory", 500, "Internal Server Error")
    with pytest.raises(RetryableError, match="gave up after 5 tries") as exc:
        monday.connector(boards=(B3,)).fetch()
    assert exc.value.source == "kampagner"
    assert monday.ops.count("Directory") == 5


def test_401_is_an_auth_error_without_the_token(monday: FakeMonday) -> None:
    monday.fail(None, 401, {"errors": [{"message": "Not Authenticated"}]})
    with pytest.raises(AuthError, match="401") as exc:
        monday.connector(boards=(B3,), max_workers=1).check()
    assert TOKEN not in str(exc.value)
    assert monday.requests == 1


def test_user_unauthorized_in_a_200_body_is_an_auth_error(monday: FakeMonday) -> None:
    monday.fail("BoardItems", 200, load("error_user_unauthorized.json"))
    with pytest.raises(AuthError, match="UserUnauthorizedException"):
        monday.connector(boards=(B2,)).fetch()
    assert monday.ops == ["Directory", "BoardItems"]  # not retried


def test_a_configured_board_that_does_not_come_back_is_not_found(monday: FakeMonday) -> None:
    with pytest.raises(NotFoundError, match="board 5009999999 did not come back") as exc:
        monday.connector(boards=("5009999999",)).fetch()
    assert exc.value.source == "kampagner"
    assert monday.ops == ["Directory", "BoardItems"]


def test_truncated_json_is_retried_and_fails_only_when_it_persists(monday: FakeMonday) -> None:
    """Issue 10: a GraphQL query is a read: a cut-off 200 is asked again like a 5xx; five in
    a row fail the read, naming the request."""
    cut = '{"data": {"complexity": {"query": 1, "bef'
    monday.fail("BoardItems", 200, cut)
    monday.connector(boards=(B2,)).fetch()
    assert monday.ops == ["Directory", "BoardItems", "BoardItems"] and len(monday.waits) == 1
    monday.sent.clear()
    for _ in range(5):
        monday.fail("BoardItems", 200, cut)
    with pytest.raises(ResponseError, match=r"gave up after 5 tries.*not valid JSON") as exc:
        monday.connector(boards=(B2,)).fetch()
    assert "read board 5001002001" in str(exc.value)
    assert monday.ops == ["Directory"] + ["BoardItems"] * 5


def test_the_states_come_through(monday: FakeMonday) -> None:
    by_id = {t.id: t for t in monday.connector().fetch().tasks}
    assert by_id["6003"].state is State.DONE and by_id["6101"].state is State.DONE
    assert by_id["6101"].parent_id == "6001"
    owner = next(f for f in by_id["6001"].fields if f.title == "Owner")
    assert owner.accounts == (ANNA, BO, CARL)  # the team stands for its members


# -- the budget's bookkeeping (no server) -------------------------------------------------------


def test_the_budget_reserves_points_for_queries_in_flight() -> None:
    budget = ComplexityBudget()
    assert budget.reserve("BoardItems") == (0.0, 0)  # nothing known yet: send
    budget.record(
        "BoardItems", {"query": 400, "before": 1_000, "after": 1_000, "reset_in_x_seconds": 9}
    )
    assert budget.reserve("BoardItems") == (0.0, 400)
    assert budget.reserve("NextItems") == (0.0, 400)  # a new kind of page: like the dearest
    assert budget.reserve("BoardItems") == (9.0, 0)  # 1,000 - 800 in flight < 400
    budget.release(400)
    assert budget.reserve("Directory") == (0.0, 0)  # other kinds are not guessed
    budget.waited()
    assert budget.after is None and budget.reserve("BoardItems") == (0.0, 400)


def test_a_malformed_complexity_is_ignored() -> None:
    budget = ComplexityBudget()
    assert not budget.record("Me", None)
    assert not budget.record("Me", {"query": "1", "after": 2, "reset_in_x_seconds": 3})
    assert not budget.record("Me", {"query": True, "after": 2, "reset_in_x_seconds": 3})
    assert budget.costs == {} and budget.after is None


@pytest.mark.parametrize(("workers", "at_most"), [(1, 1), (2, 3)])
def test_a_failure_stops_the_boards_not_started(
    monday: FakeMonday, workers: int, at_most: int
) -> None:
    for _ in range(4):
        monday.fail(None, 401, {"errors": [{"message": "Not Authenticated"}]})
    with pytest.raises(AuthError):
        monday.connector(max_workers=workers).fetch()
    assert monday.requests <= at_most  # not one request per board
