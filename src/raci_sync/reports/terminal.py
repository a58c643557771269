"""On a terminal: the report (header, findings by severity, workload table, unmatched accounts,
notes), one person's view (``raci report --person NAME``) and a readable slice of the RACI
matrix, as plain-text tables.

Every line fits the terminal: ``$COLUMNS``, else the terminal's width, else 100 (PRODUCT §12).
Widths are counted as a terminal shows them (an emoji takes two cells), so columns line up;
titles are cut with "…", and a missing value reads "—", never "None". Colour and OSC 8
hyperlinks are added after the text is laid out (they take no cells), and only when asked:
the CLI asks when stdout is a terminal, never for a file or a pipe.
"""

from __future__ import annotations

import os
import shutil
import textwrap
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

import click

from raci_sync.i18n import N_, Headings, Texts, _, counted, local_date
from raci_sync.model import Finding, Person, ReportData, Severity, SourceStatus
from raci_sync.reports.common import (
    DASH,
    ELLIPSIS,
    SOURCE_WORDS,
    STATUS_WORDS,
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
    load_items,
    location,
    safe_url,
    short_text,
    sorted_findings,
    sorted_workload,
    summary_line,
    with_parent,
)
from raci_sync.reports.matrix import PersonColumn, matrix_tasks, person_columns, task_letters
from raci_sync.reports.summary import (
    changes_text,
    ignored_text,
    missing_sources,
    missing_title,
    new_keys,
    notes,
    open_weeks_text,
)

DEFAULT_WIDTH = 100  # when neither $COLUMNS nor the terminal says (a pipe, a file, cron)
MIN_WIDTH = 40
NAME_WIDTH = 28
MATRIX_TEXT_PEOPLE = 40  # people columns of the terminal matrix at most; the XLSX holds them all
MATRIX_TEXT_ROWS = 40  # task rows of the terminal matrix; the XLSX holds them all
MATRIX_TITLE_WIDTH = 60
PERSON_TASKS = 50  # tasks in the one-person view; the JSON and the XLSX list them all
INDENT = "  "
DETAIL = "    "

# Every text this module writes for people, in one place (the translation works from here).
HEADERS: Headings[str] = Headings(
    {
        "workload_headers": WORKLOAD_HEADERS,
        "unmatched_headers": (N_("Source"), N_("Account"), N_("Name"), N_("Tasks")),
        "person_tasks_headers": (
            N_("Load"),
            N_("Role"),
            N_("Effort"),
            N_("Due"),
            N_("Source"),
            N_("Task"),
        ),
        "matrix_headers": ("!", N_("Task"), N_("Source")),
    }
)
TEXT: Texts[str] = Texts(
    {
        "title": N_("RACI report"),
        "header": N_("{title} · generated {generated} · window {start} … {end}"),
        "sources": N_("Sources:"),
        "no_sources": N_("(none configured)"),
        "findings": N_("Findings: {counts}"),
        "findings_ignored": N_("Findings: {counts}; {ignored} (raci report -f json lists them)"),
        "changes": N_("Changes: {changes}."),
        "new": N_("new"),
        "workload_title": N_("WORKLOAD"),
        "workload_window": N_("{title} ({start} … {end})"),
        "workload_empty": N_("{title}: nobody holds a letter on an open task in the window."),
        "unmatched_title": N_("UNMATCHED ACCOUNTS"),
        "unmatched_empty": N_("{title}: none — every account matched someone on the roster."),
        "notes_title": N_("NOTES"),
        "count_title": N_("{title} ({count})"),
        "failed": N_("FAILED"),
        "stale_since": N_("stale since {since}"),
        "synced": N_("synced {when}"),
        # the one-person view
        "person_hats": N_("{name} · {hats}"),
        "person_load": N_(
            "Load {load} of {capacity} ({percent}) · {status} · {tasks} in {start} … {end}"
        ),
        "person_unmonitored": N_(
            "Load {load}, no capacity set (unmonitored) · {tasks} in {start} … {end}"
        ),
        "person_no_load": N_("No open task in {start} … {end} weighs on {name}."),
        "person_by_tool": N_("By tool: {split}"),
        "person_tool": N_("{source} ({tool}) {load}"),
        "person_tasks_title": N_("TASKS BEHIND THE LOAD"),
        "person_tasks_more": N_(
            '… and {count} more: raci report -f json --person "{name}" lists them all.'
        ),
        "person_findings_title": N_(
            "FINDINGS ({count}) about {name} or on tasks they are A or R on"
        ),
        "person_findings_none": N_(
            "None: nothing found about {name} or on a task they are A or R on."
        ),
        # the matrix
        "matrix_empty_open": N_("No open tasks."),
        "matrix_empty": N_("No tasks."),
        "matrix_title": N_("RACI matrix · {tasks} × {people}"),
        "matrix_key": N_("! = the task has findings. People: {people}"),
        "matrix_person": N_("{code} {name}"),
        "matrix_slice": N_(
            "Showing {rows} of {total_rows} (those with findings first) and {people} of "
            "{total_people} (those with letters first)."
        ),
        "matrix_whole": N_(
            "The whole matrix, with board, list, state and due date: "
            "raci matrix -f xlsx -o matrix.xlsx (or -f csv)."
        ),
    }
)

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
SEVERITY_TITLE: Texts[Severity] = Texts(
    {Severity.ERROR: N_("ERRORS"), Severity.WARNING: N_("WARNINGS"), Severity.INFO: N_("INFO")}
)


