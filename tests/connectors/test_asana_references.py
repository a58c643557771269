"""Every reference of an Asana source resolves or fails (PRODUCT §9, §12 "References").

Against ``FakeAsana`` (tests/fakes/asana_fixtures.py): two projects whose custom field settings
are recorded in tests/fixtures/asana/field_settings_*.json — both have Accountable and
Consulted (people), Timer (number) and Kanal (enum); only "Kampagne Q1 2027" has Målgruppe
(multi_enum), Noter (text) and Lanceringsdato (date).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from raci_sync.config import FieldsConfig
from raci_sync.connectors.asana.client import AsanaConnector
from raci_sync.connectors.references import UnresolvedReferences
from raci_sync.errors import NotFoundError
from tests.fakes.asana_fixtures import P1, P2, SINCE, FakeAsana, fail, load, server_connector

DEFAULTS = {"R": ("assignee",), "A": ("field:Accountable",), "C": ("field:Consulted",), "I": ()}


@pytest.fixture
def fake(httpserver: HTTPServer) -> FakeAsana:
    return FakeAsana(httpserver)


def written(fake: FakeAsana, *, effort: str | None = None, **roles: tuple[str, ...]) -> Any:
    """A connector whose config wrote ``roles`` (over the defaults) and ``effort``."""
    return server_connector(
        fake,
        max_workers=1,
        roles={**DEFAULTS, **roles},
        written_roles=roles,
        fields=FieldsConfig(effort=effort),
    )


def failure(conn: AsanaConnector, *args: Any) -> UnresolvedReferences:
    with pytest.raises(UnresolvedReferences) as err:
        conn.fetch(*args)
    return err.value


# -- at sync -----------------------------------------------------------------------------------


def test_a_misspelt_effort_field_fails_the_read_before_any_task_is_listed(fake: FakeAsana) -> None:
    """effort = "Timr" once silently dropped every task's effort."""
    err = failure(written(fake, effort="Timr"))
    assert err.problems == (
        "[source.fields] effort: field 'Timr' not found on project 'Kampagne Q1 2027'; "
        "number fields there: Timer",
        "[source.fields] effort: field 'Timr' not found on project 'Analyse & Rapportering'; "
        "number fields there: Timer",
    )
    assert str(err).startswith("source 'kampagner': 2 reference(s) in the config match nothing")
    assert not any(p.endswith("/tasks") or p == "/users" for p in fake.paths)


def test_a_misspelt_role_field_fails_the_read(fake: FakeAsana) -> None:
    """C = ["field:Consultd"] once silently dropped every C."""
    err = failure(written(fake, C=("field:Consultd",)))
    assert len(err.problems) == 2
    assert all("[source.roles] C: field 'Consultd' not found" in p for p in err.problems)
    assert all("people fields there: Consulted, Accountable" in p for p in err.problems)


def test_a_field_of_the_wrong_type_fails_the_read(fake: FakeAsana) -> None:
    err = failure(written(fake, effort="Accountable", A=("field:Timer",)))
    assert (
        "[source.roles] A: field 'Timer' on project 'Kampagne Q1 2027' is a number field, not a "
        "people field" in err.problems[0]
    )
    assert any("'Accountable' on project 'Analyse & Rapportering' is a people field, not a "
               "number field" in p for p in err.problems)  # fmt: skip
    assert len(err.problems) == 4


def test_a_reference_must_resolve_on_every_project(fake: FakeAsana) -> None:
    err = failure(written(fake, C=("field:Noter",)))  # Kampagne has it, Analyse does not
    assert err.problems == (
        "[source.roles] C: field 'Noter' not found on project 'Analyse & Rapportering'; "
        "people fields there: Consulted, Accountable, Kanal",  # the closest first
    )


def test_fields_match_by_name_case_insensitively_or_by_gid(fake: FakeAsana) -> None:
    conn = written(fake, effort=" timer ", C=("field:1205550000000002",))
    assert len(conn.fetch().tasks) == 8


def test_every_problem_of_the_scope_and_the_fields_comes_at_once(fake: FakeAsana) -> None:
    conn = server_connector(
        fake,
        projects=("Kampagne Q2", "Kampagne Q1 2027", "Analyse"),
        roles={**DEFAULTS, "C": ("field:Consultd",)},
        written_roles={"C": ("field:Consultd",)},
        fields=FieldsConfig(effort="Timr"),
    )
    err = failure(conn)
    assert isinstance(err, NotFoundError)  # the source fails as a scope error does (exit 3)
    text = "\n".join(err.problems)
    assert "no project in workspace 'Nordlys Kaffe' is named or numbered 'Kampagne Q2'" in text
    assert "named or numbered 'Analyse' among" in text  # with the names it can see:
    assert "see ('Kampagne Q1 2027', 'Analyse & Rapportering')" in text
    assert "'Consultd' not found on project 'Kampagne Q1 2027'" in text
    assert "'Timr' not found on project 'Kampagne Q1 2027'" in text
    assert len(err.problems) == 4  # the fields of the project that resolved, checked too


