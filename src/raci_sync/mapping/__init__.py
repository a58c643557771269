"""The mapping layer: people across tools, RACI letters, workload and checks.

The rest of the app calls :func:`evaluate` with the normalized tasks and accounts of every
source; nothing here knows which API a task came from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from raci_sync.config import Config, IgnoreConfig
from raci_sync.i18n import _
from raci_sync.mapping.checks import Inputs, run_checks
from raci_sync.mapping.identity import Directory, unmatched_accounts
from raci_sync.mapping.ignore import apply_ignores
from raci_sync.mapping.roles import TaskRoles, map_task, roles_for, rule_matches
from raci_sync.mapping.workload import Window, compute_workload
from raci_sync.model import Account, Assignment, Evaluation, Person, Task

__all__ = ["Evaluation", "evaluate", "map_tasks"]


def evaluate(
    tasks: Sequence[Task],
    accounts: Sequence[Account],
    config: Config,
    as_of: date,
    kinds: Mapping[str, str] | None = None,
) -> Evaluation:
    """Attach RACI letters to every task, compute the workload window and run the checks.

    ``kinds`` maps source name → kind (``trello``/``asana``/``monday``) and adds to or overrides
    ``config.sources``; a task of a source with no known kind gets no letters from fields.
    """
    source_kinds = {s.name: s.kind for s in config.sources} | dict(kinds or {})
    directory = Directory(config.people, accounts, source_kinds, config.workload.default_capacity)
    mapped = map_tasks(tasks, config, directory, source_kinds)
    assignments = tuple(a for m in mapped for a in m.assignments)
    people = _people(directory, assignments)
    workload = compute_workload(
        mapped,
        people,
        config.workload,
        as_of,
        effort_fields={s.name: s.fields.effort for s in config.sources},
        critical_at=config.checks.overload_error,
    )
    window = Window.starting(as_of, config.workload.horizon_days)
    found = run_checks(Inputs(mapped, workload, directory, people, window, config.checks))
    index = {t.key: t for t in tasks}
    findings, ignored, unused = apply_ignores(
        found, config.ignores, index, people, directory, as_of
    )
    return Evaluation(
        people=people,
        assignments=assignments,
        findings=findings,
        workload=workload,
        unmatched=unmatched_accounts(assignments, directory),
        ignored=ignored,
        notes=(*_unused_notes(unused, config), *_unused_rule_notes(mapped, config)),
    )


def _unused_notes(unused: Sequence[int], config: Config) -> list[str]:
    return [
        _(
            "[[ignore]] #{number} ({what}) matches no task or finding: remove it, or fix what "
            "it names"
        ).format(number=i + 1, what=_ignore_what(config.ignores[i]))
        for i in unused
    ]


def _ignore_what(ig: IgnoreConfig) -> str:
    if ig.task is not None:
        return f"task = {ig.task!r}"
    if ig.account is not None:
        return f"account = {ig.account!r}"
    return "match = {" + ", ".join(f"{k} = {v!r}" for k, v in ig.match.items()) + "}"


def _unused_rule_notes(mapped: Sequence[TaskRoles], config: Config) -> list[str]:
    """A [[rule]] that matches no task never fires: say so (PRODUCT §12)."""
    tasks = [m.task for m in mapped]
    return [
        _("[[rule]] #{number} (match = {match}) matches no task: it never fires").format(
            number=i + 1, match=dict(rule.match)
        )
        for i, rule in enumerate(config.rules)
        if not any(rule_matches(rule, t) for t in tasks)
    ]


def map_tasks(
    tasks: Sequence[Task],
    config: Config,
    directory: Directory,
    kinds: Mapping[str, str],
) -> tuple[TaskRoles, ...]:
    """The letters (and hat-rule suggestions) of every task, in task order."""
    configured = {s.name: s.roles for s in config.sources}
    roles = {
        source: roles_for(kinds.get(source), configured.get(source))
        for source in dict.fromkeys(t.source for t in tasks)
    }
    return tuple(map_task(t, roles[t.source], config.rules, directory) for t in tasks)


def _people(directory: Directory, assignments: Sequence[Assignment]) -> tuple[Person, ...]:
    """The roster in config order, then unmatched people holding a letter, by name."""
    unmatched = {
        a.person: person
        for a in assignments
        if (person := directory.person(a.person)) is not None and not person.matched
    }
    extra = sorted(unmatched.values(), key=lambda p: (p.name.casefold(), p.key))
    return (*directory.roster, *extra)
