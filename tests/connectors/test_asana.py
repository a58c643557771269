"""The Asana connector: conversion (no network) and fetching (``responses`` at the HTTP edge,
through ``tests/fakes/asana_fixtures.py``)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
import responses

from raci_sync.connectors.asana.client import DEFAULT_BASE_URL, AsanaConnector
from raci_sync.connectors.asana.convert import Ref, account_from_asana, task_from_asana
from raci_sync.connectors.asana.incremental import Scope, Tree, departed, merge_tasks, since_param
from raci_sync.connectors.asana.queries import TASK_FIELDS
from raci_sync.connectors.base import make_connector, make_http
from raci_sync.connectors.references import FieldDef
from raci_sync.errors import AuthError, NotFoundError, ResponseError, RetryableError, SourceError
from raci_sync.model import FieldValue, State, Task
from tests.fakes.asana_fixtures import (
    ANDERS,
    FREJA,
    JONAS,
    LARS,
    METTE,
    OFFSET_TASKS,
    OFFSET_USERS,
    P1,
    P2,
    S1,
    S2,
    SOFIE,
    T1,
    T2,
    T3,
    T4,
    T5,
    T6,
    TOKEN,
    WS,
    AsanaStub,
    connector,
    full_workspace,
    load,
    source,
)


def field(task: Any, key: str, title: str | None = None) -> FieldValue | None:
    for f in task.fields:
        if f.key == key and (title is None or f.title == title):
            return f
    return None


def test_make_connector_builds_an_asana_connector_with_its_rate_limit() -> None:
    src = source()
    conn = make_connector(src, make_http(src))
    assert isinstance(conn, AsanaConnector) and conn.max_workers == 4
    assert conn.http.limiter is not None and conn.http.limiter.limit == 150


@pytest.fixture
def stub() -> Iterator[AsanaStub]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield AsanaStub(rsps)


# -- conversion ---------------------------------------------------------------------------------

KAMPAGNE = Ref(P1, "Kampagne Q1 2027")


def test_task_people_fields_and_custom_fields() -> None:
    raw = load("tasks_kampagne_page1.json")["data"][0]
    task = task_from_asana(raw, "kampagner", project=KAMPAGNE)
    assert (task.source, task.id, task.title) == ("kampagner", T1, "Fastlæg kampagnebudskab for Q1")
    assert (task.container, task.container_id, task.group) == ("Kampagne Q1 2027", P1, "Strategi")
    assert task.state is State.OPEN
    assert (task.due, task.start) == (date(2026, 12, 11), date(2026, 12, 7))
    assert task.updated == datetime(2026, 12, 4, 10, 15, tzinfo=UTC)
    assert task.url == f"https://app.asana.com/1/{WS}/project/{P1}/task/{T1}"
    assert task.labels == ("Q1",)
    assert field(task, "assignee") == FieldValue(key="assignee", kind="people", accounts=(JONAS,))
    assert field(task, "followers").accounts == (METTE, JONAS)  # type: ignore[union-attr]
    acc = field(task, "field", "Accountable")
    assert acc == FieldValue(
        key="field", id="1205550000000001", title="Accountable", kind="people", accounts=(METTE,)
    )
    assert acc.label == "custom_field:Accountable"
    assert field(task, "field", "Consulted").accounts == (SOFIE, ANDERS)  # type: ignore[union-attr]
    assert field(task, "field", "Timer").number == 4.0  # type: ignore[union-attr]
    kanal = field(task, "field", "Kanal")
    assert (kanal.kind, kanal.text, kanal.names) == ("enum", "Web", ("Web",))  # type: ignore[union-attr]
    multi = field(task, "field", "Målgruppe")
    assert multi.text == "Kaffeelskere, Abonnenter"  # type: ignore[union-attr]
    assert multi.names == ("Kaffeelskere", "Abonnenter")  # type: ignore[union-attr]
    notes = field(task, "field", "Noter")
    assert (notes.text, notes.names) == ("Mette, Jonas , ", ("Mette", "Jonas"))  # type: ignore[union-attr]
    assert field(task, "field", "Lanceringsdato").text == "2027-01-05"  # type: ignore[union-attr]


def test_empty_fields_leave_only_the_builtin_people_fields() -> None:
    raw = load("tasks_kampagne_page2.json")["data"][1]  # unassigned, all custom fields empty
    task = task_from_asana(raw, "kampagner", project=KAMPAGNE)
    assert [(f.key, f.accounts) for f in task.fields] == [("assignee", ()), ("followers", ())]
    assert task.due == date(2026, 12, 16)  # from due_at when due_on is empty


def test_completed_task_is_done() -> None:
    raw = load("tasks_kampagne_page2.json")["data"][0]
    task = task_from_asana(raw, "kampagner", project=KAMPAGNE)
    assert task.state is State.DONE
    assert field(task, "assignee").accounts == (SOFIE,)  # type: ignore[union-attr]


def test_subtask_inherits_container_and_group_from_its_parent() -> None:
    parent = task_from_asana(load("tasks_kampagne_page1.json")["data"][1], "k", project=KAMPAGNE)
    sub = task_from_asana(load("subtasks_video.json")["data"][0], "k", parent=parent)
    assert sub.parent_id == T2
    assert (sub.container, sub.container_id, sub.group) == ("Kampagne Q1 2027", P1, "Produktion")
    assert field(sub, "field", "Accountable").accounts == (JONAS,)  # type: ignore[union-attr]


def test_task_in_two_projects_takes_the_section_of_the_project_being_read() -> None:
    raw = load("tasks_analyse.json")["data"][0]
    task = task_from_asana(raw, "k", project=Ref(P2, "Analyse & Rapportering"))
    assert (task.container, task.group) == ("Analyse & Rapportering", "Rapporter")


def test_unknown_custom_field_type_falls_back_to_display_value() -> None:
    raw = {
        "gid": "1",
        "name": "x",
        "custom_fields": [
            {"gid": "9", "name": "Ref", "resource_subtype": "reference", "display_value": "Brief"},
            {"gid": "8", "name": "Tom", "resource_subtype": "text", "text_value": ""},
            {"gid": "7", "name": "Dato", "resource_subtype": "date", "date_value": None},
        ],
    }
    task = task_from_asana(raw, "k")
    assert [(f.title, f.kind, f.text) for f in task.fields[2:]] == [("Ref", "reference", "Brief")]


def test_account_from_user() -> None:
    acc = account_from_asana(load("users_page1.json")["data"][0], "kampagner")
    assert (acc.source, acc.id, acc.name, acc.email, acc.username) == (
        "kampagner",
        METTE,
        "Mette Sørensen",
        "mette@nordlyskaffe.dk",
        None,
    )


@pytest.mark.parametrize(
    ("mutate", "words"),
    [
        (lambda t: t.pop("gid"), ["without its 'gid'"]),
        (lambda t: t.update(gid=1208421907315501), ["'gid'", "string"]),
        (lambda t: t.update(custom_fields={"gid": "1"}), ["'custom_fields'", "a list"]),
        (lambda t: t["custom_fields"][2].update(number_value="4"), ["'Timer'", "number"]),
        (lambda t: t["custom_fields"][0].update(people_value=["Mette"]), ["'Accountable'"]),
        (lambda t: t.update(assignee="Jonas"), ["'assignee'", "an object"]),
        (lambda t: t.update(completed="yes"), ["'completed'", "true or false"]),
        (lambda t: t.update(due_on="11/12/2026"), ["'due_on'", "a date"]),
        (lambda t: t.update(memberships=[None]), ["'memberships'"]),
    ],
)
def test_malformed_task_is_a_response_error_naming_source_and_task(
    mutate: Any, words: list[str]
) -> None:
    raw = copy.deepcopy(load("tasks_kampagne_page1.json")["data"][0])
    mutate(raw)
    with pytest.raises(ResponseError) as err:
        task_from_asana(raw, "kampagner", project=KAMPAGNE)
    assert "source 'kampagner' (asana)" in str(err.value)
    for w in words:
        assert w in str(err.value)


def test_malformed_user_and_non_object() -> None:
    with pytest.raises(ResponseError, match="user None without its 'gid'"):
        account_from_asana({"name": "Mette", "gid": None}, "k")
    with pytest.raises(ResponseError, match="user '1' with 'email' = '42' instead of a string"):
        account_from_asana({"gid": "1", "email": 42}, "k")
    with pytest.raises(ResponseError, match="as a list instead of an object"):
        task_from_asana([], "k")


# -- incremental pieces (no network) -------------------------------------------------------------


def test_since_param_is_utc_with_a_minute_of_overlap() -> None:
    assert since_param(datetime(2026, 12, 7, 9, 0, 30, 123456, tzinfo=UTC)) == (
        "2026-12-07T08:59:30.123Z"
    )
    cet = timezone(timedelta(hours=1))
    assert since_param(datetime(2026, 12, 7, 10, 0, tzinfo=cet)) == "2026-12-07T08:59:00.000Z"
    assert since_param(datetime(2026, 12, 7, 9, 0)) == "2026-12-07T08:59:00.000Z"  # naive = UTC


def test_scope_survives_the_state_round_trip_and_only_for_its_config() -> None:
    fields = {P1: (FieldDef("Timer", "1201", "number"),), P2: ()}
    projects = (Ref(P1, "Kampagne Q1 2027"), Ref(P2, None))
    scope = Scope("cfg", Ref(WS, "Nordlys Kaffe"), projects, fields)
    state = scope.to_state()
    assert all(isinstance(v, str) for v in state.values())
    assert Scope.from_state({**state, "last_full": "x"}, "cfg") == scope
    assert Scope.from_state(state, "other config") is None
    assert Scope.from_state({}, "cfg") is None
    assert Scope.from_state({**state, "asana.projects": "[[1, 2]]"}, "cfg") is None
    assert Scope.from_state({**state, "asana.workspace": "{"}, "cfg") is None
    # made before field definitions were kept, or damaged: no cache (the read is full)
    assert Scope.from_state({k: v for k, v in state.items() if k != "asana.fields"}, "cfg") is None
    assert Scope.from_state({**state, "asana.fields": '{"1": []}'}, "cfg") is None
    assert (
        Scope.from_state({**state, "asana.fields": f'{{"{P1}": [[1]], "{P2}": []}}'}, "cfg") is None
    )


def _task(gid: str, parent: str | None = None, title: str = "old") -> Task:
    return Task(source="k", id=gid, title=title, parent_id=parent)


def _tree(roots: list[dict[str, Any]], children: dict[str, list[Any]] | None = None) -> Tree:
    tree = Tree("k", children or {})
    for raw in roots:
        tree.add(raw, KAMPAGNE)
    return tree


def _raw(gid: str, parent: str | None = None, project: str | None = P1) -> dict[str, Any]:
    homes = [{"project": {"gid": project, "name": "P"}}] if project else []
    return {"gid": gid, "name": "new", "memberships": homes, "parent": parent and {"gid": parent}}


def test_merge_replaces_in_place_drops_old_subtasks_and_appends_new_tasks() -> None:
    previous = [_task("1"), _task("2"), _task("21", "2"), _task("211", "21"), _task("3")]
    fresh = _tree([_raw("2"), _raw("4")], {"2": [_raw("22", "2", None)]})
    merged = merge_tasks(previous, fresh, gone=set())
    assert [(t.id, t.title) for t in merged] == [
        ("1", "old"),
        ("2", "new"),
        ("22", "new"),  # the re-read subtree replaces 21 and 211
        ("3", "old"),
        ("4", "new"),
    ]


def test_merge_drops_gone_tasks_with_their_subtasks_and_keeps_the_rest_identical() -> None:
    previous = [_task("1"), _task("2"), _task("21", "2"), _task("3")]
    assert merge_tasks(previous, _tree([]), gone=set()) == previous
    assert [t.id for t in merge_tasks(previous, _tree([]), gone={"2"})] == ["1", "3"]


def test_merge_moves_a_subtask_to_its_new_parent() -> None:
    previous = [_task("1"), _task("11", "1"), _task("2")]
    fresh = _tree([_raw("2")], {"2": [_raw("11", "2", None)]})
    assert [(t.id, t.parent_id) for t in merge_tasks(previous, fresh, set())] == [
        ("1", None),
        ("2", None),
        ("11", "2"),
    ]


CUTOFF = datetime(2026, 9, 1, tzinfo=UTC)


def test_departed_tells_tasks_that_left_every_configured_project() -> None:
    listed = [[_raw("1"), _raw("2", project="999")], [_raw("3", parent="1", project=None)]]
    kept, gone = departed(listed, "k", {P1, P2}, CUTOFF)
    assert [[r["gid"] for r in raws] for raws in kept] == [["1"], []]
    assert gone == {"2"}  # the subtask "3" is in scope through its parent: neither


def test_departed_tells_tasks_completed_before_the_history_cutoff() -> None:
    """An old completed task that was edited comes back to an incremental read (no
    completed_since there): it leaves the snapshot, as a full read leaves it out."""
    done = {"completed": True}
    listed = [
        [
            {**_raw("1"), **done, "completed_at": "2026-08-31T23:59:59.000Z"},
            {**_raw("2"), **done, "completed_at": "2026-09-01T00:00:00.000Z"},
            {**_raw("3"), **done, "completed_at": None},  # unknown: kept
            {**_raw("4"), "completed": False, "completed_at": None},
        ]
    ]
    kept, gone = departed(listed, "k", {P1, P2}, CUTOFF)
    assert [r["gid"] for r in kept[0]] == ["2", "3", "4"] and gone == {"1"}


# -- fetching -----------------------------------------------------------------------------------


def test_full_fetch(stub: AsanaStub) -> None:
    full_workspace(stub)
    conn = connector(max_workers=1)
    snap = conn.fetch()
    assert stub.paths == [
        "/workspaces",
        "/projects",
        f"/projects/{P1}/custom_field_settings",  # the references are checked before any task
        f"/projects/{P2}/custom_field_settings",
        "/users",
        "/users",
        f"/projects/{P1}/tasks",
        f"/projects/{P1}/tasks",
        f"/projects/{P2}/tasks",
        f"/tasks/{T2}/subtasks",  # subtasks level by level, after the project lists
        f"/tasks/{S1}/subtasks",
    ]
    assert snap.requests == 11
    assert (snap.source, snap.kind) == ("kampagner", "asana")
    assert snap.containers == ("Kampagne Q1 2027", "Analyse & Rapportering")
    assert snap.fetched_at is not None and snap.fetched_at.tzinfo is not None
    ids = [t.id for t in snap.tasks]
    assert ids == [T1, T2, S1, S2, T3, T4, T5, T6]  # T5 sits in both projects: once
    by_id = {t.id: t for t in snap.tasks}
    assert by_id[T5].container == "Kampagne Q1 2027"  # the first project that held it
    assert by_id[T5].group == "Strategi"
    assert (by_id[S1].parent_id, by_id[S2].parent_id) == (T2, S1)
    assert by_id[S2].container == "Kampagne Q1 2027"  # inherited down two levels
    assert by_id[T3].state is State.DONE
    accounts = {a.id: a for a in snap.accounts}
    assert set(accounts) == {METTE, JONAS, ANDERS, SOFIE, FREJA, LARS}
    assert accounts[FREJA].email == "freja@nordlyskaffe.dk"
    assert (accounts[LARS].name, accounts[LARS].email) == ("Lars Gammelgaard", None)


def test_request_parameters(stub: AsanaStub) -> None:
    full_workspace(stub)
    before = datetime.now(UTC)
    connector(projects=None).fetch()
    queries = dict(stub.seen)  # last query per path
    for path, query in stub.seen:
        assert query["limit"] == "100", path
        if path.endswith("/tasks"):  # the project listings' history cutoff: now − 90 days
            since = datetime.fromisoformat(query["completed_since"])
            assert (
                before - timedelta(days=90, seconds=1)
                < since
                <= datetime.now(UTC) - timedelta(days=90)
            )
        else:
            assert "completed_since" not in query, path
    assert queries["/projects"] == {
        "workspace": WS,
        "limit": "100",
        "archived": "false",
        "opt_fields": "name,archived",
    }
    assert queries["/users"]["opt_fields"] == "name,email"
    assert queries["/users"]["workspace"] == WS
    assert queries[f"/projects/{P2}/tasks"]["opt_fields"] == ",".join(TASK_FIELDS)
    assert queries[f"/tasks/{T2}/subtasks"]["opt_fields"] == ",".join(TASK_FIELDS)
    assert queries[f"/projects/{P1}/tasks"]["offset"] == OFFSET_TASKS


def test_auth_header_is_bearer_token() -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(f"{DEFAULT_BASE_URL}/users/me", json=load("user_me.json"))
        assert connector().check() == "Jonas Kristensen <jonas@nordlyskaffe.dk>"
        assert rsps.calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"
        url = rsps.calls[0].request.url or ""
        assert url == f"{DEFAULT_BASE_URL}/users/me?opt_fields=name%2Cemail"


def test_base_url_is_configurable() -> None:
    base = "http://asana-proxy.internal:8080/api/1.0"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        full_workspace(AsanaStub(rsps, base=base))
        snap = connector(base_url=base).fetch()
    assert len(snap.tasks) == 8


def test_workspace_given_as_gid_skips_the_workspace_listing(stub: AsanaStub) -> None:
    full_workspace(stub)
    connector(workspace=WS).fetch()
    assert "/workspaces" not in stub.paths


def test_workspace_names_match_case_insensitively(stub: AsanaStub) -> None:
    full_workspace(stub)
    assert connector(workspace="  nordlys KAFFE").resolve_workspace() == Ref(WS, "Nordlys Kaffe")


def test_unknown_workspace_is_not_found_listing_the_visible_ones(stub: AsanaStub) -> None:
    full_workspace(stub)
    with pytest.raises(NotFoundError, match=r"'Nordlys Te'.*'Nordlys Kaffe', 'Privat'"):
        connector(workspace="Nordlys Te").fetch()


def test_omitted_workspace_with_several_is_an_error_listing_them(stub: AsanaStub) -> None:
    full_workspace(stub)
    with pytest.raises(
        SourceError,
        match=r"2 workspaces \('Nordlys Kaffe', 'Privat'\); set "
        r"workspace",
    ):
        connector(workspace=None).fetch()


def test_omitted_workspace_with_one_uses_it(stub: AsanaStub) -> None:
    full_workspace(stub)
    one = load("workspaces.json")
    one["data"] = one["data"][:1]
    stub.on("/workspaces", one)
    assert connector(workspace=None).resolve_workspace().gid == WS


def test_projects_by_name_and_gid(stub: AsanaStub) -> None:
    full_workspace(stub)
    conn = connector(projects=("analyse & RAPPORTERING", P1, "Kampagne Q1 2027"))
    projects = conn.resolve_projects(Ref(WS))
    assert [p.gid for p in projects] == [P2, P1]  # config order, duplicates once
    query = dict(stub.seen)["/projects"]
    assert "archived" not in query  # an archived project named in the config is still read


def test_unknown_project_is_not_found(stub: AsanaStub) -> None:
    full_workspace(stub)
    with pytest.raises(
        NotFoundError,
        match=r"no project in workspace 'Nordlys Kaffe' is named or "
        r"numbered 'Kampagne Q2'.*'Kampagne Q1 2027', 'Analyse & Rapportering'",
    ):
        connector(projects=("Kampagne Q2",)).fetch()


def test_two_projects_with_the_name_is_an_error(stub: AsanaStub) -> None:
    full_workspace(stub)
    body = load("projects.json")
    body["data"].append({"gid": "1206112233445503", "name": "kampagne q1 2027", "archived": False})
    stub.on("/projects", body)
    with pytest.raises(
        SourceError,
        match=r"2 projects are named 'Kampagne Q1 2027' \(gids "
        rf"{P1}, 1206112233445503\); put the gid",
    ):
        connector(projects=("Kampagne Q1 2027",)).fetch()


def test_an_active_project_wins_over_an_archived_namesake(stub: AsanaStub) -> None:
    full_workspace(stub)
    body = load("projects.json")
    body["data"].insert(
        0, {"gid": "1206112233445503", "name": "Kampagne Q1 2027", "archived": True}
    )
    stub.on("/projects", body)
    [project] = connector(projects=("Kampagne Q1 2027",)).resolve_projects(Ref(WS))
    assert project.gid == P1


def test_401_is_an_auth_error_naming_the_source_and_where_to_get_a_token(stub: AsanaStub) -> None:
    stub.on("/workspaces", (401, "error_401.json"))
    with pytest.raises(AuthError) as err:
        connector().fetch()
    msg = str(err.value)
    assert "the token of source 'kampagner'" in msg
    assert "https://app.asana.com/0/my-apps" in msg
    assert TOKEN not in msg and "0123456789abcdef" not in msg
    assert err.value.source == "kampagner"


def test_403_on_a_project_is_an_auth_error(stub: AsanaStub) -> None:
    full_workspace(stub)
    stub.on(f"/projects/{P2}/tasks", (403, "error_403.json"))
    with pytest.raises(AuthError, match=r"list tasks of project 'Analyse & Rapportering'.*403"):
        connector().fetch()


def test_404_on_a_project_is_not_found(stub: AsanaStub) -> None:
    full_workspace(stub)
    stub.on(f"/projects/{P2}/tasks", (404, "error_404.json"))
    with pytest.raises(NotFoundError, match="404"):
        connector().fetch()


def test_429_waits_as_asana_says_and_retries() -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        stub = full_workspace(AsanaStub(rsps))
        stub.on(
            f"/projects/{P2}/tasks",
            (429, "error_429.json", {"Retry-After": "30"}),
            "tasks_analyse.json",
        )
        conn = connector()
        snap = conn.fetch()
    assert conn.sleeps == [30.0]  # type: ignore[attr-defined]
    assert snap.requests == 12
    assert len(snap.tasks) == 8


def test_server_errors_that_persist_give_up_with_a_retryable_error(stub: AsanaStub) -> None:
    stub.on(
        "/workspaces", (500, {"errors": [{"message": "Server Error", "phrase": "6 sad squid"}]})
    )
    with pytest.raises(RetryableError, match="gave up after 5 tries"):
        connector().fetch()


def test_body_that_is_not_json_is_a_response_error(stub: AsanaStub) -> None:
    full_workspace(stub)
    stub.on(f"/projects/{P1}/tasks", '{"data": [{"gid": "12')
    with pytest.raises(ResponseError, match="not valid JSON"):
        connector().fetch()


@pytest.mark.parametrize(
    "body", [{"data": {"gid": "1"}}, [], {"errors": []}, {"data": [], "next_page": {"offset": 5}}]
)
def test_list_without_a_data_list_is_a_response_error(stub: AsanaStub, body: Any) -> None:
    full_workspace(stub)
    stub.on("/users", body)
    with pytest.raises(ResponseError, match=r"source 'kampagner' \(asana\).*list users"):
        connector().fetch()


def test_a_repeated_page_offset_stops_instead_of_looping(stub: AsanaStub) -> None:
    full_workspace(stub)
    looping = load("users_page1.json")
    stub.on("/users", looping)
    stub.on("/users", looping, offset=OFFSET_USERS)
    with pytest.raises(ResponseError, match="repeated"):
        connector().fetch()


def test_subtasks_are_asked_for_only_where_there_are_some(stub: AsanaStub) -> None:
    full_workspace(stub)
    connector().fetch()
    subtask_calls = [p for p in stub.paths if p.endswith("/subtasks")]
    assert subtask_calls == [f"/tasks/{T2}/subtasks", f"/tasks/{S1}/subtasks"]


def test_check_returns_name_and_email(stub: AsanaStub) -> None:
    stub.on("/users/me", "user_me.json")
    assert connector().check() == "Jonas Kristensen <jonas@nordlyskaffe.dk>"
    assert stub.paths == ["/users/me"]


def test_check_with_a_bad_token(stub: AsanaStub) -> None:
    stub.on("/users/me", (401, "error_401.json"))
    with pytest.raises(AuthError, match="token of source 'kampagner'"):
        connector().check()
