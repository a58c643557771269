"""The HTML report: one self-contained file (inline CSS, nothing fetched).

jinja2 with autoescape on renders ``templates/report.html.j2``; this module only prepares what
the template shows. Every text from a tool is cleaned to one line (``sanitize.clean_line``,
which also drops bidi overrides), cut (titles and names at ``common.TITLE_CHARS``, messages at
``TEXT_CHARS``) and escaped by the template; only http(s) URLs become links. Long lists and the
matrix's rows and people columns are capped, saying how many more the CSV/XLSX hold.

One script, ``templates/report.js`` (a few lines, no library), sorts and filters the findings
table. The page's Content-Security-Policy allows that script by its SHA-256 and nothing else:
a script that slipped in through a title would not run. With scripts off the page shows every
row and no controls. The matrix page has no script at all. Under 600 px wide (a phone) tables
become one block per row, so nothing scrolls sideways but the matrix inside its own frame.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from raci_sync import i18n
from raci_sync.i18n import N_, Texts, _, language, local_date
from raci_sync.model import Finding, ReportData, Severity, SourceStatus, Task, WorkloadLine
from raci_sync.reports.common import (
    CHECK_ORDER,
    DASH,
    SEVERITY_WORDS,
    STATE_WORDS,
    STATUS_WORDS,
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
    safe_url,
    short_text,
    short_title,
    sorted_workload,
    summary_line,
    truncate,
    with_parent,
)
from raci_sync.reports.matrix import (
    PersonColumn,
    frame_rows,
    matrix_frame,
    matrix_tasks,
    person_columns,
)
from raci_sync.reports.summary import (
    RAG_LABEL,
    TREND_WEEKS,
    change,
    check_counts,
    check_trend,
    ignored_text,
    iso_week,
    missing_sources,
    missing_title,
    new_keys,
    notes,
    open_weeks_text,
    rag_reason,
    rag_status,
    source_label,
    source_problem,
    summary_lines,
    utilisation_trend,
)

if TYPE_CHECKING:
    import jinja2

REPORT_MATRIX_ROWS = 500  # matrix rows in the report; the XLSX holds them all
MATRIX_HTML_ROWS = 2_000  # rows a standalone HTML matrix shows; the rest is in the XLSX
REPORT_FINDING_ROWS = 1_000  # findings per severity in the report; the CSV/XLSX hold them all
REPORT_LIST_ROWS = 1_000  # people in the workload table, unmatched accounts; the CSV/XLSX: all
# People columns of a matrix page, like its rows: one card with 50,000 members made a 162 MB
# page (3.4 GB to render) before. The CSV and XLSX matrices hold them all.
MATRIX_HTML_PEOPLE = 200
BAR_SCALE = 2.0  # a utilisation bar's full width is 200 %; the 100 % mark sits in the middle
SEVERITY_TITLE: Texts[Severity] = Texts(
    {Severity.ERROR: N_("Errors"), Severity.WARNING: N_("Warnings"), Severity.INFO: N_("Info")}
)
SEVERITY_ORDER = {Severity.ERROR: "0", Severity.WARNING: "1", Severity.INFO: "2"}  # sort keys
LOAD_STATUSES = ("ok", "over", "critical", "unmonitored")
PARENT_CHARS = 60  # a parent's title before a subtask's in the matrix
LOAD_ROWS = 50  # tasks behind one over-capacity person's load; the JSON and XLSX list them all
TOOL_COLOURS = 6  # CSS classes t0 … t5 for the parts of a load bar, by source
LETTER_NAMES = {
    "R": N_("responsible"),
    "A": N_("accountable"),
    "C": N_("consulted"),
    "I": N_("informed"),
}


def render_html(
    data: ReportData,
    max_matrix_rows: int = REPORT_MATRIX_ROWS,
    max_findings: int = REPORT_FINDING_ROWS,
) -> str:
    """The whole report as one self-contained HTML page."""
    script = _script()
    context = {
        "script": Markup(script),
        "script_hash": script_hash(script),
        "ignored": ignored_text(data),
        "notes": notes(data),
        "overloaded": _overloaded(data),
        "lang": language(),
        "title": _("RACI report {week}").format(week=iso_week(data.window_start)),
        "week": iso_week(data.window_start),
        "generated": human_datetime(data.generated_at),
        "window": (local_date(data.window_start), local_date(data.window_end)),
        "rag": rag_status(data),
        "rag_label": RAG_LABEL[rag_status(data)],
        "rag_reason": rag_reason(data),
        "missing_title": missing_title(data),
        "missing": missing_sources(data),
        "summary": summary_lines(data),
        "counts": summary_line(data.findings),
        "sources": [_source(source) for source in data.sources],
        "checks": _checks(data),
        "trend_weeks": [point.week for point in data.trends.last(TREND_WEEKS)],
        "findings": _findings(data, max_findings),
        "no_findings": empty_findings(data.no_data, bool(data.missing)),
        "workload": _workload(data),
        "unmatched": _unmatched(data),
        "matrix": matrix_view(data, max_rows=max_matrix_rows),
        "letters": LETTER_NAMES,
    }
    return _environment().get_template("report.html.j2").render(context)


def render_matrix_page(
    data: ReportData, include_closed: bool = False, max_rows: int = MATRIX_HTML_ROWS
) -> str:
    """The RACI matrix alone as one self-contained HTML page (inline CSS, no scripts).

    Shows at most ``max_rows`` tasks and ``MATRIX_HTML_PEOPLE`` people and says how many more
    the CSV/XLSX matrix holds.
    """
    context = {
        "lang": language(),
        "title": _("RACI matrix {week}").format(week=iso_week(data.window_start)),
        "generated": human_datetime(data.generated_at),
        "matrix": matrix_view(data, include_closed, max_rows),
        "letters": LETTER_NAMES,
    }
    return _environment().get_template("matrix.html.j2").render(context)


@lru_cache(maxsize=1)
def _script() -> str:
    """The report's one script (sorting and filtering the findings), as shipped."""
    return (resources.files("raci_sync.reports") / "templates" / "report.js").read_text("utf-8")


