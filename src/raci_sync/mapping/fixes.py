"""The changes that would resolve the ownership findings, from the hat rules' suggestions
(PRODUCT §9, §11, §12 "Suggestions and fixes"). Pure: the plan `raci fix` shows and writes.

A finding ``no-owner`` asks for an R and an A, ``no-accountable`` for an A, ``no-responsible``
for an R (findings an ``[[ignore]]`` left out are not fixed). Of the people the rules suggest
for that letter, the change goes to the one with the most free capacity in the window
(capacity − load), as the report's suggestion does — never someone at or over capacity, nor
someone with no capacity set, nor someone without an account in the task's tool. The plan
counts its own changes: each one adds the task's load for that letter to its person (the
heaviest letter they hold on the task counts, once), so the next task may go to someone else.
A letter is written into the first of its role references the tool can write (its kind's
``writable`` built-in fields, or a ``field:``); where there is none, or nobody fits, the plan
says why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from raci_sync.config import Config
from raci_sync.connectors import KINDS
from raci_sync.mapping import evaluate, map_tasks
from raci_sync.mapping.checks import LETTER_NAMES
from raci_sync.mapping.identity import Directory
from raci_sync.mapping.roles import Candidate, TaskRoles, roles_for
from raci_sync.mapping.workload import Window, task_effort, task_shares
from raci_sync.model import Account, Finding, Person, Task

FIXABLE = {"no-owner": "RA", "no-accountable": "A", "no-responsible": "R"}


@dataclass(frozen=True)
class Fix:
    """One planned change: give ``person`` the ``letter`` on ``task``, in its tool."""

    task: Task
    letter: str
    person: Person
    account: Account  # the person's account in the task's source
    hat: str | None  # the hat that made them a candidate (None: a rule named them)
    check: str  # the finding it resolves
    ref: str  # the role reference it is written to: assignee, members, field:Accountable …
    free: float  # their free capacity before this change (after the plan's earlier ones)
    load: float  # what this change adds to their load in the window


@dataclass(frozen=True)
class NoFix:
    """A letter a finding asks for that the plan cannot give, and why."""

    task: Task
    letter: str
    check: str
    reason: str


@dataclass(frozen=True)
class FixPlan:
    """Every change that would resolve an ownership finding, and what cannot be fixed."""

    as_of: date
    fixes: tuple[Fix, ...] = ()
    unfixable: tuple[NoFix, ...] = ()


@dataclass
class _Ledger:
    """Free capacity by person name, less what the plan has given so far, and the share of
    each task's load the plan gave each person (a person counts once per task)."""

    free: dict[str, float | None]
    shares: dict[tuple[tuple[str, str], str], float] = field(default_factory=dict)

    def room(self, person: Person) -> float | None:
        return self.free.get(person.name)

    def take(self, task: Task, person: Person, share: float, held: float) -> float:
        """Book ``share`` of ``task`` for ``person`` (who holds ``held`` of it already); the
        load that adds."""
        key = (task.key, person.key)
        before = max(held, self.shares.get(key, 0.0))
        added = max(0.0, share - before)
        self.shares[key] = max(before, share)
        room = self.free.get(person.name)
        if room is not None:
            self.free[person.name] = room - added
        return added


def plan_fixes(
    tasks: Sequence[Task],
    accounts: Sequence[Account],
    config: Config,
    as_of: date,
    *,
    sources: Sequence[str] = (),
) -> FixPlan:
    """The changes that resolve the ownership findings of ``tasks`` (only of ``sources``, when
    given; capacity counts every task), in report order."""
    kinds = {s.name: s.kind for s in config.sources}
    evaluation = evaluate(tasks, accounts, config, as_of)
    directory = Directory(config.people, accounts, kinds, config.workload.default_capacity)
    mapped = {m.task.key: m for m in map_tasks(tasks, config, directory, kinds)}
    ledger = _Ledger(
        {w.person: None if w.capacity is None else w.capacity - w.load for w in evaluation.workload}
    )
    owned = _accounts_by_person(accounts, directory)
    planner = _Planner(config, as_of, kinds, ledger, owned)
    for finding in evaluation.findings:
        roles = mapped.get((finding.source or "", finding.task_id or ""))
        wanted = roles is not None and (not sources or roles.task.source in sources)
        if finding.check in FIXABLE and roles is not None and wanted:
            planner.fix(finding, roles)
    return FixPlan(as_of, tuple(planner.fixes), tuple(planner.unfixable))


def writable_ref(
    kind: str | None, configured: Mapping[str, Sequence[str]], letter: str
) -> str | None:
    """The first role reference of ``letter`` that its tool can write into, or None."""
    writable = KINDS[kind].writable if kind in KINDS else ()
    refs = roles_for(kind, configured).get(letter, ())
    return next((r for r in refs if r in writable or r.startswith("field:")), None)


