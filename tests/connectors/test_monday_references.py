"""Every reference the config wrote resolves on every monday board, or the source fails
(issue 8; PRODUCT §9, §12 "References"): ``check_scope`` lists every problem at once; a full read
checks the columns it reads, an incremental one those kept at the last read (no request) and
those its answers bring.

Against the local fake monday of tests/fakes/monday_local.py (boards Kampagner, Events, Drift;
columns Owner, Accountable, Status, Due, Timer).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from raci_sync.config import FieldsConfig
from raci_sync.connectors.references import UnresolvedReferences
from raci_sync.errors import NotFoundError
from tests.fakes import monday_local
from tests.fakes.monday_local import B1, B2, B3, FakeMonday

SINCE = datetime(2026, 12, 1, tzinfo=UTC)
DEFAULT_ROLES = {"R": ("first_people_column",), "A": ("field:Accountable",), "C": ()}


@pytest.fixture
def monday(httpserver: HTTPServer) -> Iterator[FakeMonday]:
    fake = FakeMonday(httpserver)
    yield fake
    assert fake.invalid == [], "queries that do not validate against the SDL"


def with_roles(c: Any, **written: tuple[str, ...]) -> Any:
    """The connector's source with these letters written in [source.roles]."""
    roles = {**DEFAULT_ROLES, "C": ("field:Consulted",), **written}
    c.source = replace(c.source, roles=roles, written_roles=dict(written))
    return c


# -- check-config --online ----------------------------------------------------------------------


def test_check_scope_names_the_token_the_boards_and_their_columns(monday: FakeMonday) -> None:
    c = with_roles(monday.connector(boards=("kampagner", B2)))
    report = c.check_scope()
    assert report.who == "Anna Berg <anna@example.dk>"
    assert report.containers == ("Kampagner", "Events")
    assert report.fields["Events"] == (
        "Owner (people)",
        "Accountable (people)",
        "Status (status)",
        "Due (date)",
        "Timer (number)",
    )
    assert report.problems == ()
    # the default C ("Consulted") nobody wrote: a warning, on each board
    assert len(report.warnings) == 2 and all("'Consulted'" in w for w in report.warnings)
    assert report.notes == ("API-Version 2026-10 asked; monday served 2026-10 (current)",)
    assert monday.ops == ["Me", "ListBoards", "BoardColumns"]


def test_check_scope_lists_every_problem_at_once(monday: FakeMonday) -> None:
    c = with_roles(monday.connector(boards=("Kampagne", B2, "5009999999")), C=("field:Consultd",))
    c.source = replace(c.source, fields=FieldsConfig(effort="Owner", due="Deadlne"))
    problems = c.check_scope().problems
    text = "\n".join(problems)
    assert "no board named 'Kampagne'" in text and "(closest: 'Kampagner')" in text
    assert "board 5009999999 did not come back" in text
    assert "the boards it can see: 'Drift', 'Events', 'Kampagner'" in text
    assert "[source.roles] C: field 'Consultd' not found on board 'Events'; people fields" in text
    assert (
        "[source.fields] effort: field 'Owner' on board 'Events' is a people field, not a number "
        "field; number fields there: Timer" in text
    )
    assert "[source.fields] due: field 'Deadlne' not found on board 'Events'" in text
    assert len(problems) == 5
    assert monday.ops == ["Me", "ListBoards", "BoardColumns"]  # one try, all at once


def test_a_served_version_other_than_asked_is_a_warning(monday: FakeMonday) -> None:
    monday.version = {"kind": "maintenance", "value": "2026-07"}
    report = with_roles(monday.connector(boards=(B3,))).check_scope()
    assert any(
        "asked for API-Version 2026-10 but monday served 2026-07" in w for w in report.warnings
    )


# -- at sync ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "roles", "wanted"),
    [
        (FieldsConfig(due="Deadlne"), {}, "[source.fields] due: field 'Deadlne' not found"),
        (FieldsConfig(effort="Timr"), {}, "[source.fields] effort: field 'Timr' not found"),
        (FieldsConfig(), {"C": ("field:Consultd",)}, "[source.roles] C: field 'Consultd'"),
        (FieldsConfig(status="Due"), {}, "is a date field, not a status field"),
    ],
    ids=["due-typo", "effort-typo", "consulted-typo", "status-of-wrong-type"],
)
def test_a_reference_that_matches_nothing_fails_the_full_read(
    monday: FakeMonday, fields: FieldsConfig, roles: dict[str, tuple[str, ...]], wanted: str
) -> None:
    """What must become impossible: due dates, effort or every C dropped without a word."""
    c = with_roles(monday.connector(), **roles)
    c.source = replace(c.source, fields=fields)
    with pytest.raises(UnresolvedReferences) as err:
        c.fetch()
    assert isinstance(err.value, NotFoundError) and err.value.source == "kampagner"
    problems = err.value.problems
    assert len(problems) == 3 and all(wanted in p for p in problems)  # on each of the 3 boards
    assert [p.split(" on board ")[1].split("'")[1] for p in problems] == [
        "Kampagner",
        "Events",
        "Drift",
    ]


def test_board_names_that_match_nothing_fail_before_any_item_is_read(
    monday: FakeMonday,
) -> None:
    """...and the boards that did resolve have their columns checked too: every problem at once."""
    c = with_roles(monday.connector(boards=("Kampagne", "Evnts", "Drift")), C=("field:Consultd",))
    with pytest.raises(UnresolvedReferences) as err:
        c.fetch()
    assert len(err.value.problems) == 3
    assert "no board named 'Evnts'" in str(err.value) and "(closest: 'Events')" in str(err.value)
    assert "[source.roles] C: field 'Consultd' not found on board 'Drift'" in str(err.value)
    assert monday.ops == ["ListBoards", "BoardColumns"]


def test_boards_that_do_not_come_back_are_all_named(monday: FakeMonday) -> None:
    with pytest.raises(UnresolvedReferences) as err:
        monday.connector(boards=("5009999998", B2, "5009999999")).fetch()
    assert [p.split(" did")[0] for p in err.value.problems] == [
        "boards: board 5009999998",
        "boards: board 5009999999",
    ]


def test_the_incremental_read_checks_the_columns_kept_without_asking(
    monday: FakeMonday,
) -> None:
    before = with_roles(monday.connector()).fetch()
    monday.sent.clear()
    c = with_roles(monday.connector(), C=("field:Consultd",))  # roles: still incremental
    with pytest.raises(UnresolvedReferences, match="field 'Consultd' not found"):
        c.fetch(since=SINCE, previous=before)
    assert monday.sent == []  # checked against Snapshot.state: no request


def test_a_column_renamed_since_the_last_read_fails_the_incremental_read(
    monday: FakeMonday, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = monday.connector()  # effort = "Timer"
    before = c.fetch()
    renamed = [
        ("numeric", "Hours", "numbers") if t == "Timer" else (i, t, k)
        for i, t, k in monday_local.COLUMNS
    ]
    monkeypatch.setattr(monday_local, "COLUMNS", renamed)
    with pytest.raises(UnresolvedReferences) as err:
        monday.connector().fetch(since=SINCE, previous=before)
    assert "field 'Timer' not found on board 'Kampagner'; number fields there: Hours" in str(
        err.value
    )


def test_unwritten_due_and_status_keep_the_first_column(monday: FakeMonday) -> None:
    snap = monday.connector().fetch()  # due and status not written: the first date/status
    by_id = {t.id: t for t in snap.tasks}
    assert str(by_id["6001"].due) == "2026-12-10"
    assert by_id["6003"].state.value == "done"
    assert monday.connector(boards=(B1,)).check_scope().problems == ()