def script_hash(script: str) -> str:
    """The CSP source that allows exactly ``script`` inline: ``'sha256-…'``."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("raci_sync.reports", "templates"),
        extensions=["jinja2.ext.i18n"],
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # the texts in the active language (looked up at render time: the environment is cached)
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n._, i18n.ngettext, newstyle=True
    )
    env.filters["clean"] = short_text  # messages, errors: one line, cut at TEXT_CHARS
    env.filters["title"] = short_title  # titles, names, places: cut at TITLE_CHARS
    return env


# --- sources, findings -------------------------------------------------------------------


def _source(source: SourceStatus) -> dict[str, Any]:
    if source_problem(source):
        css = "failed" if source.status in ("failed", "never") else "stale"
    else:
        css = "ok" if source.status == "ok" else ""  # skipped (--source): a grey pill
    return {
        "name": source.name,
        "kind": source.kind,
        "status": source_label(source),
        "css": css,
        "synced": human_datetime(source.synced_at),
        "tasks": source.tasks,
        "error": source.error,
    }


@dataclass(frozen=True)
class CheckRow:
    """One check id with its count this week and in the earlier weeks."""

    check: str
    severity: str
    severity_word: str
    now: int
    last_week: str
    change: str
    change_css: str
    history: list[str] = field(default_factory=list)


def _checks(data: ReportData) -> list[CheckRow]:
    counts = check_counts(data)
    severity = {f.check: str(f.severity) for f in data.findings}
    rows: list[CheckRow] = []
    for check in [*CHECK_ORDER, *sorted(set(counts) - set(CHECK_ORDER))]:
        history = [point.value for point in check_trend(data, check)]
        if not counts[check] and not any(history):
            continue
        last = history[-1] if history else None
        delta = change(counts[check], last)
        css = "" if last is None or counts[check] == last else _worse(counts[check] > last)
        rows.append(
            CheckRow(
                check=check,
                severity=severity.get(check, ""),
                severity_word=SEVERITY_WORDS.get(severity.get(check, ""), ""),
                now=counts[check],
                last_week=DASH if last is None else f"{last:.0f}",
                change=delta,
                change_css=css,
                history=[DASH if v is None else f"{v:.0f}" for v in history],
            )
        )
    return rows


def _worse(increased: bool) -> str:
    return "worse" if increased else "better"


@dataclass(frozen=True)
class FindingRows:
    """The findings table: worst first, at most ``limit`` per severity; what was left out."""

    rows: list[dict[str, Any]]
    total: int
    more: list[tuple[int, str]]  # (left out, "errors") per severity


def _findings(data: ReportData, limit: int) -> FindingRows:
    names = data.person_names
    fresh = new_keys(data)
    rows: list[dict[str, Any]] = []
    more: list[tuple[int, str]] = []
    total = 0
    for severity, findings in findings_by_severity(data.findings):
        total += len(findings)
        rows += [_finding_row(f, data, names, fresh) for f in findings[:limit]]
        if len(findings) > limit:
            more.append((len(findings) - limit, SEVERITY_TITLE[severity].lower()))
    return FindingRows(rows, total, more)


def _finding_row(
    finding: Finding, data: ReportData, names: Mapping[str, str], fresh: frozenset[Any]
) -> dict[str, Any]:
    task = data.task_of(finding)
    parent = data.parent_of(task) if task else None
    severity = Severity(finding.severity)
    return {
        "severity": str(severity),
        "severity_word": SEVERITY_WORDS[str(severity)],
        "severity_order": SEVERITY_ORDER[severity],
        "check": finding.check,
        "subject": finding_subject(finding, task, names, parent),
        "url": safe_url(task.url) if task else None,
        "where": location(task, finding.source),
        "due": _due(task),
        "due_key": task.due.isoformat() if task is not None and task.due is not None else "",
        "overdue": _overdue(task, data.window_start),
        "since": local_date(finding.since) if finding.since else "",
        "since_key": finding.since.isoformat() if finding.since else "",
        "new": finding.key in fresh,
        "chronic": open_weeks_text(finding, data.window_start),
        "message": finding_problem(finding),
        "suggestion": finding.suggestion,
    }


def _due(task: Task | None) -> str:
    return local_date(task.due) if task is not None and task.due is not None else ""


def _overdue(task: Task | None, today: date) -> bool:
    return task is not None and task.is_open and task.due is not None and task.due < today


# --- workload ----------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryBar:
    """One earlier week in a person's small trend chart."""

    week: str
    label: str
    height: float  # % of the chart's height


