"""What the weekly email says (PRODUCT §5), worked out once from the report data.

A ``Digest`` holds the email's sections as plain, one-line texts: the sources whose data is
missing (first, PRODUCT §12), a three-line summary with the red/amber/green status, ownership
errors (task, tool, link, suggestion), overloaded people with their trend over the last weeks,
due and overdue tasks by owner, unmatched accounts and the workload lines. ``message.py``
renders it as text and HTML and wraps it in a MIME message. Every list holds the top ``CAP``
items and how many more there were.

Text from the tools goes through ``sanitize.clean_line`` (no control or bidi characters, one
line) and is cut (titles and names at ``common.TITLE_CHARS``, messages at ``TEXT_CHARS``: five
one-megabyte titles once made a 25 MB email that the server refused); escaping for HTML is the
template's job (jinja2 autoescape).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Generic, TypeVar
from urllib.parse import urlsplit

from raci_sync.i18n import N_, _, counted, local_date, localize_number
from raci_sync.model import Finding, ReportData, Severity, Task, WeekPoint, WorkloadLine
from raci_sync.reports.common import (
    SEVERITY_WORDS,
    STATUS_WORDS,
    URL_CHARS,
    display_person,
    finding_problem,
    format_units,
    human_datetime,
    round_half_up,
    short_text,
    short_title,
    sorted_findings,
    sorted_workload,
    with_parent,
)
from raci_sync.reports.sanitize import clean_line
from raci_sync.reports.summary import (
    RAG_LABEL,
    MissingSource,
    ignored_text,
    iso_week,
    missing_parts,
    missing_sources,
    missing_title,
    new_keys,
    notes,
    open_weeks_text,
    rag_status,
    summary_lines,
    utilisation_trend,
)

CAP = 10
LOAD_TASKS = 3  # tasks behind each overloaded person's load in the email; the XLSX lists all
OWNERSHIP_CHECKS = (
    "no-owner",
    "no-accountable",
    "multiple-accountable",
    "no-responsible",
    "too-many-responsible",
    "too-many-consulted",
)

T = TypeVar("T")

# The attached workbook (``spreadsheet.email_xlsx``) and its sheets, where "and N more" leads.
ATTACHMENT = "raci-report-{week}.xlsx"
FINDINGS_SHEET = N_("Findings")
WORKLOAD_SHEET = N_("Workload")
UNMATCHED_SHEET = N_("Unmatched")


@dataclass(frozen=True)
class Capped(Generic[T]):
    """The first ``CAP`` items of a list and how many were left out."""

    items: tuple[T, ...]
    more: int = 0


def cap(items: Sequence[T], limit: int = CAP) -> Capped[T]:
    """``items`` cut to ``limit``, remembering how many more there were."""
    return Capped(tuple(items[:limit]), max(len(items) - limit, 0))


@dataclass(frozen=True)
class Link:
    """A task title with its URL in the tool (None unless http/https)."""

    title: str
    url: str | None


@dataclass(frozen=True)
class OwnershipItem:
    """One ownership finding about one task."""

    task: Link
    severity: str
    tool: str
    where: str
    problem: str
    suggestion: str | None
    new: bool = False  # not there last week
    chronic: str = ""  # "open 4 weeks" when open three weeks or more; else ""

    @property
    def severity_word(self) -> str:
        """The severity for people, in the active language."""
        return SEVERITY_WORDS.get(str(self.severity), str(self.severity))


@dataclass(frozen=True)
class LoadTask:
    """One task behind an overloaded person's load."""

    task: Link
    tool: str
    letter: str
    load: str
    effort: str
    due: date | None


@dataclass(frozen=True)
class OverloadItem:
    """A person over capacity, with the weeks before."""

    name: str
    percent: str
    load: str
    capacity: str
    status: str  # over | critical
    trend: str  # "↑ from 95 % last week"
    history: tuple[str, ...]  # "W48 95 %", oldest first
    streak: int  # weeks over capacity in a row, this one included
    split: str = ""  # the load per tool: "indhold (Trello) 9 · kampagner (Asana) 5.5"
    tasks: Capped[LoadTask] = Capped(())  # the largest tasks behind the load

    @property
    def status_word(self) -> str:
        return STATUS_WORDS.get(self.status, self.status)


@dataclass(frozen=True)
class DueItem:
    """An open task due by the window's end, as one of its owners sees it."""

    task: Link
    tool: str
    due: date
    letters: str  # "R", "A" or "R/A"
    days_late: int  # 0 when not overdue

    @property
    def overdue(self) -> bool:
        return self.days_late > 0


