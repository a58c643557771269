"""monday's pure converters and its error mapping on any JSON monday could plausibly send: a Task
/ Account, or a SourceError subclass naming the source; never a KeyError/TypeError/... traceback.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from raci_sync.config import FieldsConfig
from raci_sync.connectors.monday.convert import (
    account_from_monday,
    complete_accounts,
    people_named,
    task_from_monday,
    tasks_from_monday,
    teams_from_monday,
)
from raci_sync.connectors.monday.errors import check_body
from raci_sync.connectors.monday.incremental import (
    STATE_BOARDS,
    STATE_SCOPE,
    STATE_TEAMS,
    from_state,
    subitems_board_of,
)
from raci_sync.connectors.shape import Shape
from raci_sync.errors import SourceError
from raci_sync.model import Account, FieldValue, Task
from tests.properties.junk import (
    FIXTURES,
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

SOURCES = ("kampagner", "Events Ærø", "m🙂")
BOARD = load_fixture("monday", "board_items.json")["data"]["boards"][0]
ITEMS = [
    *BOARD["items_page"]["items"],
    *load_fixture("monday", "next_items.json")["data"]["next_items_page"]["items"],
]
SUBITEMS = [s for item in ITEMS for s in item.get("subitems") or []]
COLUMNS = {c["id"]: c["title"] for c in BOARD["columns"]}
DIRECTORY = load_fixture("monday", "directory.json")["data"]
TEAMS = {t["id"]: tuple(u["id"] for u in t["users"]) for t in DIRECTORY["teams"]}
BODIES = [load_fixture("monday", p.name) for p in sorted((FIXTURES / "monday").glob("*.json"))]
ITEM_KEYS = (
    "id",
    "name",
    "state",
    "updated_at",
    "url",
    "group",
    "title",
    "subscribers",
    "column_values",
    "subitems",
    "board",
    "parent_item",
    "column",
    "type",
    "text",
    "value",
    "persons_and_teams",
    "kind",
    "label",
    "is_done",
    "date",
    "from",
    "to",
    "number",
)
BODY_KEYS = (
    "data",
    "errors",
    "message",
    "extensions",
    "code",
    "status_code",
    "error_code",
    "error_message",
    "error_data",
    "retry_in_seconds",
    "locations",
    "path",
)

sources = st.sampled_from(SOURCES)
columns = st.one_of(st.just(COLUMNS), st.just({}), st.dictionaries(texts, texts, max_size=3))
teams = st.one_of(st.just(TEAMS), st.just({}))
fields = st.builds(
    FieldsConfig,
    effort=st.sampled_from([None, "Timer"]),
    due=st.sampled_from([None, "Due", "periode", "timeline_mkq2d", "nope", ""]),
    status=st.sampled_from([None, "Status", "godkendelse", "color_mkq2c", "nope"]),
)
parents = st.one_of(
    st.none(),
    st.builds(Task, source=sources, id=st.just("4471300001"), title=texts, group=st.none() | texts),
)


def where(source: str) -> str:
    return f"source {source!r} (monday)"


def convert_kwargs(
    source: str, cols: dict[str, str], tms: Any, flds: FieldsConfig
) -> dict[str, Any]:
    return {
        "source": source,
        "board_id": BOARD["id"],
        "board_name": BOARD["name"],
        "columns": cols,
        "teams": tms,
        "fields": flds,
    }


@budget(200)
@given(
    raw=mutated([*ITEMS, *SUBITEMS], ITEM_KEYS),
    source=sources,
    cols=columns,
    tms=teams,
    flds=fields,
    parent=parents,
)
# a numbers column holding 1e400 as a JSON integer: float() overflows (not a ValueError)
@example(
    raw={"id": "1", "column_values": [{"id": "n", "type": "numbers", "number": 10**400}]},
    source="kampagner",
    cols={},
    tms={},
    flds=FieldsConfig(),
    parent=None,
)
# a date column (not the due column) whose 'date' is not a string: FieldValue.text is a list
@example(
    raw={"id": "1", "column_values": [{"id": "d", "type": "date", "date": [1]}]},
    source="kampagner",
    cols={},
    tms={},
    flds=FieldsConfig(due="Periode"),
    parent=None,
)
# a column title that is not a string: FieldValue.title becomes a number (field_matches then
# calls .strip() on it in the mapping layer)
@example(
    raw={
        "id": "1",
        "column_values": [{"id": "x", "type": "text", "text": "hi", "column": {"title": 5}}],
    },
    source="kampagner",
    cols={},
    tms={},
    flds=FieldsConfig(),
    parent=None,
)
# a column value with an empty id: FieldValue(key="field", id="") (an item with id "" is refused)
@example(
    raw={
        "id": "1",
        "column_values": [{"id": "", "type": "people", "persons_and_teams": [{"id": "5"}]}],
    },
    source="kampagner",
    cols={},
    tms={},
    flds=FieldsConfig(),
    parent=None,
)
def test_task_from_monday(
    raw: Any,
    source: str,
    cols: dict[str, str],
    tms: Any,
    flds: FieldsConfig,
    parent: Task | None,
) -> None:
    kwargs = convert_kwargs(source, cols, tms, flds)
    task = converts(
        "monday.task_from_monday",
        lambda: task_from_monday(raw, **kwargs, parent=parent),
        where(source),
    )
    if task is not None:
        assert_task(task, source, ("subscribers",))
        assert task.id == str(raw["id"])
        assert task.parent_id == (parent.id if parent else None)


@budget(200)
@given(raw=mutated(ITEMS, ITEM_KEYS), source=sources, cols=columns, tms=teams, flds=fields)
# a subitem's date column (not the due column) whose 'date' is an object: FieldValue.text is
# a dict
@example(
    raw={
        "id": "1",
        "subitems": [{"id": "2", "column_values": [{"id": "d", "type": "date", "date": {"a": 1}}]}],
    },
    source="kampagner",
    cols={},
    tms={},
    flds=FieldsConfig(due="Periode"),
)
def test_tasks_from_monday(
    raw: Any, source: str, cols: dict[str, str], tms: Any, flds: FieldsConfig
) -> None:
    kwargs = convert_kwargs(source, cols, tms, flds)
    tasks = converts(
        "monday.tasks_from_monday", lambda: tasks_from_monday(raw, **kwargs), where(source)
    )
    if tasks is None:
        return
    parent, *subitems = tasks
    assert parent.parent_id is None
    for task in tasks:
        assert_task(task, source, ("subscribers",))
    assert all(s.parent_id == parent.id and s.container == parent.container for s in subitems)


@budget(200)
@given(raw=mutated(DIRECTORY["users"], ("id", "name", "email")), source=sources)
def test_account_from_monday(raw: Any, source: str) -> None:
    account = converts(
        "monday.account_from_monday", lambda: account_from_monday(raw, source), where(source)
    )
    if account is not None:
        assert_account(account, source)


@budget(200)
@given(raw=mutated([DIRECTORY["teams"], None, []], ("id", "name", "users")), source=sources)
def test_teams_from_monday(raw: Any, source: str) -> None:
    answer = Shape(source, "monday", "the answer to list users (page 1)")
    place = f"{where(source)}: monday.com sent the answer to list users (page 1)"
    found = converts("monday.teams_from_monday", lambda: teams_from_monday(raw, answer), place)
    if found is not None:
        for team, members in found.items():
            assert isinstance(team, str) and all(isinstance(m, str) for m in members)


ids = st.sampled_from(["1", "2", "3", "51230011"])
field_values = st.builds(
    FieldValue,
    key=st.sampled_from(["subscribers", "field"]),
    accounts=st.lists(ids, max_size=3).map(tuple),
)
tasks = st.builds(
    Task,
    source=st.just("m"),
    id=ids,
    title=st.just("t"),
    fields=st.lists(field_values, max_size=3).map(tuple),
)


@budget(100)
@given(
    users=st.lists(st.builds(Account, source=st.just("m"), id=ids), max_size=4),
    items=st.lists(tasks, max_size=4),
)
def test_complete_accounts(users: list[Account], items: list[Task]) -> None:
    """Every account a task names is listed once; the directory's own entries are kept."""
    out = complete_accounts(users, items, "m")
    tried("monday.complete_accounts")
    listed = [a.id for a in out]
    assert len(listed) == len(set(listed))
    named = {a for t in items for f in t.fields for a in f.accounts}
    assert named | {u.id for u in users} == set(listed)
    assert {a.id: a for a in users}.items() <= {a.id: a for a in out}.items()


