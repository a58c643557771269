"""Right on the real monday API (issue 10): the server-side "updated since" rule read to its last
page, smaller pages when monday will not answer a large one, the API version (2026-10, and a
warning when another is served), multi-level boards' BatteryValue status, date-times in the
team's time zone, and a timeout above monday's own 60 s.

Against the local fake of tests/fakes/monday_local.py (exact request counts) and the spec-built
fake of tests/fakes/monday.py (queries executed against the SDL extract, which validates the
rule's shape).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any
from unittest.mock import ANY

import pytest
from pytest_httpserver import HTTPServer

from raci_sync.config import FieldsConfig, Secret, SourceConfig
from raci_sync.connectors.base import make_http
from raci_sync.connectors.monday.client import MondayConnector, version_warning
from raci_sync.connectors.monday.convert import task_from_monday
from raci_sync.errors import SourceError
from raci_sync.model import State
from tests.fakes import monday_local
from tests.fakes.monday_local import B1, B2, FakeMonday, column_value, item, threaded_fake
from tests.fakes.server import FakeServer
from tests.fakes.workspace import generate

SINCE = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
def monday(httpserver: HTTPServer) -> Iterator[FakeMonday]:
    fake = FakeMonday(httpserver)
    yield fake
    assert fake.invalid == [], "queries that do not validate against the SDL"


def find(monday: FakeMonday, board: str, item_id: str) -> dict[str, Any]:
    return next(i for i in monday.board(board)["items"] if i["id"] == item_id)


def full(monday: FakeMonday, **attrs: Any) -> Any:
    snap = monday.connector(**attrs).fetch()
    monday.server.clear_log()
    monday.sent.clear()
    return snap


# -- the server-side rule -----------------------------------------------------------------------


def test_the_incremental_read_reads_every_page_of_the_rule(monday: FakeMonday) -> None:
    """In board order (not by update), an unchanged item updated the day before the watermark
    sits between two changed ones: the rule returns all three, every page is read, and only the
    two changed ones count (the old sorted read stopped at the first unchanged item)."""
    before = full(monday)
    find(monday, B1, "6002").update(name="A", updated_at="2026-12-02T08:00:00Z")
    find(monday, B1, "6003").update(name="B", updated_at="2026-11-30T21:00:00Z")  # unchanged
    find(monday, B1, "6004").update(name="C", updated_at="2026-12-02T09:00:00Z")
    snap = monday.connector(changed_page_size=1, item_page_size=1).fetch(SINCE, before)
    titles = {t.id: t.title for t in snap.tasks}
    assert (titles["6002"], titles["6003"], titles["6004"]) == ("A", "Nyhedsbrev", "C")
    since = ["EXACT", "2026-11-29"]  # the UTC day before the watermark's (11-30 23:59)
    assert monday.sent[:3] == [
        ("ChangedItemsAndSubitems", {"boardId": B1, "subitemsBoardId": ANY, "limit": 1, "since": since}),
        ("NextItems", {"cursor": ANY, "limit": 1}),
        ("NextItems", {"cursor": ANY, "limit": 1}),
    ]  # fmt: skip
    assert snap.requests == 5  # + Events and Drift, unchanged: one each


def test_an_unchanged_workspace_costs_one_request_per_board(monday: FakeMonday) -> None:
    before = full(monday)
    snap = monday.connector().fetch(SINCE, before)
    assert monday.ops == ["ChangedItemsAndSubitems", "ChangedItems", "ChangedItems"]
    assert snap.tasks == before.tasks and snap.requests == 3


def test_the_rule_validates_and_is_honoured_by_the_spec_fake() -> None:
    """The SDL-built fake validates every query and variable (compare_attribute a String, the
    value a day) and compares by day in the token owner's zone."""
    ws = generate(120, containers=2, people=5, seed=3, subtask_share=0.05)
    with FakeServer(ws, monday={"fast": True}) as srv:
        src = SourceConfig(
            name="m",
            kind="monday",
            token=Secret("fake-monday-token"),
            base_url=srv.base_urls["monday"],
            boards=tuple(c.name for c in ws.monday.containers),
        )
        first = MondayConnector(src, make_http(src, rate_limits=False)).fetch()
        victim = next(t for t in ws.monday.tasks[3:] if t.parent is None)
        ws.touch("monday", victim.id, title="Ny titel")
        again = MondayConnector(src, make_http(src, rate_limits=False)).fetch(
            first.fetched_at, first
        )
        assert srv.fakes["monday"].violations == []
    assert again.requests == 2  # one per board: the rule returns the changed item only
    assert next(t for t in again.tasks if t.id == victim.id).title == "Ny titel"


