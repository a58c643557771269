"""Which fields give which letter, drafted from the names of the fields found (PRODUCT §12).

A field name gives a letter only when it is unambiguous: R ← Responsible, Udførende; A ←
Accountable, Godkender; C ← Consulted, Konsulteret, Rådført; I ← Informed, Informeret. Names
that may mean R or A (Ansvarlig, Owner, Ejer, Person) are never guessed: R stays the tool's
default and a ``# CHECK:`` comment asks a human to choose. A number field named like the effort
(effort, hours, Timer, Estimat) becomes ``[source.fields] effort`` when exactly one fits.

A reference must resolve on every board or project of its source (``check-config --online``),
so a field is used only where every chosen container has it, with a fitting type; anything
less is said in a comment, never written as a reference that would fail.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from raci_sync.config.settings import normalise_name
from raci_sync.connectors import Kind
from raci_sync.connectors.discovery import Container
from raci_sync.connectors.references import FIELD_TYPES, PEOPLE_TYPES, FieldDef
from raci_sync.init.toml import expands, shown
from raci_sync.model import LETTERS

LETTER_NAMES: Mapping[str, tuple[str, ...]] = {
    "R": ("Responsible", "Udførende"),
    "A": ("Accountable", "Godkender"),
    "C": ("Consulted", "Konsulteret", "Rådført"),
    "I": ("Informed", "Informeret"),
}
AMBIGUOUS = ("Ansvarlig", "Owner", "Ejer", "Person")
EFFORT_WORDS = ("effort", "hour", "timer", "estimat")  # "Estimated hours", "Timer", "Effort"
WORDS = {"R": "Responsible", "A": "Accountable", "C": "Consulted", "I": "Informed"}


@dataclass
class RolesDraft:
    """``[source.roles]`` and ``[source.fields]`` of one source, with what a human must decide."""

    letters: dict[str, list[str]] = field(default_factory=dict)  # letter → references
    notes: list[str] = field(default_factory=list)  # CHECK: comments above the roles
    effort: str | None = None
    effort_notes: list[str] = field(default_factory=list)


@dataclass
class _Named:
    """One field name across the containers of a source: its fields, by container id."""

    name: str  # as the first container spells it
    where: dict[str, list[FieldDef]] = field(default_factory=dict)

    def everywhere(self, ids: Sequence[str], types: frozenset[str]) -> bool:
        return all(any(d.type in types for d in self.where.get(i, ())) for i in ids)


def draft_roles(
    kind: Kind, containers: Sequence[Container], fields: Mapping[str, Sequence[FieldDef]]
) -> RolesDraft:
    """The roles and effort field of a source over ``containers``, from their ``fields``."""
    named = _by_name(containers, fields)
    ids = [c.id for c in containers]
    names = {c.id: c.name for c in containers}
    draft = RolesDraft()
    used: set[str] = set()
    for letter in LETTERS:
        refs = []
        for wanted in LETTER_NAMES[letter]:
            found = named.get(normalise_name(wanted))
            if found is None:
                continue
            used.add(normalise_name(wanted))
            problem = _unusable(found, ids, names, PEOPLE_TYPES, "people", kind.container)
            if problem:
                draft.notes.append(problem)
            else:
                refs.append(f"field:{found.name.strip()}")
        draft.letters[letter] = refs
    if not draft.letters["R"]:
        draft.letters["R"] = list(kind.default_roles.get("R", ()))
    _ambiguous(draft, named, used)
    _unused_people(draft, named, used)
    if not draft.letters["A"]:
        looked = ", ".join(LETTER_NAMES["A"])
        draft.notes.append(
            f"CHECK: no field gives A (looked for: {looked}), so every open task will be "
            'reported without an Accountable: add "field:<name>" to A, or a [[rule]] that '
            "fills A from a hat."
        )
    _effort(draft, named, ids, names, kind.container)
    return draft


def _by_name(
    containers: Sequence[Container], fields: Mapping[str, Sequence[FieldDef]]
) -> dict[str, _Named]:
    named: dict[str, _Named] = {}
    for c in containers:
        for d in fields.get(c.id, ()):
            if d.name.strip():
                entry = named.setdefault(normalise_name(d.name), _Named(d.name.strip()))
                entry.where.setdefault(c.id, []).append(d)
    return named


def _unusable(
    found: _Named,
    ids: Sequence[str],
    names: Mapping[str, str],
    types: frozenset[str],
    word: str,
    container: str,
) -> str | None:
    """Why a field cannot be written as a reference of this source, or None."""
    if expands(found.name):
        return (
            f"CHECK: field {shown(found.name)} cannot be named in this file: the config reads "
            "${…} in a name as an environment variable. Rename the field in the tool to use it."
        )
    lacking = [names[i] for i in ids if i not in found.where]
    if lacking:
        return (
            f"CHECK: field {shown(found.name)} is not on every {container} of this source (not "
            f"on {', '.join(shown(n) for n in lacking)}), and a reference must resolve on each: "
            f"add the field there, or put those {container}s in a [[source]] of their own."
        )
    if not found.everywhere(ids, types):
        kinds = sorted({d.type for defs in found.where.values() for d in defs})
        return (
            f"CHECK: field {shown(found.name)} is a {'/'.join(kinds)} field, not a {word} "
            "field, so it is not used."
        )
    return None


def _ambiguous(draft: RolesDraft, named: Mapping[str, _Named], used: set[str]) -> None:
    """A comment for each field whose name may mean R or A: never a letter."""
    now = ", ".join(f'"{r}"' for r in draft.letters["R"]) or "nothing"
    for wanted in AMBIGUOUS:
        key = normalise_name(wanted)
        found = named.get(key)
        if found is None or key in used:
            continue
        used.add(key)
        types = sorted({d.type for defs in found.where.values() for d in defs})
        if not set(types) & PEOPLE_TYPES:
            continue
        draft.notes.append(
            f"CHECK: field {shown(found.name)} ({'/'.join(types)}) may mean Responsible or "
            "Accountable, so raci did not guess. Choose: put "
            f'"field:{found.name.strip()}" in R or in A below. Until you do, R is {now}.'
        )


def _unused_people(draft: RolesDraft, named: Mapping[str, _Named], used: set[str]) -> None:
    """A comment for each people field no letter uses: a human may know what it means."""
    for key, found in named.items():
        if key in used or not any(d.type == "people" for ds in found.where.values() for d in ds):
            continue
        draft.notes.append(
            f"CHECK: people field {shown(found.name)} gives no letter: if it names someone's "
            f'role, add "field:{found.name.strip()}" to that letter below.'
        )


def _effort(
    draft: RolesDraft,
    named: Mapping[str, _Named],
    ids: Sequence[str],
    names: Mapping[str, str],
    container: str,
) -> None:
    """The one number field named like the effort, or a comment saying why none was chosen."""
    types = FIELD_TYPES["effort"]
    like = [
        f
        for key, f in named.items()
        if any(w in key for w in EFFORT_WORDS)
        and any(d.type in types for ds in f.where.values() for d in ds)
    ]
    fits = []
    for found in like:
        problem = _unusable(found, ids, names, types, "number", container)
        if problem:
            draft.effort_notes.append(problem)
        else:
            fits.append(found.name.strip())
    if len(fits) == 1:
        draft.effort = fits[0]
    elif fits:
        draft.effort_notes.append(
            f"CHECK: several number fields could be the effort ({', '.join(map(shown, fits))}): "
            'choose one, e.g. effort = "' + fits[0] + '".'
        )
    elif not like:
        draft.effort_notes.append(
            "No number field named like the effort (effort, hours, Timer, Estimat): every task "
            "counts [workload] default_effort. Name one here if the tool has it under another "
            "name."
        )