@dataclass(frozen=True)
class OwnerDue:
    """One person's due and overdue tasks."""

    name: str
    tasks: Capped[DueItem]
    overdue: int


@dataclass(frozen=True)
class UnmatchedItem:
    """An account nobody on the roster matched."""

    name: str
    account: str
    tool: str
    source: str
    tasks: int
    suggestion: str | None


@dataclass(frozen=True)
class LoadItem:
    """One workload line for the plain-text chart substitute."""

    name: str
    percent: str
    status: str

    @property
    def status_word(self) -> str:
        return STATUS_WORDS.get(self.status, self.status)


@dataclass(frozen=True)
class Digest:
    """What the weekly email says, computed once and rendered as text and as HTML."""

    week: str  # ISO week of the window's start, "2026-W50"
    status: str  # red | amber | green
    subject: str
    status_reason: str  # "no data", "1 source failed"; "" when all data is there
    missing_title: str  # "" when no data is missing
    missing: tuple[MissingSource, ...]  # shown first, before the summary
    no_data: bool  # nothing was read: the email says so and nothing else
    summary: tuple[str, ...]  # three lines
    window: str
    window_end: str
    all_clear: bool
    due_in_window: int
    ownership: Capped[OwnershipItem]  # errors first, then warnings
    ownership_counts: tuple[int, int]  # (errors, warnings)
    overloaded: Capped[OverloadItem]
    due: Capped[OwnerDue]
    unmatched: Capped[UnmatchedItem]
    workload: Capped[LoadItem]
    generated: str
    matrix_name: str | None  # the attached workbook (Findings, Workload, Matrix); None: none
    ignored: str = ""  # "2 ignored": findings an [[ignore]] left out; "" when none
    notes: tuple[str, ...] = ()  # an [[ignore]] or [[rule]] that matches no task …
    findings_sheet: str = FINDINGS_SHEET  # where the ownership list's "and N more" are
    workload_sheet: str = WORKLOAD_SHEET  # where every task behind every load is
    unmatched_sheet: str = UNMATCHED_SHEET

    @property
    def status_label(self) -> str:
        """``Red`` / ``Rød``: the status in the active language."""
        return RAG_LABEL[self.status]


def percent(utilisation: float | None) -> str:
    """``1.45`` → ``145 %``; None → ``—``."""
    if utilisation is None:
        return "—"
    return f"{localize_number(f'{round_half_up(utilisation * 100, 0):.0f}')} %"


def build_digest(data: ReportData) -> Digest:
    """Everything the email shows, from the report data (pure: no I/O)."""
    week = iso_week(data.window_start)
    status = rag_status(data)
    ownership = _ownership(data)
    overloaded = _overloaded(data)
    due = _due_tasks(data)
    overdue = sum(task.due is not None and task.due < data.window_start for task, _ in due)
    errors = sum(item.severity == Severity.ERROR for item in ownership)
    warnings = len(ownership) - errors
    counts = [
        counted(errors, "{count} ownership error", "{count} ownership errors"),
        counted(len(overloaded), "{count} overloaded", "{count} overloaded"),
        counted(overdue, "{count} overdue task", "{count} overdue tasks"),
        counted(warnings, "{count} ownership warning", "{count} ownership warnings"),
        counted(len(data.unmatched), "{count} unmatched account", "{count} unmatched accounts"),
    ]
    numbers = [errors, len(overloaded), overdue, warnings, len(data.unmatched)]
    # missing data first: the subject says "no data" or "1 source failed" before any finding
    missing = missing_parts(data)
    parts = missing + [
        text for n, text in zip(numbers, counts, strict=True) if n and not data.no_data
    ]
    headline = ", ".join(parts[:3]) if parts else _("all clear")
    trusted = not data.no_data and not data.missing
    return Digest(
        week=week,
        status=status,
        subject=clean_line(f"RACI {week}: {RAG_LABEL[status].upper()} — {headline}"),
        status_reason=", ".join(missing),
        missing_title=missing_title(data),
        missing=tuple(missing_sources(data)),
        no_data=data.no_data,
        summary=tuple(summary_lines(data)),
        window=f"{local_date(data.window_start)} – {local_date(data.window_end)}",
        window_end=local_date(data.window_end),
        all_clear=trusted and status == "green" and overdue == 0,
        due_in_window=len(due),
        ownership=cap(ownership),
        ownership_counts=(errors, warnings),
        overloaded=cap(overloaded),
        due=cap(_due_by_owner(data, due)),
        unmatched=cap(_unmatched(data)),
        workload=cap(_workload(data)),
        generated=human_datetime(data.generated_at),
        matrix_name=None if data.no_data else ATTACHMENT.format(week=week),
        ignored=ignored_text(data),
        notes=tuple(notes(data)),
        findings_sheet=_(FINDINGS_SHEET),
        workload_sheet=_(WORKLOAD_SHEET),
        unmatched_sheet=_(UNMATCHED_SHEET),
    )


