"""The terminal report: sections in order, aligned workload, failed sources visible."""

from __future__ import annotations

from dataclasses import replace

import click
import pytest

from raci_sync.reports.terminal import render_table
from tests.reports import LONG_TITLE, empty_report, sample_report


@pytest.fixture(scope="module")
def text() -> str:
    return render_table(sample_report())


def _section(text: str, title: str) -> list[str]:
    """The lines of one section, from its title line to the next blank line."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    end = next((i for i in range(start, len(lines)) if not lines[i]), len(lines))
    return lines[start:end]


def test_header_names_window_and_every_source(text: str) -> None:
    header = text.splitlines()
    assert header[0].startswith("RACI report · generated 2026-12-07 07:00 +0100")
    assert "window 2026-12-07 … 2026-12-20" in header[0]
    assert "indhold (trello)" in text and "ok · 5 tasks" in text
    assert "Findings: 3 errors, 2 warnings, 2 info" in text


def test_failed_and_stale_sources_are_shown(text: str) -> None:
    sources = _section(text, "Sources:")
    failed = next(i for i, line in enumerate(sources) if "kampagner (asana)" in line)
    assert sources[failed].endswith("FAILED")
    assert "Asana answered 401" in sources[failed + 1]
    assert any(
        "drift (monday)" in line and "stale since 2026-12-01 07:00" in line for line in sources
    )


def test_findings_grouped_by_severity_errors_first(text: str) -> None:
    positions = [text.index(title) for title in ("ERRORS (3)", "WARNINGS (2)", "INFO (2)")]
    assert positions == sorted(positions)
    errors = _section(text, "ERRORS")
    checks = [line.split()[0] for line in errors[1:] if line.startswith("  ") and line[2] != " "]
    assert checks == ["no-owner", "no-accountable", "multiple-accountable"]


def test_finding_shows_title_location_message_and_suggestion(text: str) -> None:
    errors = _section(text, "ERRORS")
    start = errors.index("  no-owner  Skriv nyhedsbrev til december")
    assert errors[start + 1 : start + 4] == [
        "    indhold › Indhold & SoMe › Idéer",
        "    Nobody is responsible or accountable.",
        "    → suggested A: Mette Sørensen (strategist)",
    ]
    assert "  overloaded  Freja Nørgaard" in text  # a person finding names the person


def test_workload_rows_and_alignment(text: str) -> None:
    table = _section(text, "WORKLOAD")
    assert table[0] == "WORKLOAD (2026-12-07 … 2026-12-20)"
    rows = {line.split("  ")[1].strip(): line.split() for line in table[2:]}
    assert rows["Freja Nørgaard"][2:] == ["14.5", "10", "145%", "over", "12"]
    assert rows["Anders Holm"][2:] == ["12.35", "10", "123%", "critical", "7"]
    assert rows["Mette Sørensen"][2:] == ["3.25", "10", "33%", "ok", "5"]
    assert rows["Kasper Vinther"][2:] == ["2", "—", "—", "unmonitored", "2"]
    # most loaded first, unmonitored last; right-aligned numbers end in one column
    assert [line.split("  ")[1].strip() for line in table[2:]] == [
        "Freja Nørgaard",
        "Anders Holm",
        "Mette Sørensen",
        "Kasper Vinther",
    ]
    assert len({len(line) for line in table[1:]}) == 1
    util_end = table[1].index("Utilisation") + len("Utilisation")
    assert all(line[util_end - 1] in "%—n" for line in table[1:])


def test_unmatched_accounts(text: str) -> None:
    table = _section(text, "UNMATCHED ACCOUNTS")
    assert table[0] == "UNMATCHED ACCOUNTS (2)"
    assert table[1].split() == ["Source", "Account", "Name", "Tasks"]
    assert table[3].split() == ["indhold", "kasperfoto", "Kasper", "Vinther", "3"]


def test_lines_fit_and_long_titles_are_cut(text: str) -> None:
    assert max(len(line) for line in text.splitlines()) <= 100
    no_owner = next(f for f in sample_report().findings if f.check == "no-owner")
    long = render_table(sample_report(findings=(replace(no_owner, task=LONG_TITLE),)))
    title_line = next(line for line in long.splitlines() if line.startswith("  no-owner"))
    assert len(title_line) == 100 and title_line.endswith("…")


def test_hostile_title_cannot_break_lines_or_emit_escapes() -> None:
    data = sample_report()
    hostile = "Evil\x1b[2J title\nsecond line\r\tend"
    tasks = tuple(
        replace(task, title=hostile) if task.id == "1234567890" else task for task in data.tasks
    )
    out = render_table(sample_report(tasks=tasks))
    assert "\x1b" not in out
    assert "  no-accountable  Evil[2J title second line end" in out


def test_colour_only_when_asked(text: str) -> None:
    coloured = render_table(sample_report(), color=True)
    assert "\x1b[" not in text
    assert "\x1b[" in coloured
    assert click.unstyle(coloured) == text


def test_empty_report_says_so() -> None:
    out = render_table(empty_report())
    assert "No findings: every open task has an owner" in out
    assert "UNMATCHED ACCOUNTS: none" in out
    assert "ERRORS" not in out
