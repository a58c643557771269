"""The normalized model: what every connector produces and every report reads (PRODUCT §2).

Every type that crosses a layer lives here, at the bottom: connectors produce ``Snapshot``,
mapping makes an ``Evaluation`` of them, the store keeps both and reads back ``Trends``, and
reports render one ``ReportData``. Nothing here knows which API a task came from, and nothing
here does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import cached_property

LETTERS = ("R", "A", "C", "I")
# The checks of PRODUCT §4, in report order; the ids are stable (JSON output and config).
CHECK_IDS = (
    "no-owner",
    "no-accountable",
    "multiple-accountable",
    "no-responsible",
    "too-many-responsible",
    "too-many-consulted",
    "overloaded",
    "unmatched-person",
    "accountability-bottleneck",
    "person-without-role",
)


class State(StrEnum):
    """Where a task stands; only open tasks are checked."""

    OPEN = "open"
    DONE = "done"
    ARCHIVED = "archived"


class Severity(StrEnum):
    """How bad a finding is; ordered by ``rank``."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 2, "warning": 1, "info": 0}[self.value]


@dataclass(frozen=True)
class Account:
    """One account in one source, as the API reports it (a user, member or team member)."""

    source: str
    id: str
    name: str | None = None
    username: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class FieldValue:
    """One raw field of a task that may name people or carry a number.

    ``key`` is the field's stable reference: ``assignee``, ``members``, ``followers`` or
    ``subscribers`` for the tools' built-in people fields, ``field`` for a custom field or
    monday column (then ``id`` and ``title`` identify it). ``accounts`` are account ids of the
    same source (monday teams already expanded to their members); ``names`` are free-text person
    names (a Trello text or dropdown field naming people, comma-separated in the tool).
    """

    key: str
    id: str | None = None
    title: str | None = None
    kind: str | None = None  # people | number | text | enum | date | status ...
    accounts: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    number: float | None = None
    text: str | None = None

    @property
    def label(self) -> str:
        """How reports name this field in ``via`` (``assignee``, ``custom_field:Accountable``)."""
        if self.key == "field":
            return f"custom_field:{self.title or self.id}"
        return self.key


@dataclass(frozen=True)
class Task:
    """One card / task / item, normalized."""

    source: str
    id: str
    title: str
    url: str | None = None
    container: str | None = None  # board / project
    container_id: str | None = None
    group: str | None = None  # list / section / group
    state: State = State.OPEN
    due: date | None = None
    start: date | None = None
    updated: datetime | None = None
    parent_id: str | None = None
    labels: tuple[str, ...] = ()
    fields: tuple[FieldValue, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.id)

    @property
    def is_open(self) -> bool:
        return self.state is State.OPEN


@dataclass(frozen=True)
class Snapshot:
    """Everything one connector read from one source in one fetch: complete, or never returned."""

    source: str
    kind: str
    tasks: tuple[Task, ...]
    accounts: tuple[Account, ...]
    containers: tuple[str, ...] = ()
    fetched_at: datetime | None = None
    requests: int = 0  # HTTP requests the fetch made (for benchmarks and the run record)
    state: dict[str, str] = field(
        default_factory=dict
    )  # per-container cursors for incremental sync


@dataclass(frozen=True)
class Person:
    """One human across tools: from the roster, or an unmatched account standing for itself."""

    key: str  # stable id: "roster:<name>" or "<source>:<account id>"
    name: str
    emails: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()  # "kind:id-or-username"
    hats: tuple[str, ...] = ()
    capacity: float | None = None
    away: tuple[tuple[date, date], ...] = ()
    matched: bool = True  # False for an account no roster entry matched


@dataclass(frozen=True)
class Assignment:
    """(task, person, letter, via): one RACI letter and the field or rule that gave it."""

    source: str
    task_id: str
    person: str  # Person.key
    person_name: str
    letter: str
    via: str


@dataclass(frozen=True)
class Finding:
    """One check result, about a task or a person."""

    check: str
    severity: Severity
    message: str
    source: str | None = None
    task_id: str | None = None
    task: str | None = None
    person: str | None = None
    suggestion: str | None = None
    since: date | None = None  # the first day it was seen (PRODUCT §10 "What changed")

    @property
    def key(self) -> FindingKey:
        """What makes two findings of different runs the same one (PRODUCT §12)."""
        return (self.check, self.source, self.task_id, self.person)


