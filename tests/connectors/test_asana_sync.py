"""The Asana connector against a real local server: incremental reads, concurrency, faults.

``FakeAsana`` (tests/fakes/asana_fixtures.py) serves the fixture workspace (two projects, a task
in both, subtasks two levels deep, a user who left), keeps every request it saw, and can change
tasks, move them, create them and inject faults (status codes, truncated bodies, reset
connections) before its normal answer. Every test asserts the outcome and the requests made.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from raci_sync.config import Bounds
from raci_sync.connectors.asana.client import PAT_URL, AsanaConnector
from raci_sync.connectors.asana.queries import TASK_FIELDS
from raci_sync.errors import AuthError, ResponseError, RetryableError, SourceError
from raci_sync.model import Snapshot, State, Task
from tests.fakes.asana_fixtures import (
    FREJA,
    LARS,
    P1,
    P2,
    S1,
    S2,
    SINCE,
    T1,
    T2,
    T3,
    T4,
    T5,
    T6,
    TOKEN,
    WS,
    FakeAsana,
    fail,
    load,
    reset,
    server_connector,
)

SINCE_PARAM = "2026-12-05T11:59:00.000Z"  # SINCE minus the minute of overlap
OTHER_PROJECT = "1206112233445599"  # a project the config does not name
T7, NEW_USER = "1208421907315507", "1201987650000016"


@pytest.fixture
def fake(httpserver: HTTPServer) -> FakeAsana:
    return FakeAsana(httpserver)


def full_then_reset(fake: FakeAsana, **kw: Any) -> tuple[AsanaConnector, Snapshot]:
    """A full read to start from, with the server's request log cleared after it."""
    conn = server_connector(fake, **kw)
    previous = conn.fetch()
    fake.seen.clear()
    return conn, previous


def by_id(snap: Snapshot) -> dict[str, Task]:
    return {t.id: t for t in snap.tasks}


def assignee(task: Task) -> tuple[str, ...]:
    return next(f.accounts for f in task.fields if f.key == "assignee")


# -- full reads -----------------------------------------------------------------------------------


def test_full_read_costs_one_page_per_100_tasks_per_project(httpserver: HTTPServer) -> None:
    fake = FakeAsana(httpserver)
    for i in range(245):  # P1: 5 + 245 = 250 tasks → 3 pages; P2: 2 + 118 = 120 → 2 pages
        fake.create(f"12084219073{i:05d}", like=T4, name=f"Opgave {i}")
    for i in range(118):
        fake.create(f"12084219074{i:05d}", like=T6, name=f"Analyse {i}")
    snap = server_connector(fake, max_workers=1).fetch()
    assert len(snap.tasks) == 250 + 119 + 2  # T5 in both projects once; S1, S2
    assert fake.count(f"/projects/{P1}/tasks") == 3 and fake.count(f"/projects/{P2}/tasks") == 2
    # 1 workspaces + 1 projects + 2 field listings + 1 users + 5 task pages + 2 subtask lists
    assert snap.requests == len(fake.seen) == 12
    assert all(q["limit"] == "100" for p, q in fake.seen)


def test_concurrent_read_gives_the_same_snapshot_in_the_same_order(fake: FakeAsana) -> None:
    one = server_connector(fake, max_workers=1).fetch()
    four = server_connector(fake, max_workers=4).fetch()
    assert four.tasks == one.tasks and four.accounts == one.accounts
    assert [t.id for t in four.tasks] == [T1, T2, S1, S2, T3, T4, T5, T6]
    # workspaces, projects, 2 field listings, users, 2 lists, 2 subtask lists
    assert four.requests == one.requests == 9
    assert four.state == one.state
    assert json.loads(four.state["asana.projects"]) == [
        [P1, "Kampagne Q1 2027"],
        [P2, "Analyse & Rapportering"],
    ]


# -- incremental reads ----------------------------------------------------------------------------


def test_unchanged_workspace_costs_one_request_per_project(fake: FakeAsana) -> None:
    conn, previous = full_then_reset(fake)
    snap = conn.fetch(SINCE, previous)
    assert snap.requests == 2
    assert sorted(fake.seen, key=lambda s: s[1]["project"]) == [
        (
            "/tasks",
            {
                "project": project,
                "modified_since": SINCE_PARAM,
                "limit": "100",
                "opt_fields": ",".join(TASK_FIELDS),
            },
        )
        for project in (P1, P2)
    ]
    assert snap.tasks == previous.tasks
    assert snap.accounts == previous.accounts
    assert snap.containers == previous.containers
    assert snap.state == previous.state
    assert snap.fetched_at is not None and previous.fetched_at is not None
    assert snap.fetched_at >= previous.fetched_at


