"""ReportData's look-ups: computed once per bundle, in the order every renderer relies on."""

from __future__ import annotations

from dataclasses import replace

from raci_sync.model import Assignment, Person
from tests.reports import FINDINGS, KASPER, METTE, sample_report


def test_the_lookups_are_computed_once_and_kept() -> None:
    data = sample_report()
    assert data.person_names is data.person_names
    assert data.task_index is data.task_index
    assert data.assignments_by_task is data.assignments_by_task
    assert replace(data).person_names is not data.person_names  # a new bundle, new look-ups


def test_person_names_prefer_the_roster_and_fall_back_to_the_assignment() -> None:
    stranger = Assignment("indhold", "c1", "indhold:x1", "Ukendt Person", "C", "members")
    data = sample_report(
        people=(Person(METTE, "Mette S."),), assignments=(*sample_report().assignments, stranger)
    )
    assert data.person_names[METTE] == "Mette S."
    assert data.person_names[KASPER] == "Kasper Vinther"
    assert data.person_names["indhold:x1"] == "Ukendt Person"


def test_assignments_by_task_are_in_letter_then_name_order() -> None:
    held = sample_report().assignments_by_task[("indhold", "c2")]
    assert [(a.letter, a.person_name) for a in held] == [
        ("R", "Freja Nørgaard"),
        ("A", "Jonas Kristensen"),
        ("A", "Mette Sørensen"),
        ("C", "Sofie Lund"),
    ]


def test_task_of_finds_a_findings_task_or_none() -> None:
    data = sample_report()
    by_check = {f.check: f for f in FINDINGS}
    task = data.task_of(by_check["no-owner"])
    assert task is not None and task.title == "Skriv nyhedsbrev til december"
    assert data.task_of(by_check["overloaded"]) is None  # about a person, not a task