FindingKey = tuple[str, str | None, str | None, str | None]  # check, source, task_id, person


@dataclass(frozen=True)
class Changes:
    """What changed since the last run of the previous ISO week (``baseline``; None when the
    store has none, and nothing can be called new or resolved)."""

    baseline: date | None = None
    new: tuple[FindingKey, ...] = ()
    resolved: tuple[FindingKey, ...] = ()


@dataclass(frozen=True)
class LoadItem:
    """One open task behind a person's load in the window (PRODUCT §10 "Why")."""

    source: str
    task_id: str
    title: str
    role: str  # the letter it counts with: the heaviest the person holds on it
    effort: float  # the task's effort
    load: float  # this person's share of it: effort × weight, R split among the R holders
    due: date | None


@dataclass(frozen=True)
class WorkloadLine:
    """One person's load in the window (PRODUCT §4), and what makes it up (§10)."""

    person: str
    load: float
    capacity: float | None
    utilisation: float | None
    status: str  # ok | over | critical | unmonitored
    open_tasks: int
    by_source: Mapping[str, float] = field(default_factory=dict)  # source name → load
    tasks: tuple[LoadItem, ...] = ()  # largest load first


@dataclass(frozen=True)
class SourceRun:
    """How one source fared in a run."""

    name: str
    kind: str
    status: str  # ok | failed | skipped
    tasks: int = 0
    requests: int = 0
    error: str | None = None
    synced_at: datetime | None = None  # when its current (last good) snapshot was taken


@dataclass(frozen=True)
class Run:
    """One sync: when, and how each source fared."""

    started: datetime
    finished: datetime | None
    sources: tuple[SourceRun, ...] = ()
    id: int | None = None

    @property
    def failed(self) -> bool:
        return any(s.status == "failed" for s in self.sources)


@dataclass(frozen=True)
class UnmatchedAccount:
    """An account that no roster entry matched, with the number of tasks it holds a letter on."""

    source: str
    account: str  # username if the tool has one, else the account id
    name: str | None
    tasks: int


@dataclass(frozen=True)
class Evaluation:
    """What the mapping layer makes of one set of tasks on one day."""

    # the roster, then one unmatched Person per account or name holding a letter
    people: tuple[Person, ...]
    assignments: tuple[Assignment, ...]
    findings: tuple[Finding, ...]  # error first, then check, source, task title
    workload: tuple[WorkloadLine, ...]  # highest utilisation first, unmonitored last
    unmatched: tuple[UnmatchedAccount, ...]
    ignored: tuple[IgnoredFinding, ...] = ()  # left out by an [[ignore]], never dropped
    notes: tuple[str, ...] = ()  # e.g. an [[ignore]] or [[rule]] that matches no task


@dataclass(frozen=True)
class IgnoredFinding:
    """A finding an ``[[ignore]]`` left out, and which one (its index in the config)."""

    finding: Finding
    rule: int


@dataclass(frozen=True)
class WeekPoint:
    """One ISO week of history: the last evaluation stored in that week."""

    week: str  # ISO week, e.g. "2026-W49"
    as_of: date  # the evaluation's window start
    open_without_owner: int  # open tasks with a no-owner finding
    findings: Mapping[str, int]  # check id → number of findings
    utilisation: Mapping[str, float | None]  # person name → utilisation (None: unmonitored)


@dataclass(frozen=True)
class Trends:
    """Week-over-week history, oldest first; the report's own week is not in it."""

    weeks: tuple[WeekPoint, ...] = ()

    def last(self, n: int) -> tuple[WeekPoint, ...]:
        """The latest ``n`` weeks, oldest first."""
        return self.weeks[-n:] if n > 0 else ()