def test_a_changed_and_a_new_task_are_merged(fake: FakeAsana) -> None:
    conn, previous = full_then_reset(fake)
    fake.change(T1, name="Fastlæg budskab", assignee={"gid": FREJA, "name": "Freja Nørgaard"})
    fake.create(T7, like=T6, name="Analyse af julesalget")
    snap = conn.fetch(SINCE, previous)
    assert snap.requests == 2 and "/users" not in fake.paths
    assert [t.id for t in snap.tasks] == [T1, T2, S1, S2, T3, T4, T5, T6, T7]
    tasks = by_id(snap)
    assert (tasks[T1].title, assignee(tasks[T1])) == ("Fastlæg budskab", (FREJA,))
    assert tasks[T1].updated == datetime(2026, 12, 6, 9, 30, tzinfo=UTC)
    assert (tasks[T7].container, tasks[T7].group) == ("Analyse & Rapportering", "Rapporter")
    unchanged = [t for t in snap.tasks if t.id not in (T1, T7)]
    assert unchanged == [t for t in previous.tasks if t.id != T1]


def test_a_completed_task_stays_as_done(fake: FakeAsana) -> None:
    conn, previous = full_then_reset(fake)
    fake.change(T4, completed=True)
    snap = conn.fetch(SINCE, previous)
    assert by_id(snap)[T4].state is State.DONE and len(snap.tasks) == len(previous.tasks)


def test_a_changed_task_with_subtasks_has_them_read_again(fake: FakeAsana) -> None:
    conn, previous = full_then_reset(fake)
    fake.change(T2, name="Kampagnevideo")
    fake.subtasks[S1].remove(S2)  # S2 deleted: S1 has no subtasks left
    snap = conn.fetch(SINCE, previous)
    assert fake.paths.count(f"/tasks/{T2}/subtasks") == 1
    assert f"/tasks/{S1}/subtasks" not in fake.paths  # num_subtasks is 0 now
    assert snap.requests == 3
    assert [t.id for t in snap.tasks] == [T1, T2, S1, T3, T4, T5, T6]
    assert by_id(snap)[S1].parent_id == T2


def test_a_subtask_only_change_waits_for_the_full_read(fake: FakeAsana) -> None:
    conn, previous = full_then_reset(fake)
    fake.change(S1, name="Nyt manuskript")  # Asana does not count it as a change of T2
    assert by_id(conn.fetch(SINCE, previous))[S1].title == "Skriv manuskript til kampagnevideo"
    assert by_id(conn.fetch())[S1].title == "Nyt manuskript"


def test_a_task_moved_between_configured_projects_changes_container(fake: FakeAsana) -> None:
    conn, previous = full_then_reset(fake)
    fake.move(T6, P1, section="Produktion")
    snap = conn.fetch(SINCE, previous)
    assert [t.id for t in snap.tasks] == [t.id for t in previous.tasks]
    assert (by_id(snap)[T6].container_id, by_id(snap)[T6].group) == (P1, "Produktion")


def test_a_task_moved_out_of_the_project(fake: FakeAsana) -> None:
    conn, previous = full_then_reset(fake)
    fake.move(T4, OTHER_PROJECT)  # no configured project lists it any more
    kept = conn.fetch(SINCE, previous)
    assert T4 in by_id(kept) and kept.requests == 2  # unseen until the full read
    assert T4 not in by_id(conn.fetch())


def test_a_listed_task_whose_memberships_left_the_scope_is_dropped(fake: FakeAsana) -> None:
    conn, previous = full_then_reset(fake)
    fake.move(T2, OTHER_PROJECT)
    fake.lagging[P1] = [T2]  # still listed for P1, but its memberships tell it left
    snap = conn.fetch(SINCE, previous)
    assert [t.id for t in snap.tasks] == [T1, T3, T4, T5, T6]  # with its subtasks S1, S2
    assert snap.requests == 2  # no subtask listing for a task that left


def test_deleted_tasks_stay_until_the_full_read(fake: FakeAsana) -> None:
    conn, previous = full_then_reset(fake)
    del fake.tasks[T3]
    assert T3 in by_id(conn.fetch(SINCE, previous))
    assert T3 not in by_id(conn.fetch())


