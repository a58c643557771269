"""The terminal report: sections in order, aligned workload, failed sources visible; the width
of the terminal (80 and 120 columns, $COLUMNS, else 100), titles cut and never repeated, OSC 8
hyperlinks only when asked; one person's view; the matrix as a readable slice."""

from __future__ import annotations

import os
import re
from dataclasses import replace

import click
import pytest

from raci_sync.model import (
    Assignment,
    Finding,
    LoadItem,
    Person,
    ReportData,
    Severity,
    SourceStatus,
    Task,
    UnmatchedAccount,
    WorkloadLine,
)
from raci_sync.reports.terminal import (
    cell_width,
    matrix_text,
    render_person,
    render_table,
    supports_hyperlinks,
    terminal_width,
)
from raci_sync.sync import ReportFilter
from tests.reports import (
    LONG_TITLE,
    NOTE,
    _trello,
    changed_report,
    empty_report,
    sample_report,
)

OSC8 = re.compile(r"\x1b\]8;;[^\x1b]*\x1b\\(.*?)\x1b\]8;;\x1b\\")


@pytest.fixture(scope="module")
def text() -> str:
    return render_table(sample_report(), width=100)


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
    long = render_table(sample_report(findings=(replace(no_owner, task=LONG_TITLE),)), width=100)
    title_line = next(line for line in long.splitlines() if line.startswith("  no-owner"))
    assert len(title_line) == 100 and title_line.endswith("…")


def test_hostile_title_cannot_break_lines_or_emit_escapes() -> None:
    data = sample_report()
    hostile = "Evil\x1b[2J title\nsecond line\r\tend"
    tasks = tuple(
        replace(task, title=hostile) if task.id == "1234567890" else task for task in data.tasks
    )
    out = render_table(sample_report(tasks=tasks), width=100)
    assert "\x1b" not in out
    assert "  no-accountable  Evil[2J title second line end" in out


def test_colour_only_when_asked(text: str) -> None:
    coloured = render_table(sample_report(), color=True, width=100)
    assert "\x1b[" not in text
    assert "\x1b[" in coloured
    assert click.unstyle(coloured) == text


def test_empty_report_says_so() -> None:
    out = render_table(empty_report(), width=100)
    assert "No findings: every open task has an owner" in out
    assert "UNMATCHED ACCOUNTS: none" in out
    assert "ERRORS" not in out


# -- the terminal's width (PRODUCT §12: $COLUMNS, else the terminal's width, else 100) -------


