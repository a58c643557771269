"""The monday.com connector: conversion (pure), board resolution, paging, errors, cursor restarts.

HTTP is faked with ``responses`` at the edge (tests/fakes/monday_fixtures.py); every request a
test sends is checked against the monday SDL afterwards.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import responses

from raci_sync.config import FieldsConfig
from raci_sync.connectors.monday.client import DEFAULT_BASE_URL
from raci_sync.connectors.monday.convert import (
    account_from_monday,
    task_from_monday,
    tasks_from_monday,
)
from raci_sync.connectors.monday.errors import (
    CursorExpiredError,
    PageTooLargeError,
    check_body,
    error_from_graphql,
)
from raci_sync.connectors.monday.queries import QUERIES
from raci_sync.errors import (
    AuthError,
    NotFoundError,
    ResponseError,
    RetryableError,
    SourceError,
)
from raci_sync.model import Account, State
from tests.fakes.monday_fixtures import (
    ANNA,
    BO,
    BOARD,
    CARL,
    GONE,
    TOKEN,
    MondayStub,
    assert_valid_request,
    load,
    source,
    standard,
)


@pytest.fixture
def api() -> Iterator[MondayStub]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake = MondayStub(rsps)
        yield fake
        for call in rsps.calls:
            assert_valid_request(
                call.request.method, call.request.url, call.request.headers, call.request.body
            )


def raw_items() -> list[dict[str, Any]]:
    return load("board_items.json")["data"]["boards"][0]["items_page"]["items"]


TEAMS = {"904211": (BO, CARL)}
COLUMNS = {c["id"]: c["title"] for c in load("board_items.json")["data"]["boards"][0]["columns"]}


def convert(raw: dict[str, Any], fields: FieldsConfig | None = None) -> list[Any]:
    return tasks_from_monday(
        raw,
        source="kampagner",
        board_id=BOARD,
        board_name="Kampagner",
        columns=COLUMNS,
        teams=TEAMS,
        fields=fields or FieldsConfig(),
    )


def field(task: Any, title: str) -> Any:
    return next(f for f in task.fields if f.title == title)


# -- pure conversion ----------------------------------------------------------------------------


def test_an_item_becomes_a_task_with_its_board_group_and_times() -> None:
    t = convert(raw_items()[0])[0]
    assert (t.source, t.id, t.title) == ("kampagner", "4471300001", "Kampagneplan Q1")
    assert t.url == "https://nordlys-test.monday.com/boards/4471203958/pulses/4471300001"
    assert (t.container, t.container_id, t.group) == ("Kampagner", BOARD, "Planlagt")
    assert t.updated == datetime(2026, 12, 1, 12, 30, tzinfo=UTC)
    assert t.state is State.OPEN
    assert t.parent_id is None
    assert t.labels == ("print", "web")


def test_people_columns_expand_teams_and_keep_each_person_once() -> None:
    t = convert(raw_items()[0])[0]
    owner = field(t, "Owner")
    assert (owner.key, owner.id, owner.kind) == ("field", "person", "people")
    assert owner.accounts == (ANNA, BO, CARL)  # Anna, team (Bo, Carl), Bo again
    assert field(t, "Accountable").accounts == (BO,)
    assert field(t, "Consulted").accounts == ()  # empty people columns stay, in board order


def test_people_columns_keep_board_order_so_the_first_is_the_first() -> None:
    t = convert(raw_items()[0])[0]
    people = [f.title for f in t.fields if f.kind == "people" and f.key == "field"]
    assert people == ["Owner", "Accountable", "Consulted"]


def test_subscribers_are_always_present() -> None:
    first, *_ = convert(raw_items()[0])
    assert first.fields[0].key == "subscribers"
    assert first.fields[0].accounts == (ANNA, CARL)
    archived = convert(raw_items()[1])[0]
    assert archived.fields[0].key == "subscribers" and archived.fields[0].accounts == ()


def test_numbers_text_status_and_date_columns_become_fields() -> None:
    t = convert(raw_items()[0])[0]
    assert field(t, "Timer").number == 5.5 and field(t, "Timer").kind == "number"
    assert field(t, "Note").text == "Husk budget" and field(t, "Note").kind == "text"
    assert field(t, "Status").text == "Working on it" and field(t, "Status").kind == "status"
    assert field(t, "Due").text == "2026-12-10"
    assert not [f for f in t.fields if f.title == "Subitems"]  # the subitems column is skipped


def test_empty_columns_other_than_people_are_left_out() -> None:
    archived = convert(raw_items()[1])[0]
    assert [f.title for f in archived.fields if f.key == "field"] == [
        "Owner",
        "Accountable",
        "Consulted",
        "Status",
        "Due",
    ]  # Timer is empty


def test_due_is_the_first_date_column_unless_configured() -> None:
    t = convert(raw_items()[0])[0]
    assert (t.due, t.start) == (date(2026, 12, 10), None)
    by_title = convert(raw_items()[0], FieldsConfig(due="periode"))[0]
    assert (by_title.due, by_title.start) == (date(2026, 12, 15), date(2026, 12, 1))
    by_id = convert(raw_items()[0], FieldsConfig(due="timeline_mkq2d"))[0]
    assert by_id.due == date(2026, 12, 15)
    assert convert(raw_items()[0], FieldsConfig(due="Nowhere"))[0].due is None


def test_state_done_comes_from_the_status_column_is_done() -> None:
    open_, done = convert(raw_items()[0])[0], convert(raw_items()[2])[0]
    assert open_.state is State.OPEN  # "Status" is Working on it
    assert done.state is State.DONE
    # configured: the second status column "Godkendelse" says done
    assert convert(raw_items()[0], FieldsConfig(status="GODKENDELSE"))[0].state is State.DONE


def test_archived_wins_over_a_done_status() -> None:
    assert convert(raw_items()[1])[0].state is State.ARCHIVED
    deleted = {**raw_items()[2], "state": "deleted"}
    assert convert(deleted)[0].state is State.ARCHIVED


def test_subitems_follow_their_parent_with_parent_id_board_and_group() -> None:
    parent, done, open_ = convert(raw_items()[0])
    assert [done.id, open_.id] == ["4471300021", "4471300022"]
    assert done.parent_id == open_.parent_id == parent.id
    assert (done.container, done.container_id, done.group) == ("Kampagner", BOARD, "Planlagt")
    assert done.state is State.DONE and open_.state is State.OPEN
    assert done.due == date(2026, 12, 5) and open_.due is None
    assert field(done, "Owner").accounts == (CARL,)  # titles from the subitem's own column
    assert field(done, "Timer").number == 2
    assert field(open_, "Owner").accounts == ()
    assert open_.updated == datetime(2026, 11, 28, 15, 40, tzinfo=UTC)


def test_agents_hold_no_letter() -> None:
    item = load("next_items.json")["data"]["next_items_page"]["items"][0]
    t = convert(item)[0]
    assert field(t, "Owner").accounts == (BO,)
    assert t.state is State.OPEN and not [f for f in t.fields if f.title == "Status"]


def test_people_fall_back_on_the_raw_value_json() -> None:
    item = copy.deepcopy(raw_items()[2])
    item["column_values"][0]["persons_and_teams"] = None
    assert field(convert(item)[0], "Owner").accounts == (GONE,)


def test_an_unknown_team_is_left_out_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    t = tasks_from_monday(
        raw_items()[0],
        source="kampagner",
        board_id=BOARD,
        board_name="Kampagner",
        columns=COLUMNS,
        teams={},
    )[0]
    assert field(t, "Owner").accounts == (ANNA, BO)
    assert "team 904211" in caplog.text


def test_account_from_monday() -> None:
    a = account_from_monday({"id": BO, "name": "Bo Dahl", "email": "Bo.Dahl@Example.dk"}, "k")
    assert a == Account(source="k", id=BO, name="Bo Dahl", email="Bo.Dahl@Example.dk")
    assert account_from_monday({"id": 7, "name": "N", "email": ""}, "k").email is None


@pytest.mark.parametrize("raw", [None, [], {"name": "no id"}, {"id": True}, {"id": "1", "name": 5}])
def test_a_malformed_user_is_a_response_error(raw: Any) -> None:
    with pytest.raises(ResponseError, match=r"source 'k' \(monday\): monday\.com sent a user"):
        account_from_monday(raw, "k")


@pytest.mark.parametrize(
    "mutate",
    [
        lambda i: i.pop("id"),
        lambda i: i.update(column_values="oops"),
        lambda i: i.update(name=["x"]),
        lambda i: i.update(updated_at="yesterday"),
        lambda i: i["column_values"][1].update(persons_and_teams=[{"kind": "person"}]),
        lambda i: i["column_values"][8].update(number="many"),
        lambda i: i["column_values"][6].update(date="12/10/2026"),
        lambda i: i.update(subscribers=[7]),
        lambda i: i.update(subitems={"id": "1"}),
    ],
)
def test_a_malformed_item_is_a_response_error_naming_it(mutate: Callable[[dict], Any]) -> None:
    item = copy.deepcopy(raw_items()[0])
    mutate(item)
    with pytest.raises(ResponseError, match="source 'kampagner' \\(monday\\)"):
        convert(item)


def test_conversion_does_not_change_its_input() -> None:
    item = raw_items()[0]
    before = copy.deepcopy(item)
    convert(item)
    assert item == before


def test_task_from_monday_on_a_bare_item() -> None:
    t = task_from_monday({"id": "9", "name": "Bar"}, source="s", board_id="1", board_name="B")
    assert (t.id, t.title, t.state, t.due, t.group) == ("9", "Bar", State.OPEN, None, None)
    assert [f.key for f in t.fields] == ["subscribers"]


# -- requests -----------------------------------------------------------------------------------


def test_requests_carry_the_raw_token_the_api_version_and_variables(api: MondayStub) -> None:
    api.on("Me", load("me.json"))
    api.connector(source(api_version="2026-10")).check()
    req = api.rsps.calls[0].request
    assert req.headers["Authorization"] == TOKEN  # raw, no "Bearer"
    assert req.headers["API-Version"] == "2026-10"
    assert req.headers["Content-Type"] == "application/json"
    assert api.rsps.calls[0].request.url == DEFAULT_BASE_URL
    assert json.loads(req.body) == {"query": QUERIES["Me"], "variables": {}}


def test_the_default_api_version_is_2026_10(api: MondayStub) -> None:
    api.on("Me", load("me.json"))
    api.connector().check()
    assert api.rsps.calls[0].request.headers["API-Version"] == "2026-10"


def test_base_url_is_configurable() -> None:
    with responses.RequestsMock() as rsps:
        fake = MondayStub(rsps, url="http://proxy.local/monday/v2")
        fake.on("Me", load("me.json"))
        c = fake.connector(source(base_url="http://proxy.local/monday/v2"))
        assert c.check() == "Anna Berg <anna@example.dk>"


def test_check_names_the_token_owner(api: MondayStub) -> None:
    api.on("Me", load("me.json"))
    c = api.connector()
    assert c.check() == "Anna Berg <anna@example.dk>"
    assert c.complexity == [load("me.json")["data"]["complexity"]]


def test_a_full_fetch_by_name_reads_boards_people_and_all_pages(api: MondayStub) -> None:
    standard(api)
    c = api.connector(source(boards=("kampagner",), fields=FieldsConfig(effort="Timer")))
    snap = c.fetch()
    assert api.ops == ["ListBoards", "Directory", "BoardItems", "NextItems"]
    assert snap.requests == 4
    assert (snap.source, snap.kind, snap.containers) == ("kampagner", "monday", ("Kampagner",))
    assert [t.id for t in snap.tasks] == [
        "4471300001",
        "4471300021",
        "4471300022",
        "4471300002",
        "4471300003",
        "4471300004",
    ]
    assert api.sent[2][1] == {"boardId": BOARD, "limit": 500}
    assert api.sent[3][1] == {
        "cursor": "MSw0NDcxMjAzOTU4LGlfa2FtcGFnbmVyLDUwMCwzNXw0MTQ1NzU1MTE5",
        "limit": 500,
    }
    assert snap.fetched_at is not None and snap.fetched_at.tzinfo is not None
    assert len(c.complexity) == 4


def test_accounts_are_the_directory_plus_ids_only_tasks_name(api: MondayStub) -> None:
    snap = standard(api).connector().fetch()
    by_id = {a.id: a for a in snap.accounts}
    assert by_id[BO] == Account("kampagner", BO, "Bo Dahl", None, "Bo.Dahl@Example.dk")
    assert by_id[GONE] == Account("kampagner", GONE)  # a deactivated user, say
    referenced = {a for t in snap.tasks for f in t.fields for a in f.accounts}
    assert referenced <= set(by_id)


def test_board_ids_need_no_listing(api: MondayStub) -> None:
    standard(api).connector(source(boards=(BOARD, BOARD))).fetch()
    assert api.ops == ["Directory", "BoardItems", "NextItems"]


def test_no_scope_reads_every_regular_board(api: MondayStub) -> None:
    standard(api).on("BoardItems", load("board_items.json"))
    api.connector(source(boards=None)).fetch()
    read = [v["boardId"] for op, v in api.sent if op == "BoardItems"]
    assert read == ["4471203958", "4471204101", "4471204177"]  # no subitems board, no doc


def test_a_name_matching_two_boards_is_an_error(api: MondayStub) -> None:
    standard(api)
    with pytest.raises(SourceError, match=r"2 boards are named 'events'.*4471204101, 4471204177"):
        api.connector(source(boards=("events",))).fetch()


def test_a_name_matching_no_board_is_not_found_with_the_choices(api: MondayStub) -> None:
    standard(api)
    with pytest.raises(NotFoundError, match=r"no board named 'Kampagne'.*'Kampagner'"):
        api.connector(source(boards=("Kampagne",))).fetch()


def test_a_configured_board_that_does_not_come_back_is_not_found(api: MondayStub) -> None:
    standard(api).on("BoardItems", load("board_empty.json"))
    with pytest.raises(NotFoundError, match="board 4471203958 did not come back"):
        api.connector().fetch()


def test_board_listing_pages_until_a_short_page(api: MondayStub) -> None:
    full = load("boards_list.json")
    page1 = copy.deepcopy(full)
    page1["data"]["boards"] = full["data"]["boards"][:2]
    page2 = copy.deepcopy(full)
    page2["data"]["boards"] = full["data"]["boards"][2:3]
    api.on("ListBoards", page1, page2).on("Directory", load("directory.json"))
    api.on("BoardItems", load("board_items.json")).on("NextItems", load("next_items.json"))
    api.connector(source(boards=("Events",)), board_page_size=2).fetch()
    assert [v for op, v in api.sent if op == "ListBoards"] == [
        {"limit": 2, "page": 1},
        {"limit": 2, "page": 2},
    ]


def test_users_page_when_a_page_is_full(api: MondayStub) -> None:
    d = load("directory.json")
    page2 = {"data": {"complexity": d["data"]["complexity"], "users": d["data"]["users"][2:]}}
    d["data"]["users"] = d["data"]["users"][:2]
    standard(api).on("Directory", d).on("Users", page2)
    snap = api.connector(user_page_size=2).fetch()
    assert [(op, v) for op, v in api.sent if op in ("Directory", "Users")] == [
        ("Directory", {"limit": 2, "page": 1}),
        ("Users", {"limit": 2, "page": 2}),
    ]
    assert {ANNA, BO, CARL} <= {a.id for a in snap.accounts}


# -- errors -------------------------------------------------------------------------------------


def test_http_401_is_an_auth_error_without_the_token(api: MondayStub) -> None:
    api.on("Me", (401, {"error_message": "Not Authenticated", "status_code": 401}))
    with pytest.raises(AuthError, match="401") as exc:
        api.connector().check()
    assert TOKEN not in str(exc.value)
    assert exc.value.source == "kampagner"


def test_user_unauthorized_in_a_200_body_is_an_auth_error(api: MondayStub) -> None:
    api.on("Me", load("error_user_unauthorized.json"))
    with pytest.raises(AuthError, match=r"UserUnauthorizedException.*permissions"):
        api.connector().check()


def test_an_invalid_board_id_is_not_found(api: MondayStub) -> None:
    standard(api).on("BoardItems", load("error_invalid_board.json"))
    with pytest.raises(NotFoundError, match="InvalidBoardIdException"):
        api.connector().fetch()


def test_complexity_budget_exhausted_waits_retry_in_seconds_then_goes_on(api: MondayStub) -> None:
    standard(api).on("Directory", load("error_complexity_budget.json"), load("directory.json"))
    snap = api.connector().fetch()
    assert api.waits == [17.0]
    assert api.ops == ["Directory", "Directory", "BoardItems", "NextItems"]
    assert snap.requests == 4


def test_a_legacy_complexity_exception_waits_the_reset_from_its_message(api: MondayStub) -> None:
    api.on("Me", load("error_complexity_legacy.json"), load("me.json"))
    api.connector().check()
    assert api.waits == [23.0]


def test_a_rate_limit_without_a_wait_waits_ten_seconds(api: MondayStub) -> None:
    body = {
        "errors": [
            {
                "message": "Rate Limit Exceeded",
                "extensions": {"code": "RATE_LIMIT_EXCEEDED", "status_code": 429},
            }
        ]
    }
    api.on("Me", body, load("me.json"))
    api.connector().check()
    assert api.waits == [10.0]


def test_the_daily_limit_is_not_retried(api: MondayStub) -> None:
    api.on("Me", load("error_daily_limit.json"))
    with pytest.raises(SourceError, match="daily call limit") as exc:
        api.connector().check()
    assert not isinstance(exc.value, RetryableError)
    assert api.waits == []


def test_http_429_and_500_are_retried(api: MondayStub) -> None:
    api.on("Me", (429, "{}"), (500, "oops"), load("me.json"))
    assert api.connector().check().startswith("Anna Berg")
    assert len(api.waits) == 2


def test_partial_data_with_errors_is_not_taken_as_complete(api: MondayStub) -> None:
    api.on("Me", load("error_partial_data.json"))
    with pytest.raises(SourceError, match=r"Photo unavailable.*ASSET_UNAVAILABLE.*partial"):
        api.connector().check()


def test_other_errors_carry_message_and_code(api: MondayStub) -> None:
    api.on("Me", load("error_other.json"))
    with pytest.raises(SourceError, match="Column value is invalid \\(ColumnValueException\\)"):
        api.connector().check()


def test_the_pre_2025_error_shape_is_understood(api: MondayStub) -> None:
    api.on("Me", load("error_legacy_top_level.json"))
    with pytest.raises(NotFoundError, match="Board not found"):
        api.connector().check()


def test_a_body_without_data_is_a_response_error(api: MondayStub) -> None:
    api.on("Me", {"account_id": 1})
    with pytest.raises(ResponseError, match="without a 'data' object"):
        api.connector().check()


def test_a_body_that_is_not_json_is_a_response_error(api: MondayStub) -> None:
    api.on("Me", '{"data": {"me": ')
    with pytest.raises(ResponseError, match="not valid JSON"):
        api.connector().check()


def test_a_wrongly_shaped_page_is_a_response_error(api: MondayStub) -> None:
    bad = load("board_items.json")
    bad["data"]["boards"][0]["items_page"]["items"] = {"id": "1"}
    standard(api).on("BoardItems", bad)
    with pytest.raises(ResponseError, match="with 'items' as an object instead of a list"):
        api.connector().fetch()


@pytest.mark.parametrize(
    ("code", "status", "message", "kind"),
    [
        ("ComplexityException", None, "reset in 5 seconds", RetryableError),
        ("COMPLEXITY_BUDGET_EXHAUSTED", 429, "x", RetryableError),
        ("IP_RATE_LIMIT_EXCEEDED", 429, "x", RetryableError),
        ("maxConcurrencyExceeded", None, "Concurrency limit exceeded", RetryableError),
        ("UserUnauthorizedException", 403, "x", AuthError),
        (None, 401, "Not Authenticated", AuthError),
        ("InvalidBoardIdException", None, "x", NotFoundError),
        ("ResourceNotFoundException", 404, "x", NotFoundError),
        ("CursorExpiredError", None, "x", CursorExpiredError),
        (None, None, "The cursor expired, start over", CursorExpiredError),
        (
            "ComplexityException",
            None,
            "Query has complexity of 6000000, which exceeds max complexity of 5000000",
            PageTooLargeError,  # no wait: a query over the per-query maximum, not the budget
        ),
        (
            "FIELD_LIMIT_EXCEEDED",
            429,
            "Concurrency limit exceeded for the field",
            PageTooLargeError,
        ),
        ("SomethingNew", None, "x", SourceError),
    ],
)
def test_error_codes_map_to_what_the_caller_should_do(
    code: str | None, status: int | None, message: str, kind: type
) -> None:
    ext = {k: v for k, v in (("code", code), ("status_code", status)) if v is not None}
    err = error_from_graphql([{"message": message, "extensions": ext}], "here")
    assert type(err) is kind
    assert str(err).startswith("here: ")


def test_a_complexity_wait_comes_from_the_body() -> None:
    err = error_from_graphql(
        [
            {
                "message": "budget exhausted, reset in 33 seconds",
                "extensions": {"code": "ComplexityException"},
            }
        ],
        "w",
    )
    assert isinstance(err, RetryableError) and err.wait == 33.0
    err = error_from_graphql(
        [
            {
                "message": "m",
                "extensions": {"code": "COMPLEXITY_BUDGET_EXHAUSTED", "retry_in_seconds": 4},
            }
        ],
        "w",
    )
    assert isinstance(err, RetryableError) and err.wait == 4.0


def test_check_body_accepts_a_clean_body_and_rejects_non_objects() -> None:
    check_body({"data": {"me": None}}, "k", "w")
    with pytest.raises(ResponseError, match="the answer to w as a list instead of an object"):
        check_body([], "k", "w")
    with pytest.raises(SourceError, match="boom"):
        check_body({"errors": ["boom"]}, "k", "w")


# -- cursor expiry ------------------------------------------------------------------------------


def test_an_expired_cursor_restarts_the_board_and_keeps_each_item_once(api: MondayStub) -> None:
    standard(api).on("NextItems", load("error_cursor_expired.json"), load("next_items.json"))
    snap = api.connector().fetch()
    assert api.ops == ["Directory", "BoardItems", "NextItems", "BoardItems", "NextItems"]
    ids = [t.id for t in snap.tasks]
    assert len(ids) == len(set(ids)) == 6
    assert snap.requests == 5


def test_cursor_restarts_are_bounded(api: MondayStub) -> None:
    standard(api).on("NextItems", load("error_cursor_expired.json"))
    with pytest.raises(SourceError, match=r"cursor expired.*gave up after 2 restarts"):
        api.connector(max_cursor_restarts=2).fetch()
    assert api.ops.count("BoardItems") == 3