def test_an_incremental_read_checks_the_cached_definitions_without_a_request(
    fake: FakeAsana,
) -> None:
    first = server_connector(fake).fetch()
    assert json.loads(first.state["asana.fields"])[P2][2] == ["Timer", "1205550000000003", "number"]
    fake.seen.clear()
    err = failure(written(fake, effort="Timr"), SINCE, first)
    assert fake.seen == []  # no request: the definitions of the last full read
    assert "kept from the last full read" in str(err) and "raci sync --full" in str(err)
    again = written(fake, effort="Timer").fetch(SINCE, first)
    assert again.requests == 2 and again.state["asana.fields"] == first.state["asana.fields"]


def test_a_snapshot_without_cached_definitions_is_read_in_full(fake: FakeAsana) -> None:
    first = server_connector(fake).fetch()
    old = {k: v for k, v in first.state.items() if k != "asana.fields"}
    fake.seen.clear()
    snap = server_connector(fake).fetch(SINCE, type(first)(**{**first.__dict__, "state": old}))
    assert f"/projects/{P1}/custom_field_settings" in fake.paths
    assert snap.tasks == first.tasks


def test_a_missing_default_field_is_no_failure(fake: FakeAsana) -> None:
    """Nobody wrote A = field:Accountable: a project without it is read (the check-config
    warning says so)."""
    fake.fields[P2] = [s for s in fake.fields[P2] if s["custom_field"]["name"] != "Accountable"]
    conn = server_connector(fake, roles=DEFAULTS)
    assert len(conn.fetch().tasks) == 8


# -- check_scope (raci check-config --online) --------------------------------------------------


def test_check_scope_reports_the_token_the_projects_and_their_fields(fake: FakeAsana) -> None:
    report = written(fake, effort="Timer", C=("field:Consulted",)).check_scope()
    assert report.who == "Jonas Kristensen <jonas@nordlyskaffe.dk>"
    assert report.containers == ("Kampagne Q1 2027", "Analyse & Rapportering")
    assert report.fields["Analyse & Rapportering"] == (
        "Accountable (people)",
        "Consulted (people)",
        "Timer (number)",
        "Kanal (enum)",
    )
    assert report.problems == report.warnings == ()
    [note] = report.notes
    assert note.startswith("a full read: at least 7 requests (2 task pages for 6 open tasks")
    assert server_connector(fake).fetch().requests == 9  # + 2 subtask lists, a 2nd users page
    assert "at 150 requests/min" in note and "requests_per_minute = 1500" in note


def test_check_scope_lists_every_problem_at_once_and_defaults_as_warnings(
    fake: FakeAsana,
) -> None:
    fake.fields[P2] = [s for s in fake.fields[P2] if s["custom_field"]["name"] != "Accountable"]
    conn = server_connector(
        fake,
        projects=("Kampagne Q1 2027", "Analyse & Rapportering", "Kampagne Q2"),
        roles={**DEFAULTS, "C": ("field:Consultd",)},
        written_roles={"C": ("field:Consultd",)},
        fields=FieldsConfig(effort="Kanal"),
        requests_per_minute=1500,
    )
    report = conn.check_scope()
    assert len(report.problems) == 5  # the project, Consultd × 2, Kanal (enum) × 2
    assert sum("'Kanal' on project" in p and "is an enum field" in p for p in report.problems) == 2
    assert report.warnings == (
        "default A: field 'Accountable' not found on project 'Analyse & Rapportering'; people "
        "fields there: Consulted, Kanal (a default role: only a warning)",
    )
    assert "Paid Asana plans" not in report.notes[0]  # 1500 already


def test_check_scope_with_a_wrong_workspace_names_the_ones_it_sees(fake: FakeAsana) -> None:
    report = server_connector(fake, workspace="Nordlys Te").check_scope()
    assert report.containers == () and report.notes == ()
    [problem] = report.problems
    assert "'Nordlys Te'" in problem and "'Nordlys Kaffe', 'Privat'" in problem


def test_a_workspace_gid_that_is_not_there_is_a_problem(fake: FakeAsana) -> None:
    fake.on("/projects", fail(404, load("error_404.json")), fail(404, load("error_404.json")))
    report = server_connector(fake, workspace="1207760012345678").check_scope()
    assert report.problems == (
        "[source] workspace: no workspace numbered 1207760012345678 is visible to the token's "
        "user (Asana answered 404); fix the gid, or use the workspace's name",
    )
    err = failure(server_connector(fake, workspace="1207760012345678"))
    assert err.problems == report.problems