# -- smaller pages when monday will not answer a large one --------------------------------------


def test_a_page_over_the_complexity_maximum_is_halved_until_it_passes(
    monday: FakeMonday, caplog: pytest.LogCaptureFixture
) -> None:
    monday.max_limit = 100
    with caplog.at_level(logging.WARNING, "raci_sync.monday"):
        snap = monday.connector(boards=(B2,)).fetch()
    assert [v["limit"] for op, v in monday.sent if op == "BoardItems"] == [500, 250, 125, 62]
    assert len(snap.tasks) == 3 and snap.requests == 5
    assert "would not answer a page of 500 items" in caplog.text
    assert "complexity points); asking for 250 a page" in caplog.text


def test_later_pages_keep_the_smaller_size(monday: FakeMonday) -> None:
    monday.max_limit = 2
    snap = monday.connector(boards=(B1,), item_page_size=4, min_page_size=1).fetch()
    assert [(op, v["limit"]) for op, v in monday.sent if op != "Directory"] == [
        ("BoardItems", 4),
        ("BoardItems", 2),
        ("NextItems", 2),
        ("NextItems", 2),
    ]
    assert len(snap.tasks) == 7


def test_a_page_refused_even_at_the_floor_fails(monday: FakeMonday) -> None:
    monday.max_limit = 10
    with pytest.raises(SourceError, match="even at 25 items a page"):
        monday.connector(boards=(B2,)).fetch()
    assert [v["limit"] for op, v in monday.sent if op == "BoardItems"] == [
        500,
        250,
        125,
        62,
        31,
        25,
    ]


def test_field_limit_exceeded_halves_the_page_after_its_wait(monday: FakeMonday) -> None:
    body = {
        "errors": [
            {
                "message": "Concurrency limit exceeded for the field",
                "extensions": {
                    "code": "FIELD_LIMIT_EXCEEDED",
                    "status_code": 429,
                    "error_data": {"retry_in_seconds": 15, "entity": "boards"},
                },
            }
        ]
    }
    monday.fail("BoardItems", 200, body)
    snap = monday.connector(boards=(B2,)).fetch()
    assert [v["limit"] for op, v in monday.sent if op == "BoardItems"] == [500, 250]
    assert monday.waits == [15.0] and len(snap.tasks) == 3


def test_field_limit_exceeded_as_http_429_halves_the_page_too(monday: FakeMonday) -> None:
    body = {
        "error_message": "Concurrency limit exceeded for the field",
        "error_code": "FIELD_LIMIT_EXCEEDED",
        "error_data": {"retry_in_seconds": 15, "entity": "boards"},
        "status_code": 429,
    }
    monday.fail("BoardItems", 429, body)
    monday.connector(boards=(B2,)).fetch()
    assert [v["limit"] for op, v in monday.sent if op == "BoardItems"] == [500, 250]
    assert monday.waits == [15.0]


def test_a_page_that_times_out_is_asked_again_smaller() -> None:
    with threaded_fake() as monday:  # the slow answers must not hold up the next request
        monday.slow = (100, 1.0)  # a page of more than 100 items takes 1 s
        c = monday.connector(boards=(B2,))
        c.http.timeout = 0.3
        snap = c.fetch()
    assert [v["limit"] for op, v in monday.sent if op == "BoardItems"] == [500, 250, 125, 62]
    assert monday.waits == [1.0, 1.0, 1.0]  # the HTTP layer's first backoff before each
    assert len(snap.tasks) == 3


