"""Builders for mapping tests: tasks, fields, accounts and configs made directly (no HTTP)."""

from __future__ import annotations

from datetime import date
from typing import Any

from raci_sync.config import (
    ChecksConfig,
    Config,
    FieldsConfig,
    IgnoreConfig,
    PersonConfig,
    RuleConfig,
    SourceConfig,
    WorkloadConfig,
)
from raci_sync.model import Account, FieldValue, State, Task

TODAY = date(2026, 12, 7)  # the demo's Monday; the default window ends 2026-12-20

METTE = PersonConfig(
    "Mette Sørensen", ("mette@nordlyskaffe.dk",), ("trello:mettesorensen",), ("strategist",)
)
JONAS = PersonConfig(
    "Jonas Kristensen", ("jonas@nordlyskaffe.dk",), ("trello:jonaskr",), ("project-manager",)
)
ANDERS = PersonConfig("Anders Holm", ("anders@nordlyskaffe.dk",), (), ("content-producer",))
SOFIE = PersonConfig("Sofie Lund", ("sofie@nordlyskaffe.dk",), (), ("analyst",))
FREJA = PersonConfig(
    "Freja Nørgaard",
    ("freja@nordlyskaffe.dk",),
    ("trello:frejan",),
    ("social-media", "content-producer"),
)
ROSTER = (METTE, JONAS, ANDERS, SOFIE, FREJA)


def people(
    *accounts: str, key: str = "field", title: str | None = None, id: str | None = None
) -> FieldValue:
    """A people field: a built-in one (``key="members"``) or a custom one (``title=...``)."""
    kind = "people" if key == "field" else None
    return FieldValue(key=key, id=id, title=title, kind=kind, accounts=accounts)


def named(title: str, *names: str, id: str | None = None) -> FieldValue:
    """A Trello text/dropdown custom field naming people."""
    return FieldValue(
        key="field", id=id, title=title, kind="text", names=names, text=", ".join(names)
    )


def number(title: str, value: float, id: str | None = None) -> FieldValue:
    """A number custom field / numbers column."""
    return FieldValue(key="field", id=id, title=title, kind="number", number=value)


def task(
    id: str, *fields: FieldValue, source: str = "indhold", title: str | None = None, **kw: Any
) -> Task:
    """An open task of ``source`` (override anything with keywords)."""
    kw.setdefault("state", State.OPEN)
    return Task(source=source, id=id, title=title or f"Opgave {id}", fields=fields, **kw)


def trello_task(
    id: str, r: tuple[str, ...] = (), a: tuple[str, ...] = (), c: tuple[str, ...] = (), **kw: Any
) -> Task:
    """A Trello card: members (account ids) are R, Accountable/Consulted names are A/C."""
    fields = [people(*r, key="members")]
    if a:
        fields.append(named("Accountable", *a))
    if c:
        fields.append(named("Consulted", *c))
    if "effort" in kw:
        fields.append(number("Timer", kw.pop("effort")))
    return task(id, *fields, **kw)


TRELLO_ACCOUNTS = (
    Account("indhold", "t-mette", "Mette Sørensen", "mettesorensen"),
    Account("indhold", "t-jonas", "Jonas K", "jonaskr"),
    Account("indhold", "t-anders", "Anders Holm", "andersholm"),
    Account("indhold", "t-sofie", "Sofie L.", "sofiel"),
    Account("indhold", "t-freja", "Freja N", "frejan"),
    Account("indhold", "t-kasper", "Kasper Vinther", "kasperfoto"),
)


def config(
    *,
    people: tuple[PersonConfig, ...] = ROSTER,
    sources: tuple[SourceConfig, ...] | None = None,
    rules: tuple[RuleConfig, ...] = (),
    checks: ChecksConfig | None = None,
    workload: WorkloadConfig | None = None,
    ignores: tuple[IgnoreConfig, ...] = (),
) -> Config:
    """A Config with the demo roster and one Trello source 'indhold' (effort field "Timer")."""
    if sources is None:
        sources = (trello_source(),)
    return Config(
        path=None,
        sources=sources,
        people=people,
        rules=rules,
        ignores=ignores,
        checks=checks or ChecksConfig(),
        workload=workload or WorkloadConfig(),
    )


def trello_source(name: str = "indhold", **kw: Any) -> SourceConfig:
    """A Trello source with default roles and effort field "Timer"."""
    kw.setdefault("fields", FieldsConfig(effort="Timer"))
    return SourceConfig(name=name, kind="trello", **kw)