def test_an_unknown_assignee_reads_the_user_directory_once(fake: FakeAsana) -> None:
    conn, previous = full_then_reset(fake)
    fake.users.append({"gid": NEW_USER, "name": "Mads Jensen", "email": "mads@nordlyskaffe.dk"})
    new = {"gid": NEW_USER, "name": "Mads Jensen"}
    fake.change(T1, assignee=new)
    fake.change(T6, followers=[new])
    snap = conn.fetch(SINCE, previous)
    assert fake.count("/users") == 1 and snap.requests == 3
    accounts = {a.id: a for a in snap.accounts}
    assert accounts[NEW_USER].email == "mads@nordlyskaffe.dk"
    assert (accounts[LARS].name, accounts[LARS].email) == ("Lars Gammelgaard", None)  # still T5's
    fake.seen.clear()
    assert conn.fetch(SINCE, snap).requests == 2  # now known: no directory read


def test_a_known_user_who_left_the_directory_costs_no_directory_read(fake: FakeAsana) -> None:
    conn, previous = full_then_reset(fake)
    fake.change(T6, assignee={"gid": LARS, "name": "Lars Gammelgaard"})  # known from T5
    snap = conn.fetch(SINCE, previous)
    assert snap.requests == 2 and assignee(by_id(snap)[T6]) == (LARS,)


def test_without_cached_scope_or_with_another_config_the_read_is_full(fake: FakeAsana) -> None:
    conn, previous = full_then_reset(fake)
    assert conn.fetch(SINCE, replace(previous, state={})).requests == 9
    other = server_connector(fake, projects=("Kampagne Q1 2027",))
    snap = other.fetch(SINCE, previous)
    assert "/workspaces" in fake.paths and snap.containers == ("Kampagne Q1 2027",)
    assert other.fetch(SINCE, snap).requests == 1  # its own cache from then on


# -- faults ---------------------------------------------------------------------------------------


def test_429_waits_as_retry_after_says_then_succeeds(fake: FakeAsana) -> None:
    conn, previous = full_then_reset(fake)
    fake.on("/tasks", fail(429, load("error_429.json"), {"Retry-After": "7"}))
    snap = conn.fetch(SINCE, previous)
    assert conn.sleeps == [7.0]  # type: ignore[attr-defined]
    assert snap.requests == len(fake.seen) == 3
    assert snap.tasks == previous.tasks


def test_a_burst_of_500s_is_retried_with_backoff(fake: FakeAsana) -> None:
    error = {"errors": [{"message": "Server Error", "phrase": "6 sad squid"}]}
    fake.on(f"/projects/{P1}/tasks", *[fail(500, error)] * 3)
    conn = server_connector(fake)
    snap = conn.fetch()
    assert fake.count(f"/projects/{P1}/tasks") == 4
    assert snap.requests == len(fake.seen) == 9 + 3 and len(snap.tasks) == 8
    waits = conn.sleeps  # type: ignore[attr-defined]
    assert len(waits) == 3
    assert all(0.5 * 2**i <= w <= 1.5 * 2**i for i, w in enumerate(waits))  # doubling, jitter


def test_500s_that_do_not_stop_give_up_after_five_tries(fake: FakeAsana) -> None:
    conn, previous = full_then_reset(fake, max_workers=1)
    fake.on("/tasks", *[fail(503, {"errors": [{"message": "Unavailable"}]})] * 9)
    with pytest.raises(RetryableError, match=r"gave up after 5 tries.*changed since"):
        conn.fetch(SINCE, previous)
    assert fake.paths == ["/tasks"] * 5  # five tries of the first project, then nothing more
    assert len(conn.sleeps) == 4  # type: ignore[attr-defined]


def test_401_on_a_project_mid_sync_fails_the_source_with_what_to_fix(fake: FakeAsana) -> None:
    fake.on(f"/projects/{P2}/tasks", fail(401, load("error_401.json")))
    conn = server_connector(fake, max_workers=1)
    with pytest.raises(AuthError) as err:
        conn.fetch()
    msg = str(err.value)
    assert "source 'kampagner' (asana)" in msg and err.value.source == "kampagner"
    assert "list tasks of project 'Analyse & Rapportering'" in msg
    assert PAT_URL in msg and "personal access token" in msg
    assert TOKEN not in msg
    assert fake.paths == [
        "/workspaces",
        "/projects",
        f"/projects/{P1}/custom_field_settings",
        f"/projects/{P2}/custom_field_settings",
        "/users",
        f"/projects/{P1}/tasks",
        f"/projects/{P2}/tasks",
    ]  # a 401 is not retried, and nothing after it is read


def test_401_while_reading_concurrently_is_still_a_failure(fake: FakeAsana) -> None:
    conn, previous = full_then_reset(fake)
    fake.on("/tasks", fail(401, load("error_401.json")))
    with pytest.raises(AuthError, match="token of source 'kampagner'"):
        conn.fetch(SINCE, previous)
    # The two projects are asked concurrently and the failure cancels a listing not started
    # yet, so the other project may or may not have been asked; the 401 is never retried.
    assert fake.paths == ["/tasks"] * len(fake.seen)
    asked = [query["project"] for _, query in fake.seen]
    assert asked in ([P1], [P2], [P1, P2], [P2, P1])


