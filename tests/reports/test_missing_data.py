"""Missing data is the loudest thing in every output (PRODUCT §9, §12): the sources whose data
is missing, failed or stale come first, before the summary, with their tool, why and since when;
no data at all is RED "no data", never an all-clear."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import datetime

import openpyxl
import pytest

from raci_sync.config import EmailConfig
from raci_sync.model import ReportData, SourceStatus
from raci_sync.reports.email.message import build_email
from raci_sync.reports.html import render_html
from raci_sync.reports.markdown import render_markdown
from raci_sync.reports.spreadsheet import report_csv, report_xlsx
from raci_sync.reports.summary import rag_reason, rag_status, summary_lines
from raci_sync.reports.terminal import render_table
from tests.reports import CPH, SOURCES, empty_report, sample_report

CONFIG = EmailConfig(sender="RACI <raci@nordlyskaffe.dk>", to=("marketing@nordlyskaffe.dk",))
ALL_CLEAR = ("Every open task has a clear owner", "Nobody is over capacity", "All clear")
FAILED_AT = datetime(2026, 12, 6, 7, 0, tzinfo=CPH)


def one_failed() -> ReportData:
    """A clean week, except that the source's last sync failed (its older data is shown)."""
    failed = replace(
        SOURCES[0], status="failed", error="Trello answered 401", stale_since=FAILED_AT
    )
    return replace(empty_report(), sources=(failed,))


def no_data() -> ReportData:
    """Nothing was ever read: one source never synced, one failed at its first sync."""
    sources = (
        SourceStatus("indhold", "trello", "never", None, 0, kind_title="Trello"),
        SourceStatus("kampagner", "asana", "failed", None, 0, "Asana answered 401", None, "Asana"),
    )
    return replace(
        empty_report(), sources=sources, tasks=(), assignments=(), workload=(), findings=()
    )


def bodies(data: ReportData, config: EmailConfig = CONFIG) -> tuple[str, str, str]:
    msg = build_email(data, config, attach_matrix=False)
    assert msg is not None
    text, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert text is not None and html is not None
    return msg["Subject"], text.get_content(), html.get_content()


# -- the status ---------------------------------------------------------------------------


def test_no_data_is_red_no_data_and_never_all_clear() -> None:
    data = no_data()
    assert data.no_data
    assert rag_status(data) == "red" and rag_reason(data) == "no data"
    lines = summary_lines(data)
    assert len(lines) == 3 and lines[0].startswith("Red: no data")
    assert not any(phrase in line for line in lines for phrase in ALL_CLEAR)
    nothing = replace(no_data(), sources=())  # no source configured at all
    assert rag_status(nothing) == "red" and rag_reason(nothing) == "no data"


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        ("failed", "1 source failed"),
        ("stale", "1 source stale"),
        ("never", "1 source never synced"),
    ],
)
def test_any_missing_source_makes_the_status_red(status: str, reason: str) -> None:
    source = SourceStatus("drift", "monday", status, FAILED_AT, 1, kind_title="monday.com")
    data = replace(empty_report(), sources=(SOURCES[0], source))
    assert rag_status(empty_report()) == "green"  # the same week with all its data
    assert rag_status(data) == "red" and rag_reason(data) == reason
    lines = summary_lines(data)
    assert "but data is missing" in lines[1] and "but data is missing" in lines[2]


# -- first in every output, before the summary -------------------------------------------


def test_terminal_lists_missing_sources_first() -> None:
    text = render_table(sample_report())
    missing = text.index("Missing data: 2 of 3 sources")
    assert missing < text.index("Sources:") < text.index("Findings:")
    block = text[missing : text.index("Sources:")]
    assert "kampagner (Asana): the last sync failed; no data from it at all" in block
    assert "drift (monday.com): not synced since 2026-12-01 07:00 +0100" in block
    assert "Missing data" not in render_table(empty_report())


def test_terminal_with_no_data_says_so_and_not_all_clear() -> None:
    text = render_table(no_data())
    assert text.index("No data: none of the 2 sources") < text.index("Sources:")
    assert "indhold (Trello): never synced" in text
    assert "No findings, because there is no data" in text
    assert "every open task has an owner" not in text


