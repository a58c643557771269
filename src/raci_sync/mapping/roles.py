"""Which letters a task gives to whom: source fields first, then hat rules (PRODUCT §3).

Per source, ``roles`` maps each letter to field references: a built-in people field
(``assignee``, ``members``, ``followers``, ``subscribers``), ``field:<name or id>`` (a custom
field / column, title case-insensitive or id), or ``first_people_column`` (monday: the first
people column no ``field:`` reference of this source names). Every letter records ``via`` =
the field's label, so each letter in a report can be explained.

I is kept only for people who hold no R, A or C on the task ("followers minus R/A/C").
Hat rules then fill a letter the source left empty (``mode = "fill"``) or only suggest one
(``mode = "suggest"``); a rule never replaces what the tool says.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from raci_sync.config import RuleConfig
from raci_sync.connectors import KINDS
from raci_sync.i18n import _
from raci_sync.mapping.identity import Directory
from raci_sync.model import LETTERS, Assignment, FieldValue, Person, Task

BUILTIN_REFS = ("assignee", "members", "followers", "subscribers")
FIRST_PEOPLE_COLUMN = "first_people_column"


@dataclass(frozen=True)
class Candidate:
    """One person a hat rule points at, with the hat that made them a candidate."""

    person: Person
    hat: str | None = None  # None when the rule names the person directly

    def describe(self) -> str:
        """``Mette Sørensen (strategist)``, or just the name for a rule naming a person."""
        return f"{self.person.name} ({self.hat})" if self.hat else self.person.name


@dataclass(frozen=True)
class Suggestion:
    """A hat rule's proposal for one letter of one task: it assigns nothing by itself."""

    letter: str
    candidates: tuple[Candidate, ...]
    rule: int

    def describe(self) -> str:
        """``suggested A: Mette Sørensen (strategist)`` (several candidates joined by "or")."""
        people = _(" or ").join(c.describe() for c in self.candidates)
        return _("suggested {letter}: {people}").format(letter=self.letter, people=people)


@dataclass(frozen=True)
class TaskRoles:
    """The letters of one task and the hat rules' suggestions for it."""

    task: Task
    assignments: tuple[Assignment, ...]
    suggestions: tuple[Suggestion, ...] = ()

    def holders(self, letter: str) -> tuple[str, ...]:
        """Distinct Person keys holding ``letter``, in order of appearance."""
        return tuple(dict.fromkeys(a.person for a in self.assignments if a.letter == letter))


def roles_for(
    kind: str | None, configured: Mapping[str, Sequence[str]] | None
) -> dict[str, tuple[str, ...]]:
    """The letter → field references of a source: its configured roles over the kind's defaults."""
    known = KINDS.get(kind or "")
    defaults = known.default_roles if known else {}
    roles = {letter: tuple(refs) for letter, refs in defaults.items()}
    for letter, refs in (configured or {}).items():
        roles[letter] = tuple(refs)
    return {letter: roles.get(letter, ()) for letter in LETTERS}


def field_matches(value: FieldValue, name: str) -> bool:
    """True when a custom field / column is ``name`` by title (case-insensitive) or by id."""
    wanted = name.strip()
    if value.key != "field":
        return False
    if value.id is not None and value.id == wanted:
        return True
    return value.title is not None and value.title.strip().casefold() == wanted.casefold()


def fields_for_ref(task: Task, ref: str, roles: Mapping[str, Sequence[str]]) -> list[FieldValue]:
    """The task's fields a role reference points at."""
    if ref.startswith("field:"):
        return [f for f in task.fields if field_matches(f, ref[len("field:") :])]
    if ref == FIRST_PEOPLE_COLUMN:
        named = [
            r[len("field:") :] for refs in roles.values() for r in refs if r.startswith("field:")
        ]
        for f in task.fields:
            if (
                f.key == "field"
                and f.kind == "people"
                and not any(field_matches(f, n) for n in named)
            ):
                return [f]
        return []
    return [f for f in task.fields if f.key == ref]


def people_in(task: Task, value: FieldValue, directory: Directory) -> list[Person]:
    """The people a field names: its accounts, then its free-text names."""
    people = [directory.for_account(task.source, a) for a in value.accounts]
    people += [directory.for_name(task.source, n) for n in value.names if n.strip()]
    return people


