"""What a chat notification says (PRODUCT §11, §12), from the report data and the target's last
successful post. Pure: no I/O.

In this order: the sources whose data is missing (failed, stale, never synced, each with why) —
every time, for missing data is the loudest thing; then only what is new since the last
successful post to that target: ownership errors that were not open then, and people who were
not over capacity then, each with links to the tasks. The first post to a target has no
baseline, so everything open counts as new. A notice with nothing missing and nothing new is
not worth a post (unless forced).

Text from the tools is cleaned to one line (``sanitize.clean_line``) and cut like in the email;
each format escapes it for its own markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit

from raci_sync.i18n import N_, _, counted
from raci_sync.model import Finding, FindingKey, ReportData, Severity, Task, WorkloadLine
from raci_sync.reports.common import (
    URL_CHARS,
    display_person,
    human_datetime,
    short_text,
    short_title,
    sorted_findings,
    sorted_workload,
)
from raci_sync.reports.email.digest import OWNERSHIP_CHECKS, Capped, cap, percent
from raci_sync.reports.sanitize import clean_line
from raci_sync.reports.summary import (
    RAG_LABEL,
    iso_week,
    missing_parts,
    missing_title,
    rag_status,
    source_why,
)
from raci_sync.store.notifications import Notified

FIRST_POST = N_("the first post to this target")
TASKS_PER_PERSON = 3  # the largest tasks behind a newly overloaded person's load


@dataclass(frozen=True)
class TaskLink:
    """A task as a notification links it: its title and its URL in the tool (http/https only)."""

    source: str
    task_id: str
    title: str
    url: str | None


@dataclass(frozen=True)
class Missing:
    """A source whose data is missing (failed, stale or never synced), and why."""

    name: str
    tool: str
    status: str
    why: str
    synced_at: datetime | None  # when the data shown for it was read; None: no data at all


@dataclass(frozen=True)
class NewError:
    """An ownership error that was not open at the last successful post."""

    key: FindingKey
    check: str
    task: TaskLink
    tool: str
    where: str  # "board › list"
    problem: str
    suggestion: str | None


@dataclass(frozen=True)
class LoadTask:
    """One task behind a person's load."""

    task: TaskLink
    role: str
    load: float  # this person's share of the task
    due: date | None


@dataclass(frozen=True)
class NewOverload:
    """A person over capacity who was not at the last successful post."""

    key: str  # Person.key
    name: str
    percent: str  # "145 %"
    utilisation: float | None
    load: float
    capacity: float | None
    status: str  # over | critical
    tasks: tuple[LoadTask, ...]  # the largest TASKS_PER_PERSON


@dataclass(frozen=True)
class Notice:
    """One notification's content; the formats render it, the sender records its state."""

    week: str
    status: str  # red | amber | green
    headline: str  # "RACI 2026-W50: RED — 1 source failed, 2 new ownership errors"
    summary: str  # "3 ownership errors open (2 new since …); 2 people over capacity (1 new)"
    generated_at: datetime
    window_start: date
    window_end: date
    since: datetime | None  # the last successful post to this target; None: the first
    no_data: bool
    missing_title: str  # "" when nothing is missing
    missing: tuple[Missing, ...]
    new_errors: Capped[NewError]
    newly_overloaded: Capped[NewOverload]
    open_errors: int  # every ownership error open now
    overloaded: int  # everyone over capacity now
    # what is open now: recorded with a successful post, the next one's baseline
    errors_now: frozenset[FindingKey]
    overloaded_now: frozenset[str]

    @property
    def worth_posting(self) -> bool:
        """Missing data, or something new: else the post would only repeat the last one."""
        return bool(
            self.no_data or self.missing or self.new_errors.items or self.newly_overloaded.items
        )

    @property
    def since_text(self) -> str:
        """``since 2026-12-08 07:00 +0100`` (the last post), or what the first post says."""
        if self.since:
            return _("since {when}").format(when=human_datetime(self.since))
        return _(FIRST_POST)


