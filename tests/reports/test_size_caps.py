"""Reports stay small whatever the tools hold (issue 9, items 17 and 18).

One card with 50,000 members once made `report -f html` a 162 MB page (the matrix capped rows,
not people columns), and five one-megabyte titles a 25 MB email the SMTP server refused. Sizes
are asserted, not timings: every output here is bounded by the caps, not by the data.
"""

from __future__ import annotations

import csv
import io
import json
import random
import string
from dataclasses import replace

import openpyxl
import pytest

from raci_sync.config import EmailConfig
from raci_sync.model import (
    Assignment,
    Finding,
    Person,
    ReportData,
    Severity,
    UnmatchedAccount,
    WorkloadLine,
)
from raci_sync.reports.common import TEXT_CHARS, TITLE_CHARS
from raci_sync.reports.email.message import build_email
from raci_sync.reports.html import MATRIX_HTML_PEOPLE, render_html, render_matrix_page
from raci_sync.reports.markdown import render_markdown
from raci_sync.reports.render import render_matrix, render_report
from raci_sync.reports.sanitize import XLSX_MAX_TEXT
from raci_sync.reports.spreadsheet import XLSX_MAX_COLUMNS, matrix_csv, matrix_xlsx
from raci_sync.reports.terminal import MATRIX_TEXT_PEOPLE, matrix_text, render_table
from tests.reports import FREJA, SOURCES, _trello, sample_report

MEMBERS = 5_000
MB = 1_000_000
CONFIG = EmailConfig(sender="RACI <raci@nordlyskaffe.dk>", to=("marketing@nordlyskaffe.dk",))


def crowded() -> ReportData:
    """One card that every one of MEMBERS accounts (nobody on the roster) is a member of."""
    base = sample_report(sources=SOURCES[:1])
    keys = [f"indhold:m{n:05d}" for n in range(MEMBERS)]
    card = _trello("crowd", "Kortet med alle", "I gang")
    return replace(
        base,
        tasks=(*base.tasks, card),
        people=(*base.people, *(Person(k, f"Medlem {k[-5:]}", matched=False) for k in keys)),
        assignments=(
            *base.assignments,
            *(Assignment("indhold", "crowd", k, f"Medlem {k[-5:]}", "R", "members") for k in keys),
        ),
        workload=(
            *base.workload,
            *(WorkloadLine(k, 1.0, None, None, "unmonitored", 1) for k in keys),
        ),
        unmatched=tuple(UnmatchedAccount("indhold", k[-5:], f"Medlem {k[-5:]}", 1) for k in keys),
    )


