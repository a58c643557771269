"""Asana's pure converters on any JSON Asana could plausibly send: a Task / Account, or a
ResponseError naming the source; never a KeyError/TypeError/... traceback."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from raci_sync.config import Secret, SourceConfig
from raci_sync.connectors.asana.client import AsanaConnector
from raci_sync.connectors.asana.convert import (
    Ref,
    account_from_asana,
    task_from_asana,
    users_in_task,
)
from raci_sync.connectors.asana.incremental import (
    STATE_CONFIG,
    STATE_PROJECTS,
    STATE_WORKSPACE,
    Scope,
    Tree,
    departed,
)
from raci_sync.connectors.asana.queries import TASK_FIELDS
from raci_sync.connectors.http import HttpClient
from raci_sync.model import Task
from tests.properties.junk import (
    assert_account,
    assert_task,
    budget,
    converts,
    json_values,
    load_fixture,
    mutated,
    texts,
    tried,
)

SOURCES = ("kampagner", "Indhold & SoMe", "ærø🙂")
BUILTIN = ("assignee", "followers")
TASKS = [
    t
    for name in (
        "tasks_kampagne_page1.json",
        "tasks_kampagne_page2.json",
        "tasks_analyse.json",
        "subtasks_manuskript.json",
        "subtasks_video.json",
    )
    for t in load_fixture("asana", name)["data"]
]
USERS = [
    *load_fixture("asana", "users_page1.json")["data"],
    *load_fixture("asana", "users_page2.json")["data"],
    load_fixture("asana", "user_me.json")["data"],
]
# every field name the spec gives a task, a compact object and a custom field value
TASK_KEYS = sorted(
    {f.split(".")[0] for f in TASK_FIELDS}
    | {f.split(".")[-1] for f in TASK_FIELDS}
    | {"gid", "resource_type", "resource_subtype", "project", "section", "date", "date_time"}
)
USER_KEYS = ("gid", "name", "email", "resource_type", "photo", "workspaces")

sources = st.sampled_from(SOURCES)
projects = st.one_of(
    st.none(),
    st.builds(Ref, st.sampled_from(["1206112233445501", "1206112233445502", "9"]), texts),
)
parents = st.one_of(
    st.none(),
    st.builds(
        Task,
        source=sources,
        id=st.just("1208421907315501"),
        title=texts,
        container=st.none() | texts,
        container_id=st.none() | st.just("1206112233445501"),
        group=st.none() | texts,
    ),
)


def where(source: str) -> str:
    return f"source {source!r} (asana)"


@budget(200)
@given(raw=mutated(TASKS, TASK_KEYS), source=sources, project=projects, parent=parents)
# custom field number_value 1e400 as a JSON integer: float() overflows
@example(
    raw={
        "gid": "1",
        "custom_fields": [{"gid": "2", "resource_subtype": "number", "number_value": 10**400}],
    },
    source="kampagner",
    project=None,
    parent=None,
)
# a non-people custom field with a number in people_value passes task_from_asana, then
# users_in_task (Tree.add calls it next, on the same raw task) does list.extend(5)
@example(
    raw={
        "gid": "1",
        "custom_fields": [{"gid": "2", "resource_subtype": "text", "people_value": 5}],
    },
    source="kampagner",
    project=None,
    parent=None,
)
def test_task_from_asana(raw: Any, source: str, project: Ref | None, parent: Task | None) -> None:
    task = converts(
        "asana.task_from_asana",
        lambda: task_from_asana(raw, source, project=project, parent=parent),
        where(source),
    )
    if task is not None:
        assert_task(task, source, BUILTIN)
        assert task.id == raw["gid"]
        # Tree.add reads the same raw task with users_in_task right after converting it
        for gid, name in users_in_task(raw):
            assert isinstance(gid, str) and (name is None or isinstance(name, str))
        tried("asana.users_in_task")


@budget(200)
@given(raw=mutated(USERS, USER_KEYS), source=sources)
def test_account_from_asana(raw: Any, source: str) -> None:
    account = converts(
        "asana.account_from_asana", lambda: account_from_asana(raw, source), where(source)
    )
    if account is not None:
        assert_account(account, source)


@budget(200)
@given(
    raw=mutated(TASKS, TASK_KEYS, max_mutations=3),
    subtasks=st.lists(mutated(TASKS, TASK_KEYS, max_mutations=3), max_size=3),
    source=sources,
)
def test_tree_add(raw: Any, subtasks: list[Any], source: str) -> None:
    """A listed task with its subtasks, converted as the connector does it."""
    gid = raw.get("gid") if isinstance(raw, dict) else None
    children = {gid: subtasks} if isinstance(gid, str) else {}
    tree = Tree(source, children)
    converts(
        "asana.Tree.add",
        lambda: tree.add(raw, Ref("1206112233445501", "Kampagne Q1 2027")),
        where(source),
    )
    for task in tree.tasks.values():
        assert_task(task, source, BUILTIN)
    assert all(isinstance(g, str) for g in tree.mentioned)


_connectors = {
    s: AsanaConnector(
        SourceConfig(name=s, kind="asana", token=Secret("0/fake")), HttpClient(describe=where(s))
    )
    for s in SOURCES
}


@budget(200)
@given(raws=st.lists(mutated(TASKS, TASK_KEYS, max_mutations=3), max_size=4), source=sources)
# num_subtasks 1e400 as a JSON integer: float() overflows
@example(raws=[{"gid": "1", "num_subtasks": 10**400}], source="kampagner")
def test_parents_and_departed(raws: list[Any], source: str) -> None:
    """The two readers of raw listings that run before conversion (subtask discovery and the
    incremental read's "moved out of scope" filter)."""
    found = converts(
        "asana.AsanaConnector.parents", lambda: _connectors[source].parents(raws, {}), where(source)
    )
    if found is not None:
        assert all(isinstance(g, str) for g, _ in found)
    converts(
        "asana.departed",
        lambda: departed([raws], source, {"1206112233445501"}),
        where(source),
    )


def state_texts(seed: Any) -> st.SearchStrategy[str]:
    """What a stored snapshot's state may hold: the JSON the connector wrote, damaged."""
    return st.one_of(mutated([seed]).map(json.dumps), json_values.map(json.dumps), texts)


@budget(100)
@given(
    workspace=state_texts(["1204558760925811", "Nordlys"]),
    projects=state_texts([["1206112233445501", "Kampagne Q1 2027"], ["1206112233445502", None]]),
    drop=st.booleans(),
)
def test_scope_from_state(workspace: str, projects: str, drop: bool) -> None:
    """A damaged cached scope is ignored (None), never a crash."""
    state = {STATE_CONFIG: "cfg", STATE_WORKSPACE: workspace, STATE_PROJECTS: projects}
    if drop:
        del state[STATE_PROJECTS]
    scope = Scope.from_state(state, "cfg")
    tried("asana.Scope.from_state", "none" if scope is None else "ok")
    if scope is not None:
        assert isinstance(scope.workspace.gid, str)
        assert all(isinstance(p.gid, str) for p in scope.projects)