@dataclass(frozen=True)
class Capped:
    """The first rows of a long list, how many there are in all and how many were left out."""

    rows: list[dict[str, Any]]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.rows)


def _workload(data: ReportData, limit: int = REPORT_LIST_ROWS) -> Capped:
    names = data.person_names
    lines = sorted_workload(data.workload, names)
    return Capped([_load_row(line, names, data) for line in lines[:limit]], len(lines))


def _load_row(line: WorkloadLine, names: Mapping[str, str], data: ReportData) -> dict[str, Any]:
    name = display_person(line.person, names) or ""
    monitored = line.utilisation is not None and line.status != "unmonitored"
    now = line.utilisation if monitored else None
    history = utilisation_trend(data, name)
    last = history[-1].value if history else None
    return {
        "name": name,
        "load": format_units(line.load),
        "capacity": format_units(line.capacity),
        "percent": format_percent(now),
        "bar": _bar_width(now),
        "overflow": now is not None and now > BAR_SCALE,
        "status": line.status,
        "status_word": STATUS_WORDS.get(line.status, line.status),
        "css": line.status if line.status in LOAD_STATUSES else "unknown",
        "open_tasks": line.open_tasks,
        "last_week": format_percent(last) if history else "",
        "change": change(_pct(now), _pct(last), " pp") if history else "",
        "change_css": _change_css(now, last),
        "history": [
            HistoryBar(p.week, format_percent(p.value), _bar_width(p.value) or 0.0) for p in history
        ],
    }


@dataclass(frozen=True)
class LoadPart:
    """One tool's part of a person's load bar."""

    source: str
    tool: str
    load: str
    width: float  # % of the bar
    colour: str  # CSS class


@dataclass(frozen=True)
class Overloaded:
    """One over-capacity person's section: the load per tool as a bar, the tasks behind it."""

    anchor: str
    name: str
    percent: str
    load: str
    capacity: str
    status: str
    status_word: str
    parts: list[LoadPart]
    capacity_mark: float | None  # where capacity sits on the bar, in %
    tasks: Capped


def _overloaded(data: ReportData, limit: int = LOAD_ROWS) -> list[Overloaded]:
    """Every person over capacity, the most loaded first."""
    names = data.person_names
    over = [w for w in sorted_workload(data.workload, names) if w.status in ("over", "critical")]
    return [_overloaded_one(line, n, data, limit) for n, line in enumerate(over, start=1)]


