"""What every report renders: one immutable bundle, built once from the store or a sync."""

from __future__ import annotations

from dataclasses import dataclass
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
