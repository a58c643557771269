"""The RACI matrix: tasks × people with letters, as a DataFrame, CSV, XLSX and HTML."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date, datetime

import openpyxl
import pandas as pd
import pytest

from raci_sync.model import Assignment, Person, Task
from raci_sync.reports.html import render_matrix_page
from raci_sync.reports.matrix import MATRIX_COLUMNS, build_matrix, matrix_tasks, person_columns
from raci_sync.reports.sanitize import FORMULA_PREFIXES
from raci_sync.reports.spreadsheet import matrix_csv, matrix_xlsx
from tests.reports import ANDERS, FREJA, KASPER, METTE, sample_report
from tests.reports.hostile import EVIL_PERSON, HYPERLINK, hostile_report

PEOPLE = [
    "Freja Nørgaard (social-media, content-producer)",
    "Mette Sørensen (strategist)",
    "Jonas Kristensen (project-manager)",
    "Anders Holm (content-producer)",
    "Sofie Lund (analyst)",
    "Kasper Vinther (unmatched)",
]


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return build_matrix(sample_report())


def test_shape_and_columns(frame: pd.DataFrame) -> None:
    assert frame.shape == (4, len(MATRIX_COLUMNS) + 6)  # the four open tasks × 6 people
    assert list(frame.columns) == [*MATRIX_COLUMNS, *PEOPLE]
    assert list(frame.index) == ["1234567890", "c2", "c4", "c1"]  # c4 is c2's subtask
    assert list(frame["source"]) == ["drift", "indhold", "indhold", "indhold"]
    assert frame.loc["c1", "due"] == date(2026, 12, 10) and frame.loc["c4", "due"] is None
    assert set(frame["state"]) == {"open"}


def test_letters(frame: pd.DataFrame) -> None:
    c2 = frame.loc["c2", PEOPLE].tolist()
    assert c2 == ["R", "A", "A", "", "C", ""]
    assert frame.loc["c4", "Kasper Vinther (unmatched)"] == "R"
    assert frame.loc["1234567890", "Anders Holm (content-producer)"] == "R"
    assert frame.loc["c1", PEOPLE].tolist() == [""] * 6  # no owner: an empty row


def test_several_letters_in_r_a_c_i_order() -> None:
    base = sample_report()
    extra = (
        Assignment("indhold", "c2", METTE, "Mette Sørensen", "I", "followers"),
        Assignment("indhold", "c2", METTE, "Mette Sørensen", "R", "members"),
        Assignment("indhold", "c2", METTE, "Mette Sørensen", "C", "custom_field:Consulted"),
        Assignment("indhold", "c2", FREJA, "Freja Nørgaard", "A", "rule:x"),
        Assignment("indhold", "c2", FREJA, "Freja Nørgaard", "R", "assignee"),  # twice: once
    )
    frame = build_matrix(replace(base, assignments=base.assignments + extra))
    assert frame.loc["c2", "Mette Sørensen (strategist)"] == "R/A/C/I"
    assert frame.loc["c2", "Freja Nørgaard (social-media, content-producer)"] == "R/A"


def test_include_closed() -> None:
    frame = build_matrix(sample_report(), include_closed=True)
    assert len(frame) == 6
    assert set(frame["state"]) == {"open", "done", "archived"}


def test_roster_first_then_unmatched_by_name() -> None:
    base = sample_report()
    stray = Assignment("indhold", "c1", "indhold:zz", "Aase Stray", "R", "members")
    data = replace(
        base,
        people=(Person(KASPER, "Kasper Vinther", matched=False), *base.people[:5]),
        assignments=(*base.assignments, stray),
    )
    headers = [column.header for column in person_columns(data)]
    assert headers == [*PEOPLE[:5], "Aase Stray (unmatched)", "Kasper Vinther (unmatched)"]
    assert build_matrix(data).loc["c1", "Aase Stray (unmatched)"] == "R"


def test_headers_stay_unique() -> None:
    base = sample_report()
    twin = Person("roster:Anders Holm 2", "Anders Holm", hats=("content-producer",))
    title = Person("indhold:t", "title", matched=True)
    data = replace(base, people=(*base.people, twin, title))
    headers = [column.header for column in person_columns(data)]
    assert len(set(headers)) == len(headers)
    assert "Anders Holm (content-producer) [roster:Anders Holm 2]" in headers
    assert "title [indhold:t]" in headers
    assert build_matrix(data).shape[1] == len(MATRIX_COLUMNS) + len(headers)


def test_subtasks_follow_their_parent() -> None:
    tasks = (
        Task("s", "1", "B parent", container="P"),
        Task("s", "2", "A child of B", container="P", parent_id="1"),
        Task("s", "3", "A grandchild", container="P", parent_id="2"),
        Task("s", "4", "C orphan", container="P", parent_id="gone"),
        Task("s", "5", "0 child elsewhere", container="Q", parent_id="1"),
    )
    ids = [task.id for task in matrix_tasks(sample_report(tasks=tasks, assignments=()))]
    assert ids == ["1", "2", "3", "4", "5"]


def test_empty_inputs() -> None:
    empty = build_matrix(sample_report(tasks=()))
    assert empty.shape == (0, len(MATRIX_COLUMNS) + 6)
    unassigned = build_matrix(sample_report(assignments=()))
    assert unassigned.shape == (4, len(MATRIX_COLUMNS) + 6)
    assert (unassigned[PEOPLE] == "").all().all()
    nobody = build_matrix(sample_report(people=(), assignments=()))
    assert list(nobody.columns) == list(MATRIX_COLUMNS)


def test_csv() -> None:
    rows = list(csv.reader(io.StringIO(matrix_csv(sample_report()))))
    assert rows[0] == [*MATRIX_COLUMNS, *PEOPLE]
    assert rows[2] == [
        "indhold", "Indhold & SoMe", "I gang", "Instagram-kampagne: julekaffe ☕", "open",
        "2026-12-14", "R", "A", "A", "", "C", "",
    ]  # fmt: skip


def test_csv_and_xlsx_are_neutralised() -> None:
    data = hostile_report()
    rows = list(csv.reader(io.StringIO(matrix_csv(data))))
    cells = [value for row in rows for value in row]
    assert not [value for value in cells if value.startswith(FORMULA_PREFIXES)]
    assert "'" + HYPERLINK in cells and "'" + EVIL_PERSON + " (unmatched)" in rows[0]
    sheet = openpyxl.load_workbook(io.BytesIO(matrix_xlsx(data)))["Matrix"]
    values = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert all(c.data_type == "s" and not c.value.startswith(FORMULA_PREFIXES) for c in values)
    assert "'" + HYPERLINK in {c.value for c in values}


def test_xlsx() -> None:
    book = openpyxl.load_workbook(io.BytesIO(matrix_xlsx(sample_report())))
    assert book.sheetnames == ["Matrix"]
    sheet = book["Matrix"]
    assert sheet.freeze_panes == "E2"  # header row and source … title stay in view
    assert sheet.auto_filter.ref == "A1:L5"
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [*MATRIX_COLUMNS, *PEOPLE]
    assert rows[2][:6] == (
        "indhold", "Indhold & SoMe", "I gang", "Instagram-kampagne: julekaffe ☕", "open",
        datetime(2026, 12, 14),
    )  # fmt: skip
    assert rows[2][6:] == ("R", "A", "A", None, "C", None)
    assert sheet["G3"].fill.fgColor.rgb.endswith("D7EBD5")  # R cells are green
    assert sheet["G1"].alignment.wrap_text


def test_html() -> None:
    page = render_matrix_page(sample_report())
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert "Instagram-kampagne: julekaffe ☕" in page
    assert (
        '<td class="title sub"><span class="parent"><bdi>Instagram-kampagne: julekaffe ☕</bdi>'
        ' › </span><a href="https://trello.com/c/c4"'
    ) in page
    assert "Showing the first" not in page
    capped = render_matrix_page(sample_report(), max_rows=2)
    assert "Showing the first 2 of 4 tasks; and 2 more — see the XLSX matrix" in capped


def test_matrix_ignores_assignments_to_other_tasks() -> None:
    base = sample_report()
    stray = Assignment("indhold", "missing", ANDERS, "Anders Holm", "R", "members")
    frame = build_matrix(replace(base, assignments=(*base.assignments, stray)))
    assert len(frame) == 4


def test_a_letter_outside_raci_is_kept_after_the_others() -> None:
    base = sample_report()
    odd = Assignment("indhold", "c2", FREJA, "Freja Nørgaard", "S", "rule:rasci")
    frame = build_matrix(replace(base, assignments=(*base.assignments, odd)))
    assert frame.loc["c2", "Freja Nørgaard (social-media, content-producer)"] == "R/S"


def test_subtasks_read_parent_then_subtask(frame: pd.DataFrame) -> None:
    assert frame.loc["c4", "title"].startswith("Instagram-kampagne: julekaffe ☕ › Fotoshoot til")
    assert frame.loc["c2", "title"] == "Instagram-kampagne: julekaffe ☕"
    rows = list(csv.reader(io.StringIO(matrix_csv(sample_report()))))
    assert rows[3][3].startswith("Instagram-kampagne: julekaffe ☕ › Fotoshoot til")
    orphan = replace(sample_report().tasks[3], parent_id="gone")
    tasks = (*sample_report().tasks[:3], orphan, *sample_report().tasks[4:])
    assert build_matrix(sample_report(tasks=tasks)).loc["c4", "title"].startswith("Fotoshoot")