def huge_title(seed: int) -> str:
    """One megabyte of words that do not compress away (as real titles would not)."""
    rng = random.Random(seed)
    return " ".join("".join(rng.choices(string.ascii_letters, k=7)) for _ in range(MB // 8))


TITLES = [huge_title(n) for n in range(5)]


def long_titles() -> ReportData:
    """Five tasks with one-megabyte titles (and URLs), each without an owner."""
    base = sample_report(sources=SOURCES[:1])
    tasks = [
        replace(_trello(f"big{n}", title, "I gang"), url="https://trello.com/c/" + "x" * MB)
        for n, title in enumerate(TITLES)
    ]
    findings = [
        Finding(
            "no-owner",
            Severity.ERROR,
            f"'{task.title}' (indhold) has no owner.",
            "indhold",
            task.id,
            task.title,
            suggestion="suggested R: " + "y" * MB,
        )
        for task in tasks
    ]
    assignments = [Assignment("indhold", t.id, FREJA, "Freja Nørgaard", "C", "x") for t in tasks]
    return replace(
        base,
        tasks=(*base.tasks, *tasks),
        findings=(*base.findings, *findings),
        assignments=(*base.assignments, *assignments),
    )


@pytest.fixture(scope="module")
def many_people() -> ReportData:
    return crowded()


@pytest.fixture(scope="module")
def big_titles() -> ReportData:
    return long_titles()


# -- people columns -----------------------------------------------------------------------


def test_html_matrix_caps_people_columns(many_people: ReportData) -> None:
    page = render_matrix_page(many_people)
    assert len(page) < 300_000
    assert page.count('<th class="person') == MATRIX_HTML_PEOPLE
    hidden = len(many_people.people) - MATRIX_HTML_PEOPLE
    assert f"Showing the first {MATRIX_HTML_PEOPLE} of {len(many_people.people)} people" in page
    assert f"and {hidden} more — the CSV matrix holds them all" in page


def test_html_report_stays_small_with_many_people(many_people: ReportData) -> None:
    page = render_html(many_people)
    assert len(page) < 1_000_000
    assert page.count('<th class="person') == MATRIX_HTML_PEOPLE
    assert "more people — see the CSV or XLSX report" in page  # the workload table is capped
    assert "more accounts — see the CSV or XLSX report" in page  # and so are unmatched accounts
    assert f"{MEMBERS} accounts matched nobody on the roster" in page


def test_terminal_matrix_caps_people_columns(many_people: ReportData) -> None:
    text = matrix_text(many_people, width=100)
    header = text.splitlines()[1].split()
    assert 3 < len(header) <= 3 + MATRIX_TEXT_PEOPLE
    assert max(len(line) for line in text.splitlines()) <= 100
    assert len(text) < 20_000
    people = len(many_people.people)
    assert f"and {len(header) - 3} of {people} people (those with letters first)" in text
    assert " ".join(text.split()).endswith("raci matrix -f xlsx -o matrix.xlsx (or -f csv).")
    assert render_matrix(many_people, "table", width=100) == text


def test_csv_matrix_holds_every_person(many_people: ReportData) -> None:
    header = next(csv.reader(io.StringIO(matrix_csv(many_people))))
    assert len(header) == 6 + len(many_people.people)


def test_xlsx_matrix_says_where_the_people_past_excels_last_column_are() -> None:
    keys = [f"indhold:m{n:05d}" for n in range(XLSX_MAX_COLUMNS)]
    data = replace(
        sample_report(sources=SOURCES[:1], people=()),
        tasks=(_trello("crowd", "Kortet med alle", "I gang"),),
        assignments=tuple(Assignment("indhold", "crowd", k, k, "R", "members") for k in keys),
    )
    book = openpyxl.load_workbook(io.BytesIO(matrix_xlsx(data)), read_only=True)
    header = next(book["Matrix"].iter_rows(max_row=1, values_only=True))
    book.close()
    assert len(header) == XLSX_MAX_COLUMNS
    assert header[-1] == "… and 7 more people: the CSV matrix holds them all"


# -- long titles --------------------------------------------------------------------------


def test_email_with_huge_titles_stays_small(big_titles: ReportData) -> None:
    msg = build_email(big_titles, CONFIG)
    assert msg is not None
    size = len(msg.as_bytes())
    assert size < 1_000_000, size  # it was 25 MB
    text, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert text is not None and html is not None
    for body in (text.get_content(), html.get_content()):
        assert len(body) < 100_000
        assert TITLES[0][: TITLE_CHARS - 1].rstrip() + "…" in body
        assert TITLES[0][:TITLE_CHARS] not in body
        assert "https://trello.com/c/xxxx" not in body  # a megabyte URL is no link


@pytest.mark.parametrize("fmt", ["html", "markdown", "table"])
def test_reports_cut_titles_and_messages(big_titles: ReportData, fmt: str) -> None:
    out = render_report(big_titles, fmt, width=100)
    assert isinstance(out, str)
    assert len(out) < 200_000
    assert TITLES[0][:TITLE_CHARS] not in out  # not in the title, nor in the message
    assert "y" * TEXT_CHARS not in out and "y" * 90 in out  # the suggestion, cut later
    assert out.count("y" * 90) <= 5 * 6  # five suggestions of at most 500 characters
    assert TITLES[0][:80] in out  # the start of the title is there


def test_html_matrix_page_cuts_titles(big_titles: ReportData) -> None:
    page = render_matrix_page(big_titles)
    assert len(page) < 100_000
    assert TITLES[1][: TITLE_CHARS - 1].rstrip() + "…" in page


def test_machine_formats_keep_the_whole_title(big_titles: ReportData) -> None:
    doc = json.loads(render_report(big_titles, "json"))
    assert {t["title"] for t in doc["tasks"]} >= set(TITLES)
    csv_text = render_report(big_titles, "csv")
    assert isinstance(csv_text, str) and all(title in csv_text for title in TITLES)
    xlsx = render_report(big_titles, "xlsx")
    assert isinstance(xlsx, bytes)
    book = openpyxl.load_workbook(io.BytesIO(xlsx), read_only=True)
    titles = [row[4] for row in book["Tasks"].iter_rows(min_row=2, values_only=True)]
    book.close()
    assert TITLES[2][:XLSX_MAX_TEXT] in titles  # all Excel holds in a cell


def test_markdown_and_terminal_still_name_the_title(big_titles: ReportData) -> None:
    assert TITLES[3][:100] in render_markdown(big_titles)
    table = render_table(big_titles, width=100)
    assert max(len(line) for line in table.splitlines()) <= 100