# -- the sections ----------------------------------------------------------------------------------


def _link(task: Task | None, fallback: str | None, parent: Task | None = None) -> Link:
    """A task's title ("Parent › Subtask" when ``parent`` is given) and its web URL."""
    title = with_parent(parent.title if parent else None, task.title if task else fallback) or "—"
    url = clean_line(task.url) if task and task.url else None
    if url and (len(url) > URL_CHARS or urlsplit(url).scheme.lower() not in ("http", "https")):
        url = None
    return Link(title, url or None)


def _tools(data: ReportData) -> dict[str, str]:
    return {s.name: s.tool for s in data.sources}


def _ownership(data: ReportData) -> list[OwnershipItem]:
    """Ownership findings: errors first, the new ones (not there last week) first among them,
    then warnings, new ones first again; the report's order within each."""
    tools = _tools(data)
    fresh = new_keys(data)
    items = []
    for finding in sorted_findings(data.findings):
        if finding.check not in OWNERSHIP_CHECKS:
            continue
        task = data.task_of(finding)
        where = [task.container, task.group] if task else [finding.source]
        items.append(
            OwnershipItem(
                task=_link(task, finding.task, data.parent_of(task) if task else None),
                severity=Severity(finding.severity),
                tool=tools.get(finding.source or "", short_title(finding.source)),
                where=" › ".join(short_title(w) for w in where if w),
                problem=_problem(finding),
                suggestion=short_text(finding.suggestion) or None,
                new=finding.key in fresh,
                chronic=open_weeks_text(finding, data.window_start),
            )
        )
    return sorted(items, key=lambda item: (-Severity(item.severity).rank, not item.new))


def _problem(finding: Finding) -> str:
    """The finding's message without the "'<title>' (<source>) " it starts with, if it does;
    cut at TEXT_CHARS (a message can carry a title of any length)."""
    return finding_problem(finding)


def _overloaded(data: ReportData) -> list[OverloadItem]:
    names = data.person_names
    last = data.trends.last(1)
    latest = last[0] if last else None
    previous = iso_week(data.window_start - timedelta(days=7))
    items = []
    for line in sorted_workload(data.workload, names):
        if line.status not in ("over", "critical"):
            continue
        full_name = clean_line(display_person(line.person, names))
        history = utilisation_trend(data, full_name)
        items.append(
            OverloadItem(
                name=short_title(full_name),
                percent=percent(line.utilisation),
                load=format_units(line.load),
                capacity=format_units(line.capacity),
                status=line.status,
                trend=trend_text(line.utilisation, latest, full_name, previous),
                history=tuple(
                    f"{_short_week(point.week)} {percent(point.value)}" for point in history
                ),
                streak=_streak([*(point.value for point in history), line.utilisation]),
                split=_split(line, data),
                tasks=cap(_load_tasks(line, data), LOAD_TASKS),
            )
        )
    return items


def _split(line: WorkloadLine, data: ReportData) -> str:
    """The load per tool, largest first: ``indhold (Trello) 9 · kampagner (Asana) 5.5``."""
    tools = _tools(data)
    return " · ".join(
        f"{short_title(source)} ({tools.get(source, short_title(source))}) {format_units(load)}"
        for source, load in sorted(line.by_source.items(), key=lambda kv: (-kv[1], kv[0]))
    )


def _load_tasks(line: WorkloadLine, data: ReportData) -> list[LoadTask]:
    tools = _tools(data)
    items = []
    for item in line.tasks:  # largest first (the mapping's order)
        task = data.task_index.get((item.source, item.task_id))
        parent = data.parent_of(task) if task else None
        link = _link(task, item.title, parent) if task else Link(short_title(item.title), None)
        items.append(
            LoadTask(
                task=link,
                tool=tools.get(item.source, short_title(item.source)),
                letter=item.role,
                load=format_units(item.load),
                effort=format_units(item.effort),
                due=item.due,
            )
        )
    return items