def test_the_spec_fake_complexity_maximum_is_avoided_by_smaller_pages() -> None:
    ws = generate(60, containers=1, people=4, seed=5, subtask_share=0.0)
    with FakeServer(ws, monday={"fast": True}) as srv:
        fake = srv.fakes["monday"]
        fake.max_complexity = 12_000  # a 500-item page costs more, a 125-item one less
        src = SourceConfig(
            name="m",
            kind="monday",
            token=Secret("fake-monday-token"),
            base_url=srv.base_urls["monday"],
            boards=(ws.monday.containers[0].id,),
        )
        snap = MondayConnector(src, make_http(src, rate_limits=False)).fetch()
        assert fake.violations == []
    assert len([t for t in snap.tasks if t.parent_id is None]) == 60
    assert snap.requests == 1 + 3  # the directory; 500 and 250 refused, 125 passed


# -- the API version ----------------------------------------------------------------------------


def test_the_first_query_of_a_sync_asks_the_version_and_warns_on_another(
    monday: FakeMonday, caplog: pytest.LogCaptureFixture
) -> None:
    monday.version = {"kind": "current", "value": "2026-10"}
    monday.connector(boards=(B2,)).fetch()
    assert "API-Version" not in caplog.text
    monday.version = {"kind": "maintenance", "value": "2026-07"}
    with caplog.at_level(logging.WARNING, "raci_sync.monday"):
        c = monday.connector(boards=(B2,))
        c.fetch()
    assert caplog.text.count("asked for API-Version 2026-10 but monday served 2026-07") == 1
    assert c.served == {"kind": "maintenance", "value": "2026-07"}


@pytest.mark.parametrize(
    ("asked", "kind", "value", "says"),
    [
        ("2026-10", "current", "2026-10", None),
        ("2026-07", "maintenance", "2026-07", "is in maintenance"),
        ("2026-04", "maintenance", "2026-07", "asked for API-Version 2026-04 but monday served"),
        ("2027-01", "release_candidate", "2027-01", "is a release candidate version"),
        ("2026-10", "deprecated", "2026-10", "is in deprecated"),
    ],
)
def test_version_warnings(asked: str, kind: str, value: str, says: str | None) -> None:
    warning = version_warning(asked, kind, value)
    assert (warning is None) if says is None else (says in (warning or ""))


def test_the_spec_fake_serves_a_retired_version_as_the_maintenance_one() -> None:
    ws = generate(5, containers=1, people=4, seed=2)
    with FakeServer(ws, monday={"fast": True}) as srv:
        for asked, served in (("2026-10", "2026-10"), ("2026-04", "2026-07")):
            src = SourceConfig(
                name="m",
                kind="monday",
                token=Secret("fake-monday-token"),
                base_url=srv.base_urls["monday"],
                api_version=asked,
            )
            c = MondayConnector(src, make_http(src, rate_limits=False))
            c.check()
            assert c.served == {"kind": KINDS_OF[served], "value": served}
        assert srv.fakes["monday"].served[-2:] == [("2026-10", "2026-10"), ("2026-04", "2026-07")]


KINDS_OF = {"2026-10": "current", "2026-07": "maintenance"}


# -- multi-level boards: BatteryValue -----------------------------------------------------------


def test_a_battery_status_is_done_when_its_labels_are_done(monday: FakeMonday) -> None:
    monday.board(B1)["multi_level"] = True
    by_id = {t.id: t for t in monday.connector(boards=(B1,)).fetch().tasks}
    assert by_id["6003"].state is State.DONE  # "Done"
    assert by_id["6101"].state is State.DONE  # a subitem, its status a rollup too
    assert by_id["6001"].state is State.OPEN and by_id["6102"].state is State.OPEN


