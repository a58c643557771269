"""On a terminal: the report (header, findings by severity, workload table, unmatched accounts)
and the RACI matrix as plain-text tables."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import click

from raci_sync.model import Finding, ReportData, Severity, SourceStatus, Task
from raci_sync.reports.common import (
    DASH,
    clean_text,
    display_person,
    empty_findings,
    finding_message,
    finding_subject,
    findings_by_severity,
    format_percent,
    format_units,
    human_datetime,
    location,
    plural,
    short_text,
    sorted_workload,
    summary_line,
    truncate,
)
from raci_sync.reports.matrix import matrix_frame, matrix_tasks, person_columns
from raci_sync.reports.sanitize import clean_line
from raci_sync.reports.summary import missing_sources, missing_title

WIDTH = 100
NAME_WIDTH = 28
MATRIX_TEXT_PEOPLE = 40  # people columns of the terminal matrix; the CSV/XLSX hold them all
INDENT = "  "
DETAIL = "    "

SEVERITY_STYLE: dict[Severity, dict[str, Any]] = {
    Severity.ERROR: {"fg": "red", "bold": True},
    Severity.WARNING: {"fg": "yellow", "bold": True},
    Severity.INFO: {"fg": "cyan", "bold": True},
}
STATUS_STYLE: dict[str, dict[str, Any]] = {
    "ok": {"fg": "green"},
    "failed": {"fg": "red", "bold": True},
    "stale": {"fg": "yellow"},
    "over": {"fg": "yellow", "bold": True},
    "critical": {"fg": "red", "bold": True},
    "unmonitored": {"dim": True},
}
SEVERITY_TITLE = {Severity.ERROR: "ERRORS", Severity.WARNING: "WARNINGS", Severity.INFO: "INFO"}


def render_table(data: ReportData, color: bool = False) -> str:
    """The report as plain text for a terminal (lines ≤ 100 characters); ANSI colour if asked."""
    paint = _Painter(color)
    sections = [
        _header(data, paint),
        _findings(data, paint),
        _workload(data, paint),
        _unmatched(data, paint),
    ]
    return "\n\n".join("\n".join(lines) for lines in sections) + "\n"


class _Painter:
    """click.style when colour is on, the text unchanged when it is off."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, **style: Any) -> str:
        return click.style(text, **style) if self.color and style else text


def _header(data: ReportData, paint: _Painter) -> list[str]:
    window = f"{data.window_start.isoformat()} … {data.window_end.isoformat()}"
    lines = [
        paint("RACI report", bold=True)
        + f" · generated {human_datetime(data.generated_at)} · window {window}",
        *_missing(data, paint),
        "Sources:",
    ]
    for source in data.sources:
        lines.extend(_source_lines(source, paint))
    if not data.sources:
        lines.append(f"{INDENT}(none configured)")
    lines.append(f"Findings: {summary_line(data.findings)}")
    return lines


def _missing(data: ReportData, paint: _Painter) -> list[str]:
    """Missing data before anything else: the title, then each source with why and since."""
    title = missing_title(data)
    if not title:
        return []
    lines = [paint(line, fg="red", bold=True) for line in textwrap.wrap(title, WIDTH)]
    for source in missing_sources(data):
        lines.extend(_wrap(f"{source.name} ({source.tool}): {source.why}", INDENT))
    return [*lines, ""]


def _source_lines(source: SourceStatus, paint: _Painter) -> list[str]:
    name = truncate(clean_text(f"{source.name} ({source.kind})"), NAME_WIDTH)
    status = _source_status(source)
    facts = [plural(source.tasks, "task")] if source.status != "failed" else []
    if source.synced_at is not None and source.status != "stale":
        facts.append(f"synced {human_datetime(source.synced_at)}")
    line = INDENT + name.ljust(NAME_WIDTH) + "  " + paint(status, **_status_style(source.status))
    lines = [line + "".join(f" · {fact}" for fact in facts)]
    if source.error:
        lines.extend(_wrap(short_text(source.error), DETAIL))
    return lines


def _source_status(source: SourceStatus) -> str:
    if source.status == "stale":
        return f"stale since {human_datetime(source.synced_at)}"
    if source.status == "failed":
        return "FAILED"
    return source.status


def _status_style(status: str) -> dict[str, Any]:
    return STATUS_STYLE.get(status, {})


def _findings(data: ReportData, paint: _Painter) -> list[str]:
    groups = findings_by_severity(data.findings)
    if not groups:
        return [empty_findings(data.no_data, bool(data.missing))]
    names = data.person_names
    lines: list[str] = []
    for severity, findings in groups:
        if lines:
            lines.append("")
        title = f"{SEVERITY_TITLE[severity]} ({len(findings)})"
        lines.append(paint(title, **SEVERITY_STYLE[severity]))
        for finding in findings:
            task = data.task_of(finding)
            lines.extend(_finding_lines(finding, task, names, paint))
    return lines