@dataclass(frozen=True)
class SourceStatus:
    """One source as a report shows it."""

    name: str
    kind: str
    # ok | failed (its last sync failed) | stale (ok, but older than stale_after_hours) |
    # never (never synced) | skipped
    status: str
    synced_at: datetime | None  # when the data shown for it was read (its last good snapshot)
    tasks: int
    error: str | None = None
    stale_since: datetime | None = None  # first failed sync after the snapshot shown
    kind_title: str = ""  # how people name the tool ("monday.com"); "" when unknown

    @property
    def tool(self) -> str:
        """The tool's name for people, else its kind."""
        return self.kind_title or self.kind

    @property
    def missing(self) -> bool:
        """True when this source's data is missing, failed or too old (PRODUCT §9)."""
        return self.status in MISSING_STATUSES

    @property
    def why(self) -> str:
        """Why its data is missing, in words, with since when; "" when it is not."""
        if self.status == "never":
            return "never synced: run `raci sync`"
        since = self.stale_since or self.synced_at
        when = f" since {since:%Y-%m-%d %H:%M %z}" if since else ""
        if self.status == "failed":
            shown = (
                f"; showing data from {self.synced_at:%Y-%m-%d %H:%M %z}"
                if self.synced_at
                else "; no data from it at all"
            )
            return f"the last sync failed{when}{shown}: {self.error or 'no reason recorded'}"
        if self.status == "stale":
            return f"not synced{when}: its data is too old to trust"
        return ""


MISSING_STATUSES = ("failed", "stale", "never")


TaskKey = tuple[str, str]  # (source, task id)


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows: one immutable bundle, built once from the store or a sync.

    The look-ups every renderer needs (``person_names``, ``task_index``,
    ``assignments_by_task``) are computed on first use and kept: an HTML page, an XLSX workbook
    and the email render from one bundle without rebuilding them. They are shared, never copied:
    read them, don't change them.
    """

    generated_at: datetime
    window_start: date
    window_end: date
    sources: tuple[SourceStatus, ...]
    tasks: tuple[Task, ...]
    assignments: tuple[Assignment, ...]
    findings: tuple[Finding, ...]
    workload: tuple[WorkloadLine, ...]
    unmatched: tuple[UnmatchedAccount, ...]
    people: tuple[Person, ...] = ()
    trends: Trends = field(default_factory=Trends)  # the weeks before this report
    changes: Changes = field(default_factory=Changes)  # against the previous ISO week
    ignored: tuple[IgnoredFinding, ...] = ()  # findings an [[ignore]] left out
    notes: tuple[str, ...] = ()  # things the reader should know (unused ignores and rules)

    @cached_property
    def person_names(self) -> Mapping[str, str]:
        """Display names by Person.key, so a key in a finding or workload line reads as a name."""
        names = {person.key: person.name for person in self.people}
        for assignment in self.assignments:
            names.setdefault(assignment.person, assignment.person_name)
        return names

    @cached_property
    def task_index(self) -> Mapping[TaskKey, Task]:
        """Every task of the report by (source, id)."""
        return {task.key: task for task in self.tasks}

    @cached_property
    def assignments_by_task(self) -> Mapping[TaskKey, tuple[Assignment, ...]]:
        """Assignments by (source, task id), each in R, A, C, I then name order."""
        grouped: dict[TaskKey, list[Assignment]] = {}
        for assignment in self.assignments:
            grouped.setdefault((assignment.source, assignment.task_id), []).append(assignment)
        return {key: tuple(sorted(items, key=_letter_order)) for key, items in grouped.items()}

    @property
    def missing(self) -> tuple[SourceStatus, ...]:
        """The sources whose data is missing, failed or too old: shown first everywhere."""
        return tuple(s for s in self.sources if s.missing)

    @property
    def no_data(self) -> bool:
        """True when no source has any data: the report must say so, never "all clear"."""
        return not any(s.synced_at is not None for s in self.sources)

    def task_of(self, finding: Finding) -> Task | None:
        """The task a finding is about, if it is one of the report's tasks."""
        return self.task_index.get((finding.source or "", finding.task_id or ""))

    def parent_of(self, task: Task) -> Task | None:
        """A subtask's parent, if it is one of the report's tasks (same source); else None."""
        if task.parent_id is None:
            return None
        return self.task_index.get((task.source, task.parent_id))


def _letter_order(assignment: Assignment) -> tuple[int, str, str]:
    letter = LETTERS.index(assignment.letter) if assignment.letter in LETTERS else len(LETTERS)
    return (letter, assignment.person_name.casefold(), assignment.via)
