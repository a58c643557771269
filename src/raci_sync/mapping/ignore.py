"""``[[ignore]]``: findings a team has decided to leave out (PRODUCT §10, §12 "Ignore").

An ignore names one task (its id or URL), a task match (as a rule's ``match``), or an account
(``kind:id-or-username``: only findings *about* that account are silenced — it still owns its
tasks); optionally only some checks, and only until a day (inclusive). An ignored finding is
kept with the index of the ignore that matched it: reports count and list it, it never counts
toward ``--fail-on``, the status colour or what changed. An ignore that matches nothing is
reported, so a stale ignore does not hide the next real problem.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from raci_sync.config import IgnoreConfig, RuleConfig
from raci_sync.mapping.identity import Directory
from raci_sync.mapping.roles import rule_matches
from raci_sync.model import Finding, IgnoredFinding, Person, Task


def apply_ignores(
    findings: Sequence[Finding],
    ignores: Sequence[IgnoreConfig],
    tasks: Mapping[tuple[str, str], Task],
    people: Sequence[Person],
    directory: Directory,
    as_of: date,
) -> tuple[tuple[Finding, ...], tuple[IgnoredFinding, ...], tuple[int, ...]]:
    """(kept findings, ignored ones with their rule, indexes of ignores that matched nothing).

    Ignores past their ``until`` are not applied (and not reported as unused).
    """
    active = [(i, ig) for i, ig in enumerate(ignores) if ig.until is None or as_of <= ig.until]
    by_name = {p.name: p for p in people}
    kept: list[Finding] = []
    ignored: list[IgnoredFinding] = []
    used: set[int] = set()
    for finding in findings:
        rule = next(
            (
                i
                for i, ig in active
                if _matches(ig, finding, tasks, by_name.get(finding.person or ""), directory)
            ),
            None,
        )
        if rule is None:
            kept.append(finding)
        else:
            ignored.append(IgnoredFinding(finding, rule))
            used.add(rule)
    unused = tuple(i for i, ig in active if i not in used and not _matches_any_task(ig, tasks))
    return tuple(kept), tuple(ignored), unused


def _matches(
    ig: IgnoreConfig,
    finding: Finding,
    tasks: Mapping[tuple[str, str], Task],
    person: Person | None,
    directory: Directory,
) -> bool:
    if ig.checks and finding.check not in ig.checks:
        return False
    if ig.account is not None:
        return person is not None and _is_account(ig.account, person, directory)
    task = tasks.get((finding.source or "", finding.task_id or ""))
    if task is None:
        return False
    if ig.task is not None:
        return _is_task(ig.task, task)
    return bool(ig.match) and rule_matches(RuleConfig(match=ig.match), task)


def _is_task(wanted: str, task: Task) -> bool:
    wanted = wanted.strip()
    return task.id == wanted or (task.url or "").rstrip("/") == wanted.rstrip("/")


def _is_account(wanted: str, person: Person, directory: Directory) -> bool:
    """The person an ignore's ``kind:id-or-username`` stands for: the unmatched account itself,
    or the roster person whose ``accounts`` name it."""
    kind, _, ident = wanted.partition(":")
    ident = ident.strip().casefold()
    if any(a.strip().casefold() == wanted.strip().casefold() for a in person.accounts):
        return True
    origin = directory.origin(person)
    if origin is None or origin.from_text or directory.kinds.get(origin.source) != kind:
        return False
    return origin.account.casefold() == ident or person.key.casefold() == (
        f"{origin.source}:{ident}".casefold()
    )


def _matches_any_task(ig: IgnoreConfig, tasks: Mapping[tuple[str, str], Task]) -> bool:
    """An ignore by task or match that names an existing task is in use even without a finding
    today (the task may simply be fine this week); one by account, only through a finding."""
    if ig.task is not None:
        return any(_is_task(ig.task, t) for t in tasks.values())
    if ig.match:
        rule = RuleConfig(match=ig.match)
        return any(rule_matches(rule, t) for t in tasks.values())
    return False
