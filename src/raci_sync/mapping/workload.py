"""Load, capacity and utilisation per person over the window (PRODUCT §4 "Workload").

Window: ``[as_of, as_of + horizon_days - 1]``. Open tasks count when due in the window or
overdue, and undated ones unless ``count_undated = false``. A task's effort is its number field
named by the source's ``fields.effort``, else ``default_effort``. Each person on a task adds
``effort × weight(letter)``, R shared equally among the task's R holders; a person with several
letters on one task counts once, with the letter that weighs most for them.

Capacity is the roster capacity (else ``default_capacity``) reduced pro rata by days away in
the window. No capacity → "unmonitored", never "ok". Zero capacity (away the whole window)
with load → "critical" with no utilisation figure (it would be infinite); without load → "ok".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from raci_sync.config import DEFAULT_WEIGHTS, WorkloadConfig
from raci_sync.mapping.roles import TaskRoles, field_matches
from raci_sync.model import LoadItem, Person, Task, WorkloadLine


@dataclass(frozen=True)
class Window:
    """The days the workload looks at, both ends included."""

    start: date
    end: date

    @classmethod
    def starting(cls, as_of: date, horizon_days: int) -> Window:
        """The window of ``horizon_days`` days that starts on ``as_of``."""
        return cls(as_of, as_of + timedelta(days=max(horizon_days, 1) - 1))

    @property
    def days(self) -> int:
        """Number of days in the window."""
        return (self.end - self.start).days + 1

    def counts(self, task: Task, count_undated: bool) -> bool:
        """True when an open task weighs on the window: due in it, overdue, or undated."""
        if not task.is_open:
            return False
        if task.due is None:
            return count_undated
        return task.due <= self.end


def task_effort(task: Task, effort_field: str | None, default: float) -> float:
    """The task's effort: the number in its ``effort_field`` (title or id), else ``default``.

    A negative, infinite or NaN number is no effort anyone can plan with: the default counts.
    """
    if effort_field:
        for value in task.fields:
            if value.number is not None and field_matches(value, effort_field):
                number = float(value.number)
                return number if math.isfinite(number) and number >= 0 else float(default)
    return float(default)


def task_loads(roles: TaskRoles, effort: float, weights: Mapping[str, float]) -> dict[str, float]:
    """Each person's load from one task: the heaviest of their letters, R split among R holders."""
    return {person: share for person, (_, share) in task_shares(roles, effort, weights).items()}


def task_shares(
    roles: TaskRoles, effort: float, weights: Mapping[str, float]
) -> dict[str, tuple[str, float]]:
    """Each person's (letter, load) from one task: the letter that weighs most for them."""
    r_holders = max(len(roles.holders("R")), 1)
    shares: dict[str, tuple[str, float]] = {}
    for a in roles.assignments:
        share = effort * _weight(weights, a.letter)
        if a.letter == "R":
            share /= r_holders
        if a.person not in shares or share > shares[a.person][1]:
            shares[a.person] = (a.letter, share)
    return shares


def days_away(person: Person, window: Window) -> int:
    """Distinct days of the window on which the person is away (overlapping spans count once)."""
    days: set[date] = set()
    for start, end in person.away:
        first, last = max(start, window.start), min(end, window.end)
        days.update(first + timedelta(days=i) for i in range((last - first).days + 1))
    return len(days)


def effective_capacity(person: Person, window: Window) -> float | None:
    """Capacity in the window after time away (pro rata); None when the person has none."""
    if person.capacity is None:
        return None
    present = window.days - days_away(person, window)
    return round(person.capacity * present / window.days, 2)


def rate(load: float, capacity: float | None, critical_at: float) -> tuple[float | None, str]:
    """(utilisation, status) for a load against a capacity."""
    if capacity is None:
        return None, "unmonitored"
    if capacity <= 0:
        return (None, "critical") if load > 0 else (0.0, "ok")
    utilisation = round(load / capacity, 4)
    if utilisation >= critical_at:
        return utilisation, "critical"
    return utilisation, "over" if utilisation > 1.0 else "ok"


def compute_workload(
    mapped: Iterable[TaskRoles],
    people: Sequence[Person],
    config: WorkloadConfig,
    as_of: date,
    effort_fields: Mapping[str, str | None],
    critical_at: float = 1.2,
) -> tuple[WorkloadLine, ...]:
    """One line per roster person, plus each unmatched person with a task in the window."""
    window = Window.starting(as_of, config.horizon_days)
    items: dict[str, list[LoadItem]] = {}
    for roles in mapped:
        task = roles.task
        if not window.counts(task, config.count_undated):
            continue
        effort = task_effort(task, effort_fields.get(task.source), config.default_effort)
        for key, (letter, share) in task_shares(roles, effort, config.weights).items():
            item = LoadItem(task.source, task.id, task.title, letter, effort, share, task.due)
            items.setdefault(key, []).append(item)
    lines = [
        _line(p, items.get(p.key, []), window, critical_at)
        for p in people
        if p.matched or p.key in items
    ]
    return tuple(sorted(lines, key=_order))


def _line(
    person: Person, items: list[LoadItem], window: Window, critical_at: float
) -> WorkloadLine:
    load = round(sum(i.load for i in items), 2)
    capacity = effective_capacity(person, window)
    utilisation, status = rate(load, capacity, critical_at)
    by_source: dict[str, float] = {}
    for i in items:
        by_source[i.source] = by_source.get(i.source, 0.0) + i.load
    return WorkloadLine(
        person=person.name,
        load=load,
        capacity=capacity,
        utilisation=utilisation,
        status=status,
        open_tasks=len(items),
        by_source={source: round(value, 2) for source, value in sorted(by_source.items())},
        tasks=tuple(
            sorted(items, key=lambda i: (-i.load, i.due or date.max, i.title.casefold(), i.task_id))
        ),
    )


def _order(line: WorkloadLine) -> tuple[int, float, float, str]:
    """Highest utilisation first; zero capacity with load before everyone; unmonitored last."""
    if line.status == "unmonitored":
        rank, util = 2, 0.0
    elif line.utilisation is None:
        rank, util = 0, 0.0
    else:
        rank, util = 1, line.utilisation
    return (rank, -util, -line.load, line.person.casefold())


def _weight(weights: Mapping[str, float], letter: str) -> float:
    return float(weights.get(letter, DEFAULT_WEIGHTS.get(letter, 0.0)))
