"""The settings: frozen dataclasses that the reader (``reader.py``) fills from the TOML file.

Each field that is a TOML key declares how it is read with :func:`setting` (its key, if not the
field's name, its type and bounds); the reader derives the allowed keys of every table from
these declarations and from the connectors' Kind records, so a key is listed once. Fields made
with :func:`derived` are filled by the reader and are no TOML keys.
"""

from __future__ import annotations

import difflib
import math
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import MISSING, Field, dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any

from raci_sync.errors import ConfigError
from raci_sync.i18n import LANGUAGES

DEFAULT_WEIGHTS = {"R": 1.0, "A": 0.25, "C": 0.1, "I": 0.0}


@dataclass(frozen=True)
class Rule:
    """How one TOML value is read: its type, bounds and choices.

    ``type`` is one of ``str``, ``strings`` (a list of strings, or one string), ``int``,
    ``number``, ``bool``, ``choice``, ``secret``, ``token`` (a secret that must be ASCII: it
    travels in an HTTP header or query), or ``custom`` (read by the reader's own code).
    """

    type: str
    minimum: float = -math.inf
    maximum: float = math.inf
    choices: tuple[str, ...] = ()


def setting(
    default: Any = MISSING,
    *,
    type: str,
    key: str | None = None,
    minimum: float = -math.inf,
    maximum: float = math.inf,
    choices: tuple[str, ...] = (),
    factory: Any = MISSING,
) -> Any:
    """A dataclass field read from the TOML key ``key`` (default: the field's name)."""
    meta = {"key": key, "rule": Rule(type, minimum, maximum, choices)}
    if factory is not MISSING:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


def derived(default: Any = MISSING, *, factory: Any = MISSING) -> Any:
    """A dataclass field the reader fills that is no TOML key."""
    if factory is not MISSING:
        return field(default_factory=factory, metadata={"derived": True})
    return field(default=default, metadata={"derived": True})


def toml_fields(cls: type) -> list[tuple[str, Field[Any], Rule]]:
    """(TOML key, field, rule) of every TOML key of a settings class, in declaration order."""
    out = []
    for f in fields(cls):
        rule = f.metadata.get("rule")
        if rule is not None:
            out.append((f.metadata.get("key") or f.name, f, rule))
    return out


def toml_keys(cls: type) -> tuple[str, ...]:
    """The TOML keys a settings class reads."""
    return tuple(key for key, _, _ in toml_fields(cls))


class Secret:
    """A credential that never shows itself in ``repr``/``str``; ``reveal()`` gives the value.

    A secret whose ``${NAME}`` is not set keeps ``missing = NAME`` and where it was written:
    commands that never use it (reports, the matrix) run without it, and using it — ``reveal()``
    or ``Config.require_secrets`` — is a config error that names the variable (PRODUCT §9).
    """

    __slots__ = ("_value", "missing", "where")

    def __init__(self, value: str, missing: str | None = None, where: str = "") -> None:
        self._value = value
        self.missing = missing
        self.where = where

    def reveal(self) -> str:
        if self.missing is not None:
            raise ConfigError([self.problem()])
        return self._value

    def problem(self) -> str:
        """The config problem of an unset secret (its key path and the variable)."""
        where = f"{self.where}: " if self.where else ""
        return (
            f"{where}environment variable {self.missing} is not set (referenced as "
            f"${{{self.missing}}}); export it before running raci"
        )

    def __repr__(self) -> str:
        return "Secret(unset)" if self.missing else "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Secret)
            and other._value == self._value
            and other.missing == self.missing
        )

    def __hash__(self) -> int:
        return hash((self._value, self.missing))


def normalise_name(text: str) -> str:
    """Fold a display name for comparison: NFC, collapsed whitespace, case-insensitive."""
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


