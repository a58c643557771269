"""Asana on old workspaces and in the team's time: the history cutoff and due times.

Against the spec-built fake (tests/fakes/asana.py) over a generated workspace aged with
``add_history``: years of tasks completed long before the cutoff, many with completed subtasks,
some with an open subtask left below a completed parent.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from raci_sync.connectors.asana.convert import task_from_asana
from raci_sync.connectors.base import make_connector, make_http
from raci_sync.model import Snapshot
from tests.fakes.workspace import add_history, generate
from tests.fakes.world import ToolWorld

FRESH = {"tasks": 240, "containers": 2, "people": 6, "seed": 3, "subtask_share": 0.1}


def read(world: ToolWorld, **changes: Any) -> Snapshot:
    src = world.source(**changes)
    http = make_http(src, sleep=lambda s: None, rate_limits=False)
    return make_connector(src, http).fetch()


@pytest.fixture
def aged() -> Iterator[ToolWorld]:
    ws = generate(**FRESH)
    add_history(ws, 600, subtask_share=0.4, open_below=5)
    with ToolWorld("asana", ws) as world:
        yield world


def test_an_aged_workspace_costs_what_a_fresh_one_does(aged: ToolWorld) -> None:
    with ToolWorld("asana", generate(**FRESH)) as fresh:
        young = read(fresh)
        fresh_cost = fresh.server.counts["asana"]
    old = read(aged)
    assert old.requests == aged.server.counts["asana"] == fresh_cost == young.requests
    assert old.tasks == young.tasks  # 600 old tasks and their subtasks: none read
    assert not any(p.endswith("/subtasks") and "1205" in p for p in _paths(aged))


def test_the_full_read_asks_for_open_and_recently_completed_tasks(aged: ToolWorld) -> None:
    before = datetime.now(UTC)
    snap = read(aged)
    listings = [s for s in aged.server.log if s.path.endswith("/tasks")]
    assert listings and all("completed_since" in s.query for s in listings)
    since = datetime.fromisoformat(listings[0].query["completed_since"])
    assert abs(since - (before - timedelta(days=90))) < timedelta(seconds=5)
    assert {t.id for t in snap.tasks} == set(aged.expected())
    cutoff = before - timedelta(days=90, minutes=1)
    done = [t for t in aged.ws.asana.tasks if t.id in aged.expected() and t.state == "done"]
    assert all(t.completed_at and t.completed_at > cutoff for t in done if t.parent is None)


def test_an_open_subtask_below_an_old_completed_parent_is_left_out(aged: ToolWorld) -> None:
    """What the cutoff leaves out (README): widen [sync] history_days to read it."""
    hidden = [
        s
        for t in aged.ws.asana.tasks
        if t.parent is None and t.id.startswith("1205")  # the gids of add_history
        for s in t.subtasks
        if s.state == "open"
    ]
    assert len(hidden) == 5
    ids = {t.id for t in read(aged).tasks}
    assert not ids & {s.id for s in hidden}
    aged.server.reset()
    wide = read(aged, history_days=3650)
    assert {s.id for s in hidden} <= {t.id for t in wide.tasks}
    assert aged.server.counts["asana"] > len(hidden)  # the old subtrees are listed now


def test_history_days_widens_the_cutoff(aged: ToolWorld) -> None:
    narrow = read(aged)
    wide = read(aged, history_days=3650)
    old = {t.id for t in aged.ws.asana.tasks if t.id.startswith("1205")}
    assert not old & {t.id for t in narrow.tasks}
    assert old <= {t.id for t in wide.tasks}
    assert set(aged.ws.expected("asana", history_days=3650)) == {t.id for t in wide.tasks}


def test_an_incremental_read_sends_no_completed_since_and_drops_an_old_task_edited_now(
    aged: ToolWorld,
) -> None:
    src = aged.source()
    conn = make_connector(src, make_http(src, sleep=lambda s: None, rate_limits=False))
    first = conn.fetch()
    old = next(t for t in aged.ws.asana.tasks if t.id.startswith("1205") and t.parent is None)
    fresh = next(t for t in aged.ws.asana.tasks if t.id in aged.expected() and t.parent is None)
    aged.ws.touch("asana", old.id, title="Gammel opgave omdøbt")  # still completed long ago
    aged.ws.touch("asana", fresh.id, title="Ny titel")
    aged.server.reset()
    snap = conn.fetch(first.fetched_at, first)
    changed = [s for s in aged.server.log if s.path == "/tasks"]
    assert changed and all("completed_since" not in s.query for s in changed)
    assert "modified_since" in changed[0].query
    titles = {t.id: t.title for t in snap.tasks}
    assert old.id not in titles and titles[fresh.id] == "Ny titel"
    assert set(titles) == set(aged.expected())


# -- due and start times in the team's time zone ----------------------------------------------

COPENHAGEN, NEW_YORK = ZoneInfo("Europe/Copenhagen"), ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("due_at", "tz", "day"),
    [
        ("2026-12-09T23:30:00.000Z", COPENHAGEN, date(2026, 12, 10)),  # 00:30 local
        ("2026-12-09T22:59:00.000Z", COPENHAGEN, date(2026, 12, 9)),  # 23:59 local
        ("2026-06-14T22:00:00.000Z", COPENHAGEN, date(2026, 6, 15)),  # summer: local midnight
        ("2026-12-10T03:30:00.000Z", NEW_YORK, date(2026, 12, 9)),  # 22:30 the evening before
        ("2026-12-10T05:00:00.000Z", NEW_YORK, date(2026, 12, 10)),  # local midnight
        ("2026-12-10T03:30:00.000Z", UTC, date(2026, 12, 10)),
    ],
)
def test_due_and_start_times_are_dates_in_the_teams_time_zone(
    due_at: str, tz: ZoneInfo, day: date
) -> None:
    raw = {"gid": "1", "name": "x", "due_at": due_at, "start_at": due_at, "due_on": "2026-01-01"}
    task = task_from_asana(raw, "k", tz=tz)
    assert (task.due, task.start) == (day, day)  # the time wins over Asana's own due_on


def test_a_due_date_without_a_time_is_taken_as_it_is() -> None:
    raw = {"gid": "1", "name": "x", "due_on": "2026-12-10", "due_at": None}
    assert task_from_asana(raw, "k", tz=NEW_YORK).due == date(2026, 12, 10)


def test_the_source_time_zone_reaches_the_dates() -> None:
    """Through the fake: a task due 00:30 in Copenhagen is due that day (not the day before)."""
    ws = generate(**FRESH)
    task = next(t for t in ws.asana.tasks if t.parent is None and t.state == "open")
    task.due, task.due_at = None, datetime(2026, 12, 9, 23, 30, tzinfo=UTC)
    with ToolWorld("asana", ws) as world:
        utc = {t.id: t for t in read(world).tasks}[task.id].due
        cph = {t.id: t for t in read(world, timezone="Europe/Copenhagen").tasks}[task.id].due
    assert (utc, cph) == (date(2026, 12, 9), date(2026, 12, 10))


def _paths(world: ToolWorld) -> list[str]:
    return [s.path for s in world.server.log]
