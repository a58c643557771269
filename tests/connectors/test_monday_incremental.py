"""Incremental monday reads: one request per unchanged board, changes merged by id.

Against the local fake monday of tests/fakes/monday_local.py (a real HTTP server executing each
query over the SDL), plus the pure merge and cache functions.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from unittest.mock import ANY

import pytest
from pytest_httpserver import HTTPServer

from raci_sync.config import FieldsConfig
from raci_sync.connectors.monday.incremental import (
    STATE_BOARDS,
    STATE_COLUMNS,
    BoardRef,
    Cache,
    from_state,
    merge_items,
    merge_subitems,
    scope_key,
    to_state,
)
from raci_sync.connectors.references import FieldDef
from raci_sync.errors import NotFoundError
from raci_sync.model import Snapshot, State, Task
from tests.fakes.monday_local import (
    ALL_IDS,
    ANNA,
    B1,
    B1_SUBS,
    B2,
    B3,
    BO,
    DITTE,
    TEAM,
    FakeMonday,
    column_value,
    item,
    load,
)

SINCE = datetime(2026, 12, 1, tzinfo=UTC)  # every item of the workspace is older


@pytest.fixture
def monday(httpserver: HTTPServer) -> Iterator[FakeMonday]:
    fake = FakeMonday(httpserver)
    yield fake
    assert fake.invalid == [], "queries that do not validate against the SDL"


def full(monday: FakeMonday) -> Snapshot:
    """A full read, then the request log cleared so the test counts only what follows."""
    snap = monday.connector().fetch()
    monday.server.clear_log()
    monday.sent.clear()
    return snap


def ids(snap: Snapshot) -> list[str]:
    return [t.id for t in snap.tasks]


def find(monday: FakeMonday, board: str, item_id: str) -> dict[str, Any]:
    return next(i for i in monday.board(board)["items"] if i["id"] == item_id)


def set_status(raw: dict[str, Any], status: str, updated: str) -> None:
    raw["column_values"] = [
        column_value(("status", "Status", "status"), status) if v["id"] == "status" else v
        for v in raw["column_values"]
    ]
    raw["updated_at"] = updated


def task(snap: Snapshot, task_id: str) -> Task:
    return next(t for t in snap.tasks if t.id == task_id)


# -- through the server -------------------------------------------------------------------------


def test_an_unchanged_workspace_costs_one_request_per_board(monday: FakeMonday) -> None:
    before = full(monday)
    snap = monday.connector().fetch(since=SINCE, previous=before)
    assert monday.ops == ["ChangedItemsAndSubitems", "ChangedItems", "ChangedItems"]
    assert monday.requests == snap.requests == 3
    assert snap.tasks == before.tasks and snap.accounts == before.accounts
    assert snap.state == before.state and snap.containers == before.containers
    assert [v["limit"] for _, v in monday.sent] == [
        100,
        100,
        100,
    ]  # a small first page: cheap in complexity


def test_concurrent_incremental_reads_cost_the_same(monday: FakeMonday) -> None:
    before = full(monday)
    snap = monday.connector(max_workers=4).fetch(since=SINCE, previous=before)
    assert monday.requests == 3 and ids(snap) == ALL_IDS


def test_changed_items_and_subitems_are_merged_in_place(monday: FakeMonday) -> None:
    before = full(monday)
    set_status(find(monday, B1, "6002"), "Done", "2026-12-02T08:00:00Z")
    monday.board(B1)["items"].append(item("6006", "Ny plakat", "2026-12-03T08:00:00Z"))
    set_status(find(monday, "5001001009", "6102"), "Done", "2026-12-02T09:00:00Z")
    find(monday, B2, "7002").update(name="Kaffesmagning", updated_at="2026-12-02T10:00:00Z")
    c = monday.connector(changed_page_size=1, item_page_size=2)
    snap = c.fetch(since=SINCE, previous=before)
    assert ids(snap) == [*ALL_IDS[:7], "6006", *ALL_IDS[7:]]
    assert task(snap, "6002").state is State.DONE
    assert task(snap, "6102").state is State.DONE and task(snap, "6102").parent_id == "6001"
    assert task(snap, "6102").group == "Planlagt"  # from its unchanged parent
    assert task(snap, "7002").title == "Kaffesmagning"
    assert task(snap, "6005") == task(before, "6005")
    # monday's rule returns what changed from the day before the watermark's (11-30 UTC) on
    since = ["EXACT", "2026-11-29"]
    assert monday.sent == [
        (
            "ChangedItemsAndSubitems",
            {"boardId": B1, "subitemsBoardId": B1_SUBS, "limit": 1, "since": since},
        ),  # 6002 (and subitem 6102)
        ("NextItems", {"cursor": ANY, "limit": 2}),  # 6006: the last page
        ("ChangedItems", {"boardId": B2, "limit": 1, "since": since}),  # 7002, the only one
        ("ChangedItems", {"boardId": B3, "limit": 1, "since": since}),
    ]
    assert monday.requests == snap.requests == 4  # known people: no directory query


def test_a_re_read_parent_brings_its_current_subitems(monday: FakeMonday) -> None:
    before = full(monday)
    parent = find(monday, B1, "6001")
    parent["subitems"] = parent["subitems"][:1]  # subitem 6102 was deleted
    parent["updated_at"] = "2026-12-02T08:00:00Z"
    snap = monday.connector().fetch(since=SINCE, previous=before)
    assert "6102" not in ids(snap) and ids(snap)[:2] == ["6001", "6101"]
    assert monday.requests == 3


def test_a_subitems_board_that_is_gone_is_skipped(monday: FakeMonday) -> None:
    before = full(monday)
    monday.data["boards"] = [b for b in monday.data["boards"] if b["id"] != B1_SUBS]
    snap = monday.connector().fetch(since=SINCE, previous=before)
    assert snap.tasks == before.tasks and monday.requests == 3


def test_items_inside_the_overlap_are_read_again(monday: FakeMonday) -> None:
    before = full(monday)
    find(monday, B2, "7003").update(name="Pressedag 2", updated_at="2026-11-30T23:59:30Z")
    snap = monday.connector().fetch(since=SINCE, previous=before)
    assert task(snap, "7003").title == "Pressedag 2"  # 30 s before `since`: inside the 60 s


@pytest.mark.parametrize("kind", ["user", "team"])
def test_an_unknown_person_or_team_reads_the_directory_again(monday: FakeMonday, kind: str) -> None:
    before = full(monday)
    monday.data["users"].append({"id": DITTE, "name": "Ditte Friis", "email": "ditte@example.dk"})
    monday.data["teams"].append({"id": "804299", "name": "Nye", "users": [{"id": DITTE}]})
    owner = (DITTE,) if kind == "user" else (("team", "804299"),)
    monday.board(B2)["items"].append(
        item("7004", "Ny opgave", "2026-12-02T08:00:00Z", board=B2, owner=owner)
    )
    snap = monday.connector().fetch(since=SINCE, previous=before)
    assert monday.ops.count("Directory") == 1 and monday.requests == 4
    acc = {a.id: a for a in snap.accounts}
    assert acc[DITTE].email == "ditte@example.dk"
    owners = next(f for f in task(snap, "7004").fields if f.title == "Owner")
    assert owners.accounts == (DITTE,)
    assert json.loads(snap.state["monday.teams"])["804299"] == [DITTE]


def test_a_renamed_board_renames_its_unchanged_tasks(monday: FakeMonday) -> None:
    before = full(monday)
    monday.board(B2)["name"] = "Events 2027"
    snap = monday.connector().fetch(since=SINCE, previous=before)
    assert {t.container for t in snap.tasks if t.container_id == B2} == {"Events 2027"}
    assert snap.containers == ("Kampagner", "Events 2027", "Drift")


def test_a_board_gone_since_the_last_read_is_not_found(monday: FakeMonday) -> None:
    before = full(monday)
    monday.data["boards"] = [b for b in monday.data["boards"] if b["id"] != B3]
    with pytest.raises(NotFoundError, match=f"board {B3} did not come back"):
        monday.connector().fetch(since=SINCE, previous=before)


def test_an_expired_cursor_restarts_the_incremental_read(monday: FakeMonday) -> None:
    before = full(monday)
    for n, iid in enumerate(("6003", "6004", "6005")):
        set_status(find(monday, B1, iid), "Done", f"2026-12-0{n + 2}T08:00:00Z")
    monday.fail("NextItems", 200, load("error_cursor_expired.json"))
    c = monday.connector(changed_page_size=2, item_page_size=2)
    snap = c.fetch(SINCE, before)
    assert monday.ops[:5] == [
        "ChangedItemsAndSubitems",
        "NextItems",  # expired
        "ChangedItemsAndSubitems",
        "NextItems",  # 6003, then 6002 is unchanged: stop
        "ChangedItems",
    ]
    assert ids(snap) == ALL_IDS
    assert [task(snap, i).state for i in ("6003", "6004", "6005")] == [State.DONE] * 3
    assert monday.requests == snap.requests == 6


def test_without_cached_state_the_read_is_full(monday: FakeMonday) -> None:
    before = full(monday)
    bare = Snapshot(source=before.source, kind="monday", tasks=before.tasks, accounts=())
    snap = monday.connector().fetch(since=SINCE, previous=bare)
    assert monday.ops == ["Directory", "BoardItems", "BoardItems", "BoardItems"]
    assert ids(snap) == ALL_IDS


def test_another_config_means_a_full_read(monday: FakeMonday) -> None:
    before = full(monday)
    monday.connector(boards=(B1, B2)).fetch(since=SINCE, previous=before)
    assert "BoardItems" in monday.ops and "ChangedItems" not in monday.ops


def test_fetched_at_is_when_the_read_started(monday: FakeMonday) -> None:
    start = datetime.now(UTC)
    snap = monday.connector().fetch()
    assert snap.fetched_at is not None and start <= snap.fetched_at <= datetime.now(UTC)


# -- pure merge and cache -----------------------------------------------------------------------


def t(tid: str, board: str = "b1", parent: str | None = None, title: str = "") -> Task:
    return Task(
        source="s",
        id=tid,
        title=title or tid,
        container=board,
        container_id=board,
        parent_id=parent,
    )


def test_merge_replaces_in_place_appends_new_and_drops_moved_items() -> None:
    prev = [t("1"), t("1a", parent="1"), t("2"), t("3", "b2"), t("4", "b2")]
    changed = {
        "b1": [[t("2", title="new 2")], [t("9")]],
        "b2": [[t("1", "b2"), t("1b", "b2", parent="1")]],  # 1 moved to b2, with a new subitem
    }
    out = merge_items(prev, ["b1", "b2"], changed)
    assert [(x.id, x.container_id) for x in out] == [
        ("2", "b1"),
        ("9", "b1"),
        ("3", "b2"),
        ("4", "b2"),
        ("1", "b2"),
        ("1b", "b2"),
    ]
    assert out[0].title == "new 2"


def test_merge_drops_tasks_of_boards_no_longer_read() -> None:
    assert merge_items([t("1"), t("2", "gone")], ["b1"], {}) == [t("1")]


def test_subitems_replace_in_place_or_follow_their_siblings() -> None:
    tasks = [t("1"), t("1a", parent="1"), t("2")]
    out = merge_subitems(
        tasks, [t("1a", parent="1", title="x"), t("1b", parent="1"), t("2a", parent="2")]
    )
    assert [(x.id, x.title) for x in out] == [
        ("1", "1"),
        ("1a", "x"),
        ("1b", "1b"),
        ("2", "2"),
        ("2a", "2a"),
    ]
    assert merge_subitems(tasks, [t("zz", parent="unknown")]) == tasks


def test_the_cache_round_trips_through_string_state() -> None:
    scope = scope_key(("Kampagner",), FieldsConfig(status="Status"))
    columns = {B1: (FieldDef("Ejer", "person", "people"),), B2: ()}
    cache = Cache((BoardRef(B1, "K", "9"), BoardRef(B2, "E")), {TEAM: (BO, ANNA)}, columns)
    state = to_state(scope, cache)
    assert all(isinstance(v, str) for v in state.values())
    assert from_state(state, scope) == cache
    assert from_state(state, scope_key(("Kampagner",), FieldsConfig())) is None
    assert from_state({**state, STATE_BOARDS: "[[1]]"}, scope) is None
    assert from_state({**state, STATE_BOARDS: "[]"}, scope) is None
    assert from_state({}, scope) is None
    assert B3 not in state[STATE_BOARDS]
    # a state kept before the columns were: a full read (so the references can be checked)
    assert from_state({k: v for k, v in state.items() if k != STATE_COLUMNS}, scope) is None