def _accounts_by_person(
    accounts: Sequence[Account], directory: Directory
) -> dict[tuple[str, str], Account]:
    """(source, Person.key) → that person's (first) account in the source."""
    owned: dict[tuple[str, str], Account] = {}
    for account in accounts:
        owned.setdefault((account.source, directory.for_account(account.source, account.id).key),
                         account)  # fmt: skip
    return owned


class _Planner:
    """Walks the findings, booking each change in the ledger as it is planned."""

    def __init__(
        self,
        config: Config,
        as_of: date,
        kinds: Mapping[str, str],
        ledger: _Ledger,
        owned: Mapping[tuple[str, str], Account],
    ) -> None:
        self.config = config
        self.window = Window.starting(as_of, config.workload.horizon_days)
        self.kinds = kinds
        self.ledger = ledger
        self.owned = owned
        self.roles = {s.name: s.roles for s in config.sources}
        self.efforts = {s.name: s.fields.effort for s in config.sources}
        self.fixes: list[Fix] = []
        self.unfixable: list[NoFix] = []

    def fix(self, finding: Finding, roles: TaskRoles) -> None:
        task = roles.task
        for letter in FIXABLE[finding.check]:
            ref = writable_ref(self.kinds.get(task.source), self.roles.get(task.source, {}), letter)
            if ref is None:
                refs = roles_for(self.kinds.get(task.source), self.roles.get(task.source))
                said = ", ".join(refs.get(letter, ())) or "no field"
                self._no(task, letter, finding, f"its {LETTER_NAMES[letter]} comes from {said} "
                         "in this source, which raci fix does not write")  # fmt: skip
                continue
            candidates = _candidates(roles, letter)
            if not candidates:
                said = f"no [[rule]] suggests anyone as {LETTER_NAMES[letter]}"
                self._no(task, letter, finding, said)
                continue
            self._choose(finding, roles, letter, ref, candidates)

    def _choose(
        self, finding: Finding, roles: TaskRoles, letter: str, ref: str, candidates: list[Candidate]
    ) -> None:
        task = roles.task
        reachable = [c for c in candidates if (task.source, c.person.key) in self.owned]
        if not reachable:
            names = " and ".join(c.person.name for c in candidates)
            self._no(task, letter, finding, f"{names} {'has' if len(candidates) == 1 else 'have'} "
                     f"no account in source {task.source!r}")  # fmt: skip
            return
        fit = [c for c in reachable if (self.ledger.room(c.person) or 0) > 0]
        if not fit:
            self._no(task, letter, finding, _nobody_free(reachable, self.ledger))
            return
        best = max(fit, key=lambda c: self.ledger.room(c.person) or 0)  # the first of equals
        free = self.ledger.room(best.person) or 0.0
        share, held = self._share(roles, best.person, letter)
        load = self.ledger.take(task, best.person, share, held)
        account = self.owned[(task.source, best.person.key)]
        self.fixes.append(
            Fix(task, letter, best.person, account, best.hat, finding.check, ref, free, load)
        )

    def _share(self, roles: TaskRoles, person: Person, letter: str) -> tuple[float, float]:
        """(the share of the task's load the letter gives, the share the person holds now)."""
        task = roles.task
        if not self.window.counts(task, self.config.workload.count_undated):
            return 0.0, 0.0
        workload = self.config.workload
        effort = task_effort(task, self.efforts.get(task.source), workload.default_effort)
        weight = float(workload.weights.get(letter, 0.0))
        held = task_shares(roles, effort, workload.weights).get(person.key, ("", 0.0))[1]
        return effort * weight, held  # an R is written only where there is none: not split

    def _no(self, task: Task, letter: str, finding: Finding, reason: str) -> None:
        self.unfixable.append(NoFix(task, letter, finding.check, reason))


def _candidates(roles: TaskRoles, letter: str) -> list[Candidate]:
    """The people the rules suggest for ``letter``, each once, in rule order."""
    found: dict[str, Candidate] = {}
    for suggestion in roles.suggestions:
        if suggestion.letter == letter:
            for candidate in suggestion.candidates:
                found.setdefault(candidate.person.key, candidate)
    return list(found.values())


def _nobody_free(candidates: Sequence[Candidate], ledger: _Ledger) -> str:
    """``nobody suggested has free capacity: Mette Sørensen (strategist) has 0 left …``."""
    parts = []
    for c in candidates:
        room = ledger.room(c.person)
        state = "has no capacity set" if room is None else f"has {max(round(room, 2), 0):g} left"
        parts.append(f"{c.describe()} {state}")
    return "nobody suggested has free capacity: " + "; ".join(parts)
