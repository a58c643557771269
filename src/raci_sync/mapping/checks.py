"""The checks of PRODUCT §4: ownership per open task, load and roles per person.

Check ids are stable (config ``checks.disable``, JSON output). Only open tasks are checked.
``no-owner`` replaces ``no-accountable`` and ``no-responsible`` for a task with neither; when
``no-owner`` is disabled, those two report such a task instead. Findings come sorted: errors
first, then by the check's place in the PRODUCT table, source, task title and person.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from raci_sync.config import ChecksConfig
from raci_sync.i18n import N_, _, local_date, localize_number, ngettext
from raci_sync.mapping.identity import Directory, UnmatchedIdentity
from raci_sync.mapping.roles import Candidate, TaskRoles
from raci_sync.mapping.workload import Window
from raci_sync.model import CHECK_IDS, Finding, Person, Severity, WorkloadLine

LETTER_NAMES = {
    "R": N_("Responsible"),
    "A": N_("Accountable"),
    "C": N_("Consulted"),
    "I": N_("Informed"),
}


@dataclass(frozen=True)
class Inputs:
    """Everything the checks look at."""

    mapped: Sequence[TaskRoles]
    workload: Sequence[WorkloadLine]
    directory: Directory
    people: Sequence[Person]  # every Person holding a letter or on the roster
    window: Window
    checks: ChecksConfig


def run_checks(inputs: Inputs) -> tuple[Finding, ...]:
    """All findings of the enabled checks, sorted (errors first)."""
    open_tasks = [m for m in inputs.mapped if m.task.is_open]
    findings: list[Finding] = []
    free = {
        w.person: (w.capacity - w.load if w.capacity is not None else None) for w in inputs.workload
    }
    for roles in open_tasks:
        findings += task_findings(roles, inputs.checks, free)
    findings += overload_findings(inputs.workload, inputs.window)
    findings += unmatched_findings(open_tasks, inputs.people, inputs.directory)
    findings += bottleneck_findings(open_tasks, inputs.people, inputs.checks)
    findings += without_role_findings(open_tasks, inputs.directory.roster)
    disabled = set(inputs.checks.disable)
    return tuple(sorted((f for f in findings if f.check not in disabled), key=finding_order))


def finding_order(f: Finding) -> tuple[int, int, str, str, str, str]:
    """Severity (error first), check (PRODUCT table order), source, task title, person."""
    place = CHECK_IDS.index(f.check) if f.check in CHECK_IDS else len(CHECK_IDS)
    return (
        -f.severity.rank,
        place,
        f.source or "",
        (f.task or "").casefold(),
        (f.person or "").casefold(),
        f.task_id or "",
    )


def task_findings(
    roles: TaskRoles, checks: ChecksConfig, free: Mapping[str, float | None] | None = None
) -> list[Finding]:
    """Ownership and crowding findings for one open task; ``free`` (free capacity by name)
    picks whom the suggestions name."""
    r, a, c = (_names(roles, letter) for letter in "RAC")
    return [
        *_ownership(roles, r, a, checks, free),
        *_too_many(roles, r, checks.max_responsible, "too-many-responsible", "R"),
        *_too_many(roles, c, checks.max_consulted, "too-many-consulted", "C"),
    ]


def overload_findings(workload: Iterable[WorkloadLine], window: Window) -> list[Finding]:
    """``overloaded``: warning above 100 % utilisation, error at ``overload_error`` and up."""
    out = []
    span = f"{local_date(window.start)} … {local_date(window.end)}"
    for line in workload:
        if line.status not in ("over", "critical"):
            continue
        if line.utilisation is None:
            text = _(
                "{person} has a load of {load} but no capacity in {span} (away the whole "
                "window, or capacity 0)"
            ).format(person=line.person, load=_num(line.load), span=span)
        else:
            text = _(
                "{person} is at {percent} % of capacity in {span}: load {load} against {capacity}"
            ).format(
                person=line.person,
                percent=localize_number(f"{line.utilisation * 100:.0f}"),
                span=span,
                load=_num(line.load),
                capacity=_num(line.capacity or 0),
            )
        severity = Severity.ERROR if line.status == "critical" else Severity.WARNING
        out.append(Finding("overloaded", severity, text, person=line.person))
    return out


def unmatched_findings(
    open_tasks: Sequence[TaskRoles], people: Iterable[Person], directory: Directory
) -> list[Finding]:
    """``unmatched-person``: an account or name holding a letter on an open task, roster or not."""
    if not directory.has_roster:
        return []
    counts = _task_counts(open_tasks)
    out = []
    for person in people:
        origin = directory.origin(person)
        if person.matched or origin is None or not counts.get(person.key):
            continue
        out.append(
            Finding(
                "unmatched-person",
                Severity.WARNING,
                ngettext(
                    "{who} in source '{source}' matches nobody in the roster; it holds letters "
                    "on {count} open task",
                    "{who} in source '{source}' matches nobody in the roster; it holds letters "
                    "on {count} open tasks",
                    counts[person.key],
                ).format(
                    who=_describe_origin(origin),
                    source=origin.source,
                    count=counts[person.key],
                ),
                source=origin.source,
                person=person.name,
                suggestion=_roster_fix(origin, directory.kinds.get(origin.source)),
            )
        )
    return out


def bottleneck_findings(
    open_tasks: Sequence[TaskRoles], people: Iterable[Person], checks: ChecksConfig
) -> list[Finding]:
    """``accountability-bottleneck``: A on more than the share of open tasks and on enough."""
    total = len(open_tasks)
    held: dict[str, int] = {}
    for roles in open_tasks:
        for key in roles.holders("A"):
            held[key] = held.get(key, 0) + 1
    out = []
    for person in people:
        n = held.get(person.key, 0)
        if total and n > checks.bottleneck_share * total and n >= checks.bottleneck_min_tasks:
            out.append(
                Finding(
                    "accountability-bottleneck",
                    Severity.INFO,
                    _(
                        "{person} is Accountable on {count} of {total} open tasks ({percent} %): "
                        "decisions may queue up behind one person"
                    ).format(
                        person=person.name,
                        count=n,
                        total=total,
                        percent=localize_number(f"{n / total * 100:.0f}"),
                    ),
                    person=person.name,
                )
            )
    return out


def without_role_findings(
    open_tasks: Sequence[TaskRoles], roster: Iterable[Person]
) -> list[Finding]:
    """``person-without-role``: a roster person with no R or A on any open task."""
    owners = {key for roles in open_tasks for letter in "RA" for key in roles.holders(letter)}
    return [
        Finding(
            "person-without-role",
            Severity.INFO,
            _("{person} has no R or A on any open task").format(person=p.name),
            person=p.name,
        )
        for p in roster
        if p.key not in owners
    ]


def suggestion_text(
    roles: TaskRoles, letters: str, free: Mapping[str, float | None] | None = None
) -> str | None:
    """Hat-rule suggestions for these letters: ``suggested A: Mette Sørensen (strategist)``.

    Suggestions respect capacity (PRODUCT §9, §12): of the people a rule points at, the one
    with the most free capacity in the window (capacity − load) — never someone at or over
    capacity, nor someone with no capacity set; when nobody fits, it says so. ``free`` maps a
    person's name to their free capacity (None: unmonitored); without it, every candidate
    is named (the mapping tests of the rules alone).
    """
    parts = []
    for letter in letters:
        candidates: dict[str, Candidate] = {}
        for s in roles.suggestions:
            if s.letter == letter:
                for c in s.candidates:
                    candidates.setdefault(c.person.key, c)
        if not candidates:
            continue
        if free is None:
            parts.append(
                _("suggested {letter}: {people}").format(
                    letter=letter,
                    people=_(" or ").join(c.describe() for c in candidates.values()),
                )
            )
            continue
        room = {key: free.get(c.person.name) for key, c in candidates.items()}
        fit = [c for key, c in candidates.items() if (room[key] or 0) > 0]
        if fit:
            best = max(fit, key=lambda c: room[c.person.key] or 0)  # the first of equals
            parts.append(
                _("suggested {letter}: {people}").format(letter=letter, people=best.describe())
            )
        else:
            parts.append(
                _("no {letter} to suggest: {why}").format(
                    letter=letter, why=_nobody_free(list(candidates.values()), room)
                )
            )
    return "; ".join(parts) or None


def _nobody_free(candidates: list[Candidate], room: Mapping[str, float | None]) -> str:
    """``everyone with hat strategist is over capacity`` (or has no capacity set)."""
    hats = sorted({c.hat for c in candidates if c.hat})
    unset = all(room[c.person.key] is None for c in candidates)
    mixed = any(room[c.person.key] is None for c in candidates) and not unset
    if hats:
        everyone = ", ".join(hats)
        if unset:
            return _("everyone with hat {hats} has no capacity set").format(hats=everyone)
        if mixed:
            return _("everyone with hat {hats} is over capacity or has no capacity set").format(
                hats=everyone
            )
        return _("everyone with hat {hats} is over capacity").format(hats=everyone)
    names = _(" and ").join(c.person.name for c in candidates)
    if len(candidates) == 1:
        if unset:
            return _("{names} has no capacity set").format(names=names)
        return _("{names} is over capacity").format(names=names)
    if unset:
        return _("each of {names} has no capacity set").format(names=names)
    if mixed:
        return _("each of {names} is over capacity or has no capacity set").format(names=names)
    return _("each of {names} is over capacity").format(names=names)


def _ownership(
    roles: TaskRoles,
    r: list[str],
    a: list[str],
    checks: ChecksConfig,
    free: Mapping[str, float | None] | None,
) -> list[Finding]:
    """no-owner, or else no-accountable / multiple-accountable / no-responsible."""
    if not r and not a and "no-owner" not in checks.disable:
        text = _("has no owner: neither Responsible nor Accountable")
        return [_task_finding(roles, "no-owner", Severity.ERROR, text, "RA", free)]
    out = []
    if not a:
        out.append(
            _task_finding(
                roles, "no-accountable", Severity.ERROR, _("has no Accountable"), "A", free
            )
        )
    if len(a) > 1:
        text = _("has {count} Accountable: {people}").format(count=len(a), people=_listing(a))
        out.append(_task_finding(roles, "multiple-accountable", Severity.ERROR, text, "A", free))
    if not r:
        out.append(_no_responsible(roles, a, checks.implied_responsible, free))
    return out


def _no_responsible(
    roles: TaskRoles,
    accountable: list[str],
    implied: bool,
    free: Mapping[str, float | None] | None,
) -> Finding:
    if accountable and implied:
        return _task_finding(
            roles,
            "no-responsible",
            Severity.WARNING,
            _("has no Responsible ({people}, the Accountable, is taken to do the work)").format(
                people=_listing(accountable)
            ),
            "R",
            free,
        )
    return _task_finding(
        roles, "no-responsible", Severity.ERROR, _("has no Responsible"), "R", free
    )


def _too_many(
    roles: TaskRoles, names: list[str], limit: int, check: str, letter: str
) -> list[Finding]:
    if len(names) <= limit:
        return []
    text = _("has {count} {role} (more than {limit}): {people}").format(
        count=len(names), role=_(LETTER_NAMES[letter]), limit=limit, people=_listing(names)
    )
    return [_task_finding(roles, check, Severity.WARNING, text, "")]


def _task_finding(
    roles: TaskRoles,
    check: str,
    severity: Severity,
    text: str,
    suggest: str,
    free: Mapping[str, float | None] | None = None,
) -> Finding:
    task = roles.task
    return Finding(
        check,
        severity,
        f"'{task.title}' ({task.source}) {text}",
        source=task.source,
        task_id=task.id,
        task=task.title,
        suggestion=suggestion_text(roles, suggest, free) if suggest else None,
    )


def _names(roles: TaskRoles, letter: str) -> list[str]:
    """Names of the distinct people holding ``letter``."""
    names = {a.person: a.person_name for a in roles.assignments if a.letter == letter}
    return list(names.values())


def _task_counts(mapped: Iterable[TaskRoles]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for roles in mapped:
        for key in {a.person for a in roles.assignments}:
            counts[key] = counts.get(key, 0) + 1
    return counts


def _describe_origin(origin: UnmatchedIdentity) -> str:
    if origin.from_text:
        return _("The name '{name}'").format(name=origin.account)
    if origin.name and origin.name != origin.account:
        return _("'{name}' (account {account})").format(name=origin.name, account=origin.account)
    return _("Account '{account}'").format(account=origin.account)


def _roster_fix(origin: UnmatchedIdentity, kind: str | None) -> str:
    if origin.email:
        return _('add "{email}" to the emails of a [[person]] in the config').format(
            email=origin.email
        )
    if origin.from_text:
        return _('name a roster person exactly, or add a [[person]] named "{name}"').format(
            name=origin.name
        )
    ref = f"{kind}:{origin.account}" if kind else origin.account
    return _('add "{account}" to the accounts of a [[person]] in the config').format(account=ref)


def _listing(names: Sequence[str]) -> str:
    return ", ".join(names)


def _num(value: float) -> str:
    return localize_number(f"{value:g}")