def test_a_battery_status_without_done_labels_fails_the_board(
    monday: FakeMonday, monkeypatch: pytest.MonkeyPatch
) -> None:
    monday.board(B1)["multi_level"] = True
    plain = monday_local.column_object

    def no_settings(col: tuple[str, str, str], multi: bool) -> dict[str, Any]:
        return {**plain(col, multi), "settings": {"labels": []}}

    monkeypatch.setattr(monday_local, "column_object", no_settings)
    with pytest.raises(SourceError, match="settings do not say which labels mean done"):
        monday.connector(boards=(B1,)).fetch()


def test_the_spec_fake_multi_level_board_reads_as_the_workspace_says() -> None:
    ws = generate(80, containers=1, people=4, seed=8, subtask_share=0.0)
    with FakeServer(ws, monday={"fast": True}) as srv:
        board = ws.monday.containers[0]
        srv.fakes["monday"].multi_level = {board.id}
        src = SourceConfig(
            name="m",
            kind="monday",
            token=Secret("fake-monday-token"),
            base_url=srv.base_urls["monday"],
            boards=(board.name,),
        )
        snap = MondayConnector(src, make_http(src, rate_limits=False)).fetch()
    expected = ws.expected("monday")
    assert any(e.state == "done" for e in expected.values())
    assert {t.id: t.state.value for t in snap.tasks} == {k: e.state for k, e in expected.items()}


# -- dates in the team's time zone --------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "zone", "day"),
    [
        ("2026-12-10T23:30:00", "Europe/Copenhagen", date(2026, 12, 11)),  # after midnight there
        ("2026-12-10T23:30:00", "America/New_York", date(2026, 12, 10)),
        ("2026-12-11T03:00:00", "Europe/Copenhagen", date(2026, 12, 11)),
        ("2026-12-11T03:00:00", "America/New_York", date(2026, 12, 10)),  # before midnight there
        ("2026-12-11", "America/New_York", date(2026, 12, 11)),  # a plain day stays that day
    ],
)
def test_a_date_with_a_time_is_a_day_in_the_team_zone(value: str, zone: str, day: date) -> None:
    from zoneinfo import ZoneInfo

    raw = item("1", "x", "2026-12-01T08:00:00Z", due=value)
    t = task_from_monday(raw, source="s", board_id=B1, board_name="B", zone=ZoneInfo(zone))
    assert t.due == day
    assert next(f.text for f in t.fields if f.title == "Due") == day.isoformat()


def test_the_connector_reads_dates_in_the_source_time_zone(monday: FakeMonday) -> None:
    find(monday, B2, "7001")["column_values"][3] = column_value(
        ("date4", "Due", "date"), "2026-12-10T23:30:00"
    )
    c = monday.connector(boards=(B2,))
    c.source = replace(c.source, timezone="Europe/Copenhagen")
    tasks = {t.id: t for t in MondayConnector(c.source, c.http).fetch().tasks}
    assert tasks["7001"].due == date(2026, 12, 11)


# -- the timeout --------------------------------------------------------------------------------


def test_a_monday_source_without_a_timeout_waits_longer_than_monday_does() -> None:
    src = SourceConfig(name="m", kind="monday", token=Secret("t"))
    assert MondayConnector(src, make_http(src)).http.timeout == 65.0
    own = replace(src, timeout=20.0)
    assert MondayConnector(own, make_http(own)).http.timeout == 20.0  # what the config says
    trello = SourceConfig(name="t", kind="trello", token=Secret("t"), key=Secret("k"))
    assert make_http(trello).timeout == 30.0  # other kinds keep theirs


def test_due_written_on_a_board_with_such_a_column_reads_it(monday: FakeMonday) -> None:
    c = monday.connector(boards=(B2,))
    c.source = replace(c.source, fields=FieldsConfig(due="Due", status="Status", effort="Timer"))
    assert c.fetch().tasks
