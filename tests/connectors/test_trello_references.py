"""Every reference of a Trello source resolves or fails (PRODUCT §9, §12 "References").

Against ``FakeTrello`` (tests/fakes/trello_fixtures.py): three boards (Kampagner, Indkøb,
Events) whose definitions are the recorded board.json — lists Backlog, I gang, Færdig, Gammelt;
custom fields Accountable (list), Consulted (text), Timer (number), Godkendt (checkbox),
Publiceres (date) — unless a board says otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from raci_sync.config import FieldsConfig
from raci_sync.connectors.references import UnresolvedReferences
from raci_sync.connectors.trello.client import TrelloConnector
from raci_sync.errors import NotFoundError
from tests.fakes.trello_fixtures import B2, FakeTrello, load, serve, server_connector, workspace

DEFAULTS = {"R": ("members",), "A": ("field:Accountable",), "C": ("field:Consulted",), "I": ()}


@pytest.fixture
def fake(httpserver: HTTPServer) -> Iterator[FakeTrello]:
    yield serve(httpserver, *workspace())


def written(
    server: HTTPServer,
    *,
    effort: str | None = None,
    done_lists: tuple[str, ...] = (),
    boards: tuple[str, ...] = ("Kampagner", "Indkøb", "Events"),
    **roles: tuple[str, ...],
) -> TrelloConnector:
    """A connector whose config wrote ``roles`` (over the defaults), ``effort``, done lists."""
    return server_connector(
        server,
        boards,
        max_workers=1,
        roles={**DEFAULTS, **roles},
        written_roles=roles,
        fields=FieldsConfig(effort=effort),
        done_lists=done_lists,
    )


def failure(conn: TrelloConnector, *args: Any) -> UnresolvedReferences:
    with pytest.raises(UnresolvedReferences) as err:
        conn.fetch(*args)
    return err.value


def cards_read(fake: FakeTrello) -> int:
    return sum(p.endswith("/cards") for p in fake.paths())


def test_a_misspelt_effort_field_fails_the_read_before_any_card_is_read(
    fake: FakeTrello, httpserver: HTTPServer
) -> None:
    err = failure(written(httpserver, effort="Timr"))
    assert len(err.problems) == 3  # on each board
    assert err.problems[0] == (
        "[source.fields] effort: field 'Timr' not found on board 'Kampagner'; number fields "
        "there: Timer"
    )
    assert cards_read(fake) == 0


def test_a_misspelt_role_field_and_a_wrong_type_fail_the_read(
    fake: FakeTrello, httpserver: HTTPServer
) -> None:
    err = failure(written(httpserver, C=("field:Consultd",), A=("field:Godkendt",)))
    text = "\n".join(err.problems)
    assert "[source.roles] C: field 'Consultd' not found on board 'Indkøb'" in text
    assert "people fields there: Consulted, Accountable" in text
    assert "[source.roles] A: field 'Godkendt' on board 'Events' is a checkbox field, not a " \
           "people field" in text  # fmt: skip
    assert len(err.problems) == 6


def test_a_misspelt_done_list_fails_the_read(fake: FakeTrello, httpserver: HTTPServer) -> None:
    err = failure(written(httpserver, done_lists=("Fardig", "Gammelt")))
    assert err.problems[0] == (
        "[source] done_lists: list 'Fardig' not found on 'Kampagner'; did you mean 'Færdig'? "
        "(lists there: Backlog, I gang, Færdig, Gammelt)"
    )
    assert len(err.problems) == 3


def test_a_reference_must_resolve_on_every_board(fake: FakeTrello, httpserver: HTTPServer) -> None:
    board = load("board.json")
    fake.boards[1].meta = {  # Indkøb has no Timer
        "customFields": [f for f in board["customFields"] if f["type"] != "number"]
    }
    err = failure(written(httpserver, effort="Timer"))
    assert err.problems == (
        "[source.fields] effort: field 'Timer' not found on board 'Indkøb'; no number fields there",
    )


def test_every_problem_of_the_scope_and_the_fields_comes_at_once(
    fake: FakeTrello, httpserver: HTTPServer
) -> None:
    conn = written(
        httpserver,
        effort="Timr",
        done_lists=("Udgivet",),
        boards=("Kampagnr", "Indkøb", "Arkiv 2025", "000000000000000000000000"),
    )
    err = failure(conn)
    assert isinstance(err, NotFoundError)
    text = "\n".join(err.problems)
    assert "no open board named 'Kampagnr' is visible" in text and "'Kampagner'" in text
    assert "board 'Arkiv 2025' is archived" not in text  # not in this fake's listing:
    assert "no open board named 'Arkiv 2025'" in text
    assert "board 000000000000000000000000 does not exist" in text  # a 404, among the rest
    assert "'Timr' not found on board 'Indkøb'" in text
    assert "list 'Udgivet' not found on 'Indkøb'" in text
    assert len(err.problems) == 5
    assert cards_read(fake) == 0


def test_an_incremental_read_checks_kept_boards_against_their_cached_definitions(
    fake: FakeTrello, httpserver: HTTPServer
) -> None:
    first = written(httpserver).fetch()
    assert "trello.definitions" in first.state
    fake.requests.clear()
    err = failure(written(httpserver, effort="Timr"), first.fetched_at, first)
    assert fake.paths() == ["/members/me/boards"]  # the one request an unchanged read makes
    assert len(err.problems) == 3 and "kept from their last read" in str(err)
    again = written(httpserver, effort="Timer").fetch(first.fetched_at, first)
    assert again.requests == 1 and again.state == first.state


def test_a_snapshot_without_cached_definitions_reads_its_boards_again(
    fake: FakeTrello, httpserver: HTTPServer
) -> None:
    first = written(httpserver).fetch()
    old = {k: v for k, v in first.state.items() if k != "trello.definitions"}
    again = written(httpserver).fetch(
        first.fetched_at, type(first)(**{**first.__dict__, "state": old})
    )
    assert again.requests == 1 + 3 + 3 and again.tasks == first.tasks


def test_a_missing_default_field_is_no_failure(fake: FakeTrello, httpserver: HTTPServer) -> None:
    board = load("board.json")
    fake.boards[0].meta = {
        "customFields": [f for f in board["customFields"] if f["type"] != "list"]
    }
    conn = server_connector(httpserver, max_workers=1, roles=DEFAULTS)
    assert len(conn.fetch().tasks) == 9


# -- check_scope (raci check-config --online) --------------------------------------------------


def test_check_scope_reports_the_token_the_boards_and_their_fields(
    fake: FakeTrello, httpserver: HTTPServer
) -> None:
    report = written(httpserver, effort="Timer", done_lists=("Færdig",)).check_scope()
    assert report.who == "Alice Andersen (@aliceandersen)"
    assert report.containers == ("Kampagner", "Indkøb", "Events")
    assert report.fields["Events"] == (
        "Accountable (list)",
        "Consulted (text)",
        "Timer (number)",
        "Godkendt (checkbox)",
        "Publiceres (date)",
    )
    assert report.problems == report.warnings == ()
    assert report.notes == (
        "a full read: at least 7 requests (the board listing, and per board its definitions "
        "and a page of up to 1,000 cards; one more per 1,000 cards beyond that)",
    )


def test_check_scope_lists_every_problem_at_once_and_defaults_as_warnings(
    fake: FakeTrello, httpserver: HTTPServer
) -> None:
    board = load("board.json")
    fake.boards[2].meta = {
        "customFields": [f for f in board["customFields"] if f["type"] != "list"]
    }
    conn = written(httpserver, boards=("Kampagnr", "Indkøb", "Events"), effort="Consulted",
                   done_lists=("Udgivet",), C=("field:Consultd",))  # fmt: skip
    report = conn.check_scope()
    text = "\n".join(report.problems)
    assert "no open board named 'Kampagnr'" in text and "did you mean 'Kampagner'?" in text
    assert text.count("'Consulted' on board") == 2  # a text field, not a number field
    assert text.count("'Consultd' not found") == 2 and text.count("'Udgivet' not found") == 2
    assert len(report.problems) == 7
    assert report.warnings == (
        "default A: field 'Accountable' not found on board 'Events'; people fields there: "
        "Consulted (a default role: only a warning)",
    )
    assert report.containers == ("Indkøb", "Events")
    assert B2 in [b.id for b in fake.boards]