@budget(200)
@given(body=st.one_of(mutated(BODIES, BODY_KEYS), json_values), source=sources)
# retry_in_seconds 1e400 as a JSON integer: float() overflows while computing the wait
@example(
    body={
        "errors": [
            {
                "message": "x",
                "extensions": {"code": "RATE_LIMIT_EXCEEDED", "retry_in_seconds": 10**400},
            }
        ]
    },
    source="kampagner",
)
def test_check_body(body: Any, source: str) -> None:
    """A 200 body either passes (a 'data' object and no errors, in either shape) or raises a
    SourceError subclass naming the source and the request."""
    try:
        check_body(body, source, "read board 4471203958")
    except SourceError as exc:
        tried("monday.check_body", "clear error")
        assert where(source) in str(exc) and "read board 4471203958" in str(exc)
        return
    tried("monday.check_body", "passed")
    assert isinstance(body, dict) and isinstance(body.get("data"), dict)
    assert not body.get("errors")
    assert "error_code" not in body and "error_message" not in body


@budget(150)
@given(items=st.lists(mutated([*ITEMS, *SUBITEMS], ITEM_KEYS), max_size=3))
# subscribers that are a number instead of a list
@example(items=[{"id": "1", "subscribers": 5}])
# column_values that are a boolean instead of a list
@example(items=[{"id": "1", "column_values": True}])
# a column type that is a list: membership in a frozenset raises "unhashable type"
@example(items=[{"id": "1", "column_values": [{"id": "p", "type": ["people"]}]}])
def test_people_named(items: list[Any]) -> None:
    """Documented to skip malformed parts: never raises, whatever the raw items hold."""
    users, team_ids = people_named(items)
    tried("monday.people_named")
    assert all(isinstance(u, str) for u in users) and all(isinstance(t, str) for t in team_ids)


