"""The report as GitHub-flavoured Markdown: summary (with what changed since last week and how
many findings were ignored), findings per severity (new and chronic ones marked, subtasks as
"Parent › Subtask"), workload, unmatched accounts, notes.

Everything that comes from a tool (titles, names, messages) goes through ``escape`` so a task
title can neither break a table nor smuggle in a link or HTML.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

from raci_sync.i18n import N_, Texts, _, local_date, ngettext
from raci_sync.model import Finding, ReportData, Severity, SourceStatus
from raci_sync.reports.common import (
    DASH,
    SOURCE_WORDS,
    STATUS_WORDS,
    TEXT_CHARS,
    TITLE_CHARS,
    URL_CHARS,
    WORKLOAD_HEADERS,
    clean_text,
    display_person,
    empty_findings,
    finding_problem,
    finding_subject,
    findings_by_severity,
    format_percent,
    format_units,
    human_datetime,
    location,
    sorted_workload,
    summary_line,
    truncate,
)
from raci_sync.reports.summary import (
    RAG_LABEL,
    changes_text,
    ignored_text,
    missing_sources,
    missing_title,
    new_keys,
    notes,
    open_weeks_text,
    rag_reason,
    rag_status,
)

# Markdown punctuation that could start a link, emphasis, code or HTML, or split a table cell,
# and an "&" that would start an entity. A backslash before ASCII punctuation always renders
# the character literally (CommonMark §2.4), and GFM honours "\|" inside table cells.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~]|&(?=#?\w+;))")
_CHECK_ID = re.compile(r"[^A-Za-z0-9_.:-]")
# Characters a URL inside ``(...)`` may not carry as they are.
_URL_SAFE = ";/?:@&=+$,-_.!~*'#%"

SEVERITY_TITLE: Texts[Severity] = Texts(
    {Severity.ERROR: N_("Errors"), Severity.WARNING: N_("Warnings"), Severity.INFO: N_("Info")}
)


# What this module writes for people besides the data, in one place (for the translation).
TEXT: Texts[str] = Texts(
    {
        "changes": N_("- **Changes:** {changes}"),
        "findings_ignored": N_(
            "- **Findings:** {counts}; {ignored} (`raci report -f json` lists them)"
        ),
        "findings": N_("- **Findings:** {counts}"),
        "new": N_("new"),
        "notes": N_("## Notes"),
    }
)


def render_markdown(data: ReportData) -> str:
    """The report as GitHub-flavoured Markdown."""
    sections = [
        ["# " + _("RACI report"), "", *_missing(data), *_summary(data)],
        _findings(data),
        _workload(data),
        _unmatched(data),
        _notes(data),
    ]
    return "\n\n".join("\n".join(lines) for lines in sections if lines) + "\n"


def _notes(data: ReportData) -> list[str]:
    found = notes(data)
    if not found:
        return []
    return [TEXT["notes"], "", *(f"- {escape(note)}" for note in found)]


def escape(text: str | None, limit: int = TEXT_CHARS) -> str:
    """Text from a tool made safe for a Markdown table cell: one line, no markup, no HTML, at
    most ``limit`` characters (cut before escaping, so no escape is cut in half)."""
    return _SPECIAL.sub(r"\\\1", truncate(clean_text(text), limit))


def link(title: str, url: str | None) -> str:
    """``[title](url)`` for an http(s) URL; just the escaped title for anything else."""
    text = escape(title, TITLE_CHARS) or DASH
    if not url or len(url) > URL_CHARS or urlsplit(url).scheme.lower() not in ("http", "https"):
        return text
    return f"[{text}]({quote(clean_text(url), safe=_URL_SAFE)})"


def table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], right: Collection[int] = ()
) -> list[str]:
    """A GFM table from already-escaped cells; columns in ``right`` are right-aligned."""
    rule = ["---:" if i in right else "---" for i in range(len(headers))]
    return [_row(headers), _row(rule), *(_row(row) for row in rows)]


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cell or " " for cell in cells) + " |"


def _missing(data: ReportData) -> list[str]:
    """Missing data first, as a quote block: the title, then each source with why and since."""
    title = missing_title(data)
    if not title:
        return []
    lines = [f"> **{escape(title)}**"]
    sources = missing_sources(data)
    if sources:
        lines.append(">")
    for source in sources:
        lines.append(f"> - **{escape(source.name)}** ({escape(source.tool)}): {escape(source.why)}")
    return [*lines, ""]


def _summary(data: ReportData) -> list[str]:
    window = f"{local_date(data.window_start)} – {local_date(data.window_end)}"
    open_tasks = sum(1 for task in data.tasks if task.is_open)
    rag = RAG_LABEL[rag_status(data)]
    reason = rag_reason(data)
    lines = [
        _("- **Status:** {status}").format(status=rag) + (f" — {escape(reason)}" if reason else ""),
        _("- **Generated:** {when}").format(when=human_datetime(data.generated_at)),
        _("- **Window:** {window}").format(window=window),
        TEXT["findings_ignored" if data.ignored else "findings"].format(
            counts=summary_line(data.findings), ignored=ignored_text(data)
        ),
        TEXT["changes"].format(changes=escape(changes_text(data))),
        _("- **Tasks:** {count} ({open} open)").format(count=len(data.tasks), open=open_tasks),
        "",
        "### " + _("Sources"),
        "",
    ]
    if not data.sources:
        return [*lines, _("No sources configured.")]
    rows = [_source_row(source) for source in data.sources]
    headers = [_("Source"), _("Tool"), _("Status"), _("Synced"), _("Tasks"), _("Error")]
    return lines + table(headers, rows, {4})


def _source_row(source: SourceStatus) -> list[str]:
    status = escape(SOURCE_WORDS.get(source.status, source.status))
    if source.status == "stale":
        since = escape(human_datetime(source.synced_at))
        status = "**" + _("stale since {since}").format(since=since) + "**"
    elif source.status == "failed":
        status = "**" + _("failed") + "**"
    return [
        escape(source.name),
        escape(source.kind),
        status,
        escape(human_datetime(source.synced_at)),
        str(source.tasks),
        escape(source.error) or DASH,
    ]


def _findings(data: ReportData) -> list[str]:
    groups = findings_by_severity(data.findings)
    if not groups:
        return ["## " + _("Findings"), "", empty_findings(data.no_data, bool(data.missing))]
    names = data.person_names
    fresh = new_keys(data)
    lines = ["## " + _("Findings")]
    headers = [_("Check"), _("Task / person"), _("Where"), _("Message"), _("Suggestion")]
    for severity, findings in groups:
        rows = [_finding_row(f, data, names, fresh) for f in findings]
        lines += [
            "",
            f"### {SEVERITY_TITLE[severity]} ({len(findings)})",
            "",
            *table(headers, rows),
        ]
    return lines


def _finding_row(
    finding: Finding, data: ReportData, names: Mapping[str, str], fresh: frozenset[Any]
) -> list[str]:
    task = data.task_of(finding)
    parent = data.parent_of(task) if task else None
    subject = finding_subject(finding, task, names, parent)
    tag = TEXT["new"] if finding.key in fresh else open_weeks_text(finding, data.window_start)
    return [
        f"`{_CHECK_ID.sub('', finding.check)}`",
        link(subject, task.url if task else None) + (f" **{tag}**" if tag else ""),
        escape(location(task, finding.source), TITLE_CHARS) or DASH,
        escape(finding_problem(finding)),
        escape(finding.suggestion) or DASH,
    ]


def _workload(data: ReportData) -> list[str]:
    window = f"{local_date(data.window_start)} – {local_date(data.window_end)}"
    lines = ["## " + _("Workload"), "", _("Window {window}.").format(window=window), ""]
    if not data.workload:
        return [*lines, _("Nobody holds a letter on an open task in the window.")]
    names = data.person_names
    rows = [
        [
            escape(display_person(line.person, names)),
            format_units(line.load),
            format_units(line.capacity),
            format_percent(line.utilisation if line.status != "unmonitored" else None),
            _status(line.status),
            str(line.open_tasks),
        ]
        for line in sorted_workload(data.workload, names)
    ]
    headers = [_(h) for h in WORKLOAD_HEADERS]
    return lines + table(headers, rows, right={1, 2, 3, 5})


def _status(status: str) -> str:
    text = escape(STATUS_WORDS.get(status, status))
    return f"**{text}**" if status in ("over", "critical") else text


def _unmatched(data: ReportData) -> list[str]:
    lines = ["## " + _("Unmatched accounts"), ""]
    if not data.unmatched:
        return [*lines, _("None: every account matched someone on the roster.")]
    accounts = sorted(data.unmatched, key=lambda a: (a.source, a.account.casefold()))
    rows = [
        [escape(a.source), escape(a.account), escape(a.name) or DASH, str(a.tasks)]
        for a in accounts
    ]
    matched = ngettext(
        "{count} account matched nobody on the roster.",
        "{count} accounts matched nobody on the roster.",
        len(rows),
    ).format(count=len(rows))
    return [
        *lines,
        matched,
        "",
        *table([_("Source"), _("Account"), _("Name"), _("Tasks")], rows, right={3}),
    ]
