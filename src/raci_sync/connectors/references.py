"""Every reference in the config resolves against what the tool has, or the source fails
(PRODUCT §9, §12 "References").

A connector knows, per board or project, the fields it has (:class:`FieldDef`: name, id, type).
:func:`check_fields` holds them against the references the config *wrote* — each ``field:`` of
``[source.roles]``, and ``[source.fields]`` ``effort``/``due``/``status`` — and returns one
problem per reference that matches nothing, or matches a field of the wrong type, on any board
or project, naming the reference, where it was looked for and the closest existing names
("field 'Timr' not found on board 'Indhold & SoMe'; number fields there: Timer, Budget").
A default role nobody wrote (Trello's "Accountable") that is missing is a warning only.

At sync a connector raises :class:`UnresolvedReferences` with every problem of the source at
once (the source fails, its last good snapshot stays); ``raci check-config --online`` lists
them in a :class:`ScopeReport`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from raci_sync.config import SourceConfig
from raci_sync.errors import NotFoundError

# What a field must be to serve a reference. A role field names people: a people field or
# column, or a text / dropdown field that names them (PRODUCT §3).
PEOPLE_TYPES = frozenset({"people", "text", "enum", "multi_enum", "dropdown", "list"})
FIELD_TYPES = {
    "effort": frozenset({"number", "numbers"}),
    "due": frozenset({"date", "timeline"}),
    "status": frozenset({"status"}),
}
TYPE_WORDS = {"effort": "number", "due": "date or timeline", "status": "status", "role": "people"}


class UnresolvedReferences(NotFoundError):
    """References in the config match nothing the tool has: fix the config (or the tool)."""

    def __init__(self, source: str, problems: Sequence[str], *, hint: str | None = None) -> None:
        self.problems = tuple(problems)
        lines = "; ".join(self.problems)
        also = f" ({hint})" if hint else ""
        super().__init__(
            f"source {source!r}: {len(self.problems)} reference(s) in the config match nothing "
            f"the tool has: {lines}{also}. Fix the names in the config (check them with "
            "`raci check-config --online`); the last good data of this source is kept",
            source=source,
        )


@dataclass(frozen=True)
class FieldDef:
    """One custom field or column of one board or project, as the tool defines it."""

    name: str
    id: str
    type: str  # normalized: people, text, enum, multi_enum, number, date, timeline, status …

    def matches(self, wanted: str) -> bool:
        """By id, or by name case-insensitively (as ``mapping.roles`` matches fields)."""
        w = wanted.strip()
        return self.id == w or self.name.strip().casefold() == w.casefold()


@dataclass(frozen=True)
class Reference:
    """One field reference the config wrote: where, the name, and what it is for."""

    where: str  # "[source.roles] C" or "[source.fields] effort"
    name: str
    use: str  # role | effort | due | status

    @property
    def types(self) -> frozenset[str]:
        return PEOPLE_TYPES if self.use == "role" else FIELD_TYPES[self.use]


def written_references(source: SourceConfig) -> list[Reference]:
    """The field references the config wrote for ``source`` (defaults excluded)."""
    refs = [
        Reference(f"[source.roles] {letter}", ref[len("field:") :].strip(), "role")
        for letter, values in source.written_roles.items()
        for ref in values
        if ref.startswith("field:")
    ]
    for use in ("effort", "due", "status"):
        name = getattr(source.fields, use)
        if name:
            refs.append(Reference(f"[source.fields] {use}", name, use))
    return refs


def default_references(source: SourceConfig) -> list[Reference]:
    """The kind's default ``field:`` roles nobody wrote (missing ones are only warnings)."""
    return [
        Reference(f"default {letter}", ref[len("field:") :].strip(), "role")
        for letter, values in source.roles.items()
        if letter not in source.written_roles
        for ref in values
        if ref.startswith("field:")
    ]


def check_fields(
    refs: Iterable[Reference],
    containers: Mapping[str, Sequence[FieldDef]],
    *,
    container: str = "board",
) -> list[str]:
    """One problem per reference that a container lacks, or has with the wrong type.

    ``containers`` maps each board or project name to its fields; a reference must resolve on
    every one of them.
    """
    problems = []
    for ref in refs:
        for name, defs in containers.items():
            found = [d for d in defs if d.matches(ref.name)]
            if not found:
                problems.append(
                    f"{ref.where}: field {ref.name!r} not found on {container} {name!r}"
                    f"{_closest(ref, defs)}"
                )
            elif not any(d.type in ref.types for d in found):
                got = ", ".join(sorted({d.type for d in found}))
                problems.append(
                    f"{ref.where}: field {ref.name!r} on {container} {name!r} is {_a(got)} "
                    f"field, not a {TYPE_WORDS[ref.use]} field{_closest(ref, defs)}"
                )
    return problems


def check_names(
    where: str, wanted: Iterable[str], have: Mapping[str, Sequence[str]], *, what: str
) -> list[str]:
    """Plain names (Trello ``done_lists``) that each container must have."""
    problems = []
    for entry in wanted:
        key = entry.strip().casefold()
        for container, names in have.items():
            if not any(n.strip().casefold() == key for n in names):
                close = difflib.get_close_matches(entry, list(names), n=3, cutoff=0.5)
                near = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
                listed = ", ".join(names[:10]) + (" …" if len(names) > 10 else "")
                problems.append(
                    f"{where}: {what} {entry!r} not found on {container!r}{near} "
                    f"({what}s there: {listed or 'none'})"
                )
    return problems


def _a(word: str) -> str:
    """``a number``, ``an enum``."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def _closest(ref: Reference, defs: Sequence[FieldDef]) -> str:
    """ "; number fields there: Timer, Budget" (the closest first), or the nearest names."""
    fitting = [d.name for d in defs if d.type in ref.types]
    word = TYPE_WORDS[ref.use]
    if fitting:
        ranked = difflib.get_close_matches(ref.name, fitting, n=len(fitting), cutoff=0.0)
        shown = ranked[:8] + (["…"] if len(ranked) > 8 else [])
        return f"; {word} fields there: {', '.join(shown)}"
    others = difflib.get_close_matches(ref.name, [d.name for d in defs], n=3, cutoff=0.5)
    return f"; no {word} fields there" + (f" (similar: {', '.join(others)})" if others else "")


@dataclass(frozen=True)
class ScopeReport:
    """What ``raci check-config --online`` learns of one source, every problem at once."""

    who: str  # whose token it is
    containers: tuple[str, ...] = ()  # the boards/projects the scope resolved to
    fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # per container
    problems: tuple[str, ...] = ()  # references that match nothing (each: where, closest)
    warnings: tuple[str, ...] = ()  # e.g. a default field that is missing
    notes: tuple[str, ...] = ()  # e.g. what a full read will cost at the configured budget
