"""The Markdown report: well-formed GFM tables that no task title can break."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from raci_sync.model import Finding, Severity
from raci_sync.reports.markdown import escape, link, render_markdown
from tests.reports import LONG_TITLE, changed_report, empty_report, sample_report

HOSTILE = "a|b [x](javascript:alert(1)) <script>\nnext"
UNESCAPED_PIPE = re.compile(r"(?<!\\)(?:\\\\)*\|")


@pytest.fixture(scope="module")
def text() -> str:
    return render_markdown(sample_report())


def _cells(row: str) -> int:
    """Cells in a GFM table row: unescaped pipes minus one."""
    return len(UNESCAPED_PIPE.findall(row)) - 1


def _tables(text: str) -> list[list[str]]:
    tables: list[list[str]] = []
    previous = ""
    for line in text.splitlines():
        if line.startswith("|"):
            if not previous.startswith("|"):
                tables.append([])
            tables[-1].append(line)
        previous = line
    return tables


def _assert_well_formed(text: str) -> None:
    for table in _tables(text):
        width = _cells(table[0])
        assert re.fullmatch(r"\|( -{3}:? \|)+", table[1]), table[1]
        assert all(_cells(row) == width for row in table), table


def test_sections_in_order(text: str) -> None:
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings == [
        "# RACI report",
        "### Sources",
        "## Findings",
        "### Errors (3)",
        "### Warnings (2)",
        "### Info (2)",
        "## Workload",
        "## Unmatched accounts",
    ]
    assert "- **Findings:** 3 errors, 2 warnings, 2 info" in text
    assert "- **Tasks:** 6 (4 open)" in text


def test_tables_are_well_formed(text: str) -> None:
    _assert_well_formed(text)
    assert len(_tables(text)) == 6


def test_findings_link_to_tasks(text: str) -> None:
    row = next(line for line in text.splitlines() if line.startswith("| `no-owner`"))
    assert row == (
        "| `no-owner` | [Skriv nyhedsbrev til december](https://trello.com/c/c1) "
        "| indhold › Indhold & SoMe › Idéer | Nobody is responsible or accountable. "
        "| suggested A: Mette Sørensen (strategist) |"
    )


def test_sources_show_failure_and_staleness(text: str) -> None:
    failed = next(line for line in text.splitlines() if line.startswith("| kampagner"))
    assert "**failed**" in failed and "Asana answered 401" in failed
    assert "$ASANA\\_TOKEN" in failed
    assert "**stale since 2026-12-01 07:00 +0100**" in text


def test_workload_table(text: str) -> None:
    lines = text.splitlines()
    start = lines.index("| Person | Load | Capacity | Utilisation | Status | Open tasks |")
    assert lines[start + 1] == "| --- | ---: | ---: | ---: | --- | ---: |"
    assert lines[start + 2] == "| Freja Nørgaard | 14.5 | 10 | 145% | **over** | 12 |"
    assert "| Kasper Vinther | 2 | — | — | unmonitored | 2 |" in lines


def test_hostile_title_is_escaped() -> None:
    data = sample_report()
    tasks = tuple(replace(t, title=HOSTILE) if t.id == "c1" else t for t in data.tasks)
    findings = tuple(replace(f, task=HOSTILE) if f.task_id == "c1" else f for f in data.findings)
    out = render_markdown(replace(data, tasks=tasks, findings=findings))
    _assert_well_formed(out)
    assert not re.search(r"(?<!\\)<script", out)  # "\<" renders as a literal "<"
    assert not re.search(r"(?<!\\)\]\(javascript:", out)  # no link to javascript:
    expected = r"a\|b \[x\](javascript:alert(1)) \<script\> next"
    assert f"[{expected}](https://trello.com/c/c1)" in out
    assert not any(line.startswith("next") for line in out.splitlines())


def test_escape_covers_markup() -> None:
    assert escape("`code` *b* _i_ ~s~ \\ x") == r"\`code\` \*b\* \_i\_ \~s\~ \\ x"
    assert escape("a\r\nb\tc") == "a b c"
    assert escape("Indhold & SoMe &amp; &#60;") == r"Indhold & SoMe \&amp; \&#60;"
    assert escape(None) == ""


def test_links_only_for_web_urls() -> None:
    assert link("x", "javascript:alert(1)") == "x"
    assert link("x", None) == "x"
    assert link("x", "https://e.com/a b|c)(d<e>") == "[x](https://e.com/a%20b%7Cc%29%28d%3Ce%3E)"
    assert link("", "https://e.com") == "[—](https://e.com)"


def test_empty_report_says_so() -> None:
    out = render_markdown(empty_report())
    assert "No findings: every open task has an owner" in out
    assert "### Errors" not in out
    assert "None: every account matched someone on the roster." in out
    _assert_well_formed(out)


def test_what_changed_ignored_notes_and_marks() -> None:
    text = render_markdown(changed_report())
    assert "- **Findings:** 3 errors, 2 warnings, 2 info; 1 ignored" in text
    assert "- **Changes:** 2 new, 1 resolved, 5 still open since last week" in text
    assert "[Skriv nyhedsbrev til december](https://trello.com/c/c1) **new** |" in text
    assert "(https://trello.com/c/c2) **open 4 weeks** |" in text
    assert text.rstrip().endswith("## Notes\n\n- \\[\\[ignore\\]\\] 0 (task = 'c77') matches no task: "
                                  "remove it, or correct the id")  # fmt: skip
    plain = render_markdown(sample_report())
    assert "- **Changes:** no earlier week to compare with" in plain
    assert "## Notes" not in plain and "ignored" not in plain


def test_subtasks_show_their_parent_and_the_title_is_not_repeated() -> None:
    data = sample_report()
    text = f"'{LONG_TITLE}' (indhold) has no Responsible"
    child = Finding("no-responsible", Severity.ERROR, text, "indhold", "c4", LONG_TITLE)
    out = render_markdown(replace(data, findings=(child,)))
    assert "[Instagram-kampagne: julekaffe ☕ › Fotoshoot til forårskampagnen" in out
    assert "| Has no Responsible |" in out and out.count("Fotoshoot til") == 1