@budget(100)
@given(items=st.lists(mutated(ITEMS, ITEM_KEYS), max_size=3), source=sources)
# subitems that are a number instead of a list (read before any item is converted)
@example(items=[{"id": "1", "subitems": 5}], source="kampagner")
def test_subitems_board_of(items: list[Any], source: str) -> None:
    items = [i for i in items if isinstance(i, dict)]  # the page reader checks that much first
    found = converts("monday.subitems_board_of", lambda: subitems_board_of(items), where(source))
    assert found is None or isinstance(found, str)


def state_texts(seed: Any) -> st.SearchStrategy[str]:
    """What a stored snapshot's state may hold: the JSON the connector wrote, damaged."""
    return st.one_of(mutated([seed]).map(json.dumps), json_values.map(json.dumps), texts)


@budget(100)
@given(
    boards=state_texts([[BOARD["id"], BOARD["name"], "4471203990"], ["1", "Events", ""]]),
    team_ids=state_texts({"904211": ["51230012", "51230013"]}),
)
def test_cache_from_state(boards: str, team_ids: str) -> None:
    """A damaged cache in the previous snapshot means a full read (None), never a crash."""
    cache = from_state({STATE_SCOPE: "s", STATE_BOARDS: boards, STATE_TEAMS: team_ids}, "s")
    tried("monday.from_state", "none" if cache is None else "ok")
    if cache is not None:  # what a cache holds is typed, or there is none
        assert isinstance(cache.boards, tuple) and isinstance(cache.teams, dict)
        assert all(isinstance(k, str) and isinstance(v, tuple) for k, v in cache.teams.items())