def test_width_is_columns_else_the_terminal_else_100(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    assert terminal_width() == 120
    monkeypatch.delenv("COLUMNS")
    monkeypatch.setattr(os, "get_terminal_size", lambda *_: os.terminal_size((132, 40)))
    assert terminal_width() == 132

    def no_terminal(*_: object) -> os.terminal_size:
        raise OSError("not a terminal")

    monkeypatch.setattr(os, "get_terminal_size", no_terminal)
    assert terminal_width() == 100
    monkeypatch.setenv("COLUMNS", "80")
    assert max(cell_width(line) for line in render_table(changed_report()).splitlines()) <= 80


def hostile_widths() -> ReportData:
    """The report after a week, with a subtask's finding, a long title and wide characters."""
    data = changed_report()
    long = Finding(
        "no-responsible",
        Severity.ERROR,
        f"'{LONG_TITLE}' (indhold) has no Responsible",
        source="indhold",
        task_id="c4",
        task=LONG_TITLE,
    )
    wide = WorkloadLine("indhold:kaffe", 1.0, None, None, "unmonitored", 1)
    people = (*data.people, Person("indhold:kaffe", "Kaffe ☕☕ Jensen 👩🏽‍💻", matched=False))
    return replace(
        data,
        findings=(*data.findings, long),
        workload=(*data.workload, wide),
        people=people,
    )


@pytest.mark.parametrize("width", [80, 120])
def test_every_line_fits_the_width(width: int) -> None:
    data = hostile_widths()
    outputs = {
        "report": render_table(data, width=width),
        "person": render_person(mapped(data), "Freja Nørgaard", width=width),
        "matrix": matrix_text(data, width=width),
    }
    for name, out in outputs.items():
        widest = max(cell_width(line) for line in out.splitlines())
        assert widest <= width, (name, widest)
    report = outputs["report"]
    subject = next(line for line in report.splitlines() if line.startswith("  no-responsible"))
    assert cell_width(subject) >= width - 1 and subject.endswith("…")  # cut at the edge


@pytest.mark.parametrize("width", [80, 120])
def test_columns_line_up_with_wide_characters(width: int) -> None:
    table = _section(render_table(hostile_widths(), width=width), "WORKLOAD")
    assert any("Kaffe ☕☕ Jensen" in line for line in table)

    def load_ends(line: str) -> int:  # the cell where the Load column ends
        name_end = line.index("  ", 2)
        start = len(line) - len(line[name_end:].lstrip())
        return cell_width(line[: line.index(" ", start) if " " in line[start:] else len(line)])

    assert len({load_ends(line) for line in table[1:]}) == 1, table
    assert len({cell_width(line) for line in table[1:]}) == 1, table  # every row as wide


def test_a_cut_title_is_not_repeated_in_the_message_line() -> None:
    out = render_table(hostile_widths(), width=80)
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("  no-responsible"))
    assert lines[at + 1] == "    indhold › Indhold & SoMe › I gang"
    assert lines[at + 2] == "    Has no Responsible"  # not "'Fotoshoot til …' (indhold) has …"
    assert out.count("Fotoshoot til forårskampagnen") == 1


def test_subtasks_show_their_parent() -> None:
    out = render_table(hostile_widths(), width=120)
    subject = next(line for line in out.splitlines() if line.startswith("  no-responsible"))
    assert subject.startswith("  no-responsible  Instagram-kampagne: julekaffe ☕ › Fotoshoot til")


def test_never_none() -> None:
    data = sample_report(
        sources=(SourceStatus("x", "trello", "ok", None, 0),),
        tasks=(Task("x", "t1", "Uden alt"), Task("x", "t2", "Barn", parent_id="t1")),
        assignments=(Assignment("x", "t2", "x:1", "", "R", "members"),),
        findings=(
            Finding("no-owner", Severity.ERROR, "no owner", "x", "t1"),
            Finding("unmatched-person", Severity.WARNING, "who?", person="x:404"),
        ),
        workload=(WorkloadLine("x:1", 1.0, None, None, "unmonitored", 1),),
        unmatched=(UnmatchedAccount("x", "1", None, 1),),
        people=(),
    )
    for out in (
        render_table(data, width=80),
        render_person(data, "x:1", width=80),
        matrix_text(data, width=80),
    ):
        assert "None" not in out, out


def test_what_changed_what_was_ignored_and_notes() -> None:
    out = render_table(changed_report(), width=100)
    assert "Findings: 3 errors, 2 warnings, 2 info; 1 ignored" in out
    assert "Changes: 2 new, 1 resolved, 5 still open since last week." in out
    assert "  no-owner  Skriv nyhedsbrev til december  new" in out
    assert "  multiple-accountable  Instagram-kampagne: julekaffe ☕  open 4 weeks" in out
    assert "  no-accountable  Årsplan 2027\n" in out  # open a week: neither new nor chronic
    notes = _section(out, "NOTES")
    assert notes == ["NOTES (1)", f"  - {NOTE}"]
    plain = render_table(sample_report(), width=100)
    assert "Changes: no earlier week to compare with." in plain
    assert "ignored" not in plain and "NOTES" not in plain