def suggest(word: str, choices: Iterable[str]) -> str:
    """``; did you mean 'x'?`` for the closest choice, or nothing."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


@dataclass(frozen=True)
class FieldsConfig:
    """Where to read what the API has no fixed field for."""

    effort: str | None = setting(None, type="str")
    due: str | None = setting(None, type="str")
    status: str | None = setting(None, type="str")


@dataclass(frozen=True)
class Bounds:
    """The limits every read of a source keeps to (``[sync]``, PRODUCT §9 "Bounded")."""

    deadline_s: float = 900.0  # the whole read of the source
    max_wait_s: float = 120.0  # the longest wait an API may ask for
    max_response_mb: float = 64.0  # one answer, after decompression
    max_pages: int = 10_000  # one listing, where the API gives no total


@dataclass(frozen=True)
class SourceConfig:
    """One configured connection to one tool (a kind of ``raci_sync.connectors.KINDS``).

    Which of the scope keys (boards, workspace, projects, done_lists, api_version) and secrets
    (token, key) a source may have is declared by its Kind record.
    """

    name: str = setting(type="custom")
    kind: str = setting(type="custom")
    token: Secret | None = setting(None, type="token")
    key: Secret | None = setting(None, type="token")
    boards: tuple[str, ...] | None = setting(None, type="strings")
    workspace: str | None = setting(None, type="str")
    projects: tuple[str, ...] | None = setting(None, type="strings")
    base_url: str | None = setting(None, type="custom")
    api_version: str | None = setting(None, type="custom")  # None = the kind's default
    done_lists: tuple[str, ...] = setting((), type="strings")
    roles: Mapping[str, tuple[str, ...]] = setting(type="custom", factory=dict)
    # the letters written in [source.roles] (the rest are the kind's defaults): only written
    # references must resolve; a missing default is a warning (PRODUCT §12)
    written_roles: Mapping[str, tuple[str, ...]] = derived(factory=dict)
    # from the top level and [sync], for the connector: the team's time zone (due dates are
    # dates there), the history cutoff, and the bounds of every read
    timezone: str = derived("UTC")
    history_days: int = derived(90)
    bounds: Bounds = derived(factory=Bounds)
    fields: FieldsConfig = setting(type="custom", factory=FieldsConfig)
    # seconds per request; None: the kind's (30, monday 65: it lets a call run 60 s)
    timeout: float | None = setting(None, type="number", minimum=1, maximum=3600)
    requests_per_minute: int | None = setting(
        None, type="int", minimum=1, maximum=1_000_000
    )  # None = the API's documented default budget


@dataclass(frozen=True)
class PersonConfig:
    """One roster entry."""

    name: str = setting(type="custom")
    emails: tuple[str, ...] = setting((), type="custom")
    accounts: tuple[str, ...] = setting((), type="custom")
    hats: tuple[str, ...] = setting((), type="strings")
    capacity: float | None = setting(None, type="number", minimum=0, maximum=1e6)
    away: tuple[tuple[date, date], ...] = setting((), type="custom")


MATCH_KEYS = ("source", "container", "group", "label", "title")


@dataclass(frozen=True)
class RuleConfig:
    """A hat rule: where ``match`` fits a task, fill or suggest ``letters``."""

    match: Mapping[str, str] = setting(type="custom")
    letters: Mapping[str, str] = derived(factory=dict)  # the letter keys R, A, C, I
    mode: str = setting("fill", type="choice", choices=("fill", "suggest"))


@dataclass(frozen=True)
class IgnoreConfig:
    """An ``[[ignore]]`` table (PRODUCT §10, §12): findings to leave out, by task (id or URL),
    by task match (as rules match), or by account; optionally only some checks, until a day.
    Ignored findings are counted and listed, never silently dropped."""

    task: str | None = setting(None, type="str")
    match: Mapping[str, str] = setting(type="custom", factory=dict)
    account: str | None = setting(None, type="custom")  # "kind:id-or-username"
    checks: tuple[str, ...] = setting((), type="custom")  # empty: every check
    until: date | None = setting(None, type="custom")  # the last day it holds
    reason: str | None = setting(None, type="str")  # for the reader of the config


@dataclass(frozen=True)
class ChecksConfig:
    """Thresholds of the checks (PRODUCT §4)."""

    max_responsible: int = setting(3, type="int", minimum=1, maximum=1000)
    max_consulted: int = setting(3, type="int", minimum=0, maximum=1000)
    implied_responsible: bool = setting(False, type="bool")
    disable: tuple[str, ...] = setting((), type="custom")
    bottleneck_share: float = setting(0.5, type="number", minimum=0, maximum=1)
    bottleneck_min_tasks: int = setting(8, type="int", minimum=0, maximum=1_000_000)
    overload_error: float = setting(1.2, type="number", minimum=1, maximum=100)


@dataclass(frozen=True)
class WorkloadConfig:
    """How load and capacity are computed (PRODUCT §4)."""

    horizon_days: int = setting(14, type="int", minimum=1, maximum=366)
    count_undated: bool = setting(True, type="bool")
    default_effort: float = setting(1.0, type="number", minimum=0, maximum=1e6)
    default_capacity: float | None = setting(10.0, type="number", minimum=0, maximum=1e6)
    weights: Mapping[str, float] = setting(type="custom", factory=lambda: dict(DEFAULT_WEIGHTS))


@dataclass(frozen=True)
class EmailConfig:
    """SMTP settings for the weekly email."""

    smtp_host: str | None = setting(None, type="str")
    smtp_port: int = setting(587, type="int", minimum=1, maximum=65535)
    security: str = setting("starttls", type="choice", choices=("starttls", "ssl", "none"))
    username: Secret | None = setting(None, type="secret")
    password: Secret | None = setting(None, type="secret")
    sender: str | None = setting(None, type="custom", key="from")
    to: tuple[str, ...] = setting((), type="custom")
    skip_empty: bool = setting(False, type="bool")
    # also a digest of their own to each roster person with an email (PRODUCT §11)
    personal: bool = setting(False, type="bool")


NOTIFY_KINDS = ("slack", "teams", "webhook")


@dataclass(frozen=True)
class NotifyConfig:
    """A ``[[notify]]`` table (PRODUCT §11, §12): a chat webhook the summary is posted to.

    ``url`` is a secret like a token: whoever has a webhook's URL can post to the channel, so
    it is kept in a :class:`Secret` and never shown. ``name`` (default: the kind) names the
    target in messages and in the store, where each successful post is recorded.
    """

    kind: str = setting(type="custom")  # slack | teams | webhook
    name: str = setting(type="custom")
    url: Secret | None = setting(None, type="token")


@dataclass(frozen=True)
class SyncConfig:
    """How syncs run: concurrency and how often to re-read everything."""

    max_workers: int = setting(4, type="int", minimum=1, maximum=64)
    # an incremental sync older than this re-reads everything
    full_every_hours: float = setting(24.0, type="number", minimum=0, maximum=24 * 366)
    # a source whose last good read is older than this is "stale": reports say so, exit 3
    stale_after_hours: float = setting(48.0, type="number", minimum=1, maximum=24 * 366)
    # a source's whole read must end within this, or it fails cleanly
    source_deadline_s: float = setting(900.0, type="number", minimum=1, maximum=24 * 3600)
    # the longest wait an API may ask for (Retry-After, reset times); longer fails at once
    max_wait_s: float = setting(120.0, type="number", minimum=0, maximum=3600)
    # the largest answer read from an API, after decompression
    max_response_mb: float = setting(64.0, type="number", minimum=0.001, maximum=4096)
    # pages one listing may take where the API gives no total
    max_pages: int = setting(10_000, type="int", minimum=1, maximum=10_000_000)
    # completed tasks older than this are not read (open ones always are)
    history_days: int = setting(90, type="int", minimum=1, maximum=36_500)


@dataclass(frozen=True)
class HistoryConfig:
    """How long the store keeps old snapshots and evaluations (thinned after every sync)."""

    keep_all_days: int = setting(2, type="int", minimum=0, maximum=3660)  # every run
    keep_daily_weeks: int = setting(8, type="int", minimum=0, maximum=520)  # last run a day
    # then the last run of each ISO week, this long; 0 = forever
    keep_weekly_weeks: int = setting(0, type="int", minimum=0, maximum=5200)


@dataclass(frozen=True)
class Config:
    """The whole configuration."""

    path: Path | None = derived()
    store: str | None = setting(None, type="custom")
    timezone: str = setting("UTC", type="custom")
    # the language of every text for people (PRODUCT §10); JSON keys and check ids stay English
    language: str = setting("en", type="choice", choices=LANGUAGES)
    sources: tuple[SourceConfig, ...] = setting((), type="custom", key="source")
    people: tuple[PersonConfig, ...] = setting((), type="custom", key="person")
    rules: tuple[RuleConfig, ...] = setting((), type="custom", key="rule")
    ignores: tuple[IgnoreConfig, ...] = setting((), type="custom", key="ignore")
    notify: tuple[NotifyConfig, ...] = setting((), type="custom", key="notify")
    checks: ChecksConfig = setting(type="custom", factory=ChecksConfig)
    workload: WorkloadConfig = setting(type="custom", factory=WorkloadConfig)
    email: EmailConfig = setting(type="custom", factory=EmailConfig)
    sync: SyncConfig = setting(type="custom", factory=SyncConfig)
    history: HistoryConfig = setting(type="custom", factory=HistoryConfig)
    warnings: tuple[str, ...] = derived(())
    literal_secrets: tuple[str, ...] = derived(())  # key paths of secrets written in the file
    deferred: tuple[str, ...] = derived(())  # rule problems kept for check-config --online

    def require_secrets(
        self,
        sources: Iterable[SourceConfig] = (),
        *,
        email: bool = False,
        notify: Iterable[NotifyConfig] = (),
    ) -> None:
        """Raise a ConfigError naming every unset variable that ``sources`` (and, with
        ``email``, the SMTP login; the webhook URLs of ``notify``) need: secrets are needed
        only where they are used."""
        secrets: list[Secret | None] = [s for source in sources for s in (source.token, source.key)]
        if email:
            secrets += [self.email.username, self.email.password]
        secrets += [target.url for target in notify]
        problems = [s.problem() for s in secrets if s is not None and s.missing]
        if problems:
            raise ConfigError(problems, str(self.path) if self.path else None)

    def source(self, name: str) -> SourceConfig:
        for s in self.sources:
            if s.name == name:
                return s
        raise ConfigError([f"--source: no source named {name!r}{suggest(name, self.names)}"])

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.sources]
