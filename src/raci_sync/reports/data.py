"""What every report renders: one immutable bundle, built once from the store or a sync."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from raci_sync.model import Assignment, Finding, Person, Task, WorkloadLine


@dataclass(frozen=True)
class SourceStatus:
    """One source as a report shows it."""

    name: str
    kind: str
    status: str  # ok | failed | skipped | never (never synced)
    synced_at: datetime | None  # when the data shown for it was read (its last good snapshot)
    tasks: int
    error: str | None = None
    stale_since: datetime | None = None  # first failed sync after the snapshot shown


@dataclass(frozen=True)
class UnmatchedAccount:
    """An account that no roster entry matched, with the number of tasks it holds a letter on."""

    source: str
    account: str  # username if the tool has one, else the account id
    name: str | None
    tasks: int


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
class ReportData:
    """Everything a report shows."""

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