def build_notice(data: ReportData, last: Notified | None) -> Notice:
    """What to post, given the target's last successful post (``last``; None: the first)."""
    errors = [f for f in sorted_findings(data.findings) if _ownership_error(f.check, f.severity)]
    over = [
        line
        for line in sorted_workload(data.workload, data.person_names)
        if line.status in ("over", "critical")
    ]
    before_errors = last.errors if last else frozenset()
    before_over = last.overloaded if last else frozenset()
    tools = {s.name: s.tool for s in data.sources}
    new_errors = [_new_error(data, f, tools) for f in errors if f.key not in before_errors]
    newly_over = [_new_overload(data, line) for line in over if line.person not in before_over]
    status = rag_status(data)
    week = iso_week(data.window_start)
    news = [
        counted(len(new_errors), "{count} new ownership error", "{count} new ownership errors")
        if new_errors
        else "",
        counted(len(newly_over), "{count} newly overloaded", "{count} newly overloaded")
        if newly_over
        else "",
    ]
    parts = missing_parts(data) + [c for c in news if c and not data.no_data]
    label = RAG_LABEL[status].upper()
    what = ", ".join(parts) if parts else _("nothing new")
    headline = clean_line(f"RACI {week}: {label} — {what}")
    return Notice(
        week=week,
        status=status,
        headline=headline,
        summary=_summary(len(errors), len(new_errors), len(over), len(newly_over), last),
        generated_at=data.generated_at,
        window_start=data.window_start,
        window_end=data.window_end,
        since=last.posted_at if last else None,
        no_data=data.no_data,
        missing_title=missing_title(data),
        missing=tuple(
            Missing(
                short_title(s.name),
                short_title(s.tool),
                s.status,
                short_text(source_why(s)),
                s.synced_at,
            )
            for s in data.missing
        ),
        new_errors=cap(new_errors),
        newly_overloaded=cap(newly_over),
        open_errors=len(errors),
        overloaded=len(over),
        errors_now=frozenset(f.key for f in errors),
        overloaded_now=frozenset(line.person for line in over),
    )


def _ownership_error(check: str, severity: Severity) -> bool:
    return check in OWNERSHIP_CHECKS and Severity(severity) is Severity.ERROR


def _summary(errors: int, new: int, over: int, newly: int, last: Notified | None) -> str:
    open_errors = counted(errors, "{count} ownership error", "{count} ownership errors")
    overloaded = counted(over, "{count} person", "{count} people")
    if last is None:
        return _("{errors} open; {overloaded} over capacity ({first}: all of it is new).").format(
            errors=open_errors, overloaded=overloaded, first=_(FIRST_POST)
        )
    since = human_datetime(last.posted_at)
    return _(
        "{errors} open ({new} new since {since}); {overloaded} over capacity ({newly} new)."
    ).format(errors=open_errors, new=new, since=since, overloaded=overloaded, newly=newly)


def task_link(task: Task | None, source: str, task_id: str, fallback: str | None) -> TaskLink:
    """A task's title and URL; the URL only when it is http(s) and not absurdly long."""
    title = short_title(task.title if task else fallback) or "—"
    url = clean_line(task.url) if task and task.url else ""
    if url and (len(url) > URL_CHARS or urlsplit(url).scheme.lower() not in ("http", "https")):
        url = ""
    return TaskLink(source, task_id, title, url or None)


def _new_error(data: ReportData, finding: Finding, tools: dict[str, str]) -> NewError:
    task = data.task_of(finding)
    source = finding.source or ""
    where = [task.container, task.group] if task else []
    return NewError(
        key=finding.key,
        check=finding.check,
        task=task_link(task, source, finding.task_id or "", finding.task),
        tool=short_title(tools.get(source, source)),
        where=" › ".join(short_title(w) for w in where if w),
        problem=_problem(finding.message, finding.task, source),
        suggestion=short_text(finding.suggestion) or None,
    )


def _problem(message: str, title: str | None, source: str) -> str:
    """The finding's message without the "'<title>' (<source>) " the checks start it with."""
    text = clean_line(message)
    prefix = clean_line(f"'{title}' ({source}) ") + " "
    if title and text.startswith(prefix):
        rest = text[len(prefix) :]
        text = rest[:1].upper() + rest[1:]
    return short_text(text)


def _new_overload(data: ReportData, line: WorkloadLine) -> NewOverload:
    tasks = tuple(
        LoadTask(
            task=task_link(
                data.task_index.get((item.source, item.task_id)),
                item.source,
                item.task_id,
                item.title,
            ),
            role=item.role,
            load=item.load,
            due=item.due,
        )
        for item in line.tasks[:TASKS_PER_PERSON]
    )
    return NewOverload(
        key=line.person,
        name=short_title(display_person(line.person, data.person_names)),
        percent=percent(line.utilisation),
        utilisation=line.utilisation,
        load=line.load,
        capacity=line.capacity,
        status=line.status,
        tasks=tasks,
    )