# -- width, cells and hyperlinks ---------------------------------------------------------------


def terminal_width() -> int:
    """``$COLUMNS``, else the terminal's width, else 100 (never under MIN_WIDTH)."""
    return max(shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns, MIN_WIDTH)


def supports_hyperlinks(env: Mapping[str, str] | None = None) -> bool:
    """True when the terminal is known to show OSC 8 hyperlinks (the caller checks that stdout
    is a terminal at all). ``FORCE_HYPERLINK=1`` or ``0`` decides; otherwise the terminals
    that announce themselves and are known to support them (the "supports-hyperlinks" list)."""
    env = os.environ if env is None else env
    forced = env.get("FORCE_HYPERLINK")
    if forced is not None:
        return forced.strip() not in ("0", "")
    if env.get("TERM", "") in ("dumb", "linux") or "CI" in env:
        return False
    if env.get("TERM_PROGRAM") in ("iTerm.app", "WezTerm", "vscode", "ghostty", "Hyper"):
        return True
    if any(name in env for name in ("WT_SESSION", "KITTY_WINDOW_ID", "KONSOLE_VERSION")):
        return True
    vte = env.get("VTE_VERSION", "")
    if vte.isdigit() and int(vte) >= 5000:  # GNOME Terminal, Tilix … since VTE 0.50
        return True
    return any(name in env.get("TERM", "") for name in ("kitty", "alacritty", "foot", "ghostty"))