def _overloaded_one(line: WorkloadLine, n: int, data: ReportData, limit: int) -> Overloaded:
    order = {source.name: i for i, source in enumerate(data.sources)}
    tools = {source.name: source.tool for source in data.sources}
    full = max(line.load, line.capacity or 0.0) or 1.0
    parts = [
        LoadPart(
            source=source,
            tool=tools.get(source, ""),
            load=format_units(load),
            width=round(max(load, 0.0) / full * 100, 2),
            colour=f"t{order.get(source, len(order)) % TOOL_COLOURS}",
        )
        for source, load in sorted(line.by_source.items(), key=lambda kv: order.get(kv[0], 99))
    ]
    rows = []
    for item in line.tasks[:limit]:
        task = data.task_index.get((item.source, item.task_id))
        parent = data.parent_of(task) if task else None
        rows.append(
            {
                "title": with_parent(parent.title if parent else None, item.title),
                "url": safe_url(task.url) if task else None,
                "source": item.source,
                "tool": tools.get(item.source, ""),
                "role": item.role,
                "effort": format_units(item.effort),
                "load": format_units(item.load),
                "due": local_date(item.due) if item.due else "",
                "overdue": item.due is not None and item.due < data.window_start,
            }
        )
    capacity = line.capacity
    return Overloaded(
        anchor=f"load-{n}",
        name=display_person(line.person, data.person_names) or DASH,
        percent=format_percent(line.utilisation),
        load=format_units(line.load),
        capacity=format_units(capacity),
        status=line.status,
        status_word=STATUS_WORDS.get(line.status, line.status),
        parts=parts,
        capacity_mark=round(capacity / full * 100, 2) if capacity else None,
        tasks=Capped(rows, len(line.tasks)),
    )


def _change_css(now: float | None, before: float | None) -> str:
    if now is None or before is None or round(now * 100) == round(before * 100):
        return ""
    return _worse(now > before)


def _pct(value: float | None) -> float | None:
    return None if value is None else value * 100


def _bar_width(utilisation: float | None) -> float | None:
    """The filled share of a bar in % (two decimals), 200 % utilisation filling it all."""
    if utilisation is None:
        return None
    return round(max(0.0, min(utilisation, BAR_SCALE)) / BAR_SCALE * 100, 2)


def _unmatched(data: ReportData, limit: int = REPORT_LIST_ROWS) -> Capped:
    accounts = sorted(data.unmatched, key=lambda a: (a.source, a.account.casefold()))
    rows = [
        {"source": a.source, "account": a.account, "name": a.name or DASH, "tasks": a.tasks}
        for a in accounts[:limit]
    ]
    return Capped(rows, len(accounts))


# --- matrix ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MatrixRow:
    """One task row of the HTML matrix."""

    title: str
    url: str | None
    group: str
    state: str
    due: str
    overdue: bool
    subtask: bool
    cells: list[tuple[str, str]]  # (letters, css class)
    parent: str = ""  # a subtask's parent's title (cut), shown before its own


@dataclass(frozen=True)
class MatrixGroup:
    """The rows of one source › container."""

    source: str
    container: str
    rows: list[MatrixRow]


@dataclass(frozen=True)
class MatrixView:
    """What the matrix partial shows."""

    people: list[PersonColumn]
    groups: list[MatrixGroup]
    shown: int
    total: int
    include_closed: bool
    people_total: int = 0

    @property
    def hidden(self) -> int:
        return self.total - self.shown

    @property
    def hidden_people(self) -> int:
        return max(self.people_total - len(self.people), 0)


def matrix_view(
    data: ReportData,
    include_closed: bool = False,
    max_rows: int = REPORT_MATRIX_ROWS,
    max_people: int = MATRIX_HTML_PEOPLE,
) -> MatrixView:
    """The first ``max_rows`` rows and ``max_people`` people columns of the matrix, grouped by
    source and container; the view says how many of each were left out."""
    tasks = matrix_tasks(data, include_closed)
    shown = tasks[: max(max_rows, 0)]
    everyone = person_columns(data)
    people = everyone[: max(max_people, 0)]
    frame = matrix_frame(data, shown, people)
    letters = frame_rows(frame[[person.header for person in people]])
    groups: list[MatrixGroup] = []
    for task, cells in zip(shown, letters, strict=True):
        container = task.container or DASH
        if not groups or (groups[-1].source, groups[-1].container) != (task.source, container):
            groups.append(MatrixGroup(task.source, container, []))
        parent = data.parent_of(task)
        groups[-1].rows.append(_matrix_row(task, cells, data.window_start, parent))
    return MatrixView(people, groups, len(shown), len(tasks), include_closed, len(everyone))


def _matrix_row(
    task: Task, cells: tuple[str, ...], today: date, parent: Task | None = None
) -> MatrixRow:
    return MatrixRow(
        parent=truncate(clean_text(parent.title), PARENT_CHARS) if parent else "",
        title=task.title,
        url=safe_url(task.url),
        group=task.group or "",
        state=STATE_WORDS.get(str(task.state), str(task.state)),
        due=_due(task),
        overdue=_overdue(task, today),
        subtask=task.parent_id is not None,
        cells=[(text, f"l-{text[:1]}" if text[:1] in LETTER_NAMES else "") for text in cells],
    )
