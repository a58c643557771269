"""Trello's pure converters on any JSON Trello could plausibly send: a Task / Board / Account,
or a ResponseError naming the source; never a KeyError/TypeError/... traceback."""

from __future__ import annotations

import json
from datetime import UTC, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import example, given
from hypothesis import strategies as st

from raci_sync.connectors.trello.convert import (
    Board,
    BoardSummary,
    CustomFieldDef,
    TrelloList,
    account_from_trello,
    board_from_trello,
    board_summary_from_trello,
    custom_field_from_trello,
    task_from_trello,
)
from raci_sync.connectors.trello.incremental import STATE_KEY, from_state
from raci_sync.connectors.trello.queries import BOARD_PARAMS, CARD_FIELDS
from raci_sync.errors import SourceError
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

SOURCES = ("indhold", "Kampagner Ærø", "s🙂")
BOARD = load_fixture("trello", "board.json")
CARDS = load_fixture("trello", "cards.json")
MEMBERS = BOARD["members"]
FIELDS = BOARD["customFields"]
SUMMARIES = load_fixture("trello", "members_me_boards.json")
GOOD_BOARD = board_from_trello(BOARD, "indhold")
# the field names the spec gives a card, a custom field item, a board and its nested objects
CARD_KEYS = (
    *CARD_FIELDS,
    "id",
    "url",
    "customFieldItems",
    "idCustomField",
    "idValue",
    "value",
    "text",
    "number",
    "checked",
    "date",
)
BOARD_KEYS = (
    *(k for k in BOARD_PARAMS if not k.endswith(("_fields", "_limit"))),
    "id",
    "name",
    "closed",
    "fullName",
    "username",
    "color",
    "type",
    "display",
    "options",
    "value",
    "text",
)
ZONES: tuple[tzinfo, ...] = (UTC, ZoneInfo("Europe/Copenhagen"), ZoneInfo("Pacific/Kiritimati"))

sources = st.sampled_from(SOURCES)


def where(source: str) -> str:
    return f"source {source!r} (trello)"


def _board_or_good(raw: Any) -> Board:
    """A board converted from a mutated answer, or the fixture's when that one is rejected."""
    try:
        return board_from_trello(raw, "indhold")
    except SourceError:
        return GOOD_BOARD


boards = st.one_of(st.just(GOOD_BOARD), mutated([BOARD], BOARD_KEYS).map(_board_or_good))


@budget(200)
@given(raw=mutated([BOARD], BOARD_KEYS), source=sources)
# an empty id is taken as the board's id (Asana and monday reject an empty id)
@example(raw={"id": ""}, source="indhold")
def test_board_from_trello(raw: Any, source: str) -> None:
    board = converts(
        "trello.board_from_trello", lambda: board_from_trello(raw, source), where(source)
    )
    if board is None:
        return
    assert isinstance(board.id, str) and board.id and isinstance(board.name, str)
    assert all(isinstance(v, TrelloList) and isinstance(v.name, str) for v in board.lists.values())
    assert all(isinstance(v, CustomFieldDef) for v in board.fields.values())
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in board.labels.items())
    for account in board.members:
        assert_account(account, source)


@budget(200)
@given(raw=mutated(FIELDS, BOARD_KEYS), source=sources)
def test_custom_field_from_trello(raw: Any, source: str) -> None:
    definition = converts(
        "trello.custom_field_from_trello",
        lambda: custom_field_from_trello(raw, source, "Kampagner"),
        where(source),
    )
    if definition is not None:
        assert isinstance(definition.id, str) and isinstance(definition.type, str)
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in definition.options.items())


@budget(200)
@given(raw=mutated(MEMBERS, BOARD_KEYS), source=sources)
# an empty member id becomes an Account with id ""
@example(raw={"id": "", "fullName": "Alice Andersen"}, source="indhold")
def test_account_from_trello(raw: Any, source: str) -> None:
    account = converts(
        "trello.account_from_trello", lambda: account_from_trello(raw, source), where(source)
    )
    if account is not None:
        assert_account(account, source)


@budget(200)
@given(
    raw=mutated(CARDS, CARD_KEYS),
    board=boards,
    source=sources,
    done_lists=st.lists(st.sampled_from(["Færdig", " færdig ", "I gang"]) | texts, max_size=2),
    tz=st.sampled_from(ZONES),
)
# an empty card id, and an empty member id in idMembers, are taken as ids
@example(raw={"id": ""}, board=GOOD_BOARD, source="indhold", done_lists=[], tz=UTC)
@example(
    raw={"id": "1", "idMembers": [""]}, board=GOOD_BOARD, source="indhold", done_lists=[], tz=UTC
)
# a due date-time at the edge of the calendar: moving it to another zone overflows
@example(
    raw={"id": "1", "due": "0001-01-01T00:00:00+01:00"},
    board=GOOD_BOARD,
    source="indhold",
    done_lists=[],
    tz=UTC,
)
# a number custom field holding 1e400 as a JSON integer: float() overflows
@example(
    raw={"id": "1", "customFieldItems": [{"idCustomField": "f", "value": {"number": 10**400}}]},
    board=GOOD_BOARD,
    source="indhold",
    done_lists=[],
    tz=UTC,
)
def test_task_from_trello(
    raw: Any, board: Board, source: str, done_lists: list[str], tz: tzinfo
) -> None:
    task = converts(
        "trello.task_from_trello",
        lambda: task_from_trello(raw, board, source, done_lists, tz),
        where(source),
    )
    if task is not None:
        assert_task(task, source, ("members",))
        assert task.id == raw["id"]
        assert task.container == board.name and task.container_id == board.id


@budget(200)
@given(raw=mutated(SUMMARIES, ("id", "name", "closed", "dateLastActivity")), source=sources)
# a date-only last activity on the last day of the calendar: "end of that day" overflows
@example(raw={"id": "1", "dateLastActivity": "9999-12-31"}, source="indhold")
def test_board_summary_from_trello(raw: Any, source: str) -> None:
    summary = converts(
        "trello.board_summary_from_trello",
        lambda: board_summary_from_trello(raw, source),
        where(source),
    )
    if summary is not None:
        assert isinstance(summary, BoardSummary) and isinstance(summary.name, str)
        assert summary.last_activity is None or summary.last_activity.tzinfo is not None


@budget(100)
@given(
    state=st.one_of(
        mutated([{BOARD["id"]: {"name": "Kampagner", "accounts": [m["id"] for m in MEMBERS]}}]).map(
            json.dumps
        ),
        json_values.map(json.dumps),
        texts,
    )
)
def test_cached_boards(state: str) -> None:
    """A damaged board cache in the previous snapshot means "read every board", never a crash."""
    cached = from_state({STATE_KEY: state})
    tried("trello.from_state", "ok" if cached else "empty")
    for board_id, (name, accounts) in cached.items():
        assert isinstance(board_id, str) and isinstance(name, str)
        assert all(isinstance(a, str) for a in accounts)