def test_hyperlinks_only_when_asked() -> None:
    data = changed_report()
    plain = render_table(data, width=100)
    linked = render_table(data, width=100, links=True)
    assert "\x1b]8" not in plain
    start = "\x1b]8;;https://trello.com/c/c1\x1b\\"
    assert f"{start}Skriv nyhedsbrev til december\x1b]8;;\x1b\\" in linked
    assert OSC8.sub(r"\1", linked) == plain  # the links take no room: the layout is the same


def test_only_web_urls_become_hyperlinks() -> None:
    data = sample_report()
    tasks = tuple(
        replace(t, url="javascript:alert(1)\x1b]8;;x") if t.id == "c1" else t for t in data.tasks
    )
    linked = render_table(sample_report(tasks=tasks), width=100, links=True)
    assert "javascript" not in linked and "\x1b]8;;https://trello.com/c/c2" in linked


@pytest.mark.parametrize(
    ("env", "supported"),
    [
        ({}, False),
        ({"TERM": "xterm-256color"}, False),  # unknown: no escape sequences it might print
        ({"TERM_PROGRAM": "iTerm.app"}, True),
        ({"TERM_PROGRAM": "vscode"}, True),
        ({"WT_SESSION": "1"}, True),
        ({"VTE_VERSION": "7600"}, True),
        ({"VTE_VERSION": "4200"}, False),
        ({"TERM": "xterm-kitty"}, True),
        ({"TERM_PROGRAM": "iTerm.app", "CI": "true"}, False),
        ({"TERM": "dumb", "WT_SESSION": "1"}, False),
        ({"FORCE_HYPERLINK": "1", "TERM": "dumb"}, True),
        ({"FORCE_HYPERLINK": "0", "TERM_PROGRAM": "iTerm.app"}, False),
    ],
)
def test_which_terminals_get_hyperlinks(env: dict[str, str], supported: bool) -> None:
    assert supports_hyperlinks(env) is supported


# -- one person (raci report --person NAME) ----------------------------------------------------


def mapped(data: ReportData) -> ReportData:
    """``data`` as the mapping makes it: workload lines and findings name people by name (the
    sample report uses person keys), narrowed to Freja as ``--person`` does."""
    names = data.person_names
    lines = tuple(replace(w, person=names.get(w.person, w.person)) for w in data.workload)
    findings = tuple(
        replace(f, person=names.get(f.person, f.person) if f.person else None)
        for f in data.findings
    )
    new = tuple((c, s, t, names.get(p, p) if p else None) for c, s, t, p in data.changes.new)
    changes = replace(data.changes, new=new)
    return ReportFilter(people=("Freja Nørgaard",)).apply(
        replace(data, workload=lines, findings=findings, changes=changes)
    )


def test_one_persons_view() -> None:
    out = render_person(mapped(changed_report()), "freja nørgaard", width=100)
    lines = out.splitlines()
    top = lines.index("Freja Nørgaard · social-media, content-producer")
    assert lines[top + 1] == (
        "Load 14.5 of 10 (145%) · over · 12 open tasks in 2026-12-07 … 2026-12-20"
    )
    assert lines[top + 2] == "By tool: indhold (Trello) 9 · kampagner (Asana) 5.5"
    assert lines[0].startswith("Missing data: 2 of 3 sources")  # missing data comes first
    tasks = _section(out, "TASKS BEHIND THE LOAD")
    assert tasks[0] == "TASKS BEHIND THE LOAD (4)"
    assert tasks[1].split() == ["Load", "Role", "Effort", "Due", "Source", "Task"]
    assert tasks[2].split()[:5] == ["6", "R", "6", "2026-12-14", "indhold"]
    assert [row.split()[0] for row in tasks[2:]] == ["6", "4", "3", "1.5"]  # largest first
    assert tasks[5].split()[3] == "—"  # no due date
    findings = out[out.index("FINDINGS (") :]
    assert findings.startswith("FINDINGS (2) about Freja Nørgaard or on tasks they are A or R on")
    assert "  overloaded  Freja Nørgaard  new" in findings
    assert "multiple-accountable  Instagram-kampagne: julekaffe ☕  open 4 weeks" in findings
    assert "no-owner" not in findings  # nobody holds c1


