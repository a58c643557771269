"""What a token can see, for ``raci init`` (PRODUCT §11): the boards or projects it lists, and for
the chosen ones their fields and the people who work there.

A connector that can be discovered has two more methods (:class:`Discoverable`):

- ``discover()``: whose token it is and every board or project it can see (a cheap listing:
  the tool's own listing calls, no tasks);
- ``discover_details(chosen)``: for the chosen ones, their fields (:class:`FieldDef`, as the
  reference checks see them) and the people of their directory or membership, with emails
  where the tool gives them.

Each container carries ``ref``: what to write in a config to name it, so that the connector's
own scope resolution finds exactly it — its name, or its id where the name would not do (two of
one name, a name that reads as an id, spaces at its ends). The rule is the tool's, so the
connector decides it; the drafting of the config (``raci_sync.init``) names no tool.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from raci_sync.connectors.references import FieldDef
from raci_sync.model import Account


@dataclass(frozen=True)
class Space:
    """Where containers live, for a tool whose source names one (an Asana workspace)."""

    id: str
    name: str
    key: str  # the config key that names it: "workspace"
    ref: str  # what to write there: its name, or its id where the name would not do


@dataclass(frozen=True)
class Container:
    """One board or project the token can see."""

    id: str
    name: str
    ref: str  # what to write in the config's list of boards/projects to name it
    space: Space | None = None


@dataclass(frozen=True)
class Discovery:
    """Whose token it is, and what it can see."""

    who: str
    scope_key: str  # the config key that lists containers: "boards", "projects"
    containers: tuple[Container, ...] = ()


@dataclass(frozen=True)
class Details:
    """The chosen containers' fields (by container id) and the people found there."""

    fields: Mapping[str, tuple[FieldDef, ...]] = field(default_factory=dict)
    people: tuple[Account, ...] = ()


@runtime_checkable
class Discoverable(Protocol):
    """A connector ``raci init`` can ask what its token sees."""

    def discover(self) -> Discovery:
        """Whose token; every board or project it can see (no tasks read)."""
        ...

    def discover_details(self, chosen: Sequence[Container]) -> Details:
        """The fields of each chosen container and the people there."""
        ...


def unique_names(names: Sequence[str]) -> set[str]:
    """The names (stripped, case-folded) that occur once: a name that occurs twice cannot name
    one container in the config."""
    counts = Counter(n.strip().casefold() for n in names)
    return {n for n, count in counts.items() if count == 1}
