"""Asking each tool what its token can see: one :class:`Tool` per Kind, its credentials from the
environment variables the Kind names (``Kind.env``: those of config.example.toml).

A tool whose variables are not set is not asked, and says which variable is missing. A tool
that cannot be asked (a refused token, no network) says why, with every secret scrubbed from
the message; the others go on. Only the tool's connector talks to it (``discover()`` and
``discover_details()``, :mod:`raci_sync.connectors.discovery`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from raci_sync.config import Secret, SourceConfig
from raci_sync.config.settings import normalise_name
from raci_sync.connectors import KINDS, Kind
from raci_sync.connectors.base import make_connector, make_http
from raci_sync.connectors.discovery import Container, Details, Discoverable, Discovery
from raci_sync.connectors.http import HttpClient, RetryPolicy, safe_text
from raci_sync.errors import AuthError, ConfigError, SourceError
from raci_sync.init.draft import Draft, draft_sources
from raci_sync.init.roster import merge_people
from raci_sync.model import Account

RETRIES = RetryPolicy(attempts=3)  # a hiccup is retried; no network is said within a minute


@dataclass
class Tool:
    """One tool: whether it could be asked, what its token sees and what was chosen."""

    kind: Kind
    base_url: str | None = None
    why_not: str | None = None  # not asked, or asking failed: why (no secret in it)
    fix: str | None = None  # what to do about ``why_not``, for a person
    has_token: bool = False  # every variable of its credentials is set
    discovery: Discovery | None = None
    chosen: tuple[Container, ...] = ()
    details: Details | None = None
    connector: Discoverable | None = None
    scrub: Callable[[str], str] = safe_text
    http: HttpClient | None = None  # the connector's: its deadline, its secrets

    @property
    def containers(self) -> tuple[Container, ...]:
        return self.discovery.containers if self.discovery else ()

    @property
    def variables(self) -> str:
        """The environment variables of the tool's credentials: ``TRELLO_KEY and TRELLO_TOKEN``."""
        return " and ".join(self.kind.env.get(s, s.upper()) for s in self.kind.secrets)

    def discover(self) -> None:
        """Ask what the token sees (``why_not`` and ``fix`` say why that failed)."""
        if self.connector is None:
            return
        try:
            self.discovery = self.connector.discover()
        except (SourceError, ConfigError) as exc:
            self._failed(exc)
            return
        if not self.containers:
            who = self.scrub(self.discovery.who)
            self.why_not = f"the token of {who} sees no {self.kind.container}"
            self.fix = (
                f"share a {self.kind.container} with {who} in {self.kind.title}, or export in "
                f"{self.variables} the token of someone who sees the team's"
            )

    def read_details(self) -> None:
        """The chosen containers' fields and people (``why_not`` says why that failed)."""
        if self.connector is None or not self.chosen:
            return
        try:
            self.details = self.connector.discover_details(self.chosen)
        except (SourceError, ConfigError) as exc:
            self._failed(exc)

    def _failed(self, exc: Exception) -> None:
        self.why_not = self.scrub(str(exc))
        if isinstance(exc, AuthError):
            what = " and ".join(self.kind.secrets)
            self.fix = (
                f"export a valid {what} in {self.variables} (config.example.toml says where "
                "to make one), then run raci init again"
            )
        else:
            where = f" and --base-url {self.kind.name}={self.base_url}" if self.base_url else ""
            self.fix = f"check the network{where}, then run raci init again"


def open_tools(env: Mapping[str, str], base_urls: Mapping[str, str]) -> list[Tool]:
    """Every Kind as a Tool: ready to be asked when its variables are set, else saying which
    variable is missing."""
    return [open_tool(kind, env, base_urls.get(kind.name)) for kind in KINDS.values()]


def open_tool(kind: Kind, env: Mapping[str, str], base_url: str | None) -> Tool:
    """One tool over the credentials in ``env``."""
    tool = Tool(kind, base_url)
    variables = {s: kind.env.get(s, s.upper()) for s in kind.secrets}
    unset = [v for v in variables.values() if not env.get(v)]
    if unset:
        tool.why_not = f"{' and '.join(unset)} {'is' if len(unset) == 1 else 'are'} not set"
        tool.fix = f"export {tool.variables} to include {kind.title}"
        return tool
    tool.has_token = True
    bad = [f"{v} {why}" for v in variables.values() if (why := _bad_value(env[v]))]
    if bad:
        tool.why_not = "; ".join(bad)
        tool.fix = "set it again without that"
        return tool
    secrets: dict[str, Any] = {s: Secret(env[v], where=v) for s, v in variables.items()}
    source = SourceConfig(name=kind.name, kind=kind.name, base_url=base_url, **secrets)
    http = make_http(source)
    http.retry = RETRIES
    connector = make_connector(source, http)
    tool.scrub = http.scrub
    tool.http = http
    if isinstance(connector, Discoverable):
        tool.connector = connector
    else:
        tool.why_not = f"raci init cannot ask {kind.title} what its token sees yet"
    return tool