def trend_text(now: float | None, point: WeekPoint | None, name: str, previous_week: str) -> str:
    """``↑ from 95 % last week`` (or ↓, or unchanged): ``name``'s utilisation ``now`` against
    ``point``, the latest stored week ("last week" when it is ``previous_week``)."""
    if point is None:
        return _("no earlier week stored")
    last = point.week == previous_week
    before = point.utilisation.get(name)
    if before is None or now is None:
        if last:
            return _("not measured last week")
        return _("not measured in {week}").format(week=point.week)
    was, is_ = round_half_up(before * 100, 0), round_half_up(now * 100, 0)
    if is_ == was:
        if last:
            return _("→ unchanged from last week")
        return _("→ unchanged from in {week}").format(week=point.week)
    arrow = "↑" if is_ > was else "↓"
    if last:
        return _("{arrow} from {percent} last week").format(arrow=arrow, percent=percent(before))
    return _("{arrow} from {percent} in {week}").format(
        arrow=arrow, percent=percent(before), week=point.week
    )


def _short_week(week: str) -> str:
    """``2026-W49`` → ``W49``: the year is clear from the subject."""
    return week.rpartition("-")[2] or week


def _streak(values: Sequence[float | None]) -> int:
    """Weeks over capacity in a row, counting back from the last value."""
    streak = 0
    for value in reversed(values):
        if value is None or value <= 1.0:
            break
        streak += 1
    return streak


def _due_tasks(data: ReportData) -> list[tuple[Task, dict[str, str]]]:
    """Open tasks due by the window's end, each with who holds R or A on it (person → letters)."""
    letters_of = data.assignments_by_task
    due = []
    for task in data.tasks:
        if not task.is_open or task.due is None or task.due > data.window_end:
            continue
        held: dict[str, list[str]] = {}
        for assignment in letters_of.get(task.key, ()):  # R before A
            if assignment.letter in ("R", "A"):
                letters = held.setdefault(assignment.person, [])
                if assignment.letter not in letters:
                    letters.append(assignment.letter)
        if held:
            due.append((task, {person: "/".join(letters) for person, letters in held.items()}))
    return due


def _due_by_owner(data: ReportData, due: Sequence[tuple[Task, dict[str, str]]]) -> list[OwnerDue]:
    """The due tasks per person holding R or A on them; people by name, tasks by due date."""
    names = data.person_names
    tools = _tools(data)
    per_person: dict[str, list[DueItem]] = {}
    for task, held in due:
        assert task.due is not None
        for person, letters in held.items():
            item = DueItem(
                task=_link(task, None, data.parent_of(task)),
                tool=tools.get(task.source, short_title(task.source)),
                due=task.due,
                letters=letters,
                days_late=max((data.window_start - task.due).days, 0),
            )
            per_person.setdefault(short_title(display_person(person, names)), []).append(item)
    owners = []
    for name in sorted(per_person, key=str.casefold):
        items = sorted(per_person[name], key=lambda i: (i.due, i.task.title.casefold()))
        owners.append(OwnerDue(name, cap(items), sum(i.overdue for i in items)))
    return owners


def _unmatched(data: ReportData) -> list[UnmatchedItem]:
    titles = {s.name: s.kind_title for s in data.sources}
    names = data.person_names
    suggestions = {
        (f.source, clean_line(display_person(f.person, names))): short_text(f.suggestion)
        for f in data.findings
        if f.check == "unmatched-person" and f.suggestion
    }
    accounts = sorted(data.unmatched, key=lambda a: (-a.tasks, a.source, a.account.casefold()))
    return [
        UnmatchedItem(
            name=short_title(a.name) or short_title(a.account),
            account=short_title(a.account),
            tool=titles.get(a.source) or short_title(a.source),
            source=short_title(a.source),
            tasks=a.tasks,
            suggestion=suggestions.get((a.source, clean_line(a.name))),
        )
        for a in accounts
    ]


def _workload(data: ReportData) -> list[LoadItem]:
    names = data.person_names
    return [
        LoadItem(
            name=short_title(display_person(line.person, names)),
            percent=percent(line.utilisation)
            if line.status != "unmonitored"
            else STATUS_WORDS["unmonitored"],
            status=line.status,
        )
        for line in sorted_workload(data.workload, names)
    ]