def test_truncated_json_is_retried_and_fails_only_when_it_persists(fake: FakeAsana) -> None:
    """Issue 10: a 200 whose JSON is cut off is a passing fault of a read, asked again like a
    5xx; only when every try is cut does the read fail, saying what happened and where."""
    path = f"/projects/{P1}/tasks"
    cut = fail(200, '{"data": [{"gid": "1208421907315501", "na')
    fake.on(path, cut)
    conn = server_connector(fake, max_workers=1)
    snap = conn.fetch()
    assert fake.count(path) == 2 and len(conn.sleeps) == 1  # type: ignore[attr-defined]
    assert snap.requests == len(fake.seen)
    fake.seen.clear()
    fake.on(path, *[cut] * 5)
    with pytest.raises(ResponseError) as err:
        server_connector(fake, max_workers=1).fetch()
    msg = str(err.value)
    assert "source 'kampagner' (asana)" in msg and "not valid JSON" in msg
    assert "gave up after 5 tries" in msg and "try again later" in msg
    assert "list tasks of project 'Kampagne Q1 2027'" in msg
    assert fake.count(path) == 5  # tried 5 times, then the read stops
    assert len(fake.seen) == 5 + 5  # the scope, the people and field definitions, and the tries


def test_a_reset_connection_is_retried(fake: FakeAsana) -> None:
    conn, previous = full_then_reset(fake)
    fake.on("/tasks", reset)
    snap = conn.fetch(SINCE, previous)
    assert fake.count("/tasks") == 3 and snap.requests == 3
    assert len(conn.sleeps) == 1  # type: ignore[attr-defined]
    assert snap.tasks == previous.tasks


# -- paging guards: a listing is complete or the read fails ------------------------------------


def test_a_new_offset_on_every_page_over_the_same_tasks_fails_the_read(fake: FakeAsana) -> None:
    """The loop that ran until killed: every page the first again, under a fresh offset."""
    for i in range(150):
        fake.create(f"12084219073{i:05d}", like=T4, name=f"Opgave {i}")
    fake.stuck = True
    with pytest.raises(ResponseError, match=r"page 2 holding nothing not seen before") as err:
        server_connector(fake, max_workers=1).fetch()
    assert "list tasks of project 'Kampagne Q1 2027'" in str(err.value)
    assert fake.count(f"/projects/{P1}/tasks") == 2  # stopped at the first page that repeats


def test_a_listing_longer_than_max_pages_fails_the_read(fake: FakeAsana) -> None:
    for i in range(250):
        fake.create(f"12084219073{i:05d}", like=T4, name=f"Opgave {i}")
    conn = server_connector(fake, max_workers=1, bounds=Bounds(max_pages=2))
    with pytest.raises(
        SourceError, match=r"still had more after 2 pages of 100 \(\[sync\] max_pages"
    ):
        conn.fetch()
    assert fake.count(f"/projects/{P1}/tasks") == 2
    snap = server_connector(fake, max_workers=1, bounds=Bounds(max_pages=3)).fetch()
    assert len(snap.tasks) == 250 + 8


def test_a_next_page_without_an_offset_fails_the_read(fake: FakeAsana) -> None:
    page = {"data": load("tasks_analyse.json")["data"], "next_page": {"offset": None}}
    fake.on(f"/projects/{P2}/tasks", fail(200, page))
    with pytest.raises(ResponseError, match="next_page that has no offset"):
        server_connector(fake, max_workers=1).fetch()


def test_a_task_on_two_pages_is_read_once(fake: FakeAsana) -> None:
    """Data may change between pages (offsets are opaque): a task met again is not doubled."""
    first = load("tasks_kampagne_page1.json")
    fake.on(f"/projects/{P1}/tasks", fail(200, {**first, "next_page": {"offset": "o1"}}))
    fake.on(f"/projects/{P1}/tasks", fail(200, {"data": first["data"][-1:] + load(
        "tasks_kampagne_page2.json")["data"], "next_page": None}))  # fmt: skip
    snap = server_connector(fake, max_workers=1).fetch()
    assert [t.id for t in snap.tasks] == [T1, T2, S1, S2, T3, T4, T5, T6]


def test_the_workspace_gid_in_the_config_reads_no_workspace_list(fake: FakeAsana) -> None:
    snap = server_connector(fake, workspace=WS).fetch()
    assert "/workspaces" not in fake.paths and snap.requests == 8
