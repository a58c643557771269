"""CSV and XLSX of the report: a clear shape, numbers as numbers, no cell ever a formula."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date, datetime

import openpyxl
import pytest

from raci_sync.model import Finding, Severity, Trends, WeekPoint
from raci_sync.reports.sanitize import FORMULA_PREFIXES, cell, cell_text, clean_line, neutralise
from raci_sync.reports.spreadsheet import (
    IGNORED_WHERE,
    REPORT_CSV_COLUMNS,
    report_csv,
    report_xlsx,
)
from tests.reports import LONG_TITLE, NOTE, changed_report, empty_report, sample_report
from tests.reports.hostile import EMOJI, EVIL_PERSON, HYPERLINK, SCRIPT, hostile_report

SHEETS = ["Summary", "Findings", "Workload", "Tasks", "Unmatched", "Matrix", "Sources"]


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def read_xlsx(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


@pytest.fixture(scope="module")
def hostile_xlsx() -> openpyxl.Workbook:
    return read_xlsx(report_xlsx(hostile_report()))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (HYPERLINK, "'" + HYPERLINK),
        ("+cmd", "'+cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'=1+1"),  # cleaned first: the tab goes, the formula is still caught
        ("\r\n=1", "'=1"),
        ("  =1", "'=1"),
        ("a=1", "a=1"),
        ("Kaffe – 2 × 3", "Kaffe – 2 × 3"),
        ("Linje et\r\nLinje to", "Linje et Linje to"),
        ("\u202e=1\u202c", "'=1"),  # a bidi override cannot hide the "="
        ("\x1b[31mred\x1b[0m", "[31mred[0m"),
        ("", ""),
        (None, ""),
    ],
)
def test_cell_text(text: str | None, expected: str) -> None:
    assert cell_text(text) == expected


def test_neutralise_and_cell_keep_numbers() -> None:
    assert all(neutralise(prefix + "x").startswith("'") for prefix in FORMULA_PREFIXES)
    assert cell(-2) == -2 and cell(1.5) == 1.5 and cell(float("nan")) is None
    assert cell(date(2026, 12, 7)) == date(2026, 12, 7)
    assert cell("-2") == "'-2"  # text stays text, even when it looks like a number
    assert clean_line("a\u200fb\u2067c\u2069") == "a\u200fbc"  # RLM stays, isolates go


def test_csv_shape() -> None:
    rows = read_csv(report_csv(sample_report()))
    assert list(rows[0]) == list(REPORT_CSV_COLUMNS)
    sections = [row["section"] for row in rows]
    assert sections == ["source"] * 3 + ["finding"] * 7 + ["workload"] * 4 + ["unmatched"] * 2
    no_owner = rows[3]
    assert (no_owner["severity"], no_owner["check"], no_owner["task_id"]) == (
        "error",
        "no-owner",
        "c1",
    )
    assert no_owner["task"] == "Skriv nyhedsbrev til december"
    assert no_owner["url"] == "https://trello.com/c/c1" and no_owner["due"] == "2026-12-10"
    assert no_owner["container"] == "Indhold & SoMe" and no_owner["group"] == "Idéer"
    freja = next(r for r in rows if r["section"] == "workload" and r["person"] == "Freja Nørgaard")
    assert (freja["load"], freja["capacity"], freja["utilisation"]) == ("14.5", "10", "1.45")
    assert (freja["status"], freja["tasks"]) == ("over", "12")
    kasper = next(r for r in rows if r["section"] == "workload" and r["person"] == "Kasper Vinther")
    assert (kasper["capacity"], kasper["utilisation"], kasper["status"]) == ("", "", "unmonitored")
    sources = {r["source"]: r for r in rows if r["section"] == "source"}
    assert sources["kampagner"]["status"] == "failed" and "401" in sources["kampagner"]["message"]
    assert sources["drift"]["status"] == "stale since 2026-12-01 07:00 +0100"
    unmatched = [r for r in rows if r["section"] == "unmatched"]
    assert [(r["source"], r["account"], r["person"], r["tasks"]) for r in unmatched] == [
        ("drift", "77001234", "Line Bech", "1"),
        ("indhold", "kasperfoto", "Kasper Vinther", "3"),
    ]


def test_csv_is_neutralised() -> None:
    text = report_csv(hostile_report())
    rows = list(csv.reader(io.StringIO(text)))
    assert len({len(row) for row in rows}) == 1  # CR/LF in a title never splits a row
    cells = [value for row in rows for value in row]
    assert all(not value.startswith(FORMULA_PREFIXES) for value in cells)
    assert "'" + HYPERLINK in cells and "'+cmd" in cells and "'@SUM(A1)" in cells
    assert "'-2+3" in cells and "'=Board" in cells and "'" + EVIL_PERSON in cells
    assert SCRIPT in cells and any(EMOJI in value for value in cells)
    assert not any("\u202e" in value for value in cells)
    records = read_csv(text)
    loads = [float(r["load"]) for r in records if r["section"] == "workload"]
    assert 14.5 in loads and 1.5 in loads  # numbers stay numbers


def test_xlsx_sheets_and_layout() -> None:
    book = read_xlsx(report_xlsx(sample_report()))
    assert book.sheetnames == SHEETS
    for sheet in book:
        assert sheet.freeze_panes is not None and sheet.freeze_panes.endswith("2")
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:")
        assert sheet.column_dimensions["A"].width > 5
    findings = book["Findings"]
    assert [c.value for c in findings[1]] == [
        "severity", "check", "source", "container", "group", "task", "url", "due", "person",
        "message", "suggestion", "since", "new",
    ]  # fmt: skip
    assert findings.max_row == 1 + 7
    first = [c.value for c in findings[2]]
    assert first[:2] == ["error", "no-owner"]
    assert first[7] == datetime(2026, 12, 10)  # a real date
    assert findings["G2"].hyperlink.target == "https://trello.com/c/c1"


def test_xlsx_numbers_stay_numbers() -> None:
    book = read_xlsx(report_xlsx(sample_report()))
    rows = {row[0]: row for row in book["Workload"].iter_rows(min_row=2, values_only=True)}
    assert rows["Freja Nørgaard"][1:6] == (14.5, 10, 1.45, "over", 12)
    assert rows["Kasper Vinther"][2:5] == (None, None, "unmonitored")
    util = book["Workload"]["D2"]
    assert util.data_type == "n" and util.number_format == "0%"
    tasks = {row[3]: row for row in book["Tasks"].iter_rows(min_row=2, values_only=True)}
    assert tasks["c2"][11:15] == (
        "Freja Nørgaard",
        "Jonas Kristensen, Mette Sørensen",
        "Sofie Lund",
        None,
    )
    assert tasks["c2"][15] == "multiple-accountable"
    assert tasks["c4"][8] == datetime(2026, 12, 1) and tasks["c4"][9] == "c2"
    sources = {row[0]: row for row in book["Sources"].iter_rows(min_row=2, values_only=True)}
    assert sources["indhold"][3] == datetime(2026, 12, 7, 6, 58)  # local time, as shown
    assert sources["kampagner"][2] == "failed"


def test_xlsx_is_neutralised(hostile_xlsx: openpyxl.Workbook) -> None:
    strings = []
    for sheet in hostile_xlsx:
        for row in sheet.iter_rows():
            for c in row:
                assert c.data_type != "f", (sheet.title, c.coordinate, c.value)
                if isinstance(c.value, str):
                    assert c.data_type == "s"
                    assert not c.value.startswith(FORMULA_PREFIXES), (sheet.title, c.value)
                    assert "\u202e" not in c.value and "\r" not in c.value
                    strings.append(c.value)
    for expected in ("'" + HYPERLINK, "'+cmd", "'@SUM(A1)", "'-2+3", "'=1+1", "'=Board"):
        assert expected in strings, expected
    assert SCRIPT in strings and "Linje et Linje to" in strings
    assert "'" + EVIL_PERSON in strings  # a person's name
    assert "'" + EVIL_PERSON + " (unmatched)" in strings  # … and the matrix header
    assert "Evil Hat (<b>hat</b>, =hat)" in strings
    assert any(EMOJI in value for value in strings)
    title = next(c for c in hostile_xlsx["Tasks"]["E"] if c.value == "'" + HYPERLINK)
    assert title.data_type == "s"


def test_xlsx_links_only_http(hostile_xlsx: openpyxl.Workbook) -> None:
    tasks = hostile_xlsx["Tasks"]
    links = [c.hyperlink.target for c in tasks["F"] if c.hyperlink is not None]
    assert links and all(link.startswith("https://") for link in links)
    js = next(c for c in tasks["F"] if c.value == "javascript:alert(1)")
    assert js.hyperlink is None and js.data_type == "s"


def test_xlsx_workload_trend_columns() -> None:
    weeks = Trends(
        tuple(
            WeekPoint(
                f"2026-W{46 + n}", date(2026, 11, 9 + 7 * n), 0, {}, {"Freja Nørgaard": n / 2}
            )
            for n in range(4)
        )
    )
    book = read_xlsx(report_xlsx(sample_report(trends=weeks)))
    sheet = book["Workload"]
    header = [c.value for c in sheet[1]]
    assert header[6:] == [f"utilisation 2026-W{w}" for w in (46, 47, 48, 49)]
    freja = next(
        row for row in sheet.iter_rows(min_row=2, values_only=True) if row[0] == "Freja Nørgaard"
    )
    assert freja[6:] == (0, 0.5, 1, 1.5)


def test_empty_report() -> None:
    rows = read_csv(report_csv(empty_report()))
    assert [row["section"] for row in rows] == ["source", "workload"]
    book = read_xlsx(report_xlsx(empty_report()))
    assert book["Findings"].max_row == 1 and book["Unmatched"].max_row == 1


# -- what changed, what was left out, notes, subtasks (issue 11) ------------------------------


def test_csv_lists_ignored_findings_with_their_rule_and_the_notes() -> None:
    rows = read_csv(report_csv(changed_report()))
    sections = [row["section"] for row in rows]
    assert sections[-2:] == ["ignored", "note"]
    ignored = rows[-2]
    assert (ignored["check"], ignored["task_id"], ignored["status"]) == (
        "too-many-consulted",
        "c2",
        "ignored by [[ignore]] 1",
    )
    assert rows[-1]["message"] == NOTE
    assert "ignored" not in {row["section"] for row in read_csv(report_csv(sample_report()))}


def test_xlsx_summary_counts_ignored_and_shows_notes_and_changes() -> None:
    book = read_xlsx(report_xlsx(changed_report()))
    rows = [tuple(r) for r in book["Summary"].iter_rows(min_row=2, values_only=True)]
    assert ("ignored", "1 ignored", IGNORED_WHERE) in rows
    assert ("note", NOTE, None) in rows
    assert any("2 new, 1 resolved, 5 still open since last week" in (r[1] or "") for r in rows)


def test_xlsx_findings_say_since_and_new() -> None:
    book = read_xlsx(report_xlsx(changed_report()))
    rows = list(book["Findings"].iter_rows(min_row=2, values_only=True))
    by_check = {row[1]: row for row in rows}
    assert by_check["no-owner"][11:] == (datetime(2026, 12, 7), "new")
    assert by_check["multiple-accountable"][11:] == (datetime(2026, 11, 9), None)


def test_subtasks_read_parent_then_subtask_in_the_spreadsheets() -> None:
    data = sample_report()
    child = Finding("no-responsible", Severity.ERROR, "x", "indhold", "c4", LONG_TITLE)
    data = replace(data, findings=(child,))
    expected = f"Instagram-kampagne: julekaffe ☕ › {LONG_TITLE}"  # whole, never cut here
    assert next(r for r in read_csv(report_csv(data)) if r["section"] == "finding")["task"] == (
        expected
    )
    book = read_xlsx(report_xlsx(data))
    assert next(book["Findings"].iter_rows(min_row=2, values_only=True))[5] == expected


def test_tasks_sheet_names_a_subtasks_parent() -> None:
    book = read_xlsx(report_xlsx(sample_report()))
    sheet = book["Tasks"]
    header = [c.value for c in sheet[1]]
    assert header[-1] == "parent"
    rows = {row[3]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["c4"][-1] == "Instagram-kampagne: julekaffe ☕" and rows["c4"][4] == LONG_TITLE
    assert rows["c2"][-1] is None