def _finding_lines(
    finding: Finding, task: Task | None, names: Mapping[str, str], paint: _Painter
) -> list[str]:
    check = clean_text(finding.check)
    severity = Severity(finding.severity)
    room = WIDTH - len(INDENT) - len(check) - 2
    subject = truncate(finding_subject(finding, task, names), max(room, 10))
    lines = [f"{INDENT}{paint(check, fg=SEVERITY_STYLE[severity]['fg'])}  {subject}"]
    where = location(task, finding.source)
    if where:
        lines.append(DETAIL + truncate(where, WIDTH - len(DETAIL)))
    lines.extend(_wrap(finding_message(finding), DETAIL))
    if finding.suggestion:
        lines.extend(_wrap("→ " + short_text(finding.suggestion), DETAIL))
    return lines


def _wrap(text: str, indent: str) -> list[str]:
    if not text:
        return []
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ")


def _workload(data: ReportData, paint: _Painter) -> list[str]:
    title = paint("WORKLOAD", bold=True)
    if not data.workload:
        return [f"{title}: nobody holds a letter on an open task in the window."]
    names = data.person_names
    rows = [
        [
            truncate(clean_text(display_person(line.person, names)), NAME_WIDTH),
            format_units(line.load),
            format_units(line.capacity),
            format_percent(line.utilisation if line.status != "unmonitored" else None),
            line.status,
            str(line.open_tasks),
        ]
        for line in sorted_workload(data.workload, names)
    ]
    headers = ["Person", "Load", "Capacity", "Utilisation", "Status", "Open tasks"]
    styles = [{4: _status_style(row[4])} for row in rows]
    table = _columns(headers, rows, right={1, 2, 3, 5}, styles=styles, paint=paint)
    return [f"{title} ({data.window_start.isoformat()} … {data.window_end.isoformat()})", *table]


def _unmatched(data: ReportData, paint: _Painter) -> list[str]:
    title = paint("UNMATCHED ACCOUNTS", bold=True)
    if not data.unmatched:
        return [f"{title}: none — every account matched someone on the roster."]
    accounts = sorted(data.unmatched, key=lambda a: (a.source, a.account.casefold()))
    rows = [
        [
            truncate(clean_text(account.source), 20),
            truncate(clean_text(account.account), 24),
            truncate(clean_text(account.name) or DASH, NAME_WIDTH),
            str(account.tasks),
        ]
        for account in accounts
    ]
    table = _columns(["Source", "Account", "Name", "Tasks"], rows, right={3}, paint=paint)
    return [f"{title} ({len(rows)})", *table]


def _columns(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    right: set[int],
    paint: _Painter,
    styles: Sequence[dict[int, dict[str, Any]]] = (),
) -> list[str]:
    """Rows as aligned columns; styles are applied after padding so colour never shifts them."""
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str], style: dict[int, dict[str, Any]]) -> str:
        padded = [
            paint(_pad(cell, widths[i], i in right), **style.get(i, {}))
            for i, cell in enumerate(cells)
        ]
        return (INDENT + "  ".join(padded)).rstrip()

    out = [line(headers, {i: {"underline": True} for i in range(len(headers))})]
    out += [line(row, styles[n] if n < len(styles) else {}) for n, row in enumerate(rows)]
    return out


def _pad(cell: str, width: int, right: bool) -> str:
    return cell.rjust(width) if right else cell.ljust(width)


def matrix_text(
    data: ReportData,
    include_closed: bool = False,
    title_width: int = 48,
    max_people: int = MATRIX_TEXT_PEOPLE,
) -> str:
    """The matrix as a plain-text table for a terminal: every text cleaned to one line of
    printable characters (no terminal escapes, no bidi overrides) and long titles cut; at most
    ``max_people`` people columns, saying how many more the CSV/XLSX matrix holds."""
    tasks = matrix_tasks(data, include_closed)
    if not tasks:
        return "No open tasks." if not include_closed else "No tasks."
    everyone = person_columns(data)
    frame = matrix_frame(data, tasks, everyone[: max(max_people, 0)])
    for column, width in (("container", 24), ("group", 20), ("title", title_width)):
        frame[column] = [truncate(clean_line(str(v)), width) for v in frame[column]]
    frame.columns = [truncate(clean_line(str(c)), 32) for c in frame.columns]
    text = str(frame.to_string(index=False))
    hidden = len(everyone) - max(max_people, 0)
    if hidden > 0:
        text += (
            f"\n… and {plural(hidden, 'more person', 'more people')} not shown: the CSV matrix "
            "holds them all (raci matrix -f csv -o matrix.csv), the XLSX up to 16,384 columns."
        )
    return text