def test_one_persons_view_of_someone_without_load_or_findings() -> None:
    data = ReportFilter(people=("Sofie Lund",)).apply(replace(sample_report(), findings=()))
    out = render_person(data, "Sofie Lund", width=80)
    assert out.startswith("Missing data") and "Sofie Lund · analyst" in out
    assert "No open task in 2026-12-07 … 2026-12-20 weighs on Sofie Lund." in out
    assert "None: nothing found about Sofie Lund or on a task they are A or R on." in out
    assert "TASKS BEHIND THE LOAD" not in out


def test_a_long_task_list_is_capped_and_says_where_the_rest_is() -> None:
    items = tuple(
        LoadItem("indhold", f"t{n}", f"Opgave {n:02d}", "R", 1.0, 1.0, None) for n in range(60)
    )
    line = WorkloadLine("Freja Nørgaard", 60.0, 10.0, 6.0, "critical", 60, {"indhold": 60}, items)
    out = render_person(sample_report(workload=(line,)), "Freja Nørgaard", width=100)
    assert "TASKS BEHIND THE LOAD (60)" in out and "Opgave 49" in out and "Opgave 50" not in out
    assert '… and 10 more: raci report -f json --person "Freja Nørgaard" lists them all.' in out


# -- the matrix ------------------------------------------------------------------------------


def test_matrix_slice_people_with_letters_and_tasks_with_findings_first() -> None:
    out = matrix_text(sample_report(), width=100)
    lines = out.splitlines()
    assert lines[0] == "RACI matrix · 4 tasks × 6 people"
    assert lines[1].split() == ["!", "Task", "Source", "MS", "FN", "JK", "AH", "SL", "KV"]
    rows = [line.split("  ")[0:3] for line in lines[2:6]]
    flagged = [line[2] == "!" for line in lines[2:6]]
    assert flagged == [True, True, True, False] and rows  # c4 has no finding: last
    assert "Instagram-kampagne:… › Fotoshoot til" in lines[5]  # its parent, cut first
    assert "MS Mette Sørensen (strategist) · FN Freja Nørgaard" in out
    assert "Showing" not in out  # nothing left out
    assert " ".join(out.split()).endswith(
        "The whole matrix, with board, list, state and due date: "
        "raci matrix -f xlsx -o matrix.xlsx (or -f csv)."
    )


def test_matrix_on_a_narrow_terminal_says_how_to_get_the_whole() -> None:
    out = matrix_text(sample_report(), width=50)
    header = out.splitlines()[1].split()
    assert header[:3] == ["!", "Task", "Source"] and 0 < len(header) - 3 < 6
    assert "(those with letters first)" in out
    assert " ".join(out.split()).endswith("raci matrix -f xlsx -o matrix.xlsx (or -f csv).")
    assert max(cell_width(line) for line in out.splitlines()) <= 50


def test_matrix_rows_are_capped() -> None:
    tasks = tuple(_trello(f"m{n:02d}", f"Opgave {n:02d}", "I gang") for n in range(30))
    out = matrix_text(sample_report(tasks=tasks, findings=()), width=100, max_rows=10)
    assert "Opgave 09" in out and "Opgave 10" not in out
    assert "Showing 10 of 30 tasks (those with findings first) and 6 of 6 people" in out
    assert "raci matrix -f xlsx -o matrix.xlsx (or -f csv)." in " ".join(out.split())


def test_matrix_hyperlinks_only_when_asked() -> None:
    assert "\x1b" not in matrix_text(sample_report(), width=100)
    linked = matrix_text(sample_report(), width=100, links=True)
    assert "\x1b]8;;https://trello.com/c/c1\x1b\\Skriv nyhedsbrev til december" in linked
    assert OSC8.sub(r"\1", linked) == matrix_text(sample_report(), width=100)