def test_html_shows_missing_sources_before_the_summary() -> None:
    page = render_html(sample_report())
    missing = page.index('<div class="missing" id="missing-data">')
    assert missing < page.index('<ul class="summary">')
    assert "Red — 1 source failed, 1 source stale" in page[: page.index("</h1>")]
    block = page[missing : page.index('<ul class="summary">')]
    assert (
        '<td data-label="Source"><bdi>drift</bdi></td><td data-label="Tool">monday.com</td>'
        in block
    )
    assert "2026-12-01 07:00 +0100" in block and "its data is too old to trust" in block
    empty = render_html(no_data())
    assert "Red — no data" in empty and "No findings, because there is no data" in empty
    assert "Every open task has a clear owner" not in empty
    assert 'id="missing-data"' not in render_html(empty_report())


def test_markdown_shows_missing_sources_first() -> None:
    text = render_markdown(sample_report())
    missing = text.index("> **Missing data: 2 of 3 sources.")
    assert missing < text.index("- **Status:** Red — 1 source failed, 1 source stale")
    assert missing < text.index("### Sources") < text.index("## Findings")
    assert "> - **kampagner** (Asana): the last sync failed" in text
    assert "> - **drift** (monday.com): not synced since 2026-12-01 07:00 +0100" in text
    assert "No findings, because there is no data" in render_markdown(no_data())


def test_both_email_parts_open_with_the_failed_source() -> None:
    subject, text, html = bodies(one_failed())
    assert subject == "RACI 2026-W50: RED — 1 source failed"
    for body in (text, html):
        missing = body.index("Missing data: 1 of 1 source.")
        assert missing < body.index("Red: 0 errors")  # before the three-line summary
        assert "indhold" in body[missing:] and "Trello" in body[missing:]
        assert "the last sync failed since 2026-12-06 07:00 +0100" in body
        assert "Trello answered 401" in body
        assert "All clear" not in body
    assert "2026-12-07 06:58 +0100" in html  # since when the data shown is


def test_no_data_email_is_red_no_data_and_never_skipped() -> None:
    subject, text, html = bodies(no_data(), replace(CONFIG, skip_empty=True))
    assert subject == "RACI 2026-W50: RED — no data"
    for body in (text, html):
        assert body.index("No data: none of the 2 sources") < body.index("Red: no data")
        assert "kampagner" in body and "Asana answered 401" in body
        assert not any(phrase in body for phrase in ALL_CLEAR)
        assert "OWNERSHIP ERRORS" not in body and "Ownership errors" not in body


def test_all_clear_email_is_never_chosen_with_missing_data() -> None:
    skip = replace(CONFIG, skip_empty=True)
    assert build_email(empty_report(), skip) is None  # the same week with all its data
    subject, text, _ = bodies(one_failed(), skip)
    assert "all clear" not in subject and "All clear" not in text


def test_spreadsheets_list_missing_sources_first() -> None:
    book = openpyxl.load_workbook(io.BytesIO(report_xlsx(sample_report())), read_only=True)
    summary = [row for row in book["Summary"].iter_rows(min_row=2, values_only=True)]
    sources = [row[0] for row in book["Sources"].iter_rows(min_row=2, values_only=True)]
    book.close()
    assert book.sheetnames[0] == "Summary"
    assert summary[0][:3] == ("status", "Red", "1 source failed, 1 source stale")
    assert summary[1][:2] == ("missing data", "Missing data: 2 of 3 sources. This report cannot "
                              "be trusted until they sync again.")  # fmt: skip
    assert [row[0] for row in summary[2:4]] == ["kampagner (Asana)", "drift (monday.com)"]
    assert summary[4][0] == "summary" and str(summary[4][1]).startswith("Red: 3 errors")
    assert sources == ["kampagner", "drift", "indhold"]
    rows = list(csv.DictReader(io.StringIO(report_csv(sample_report()))))
    assert [r["source"] for r in rows if r["section"] == "source"] == [
        "kampagner",
        "drift",
        "indhold",
    ]