def field_assignments(
    task: Task, roles: Mapping[str, Sequence[str]], directory: Directory
) -> list[Assignment]:
    """Letters the task's own fields give, one per (person, letter), first ``via`` kept."""
    out: dict[tuple[str, str], Assignment] = {}
    for letter in LETTERS:
        for ref in roles.get(letter, ()):
            for value in fields_for_ref(task, ref, roles):
                for person in people_in(task, value, directory):
                    out.setdefault(
                        (person.key, letter), _assignment(task, person, letter, value.label)
                    )
    return list(out.values())


def drop_redundant_informed(assignments: Sequence[Assignment]) -> list[Assignment]:
    """Drop I for anyone who already holds R, A or C on the same task."""
    active = {(a.source, a.task_id, a.person) for a in assignments if a.letter != "I"}
    return [
        a for a in assignments if a.letter != "I" or (a.source, a.task_id, a.person) not in active
    ]


def rule_matches(rule: RuleConfig, task: Task) -> bool:
    """True when every key of ``rule.match`` fits the task (strings case-insensitive)."""
    for key, wanted in rule.match.items():
        if key == "title":
            if not re.search(wanted, task.title or "", re.IGNORECASE):
                return False
        elif key == "label":
            if not any(_same(label, wanted) for label in task.labels):
                return False
        elif key == "container":
            if not (_same(task.container, wanted) or task.container_id == wanted.strip()):
                return False
        elif key in ("source", "group"):
            if not _same(getattr(task, key), wanted):
                return False
        else:
            return False  # an unknown key never matches (the config rejects them anyway)
    return True


def rule_candidates(value: str, directory: Directory) -> tuple[Candidate, ...]:
    """Who a rule value means: ``hat:<hat>`` → the roster people wearing it, else a roster name."""
    if value.startswith("hat:"):
        hat = value[len("hat:") :].strip()
        return tuple(Candidate(p, hat) for p in directory.wearing(hat))
    person = directory.roster_by_name(value)
    return (Candidate(person),) if person else ()


def rule_via(index: int, rule: RuleConfig) -> str:
    """``rule:0 (group=Strategi)``: which rule gave a letter, and what it matched on."""
    what = ", ".join(f"{k}={v}" for k, v in rule.match.items())
    return f"rule:{index} ({what})"


def apply_rules(
    task: Task,
    assignments: list[Assignment],
    rules: Sequence[RuleConfig],
    directory: Directory,
) -> tuple[list[Assignment], list[Suggestion]]:
    """Fill empty letters from ``fill`` rules; collect suggestions from the rest."""
    filled = list(assignments)
    suggestions: list[Suggestion] = []
    for index, rule in enumerate(rules):
        if not rule_matches(rule, task):
            continue
        for letter, value in rule.letters.items():
            candidates = rule_candidates(value, directory)
            if not candidates:
                continue
            given = any(a.letter == letter for a in filled)
            if rule.mode == "fill" and not given and len(candidates) == 1:
                person = candidates[0].person
                filled.append(_assignment(task, person, letter, rule_via(index, rule)))
            elif rule.mode == "suggest" or not given:
                suggestions.append(Suggestion(letter, candidates, index))
    return filled, suggestions


def map_task(
    task: Task,
    roles: Mapping[str, Sequence[str]],
    rules: Sequence[RuleConfig],
    directory: Directory,
) -> TaskRoles:
    """All letters of one task: fields, then hat rules, then I minus R/A/C."""
    assignments, suggestions = apply_rules(
        task, field_assignments(task, roles, directory), rules, directory
    )
    order = {letter: i for i, letter in enumerate(LETTERS)}
    assignments = sorted(drop_redundant_informed(assignments), key=lambda a: order[a.letter])
    return TaskRoles(task, tuple(assignments), tuple(suggestions))


def _assignment(task: Task, person: Person, letter: str, via: str) -> Assignment:
    return Assignment(
        source=task.source,
        task_id=task.id,
        person=person.key,
        person_name=person.name,
        letter=letter,
        via=via,
    )


def _same(value: str | None, wanted: str) -> bool:
    return value is not None and value.strip().casefold() == wanted.strip().casefold()