def _bad_value(value: str) -> str:
    """What makes a token unusable in an HTTP header or query, or ""."""
    if value != value.strip():
        return "has spaces or a line break at its start or end"
    if not value.isascii() or not value.isprintable():
        return "has a character that cannot be sent (not printable ASCII)"
    return ""


@contextmanager
def person_time(tools: Sequence[Tool]) -> Iterator[None]:
    """A block in which a person is asked: its time is not counted against any tool's
    deadline ([sync] source_deadline_s bounds the tools, not the person choosing)."""
    started = [(t.http, t.http.clock()) for t in tools if t.http is not None]
    try:
        yield
    finally:
        for http, at in started:
            http.not_counting(at)


@dataclass(frozen=True)
class Named:
    """What ``--board NAME`` / ``--project NAME`` chose, and the names that matched nothing."""

    chosen: Mapping[str, tuple[Container, ...]] = field(default_factory=dict)  # by kind name
    problems: tuple[str, ...] = ()


def choose_named(tools: Sequence[Tool], wanted: Mapping[str, Sequence[str]]) -> Named:
    """The containers ``wanted`` names (container word → names or ids), in each tool that has
    that word; a name that matches in no tool is a problem naming what the tokens see."""
    chosen: dict[str, list[Container]] = {}
    problems = []
    for word, names in wanted.items():
        tools_of_word = [t for t in tools if t.kind.container == word and t.discovery]
        for name in names:
            hits = 0
            for tool in tools_of_word:
                matches = [c for c in tool.containers if _is(c, name)]
                picked = chosen.setdefault(tool.kind.name, [])
                picked += [c for c in matches if c not in picked]
                hits += len(matches)
            if not hits:
                seen = sorted({c.name for t in tools_of_word for c in t.containers})
                listed = ", ".join(repr(n) for n in seen[:20]) or "none"
                problems.append(
                    f"--{word} {name!r}: no {word} of that name; the tokens see: {listed}"
                )
    order = {t.kind.name: t.containers for t in tools}
    return Named(
        {k: tuple(c for c in order[k] if c in v) for k, v in chosen.items() if v},
        tuple(problems),
    )


def _is(container: Container, wanted: str) -> bool:
    w = wanted.strip()
    return container.id == w or normalise_name(container.name) == normalise_name(w)


def parse_numbers(text: str, count: int) -> list[int]:
    """The 0-based indexes ``1,3-4`` / ``all`` / ``none`` picks out of ``count`` numbered
    entries; ValueError saying what is wrong."""
    answer = text.strip().casefold()
    if answer in ("all", "*"):
        return list(range(count))
    if answer in ("none", "-", ""):
        return []
    picked: list[int] = []
    for part in answer.replace(" ", ",").split(","):
        if not part:
            continue
        first, dash, last = part.partition("-")
        try:
            lo, hi = int(first), int(last) if dash else int(first)
        except ValueError:
            raise ValueError(
                f"{part!r} is not a number or a range like 3-4 (or say all or none)"
            ) from None
        if not 1 <= lo <= hi <= count:
            raise ValueError(f"{part!r} is not within 1-{count}")
        picked += [i - 1 for i in range(lo, hi + 1) if i - 1 not in picked]
    return sorted(picked)


def draft_from(
    tools: Sequence[Tool], *, made: date | None = None, timezone: str | None = None
) -> Draft:
    """The config of what was chosen and read: a source per tool (per workspace), the roster
    of everyone found; a tool left out is named with why."""
    sources = []
    people: list[tuple[Kind, Account]] = []
    skipped = []
    for tool in tools:
        if tool.details is None or tool.discovery is None:
            why = tool.why_not or f"no {tool.kind.container} chosen"
            skipped.append(f"{tool.kind.title}: {why}.")
            continue
        sources += draft_sources(
            tool.kind,
            tool.scrub(tool.discovery.who),
            tool.discovery.scope_key,
            tool.chosen,
            tool.details.fields,
            base_url=tool.base_url,
            seen=len(tool.containers),
        )
        people += [(tool.kind, a) for a in tool.details.people]
    return Draft(
        tuple(sources),
        tuple(merge_people(people)),
        timezone=timezone,
        made=made,
        skipped=tuple(skipped),
    )