def cell_width(text: str) -> int:
    """How many terminal cells ``text`` takes: wide (East Asian, emoji) characters two,
    combining marks and format characters none."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        if "\U0001f3fb" <= ch <= "\U0001f3ff":  # a skin tone joins the emoji before it
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def fit(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` cells, ending in "…" when it was cut."""
    if cell_width(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[: max(width, 0)]
    out, used = [], 0
    for ch in text:
        size = cell_width(ch)
        if used + size > width - 1:
            break
        out.append(ch)
        used += size
    return "".join(out).rstrip() + ELLIPSIS


def pad(text: str, width: int, right: bool = False) -> str:
    """``text`` padded with spaces to ``width`` cells (on the left when ``right``)."""
    room = " " * max(width - cell_width(text), 0)
    return room + text if right else text + room


class _Painter:
    """click.style when colour is on, OSC 8 hyperlinks when links are on; else the text."""

    def __init__(self, color: bool, links: bool = False) -> None:
        self.color = color
        self.links = links

    def __call__(self, text: str, **style: Any) -> str:
        return click.style(text, **style) if self.color and style else text

    def link(self, text: str, url: str | None) -> str:
        """``text`` as a hyperlink to ``url`` (http/https only), when links are on."""
        target = safe_url(url) if self.links else None
        if not target or not text.strip():
            return text
        return f"\x1b]8;;{target}\x1b\\{text}\x1b]8;;\x1b\\"


def _lines(text: str, width: int) -> list[str]:
    """``text`` wrapped to ``width`` (never at a hyphen: "project-manager" stays whole)."""
    return textwrap.wrap(text, width, break_on_hyphens=False)


def _wrap(text: str, indent: str, width: int) -> list[str]:
    if not text:
        return []
    return textwrap.wrap(
        text,
        width,
        initial_indent=indent,
        subsequent_indent=indent + "  ",
        break_on_hyphens=False,
    )


def _columns(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    right: set[int],
    paint: _Painter,
    width: int,
    flex: Sequence[int] = (),
    styles: Sequence[dict[int, dict[str, Any]]] = (),
    links: Sequence[dict[int, str | None]] = (),
) -> list[str]:
    """Rows as aligned columns within ``width``: the ``flex`` columns (in that order) give up
    room when the table is too wide, their cells cut with "…". Styles and links are applied
    after padding, so they never shift a column."""
    widths = [max(cell_width(row[i]) for row in [headers, *rows]) for i in range(len(headers))]
    excess = len(INDENT) + sum(widths) + 2 * (len(widths) - 1) - width
    for index in flex:
        if excess <= 0:
            break
        give = min(excess, widths[index] - max(cell_width(headers[index]), 6))
        if give > 0:
            widths[index] -= give
            excess -= give

    def line(
        cells: Sequence[str], style: dict[int, dict[str, Any]], link: dict[int, str | None]
    ) -> str:
        out = []
        for i, cell in enumerate(cells):
            text = fit(cell, widths[i])
            padded = pad(text, widths[i], i in right)
            if i in link and i not in right:
                padded = paint.link(text, link[i]) + padded[len(text) :]
            out.append(paint(padded, **style.get(i, {})))
        return (INDENT + "  ".join(out)).rstrip()

    out = [line(headers, {i: {"underline": True} for i in range(len(headers))}, {})]
    for n, row in enumerate(rows):
        style = styles[n] if n < len(styles) else {}
        out.append(line(row, style, links[n] if n < len(links) else {}))
    return out


# -- the report --------------------------------------------------------------------------------


def render_table(
    data: ReportData, color: bool = False, width: int | None = None, links: bool = False
) -> str:
    """The report as plain text for a terminal, every line at most ``width`` cells (default:
    ``terminal_width()``); ANSI colour and OSC 8 hyperlinks only if asked."""
    width = max(width or terminal_width(), MIN_WIDTH)
    paint = _Painter(color, links)
    sections = [
        _header(data, paint, width),
        _findings(data, paint, width),
        _workload(data, paint, width),
        _unmatched(data, paint, width),
        _notes(data, paint, width),
    ]
    return "\n\n".join("\n".join(lines) for lines in sections if lines) + "\n"


def _header(data: ReportData, paint: _Painter, width: int) -> list[str]:
    title = TEXT["title"]
    header = TEXT["header"].format(
        title=title,
        generated=human_datetime(data.generated_at),
        start=local_date(data.window_start),
        end=local_date(data.window_end),
    )
    first, *rest = _lines(header, width) or [header]
    lines = [paint(title, bold=True) + first[len(title) :], *rest]
    lines += [*_missing(data, paint, width), TEXT["sources"]]
    for source in data.sources:
        lines.extend(_source_lines(source, paint, width))
    if not data.sources:
        lines.append(f"{INDENT}{TEXT['no_sources']}")
    counts = summary_line(data.findings)
    ignored = ignored_text(data)
    findings = TEXT["findings_ignored" if ignored else "findings"].format(
        counts=counts, ignored=ignored
    )
    lines += _lines(findings, width)
    lines += _lines(TEXT["changes"].format(changes=changes_text(data)), width)
    return lines


def _missing(data: ReportData, paint: _Painter, width: int) -> list[str]:
    """Missing data before anything else: the title, then each source with why and since."""
    title = missing_title(data)
    if not title:
        return []
    lines = [paint(line, fg="red", bold=True) for line in _lines(title, width)]
    for source in missing_sources(data):
        lines.extend(_wrap(f"{source.name} ({source.tool}): {source.why}", INDENT, width))
    return [*lines, ""]


def _source_lines(source: SourceStatus, paint: _Painter, width: int) -> list[str]:
    name_width = min(NAME_WIDTH, width // 3)
    name = fit(clean_text(f"{source.name} ({source.kind})"), name_width)
    status = _source_status(source)
    facts = [counted(source.tasks, "{count} task", "{count} tasks")]
    facts = facts if source.status != "failed" else []
    if source.synced_at is not None and source.status != "stale":
        facts.append(TEXT["synced"].format(when=human_datetime(source.synced_at)))
    lead = INDENT + pad(name, name_width) + "  "
    line = status + "".join(f" · {fact}" for fact in facts)
    first, *rest = _lines(line, width - cell_width(lead)) or [line]
    styled = first
    if first.startswith(status):
        styled = paint(status, **STATUS_STYLE.get(source.status, {})) + first[len(status) :]
    lines = [lead + styled, *(" " * cell_width(lead) + more for more in rest)]
    if source.error:
        lines.extend(_wrap(short_text(source.error), DETAIL, width))
    return lines


def _source_status(source: SourceStatus) -> str:
    if source.status == "stale":
        return TEXT["stale_since"].format(since=human_datetime(source.synced_at))
    if source.status == "failed":
        return TEXT["failed"]
    return SOURCE_WORDS.get(source.status, source.status)


def _findings(data: ReportData, paint: _Painter, width: int) -> list[str]:
    groups = findings_by_severity(data.findings)
    if not groups:
        return _lines(empty_findings(data.no_data, bool(data.missing)), width)
    lines: list[str] = []
    fresh = new_keys(data)
    for severity, findings in groups:
        if lines:
            lines.append("")
        title = TEXT["count_title"].format(title=SEVERITY_TITLE[severity], count=len(findings))
        lines.append(paint(title, **SEVERITY_STYLE[severity]))
        for finding in findings:
            lines.extend(_finding_lines(finding, data, fresh, paint, width))
    return lines


def _finding_lines(
    finding: Finding,
    data: ReportData,
    fresh: frozenset[Any],
    paint: _Painter,
    width: int,
) -> list[str]:
    """The check and what it is about on one line (the title cut to fit, "new" or "open N
    weeks" after it), then where, the problem (the title not repeated) and the suggestion."""
    task = data.task_of(finding)
    parent = data.parent_of(task) if task else None
    check = fit(clean_text(finding.check), max(width // 3, 10))
    severity = Severity(finding.severity)
    tag = TEXT["new"] if finding.key in fresh else open_weeks_text(finding, data.window_start)
    room = max(width - len(INDENT) - cell_width(check) - 2 - (len(tag) + 2 if tag else 0), 10)
    subject = fit(finding_subject(finding, task, data.person_names, parent, room), room)
    shown = paint.link(subject, task.url if task else None)
    if tag:
        shown += "  " + paint(tag, bold=True)
    lines = [f"{INDENT}{paint(check, fg=SEVERITY_STYLE[severity]['fg'])}  {shown}"]
    where = location(task, finding.source)
    if where:
        lines.append(DETAIL + fit(where, width - len(DETAIL)))
    lines.extend(_wrap(finding_problem(finding), DETAIL, width))
    if finding.suggestion:
        lines.extend(_wrap("→ " + short_text(finding.suggestion), DETAIL, width))
    return lines


def _workload(data: ReportData, paint: _Painter, width: int) -> list[str]:
    title = paint(TEXT["workload_title"], bold=True)
    if not data.workload:
        return _lines(TEXT["workload_empty"].format(title=title), width)
    names = data.person_names
    rows = [
        [
            fit(clean_text(display_person(line.person, names)), NAME_WIDTH) or DASH,
            format_units(line.load),
            format_units(line.capacity),
            format_percent(line.utilisation if line.status != "unmonitored" else None),
            STATUS_WORDS.get(line.status, line.status),
            str(line.open_tasks),
        ]
        for line in sorted_workload(data.workload, names)
    ]
    statuses = [line.status for line in sorted_workload(data.workload, names)]
    styles = [{4: STATUS_STYLE.get(status, {})} for status in statuses]
    headers = HEADERS["workload_headers"]
    table = _columns(headers, rows, {1, 2, 3, 5}, paint, width, flex=(0,), styles=styles)
    heading = TEXT["workload_window"].format(
        title=title, start=local_date(data.window_start), end=local_date(data.window_end)
    )
    return [heading, *table]


def _unmatched(data: ReportData, paint: _Painter, width: int) -> list[str]:
    title = paint(TEXT["unmatched_title"], bold=True)
    if not data.unmatched:
        return _lines(TEXT["unmatched_empty"].format(title=title), width)
    accounts = sorted(data.unmatched, key=lambda a: (a.source, a.account.casefold()))
    rows = [
        [
            fit(clean_text(account.source), 20) or DASH,
            fit(clean_text(account.account), 24) or DASH,
            fit(clean_text(account.name), NAME_WIDTH) or DASH,
            str(account.tasks),
        ]
        for account in accounts
    ]
    headers = HEADERS["unmatched_headers"]
    table = _columns(headers, rows, {3}, paint, width, flex=(2, 1, 0))
    return [TEXT["count_title"].format(title=title, count=len(rows)), *table]


def _notes(data: ReportData, paint: _Painter, width: int) -> list[str]:
    """The report's notes (an [[ignore]] or [[rule]] that matches no task …); none: nothing."""
    found = notes(data)
    if not found:
        return []
    title = paint(TEXT["notes_title"], bold=True)
    lines = [TEXT["count_title"].format(title=title, count=len(found))]
    for note in found:
        lines.extend(_wrap("- " + note, INDENT, width))
    return lines


# -- one person (raci report --person NAME) ----------------------------------------------------


def render_person(
    data: ReportData,
    name: str,
    color: bool = False,
    width: int | None = None,
    links: bool = False,
) -> str:
    """One person's view: missing data first, then their load, capacity and utilisation, the
    load per tool, the tasks behind it (largest first) and the findings about them or on tasks
    they are A or R on (``data`` already narrowed to them by ``sync.ReportFilter``)."""
    width = max(width or terminal_width(), MIN_WIDTH)
    paint = _Painter(color, links)
    person = _person(data, name)
    shown = clean_text(person.name if person else name) or DASH
    sections = [
        [*_missing(data, paint, width), *_person_header(data, person, shown, paint, width)],
        _person_tasks(data, shown, paint, width),
        _person_findings(data, shown, paint, width),
        _notes(data, paint, width),
    ]
    return "\n\n".join("\n".join(lines) for lines in sections if lines) + "\n"


def _person(data: ReportData, name: str) -> Person | None:
    wanted = name.casefold()
    return next((p for p in data.people if p.name.casefold() == wanted), None)


def _person_line(data: ReportData, name: str) -> Any:
    names = data.person_names
    wanted = name.casefold()
    return next(
        (w for w in data.workload if (display_person(w.person, names) or "").casefold() == wanted),
        None,
    )


def _person_header(
    data: ReportData, person: Person | None, name: str, paint: _Painter, width: int
) -> list[str]:
    hats = ", ".join(clean_text(hat) for hat in person.hats) if person else ""
    heading = TEXT["person_hats"].format(name=name, hats=hats) if hats else name
    lines = [paint(fit(heading, width), bold=True)]
    line = _person_line(data, name)
    window = {"start": local_date(data.window_start), "end": local_date(data.window_end)}
    if line is None or not line.open_tasks:
        return [*lines, *_lines(TEXT["person_no_load"].format(name=name, **window), width)]
    values = {
        "load": format_units(line.load),
        "capacity": format_units(line.capacity),
        "percent": format_percent(line.utilisation),
        "status": STATUS_WORDS.get(line.status, line.status),
        "tasks": counted(line.open_tasks, "{count} open task", "{count} open tasks"),
        **window,
    }
    key = "person_unmonitored" if line.status == "unmonitored" else "person_load"
    lines += _lines(TEXT[key].format(**values), width)
    tools = {source.name: source.tool for source in data.sources}
    split = " · ".join(
        TEXT["person_tool"].format(
            source=clean_text(source),
            tool=clean_text(tools.get(source, "")) or DASH,
            load=format_units(load),
        )
        for source, load in sorted(line.by_source.items(), key=lambda kv: -kv[1])
    )
    if split:
        lines += _lines(TEXT["person_by_tool"].format(split=split), width)
    return lines


def _person_tasks(data: ReportData, name: str, paint: _Painter, width: int) -> list[str]:
    line = _person_line(data, name)
    items = load_items(line) if line is not None else []
    if not items:
        return []
    rows, links = [], []
    for item in items[:PERSON_TASKS]:
        task = data.task_index.get((item.source, item.task_id))
        parent = data.parent_of(task) if task else None
        title = with_parent(parent.title if parent else None, item.title, MATRIX_TITLE_WIDTH * 2)
        rows.append(
            [
                format_units(item.load),
                item.role,
                format_units(item.effort),
                local_date(item.due) if item.due else DASH,
                clean_text(item.source) or DASH,
                title or DASH,
            ]
        )
        links.append({5: task.url if task else None})
    title = paint(TEXT["person_tasks_title"], bold=True)
    headers = HEADERS["person_tasks_headers"]
    table = _columns(headers, rows, {0, 2}, paint, width, flex=(5, 4), links=links)
    lines = [TEXT["count_title"].format(title=title, count=len(items)), *table]
    if len(items) > PERSON_TASKS:
        more = TEXT["person_tasks_more"].format(count=len(items) - PERSON_TASKS, name=name)
        lines += _wrap(more, INDENT, width)
    return lines


def _person_findings(data: ReportData, name: str, paint: _Painter, width: int) -> list[str]:
    title = TEXT["person_findings_title"].format(count=len(data.findings), name=name)
    lines = [paint(fit(title, width), bold=True)]
    if not data.findings:
        return [*lines, *_wrap(TEXT["person_findings_none"].format(name=name), INDENT, width)]
    fresh = new_keys(data)
    for finding in sorted_findings(data.findings):
        lines.extend(_finding_lines(finding, data, fresh, paint, width))
    return lines


# -- the matrix ----------------------------------------------------------------------------


def matrix_text(
    data: ReportData,
    include_closed: bool = False,
    width: int | None = None,
    max_rows: int = MATRIX_TEXT_ROWS,
    max_people: int = MATRIX_TEXT_PEOPLE,
    links: bool = False,
) -> str:
    """A readable slice of the matrix for a terminal ``width`` cells wide: tasks with findings
    first, then the others, up to ``max_rows``; people who hold letters on those tasks first,
    as many columns as fit (short codes, named in a key below); and how to get the whole
    matrix (``-f xlsx``) when anything is left out. Every text is one clean line."""
    width = max(width or terminal_width(), MIN_WIDTH)
    tasks = matrix_tasks(data, include_closed)
    if not tasks:
        return TEXT["matrix_empty"] if include_closed else TEXT["matrix_empty_open"]
    flagged = {(f.source or "", f.task_id or "") for f in data.findings if f.task_id}
    ordered = [t for t in tasks if t.key in flagged] + [t for t in tasks if t.key not in flagged]
    shown = ordered[: max(max_rows, 1)]
    letters = task_letters(data, {task.key for task in shown})
    everyone = person_columns(data)
    source_width = min(max(cell_width(clean_text(t.source)) for t in shown), 12)
    fixed = len(INDENT) + 1 + 2 + 20 + 2 + max(source_width, len(_("Source")))
    columns: list[PersonColumn] = []
    codes = _Codes()
    for person in _matrix_people(everyone, letters)[: max(max_people, 0)]:
        cells = [letters.get((*task.key, person.key), "") for task in shown]
        base, code = codes.peek(person.name)
        need = max(len(code), *(len(cell) for cell in cells)) + 2
        if fixed + need > width:
            break
        codes.take(person.key, base, code)
        columns.append(person)
        fixed += need
    rows, links_of = [], []
    for task in shown:
        parent = data.parent_of(task)
        title = with_parent(parent.title if parent else None, task.title, MATRIX_TITLE_WIDTH)
        row = ["!" if task.key in flagged else "", title or DASH, clean_text(task.source)]
        row += [letters.get((*task.key, person.key), "") for person in columns]
        rows.append(row)
        links_of.append({1: task.url})
    headers = [*HEADERS["matrix_headers"], *(codes.of[person.key] for person in columns)]
    paint = _Painter(False, links)
    table = _columns(headers, rows, set(), paint, width, flex=(1, 2), links=links_of)
    heading = TEXT["matrix_title"].format(
        tasks=counted(len(tasks), "{count} task", "{count} tasks"),
        people=counted(len(everyone), "{count} person", "{count} people"),
    )
    key = TEXT["matrix_key"].format(
        people=" · ".join(
            TEXT["matrix_person"].format(code=codes.of[person.key], name=person.header)
            for person in columns
        )
        or DASH
    )
    lines = [heading, *table, "", *_lines(key, width)]
    if len(shown) < len(tasks) or len(columns) < len(everyone):
        slice_text = TEXT["matrix_slice"].format(
            rows=len(shown),
            total_rows=counted(len(tasks), "{count} task", "{count} tasks"),
            people=len(columns),
            total_people=counted(len(everyone), "{count} person", "{count} people"),
        )
        lines += _lines(slice_text, width)
    lines += _lines(TEXT["matrix_whole"], width)
    return "\n".join(line.rstrip() for line in lines)


def _matrix_people(everyone: list[PersonColumn], letters: Mapping[Any, str]) -> list[PersonColumn]:
    """People holding letters on the shown tasks first (most letters first), then the rest;
    roster order within each."""
    count: dict[str, int] = {}
    for _source, _task_id, person in letters:
        count[person] = count.get(person, 0) + 1
    order = {person.key: n for n, person in enumerate(everyone)}
    return sorted(everyone, key=lambda p: (-count.get(p.key, 0), order[p.key]))


class _Codes:
    """Short, unique codes for the matrix header: initials ("FN"), numbered when two people
    share them ("AH", "AH2")."""

    def __init__(self) -> None:
        self.of: dict[str, str] = {}  # person key → code
        self._next: dict[str, int] = {}  # initials → the number the next one gets

    def peek(self, name: str) -> tuple[str, str]:
        """(initials, the code the next person with them would get)."""
        words = [w for w in clean_text(name).split() if w[:1].isalnum()]
        base = "".join(w[0] for w in words[:3]).upper() if len(words) > 1 else ""
        base = base or (words[0][:2].capitalize() if words else "") or "P"
        n = self._next.get(base, 1)
        return base, base if n == 1 else f"{base}{n}"

    def take(self, key: str, base: str, code: str) -> None:
        """Give ``code`` (from ``peek``) to the person ``key``."""
        self._next[base] = self._next.get(base, 1) + 1
        self.of[key] = code
