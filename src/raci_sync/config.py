"""The TOML config (PRODUCT §5) → frozen dataclasses, with every problem reported at once.

Each problem names its key path (``source[1].kind``) and, for unknown keys and values, the
nearest known one. ``${NAME}`` in any string is replaced from the environment; an unset
variable is a problem naming it. Secrets are wrapped in :class:`Secret` so that no ``repr``,
log line or exception text can show them.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from raci_sync.errors import ConfigError
from raci_sync.model import CHECK_IDS, LETTERS

KINDS = ("trello", "asana", "monday")
DEFAULT_API_VERSION = "2026-07"
BUILTIN_PEOPLE_FIELDS = {
    "asana": ("assignee", "followers"),
    "trello": ("members",),
    "monday": ("subscribers", "first_people_column"),
}
DEFAULT_ROLES = {
    "asana": {"R": ("assignee",), "A": ("field:Accountable",), "C": ("field:Consulted",), "I": ()},
    "trello": {"R": ("members",), "A": ("field:Accountable",), "C": ("field:Consulted",), "I": ()},
    "monday": {
        "R": ("first_people_column",),
        "A": ("field:Accountable",),
        "C": ("field:Consulted",),
        "I": (),
    },
}
DEFAULT_WEIGHTS = {"R": 1.0, "A": 0.25, "C": 0.1, "I": 0.0}
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class Secret:
    """A credential that never shows itself in ``repr``/``str``; ``reveal()`` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class FieldsConfig:
    """Where to read what the API has no fixed field for."""

    effort: str | None = None
    due: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class SourceConfig:
    """One configured connection to Trello, Asana or monday.com."""

    name: str
    kind: str
    token: Secret | None = None
    key: Secret | None = None
    boards: tuple[str, ...] | None = None
    workspace: str | None = None
    projects: tuple[str, ...] | None = None
    base_url: str | None = None
    api_version: str = DEFAULT_API_VERSION
    done_lists: tuple[str, ...] = ()
    roles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    fields: FieldsConfig = field(default_factory=FieldsConfig)
    timeout: float = 30.0
    requests_per_minute: int | None = None  # None = the API's documented default budget


@dataclass(frozen=True)
class PersonConfig:
    """One roster entry."""

    name: str
    emails: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    hats: tuple[str, ...] = ()
    capacity: float | None = None
    away: tuple[tuple[date, date], ...] = ()


@dataclass(frozen=True)
class RuleConfig:
    """A hat rule: where ``match`` fits a task, fill or suggest ``letters``."""

    match: Mapping[str, str]
    letters: Mapping[str, str]
    mode: str = "fill"


@dataclass(frozen=True)
class ChecksConfig:
    """Thresholds of the checks (PRODUCT §4)."""

    max_responsible: int = 3
    max_consulted: int = 3
    implied_responsible: bool = False
    disable: tuple[str, ...] = ()
    bottleneck_share: float = 0.5
    bottleneck_min_tasks: int = 8
    overload_error: float = 1.2


@dataclass(frozen=True)
class WorkloadConfig:
    """How load and capacity are computed (PRODUCT §4)."""

    horizon_days: int = 14
    count_undated: bool = True
    default_effort: float = 1.0
    default_capacity: float | None = 10.0
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))


@dataclass(frozen=True)
class EmailConfig:
    """SMTP settings for the weekly email."""

    smtp_host: str | None = None
    smtp_port: int = 587
    security: str = "starttls"
    username: Secret | None = None
    password: Secret | None = None
    sender: str | None = None
    to: tuple[str, ...] = ()
    skip_empty: bool = False


@dataclass(frozen=True)
class SyncConfig:
    """How syncs run: concurrency and how often to re-read everything."""

    max_workers: int = 4  # boards/projects/sources read at once
    full_every_hours: float = 24.0  # an incremental sync older than this re-reads everything


@dataclass(frozen=True)
class HistoryConfig:
    """How long the store keeps old snapshots and evaluations (thinned after every sync)."""

    keep_all_days: int = 2  # every run of the last days
    keep_daily_weeks: int = 8  # then the last run of each day
    keep_weekly_weeks: int = 0  # then the last run of each ISO week, this long; 0 = forever


@dataclass(frozen=True)
class Config:
    """The whole configuration."""

    path: Path | None
    store: str | None = None
    timezone: str = "UTC"
    sources: tuple[SourceConfig, ...] = ()
    people: tuple[PersonConfig, ...] = ()
    rules: tuple[RuleConfig, ...] = ()
    checks: ChecksConfig = field(default_factory=ChecksConfig)
    workload: WorkloadConfig = field(default_factory=WorkloadConfig)
    email: EmailConfig = field(default_factory=EmailConfig)
    sync: SyncConfig = field(default_factory=SyncConfig)
    history: HistoryConfig = field(default_factory=HistoryConfig)
    warnings: tuple[str, ...] = ()
    literal_secrets: tuple[str, ...] = ()  # key paths of secrets written into the file itself

    def source(self, name: str) -> SourceConfig:
        for s in self.sources:
            if s.name == name:
                return s
        raise ConfigError([f"--source: no source named {name!r}{_suggest(name, self.names)}"])

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.sources]


def find_config(explicit: str | os.PathLike[str] | None) -> Path:
    """--config, else $RACI_CONFIG, else ./raci.toml."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("RACI_CONFIG")
    return Path(env) if env else Path("raci.toml")


def load_config(path: str | os.PathLike[str], env: Mapping[str, str] | None = None) -> Config:
    """Read and validate a config file; raise ConfigError listing every problem."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            [
                f"config file {p} does not exist (give --config PATH, set $RACI_CONFIG, or create "
                "./raci.toml from config.example.toml)"
            ]
        ) from None
    except OSError as exc:
        raise ConfigError([f"config file {p} cannot be read: {exc.strerror}"]) from None
    cfg = parse_config(text, path=p, env=env)
    if cfg.literal_secrets and _world_readable(p):
        warning = (
            f"{p} holds secrets ({', '.join(cfg.literal_secrets)}) and every user of this "
            f"machine can read it: move them to the environment, or at least chmod 600 {p}"
        )
        cfg = replace(cfg, warnings=(*cfg.warnings, warning))
    return cfg


def _world_readable(path: Path) -> bool:
    try:
        return bool(path.stat().st_mode & stat.S_IROTH)
    except OSError:
        return False


def parse_config(
    text: str, *, path: Path | None = None, env: Mapping[str, str] | None = None
) -> Config:
    """Parse TOML text into a Config; raise ConfigError listing every problem."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"not valid TOML: {exc}"], str(path) if path else None) from None
    r = _Reader(os.environ if env is None else env)
    cfg = r.config(raw, path)
    if r.problems:
        raise ConfigError(r.problems, str(path) if path else None)
    return cfg


def _suggest(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


class _Reader:
    """Walks the raw TOML, collecting problems instead of stopping at the first."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[str] = []
        self.warnings: list[str] = []
        self.literal_secrets: list[str] = []  # key paths of secrets written into the file

    def problem(self, where: str, msg: str) -> None:
        self.problems.append(f"{where}: {msg}")

    # -- generic value readers -------------------------------------------------------------

    def keys(self, table: Any, where: str, allowed: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(table, dict):
            self.problem(where, f"must be a table, got {_tname(table)}")
            return {}
        for k in table:
            if k not in allowed:
                self.problem(_join(where, k), f"unknown key{_suggest(k, allowed)}")
        return table

    def expand(self, value: str, where: str) -> str:
        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in self.env:
                self.problem(
                    where,
                    f"environment variable {name} is not set (referenced as "
                    f"${{{name}}}); export it before running raci",
                )
                return ""
            return self.env[name]

        return _ENV_REF.sub(sub, value)

    def string(self, t: dict[str, Any], k: str, where: str, default: Any = None) -> Any:
        if k not in t:
            return default
        v = t[k]
        if not isinstance(v, str):
            self.problem(_join(where, k), f"must be a string, got {_tname(v)}")
            return default
        return self.expand(v, _join(where, k))

    def secret(self, t: dict[str, Any], k: str, where: str) -> Secret | None:
        raw = t.get(k)
        value = self.string(t, k, where)
        if value is None:
            return None
        if isinstance(raw, str) and not _ENV_REF.search(raw):
            self.literal_secrets.append(_join(where, k))
            self.warnings.append(
                f'{_join(where, k)} holds a literal secret; write "${{NAME}}" and export NAME '
                "instead, so the config file holds no secrets"
            )
        return Secret(value)

    def strings(self, t: dict[str, Any], k: str, where: str, default: Any = None) -> Any:
        if k not in t:
            return default
        v = t[k]
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            self.problem(_join(where, k), 'must be a list of strings, e.g. ["a", "b"]')
            return default
        return tuple(self.expand(x, f"{_join(where, k)}[{i}]") for i, x in enumerate(v))

    def number(
        self,
        t: dict[str, Any],
        k: str,
        where: str,
        default: Any,
        *,
        minimum: float = 0,
        integer: bool = False,
    ) -> Any:
        if k not in t:
            return default
        v = t[k]
        ok = isinstance(v, int) if integer else isinstance(v, int | float)
        if isinstance(v, bool) or not ok:
            kind = "a whole number" if integer else "a number"
            self.problem(_join(where, k), f"must be {kind}, got {_tname(v)} {v!r}")
            return default
        if v < minimum:
            self.problem(_join(where, k), f"must be at least {minimum}, got {v}")
            return default
        return v

    def boolean(self, t: dict[str, Any], k: str, where: str, default: bool) -> bool:
        if k not in t:
            return default
        v = t[k]
        if not isinstance(v, bool):
            self.problem(_join(where, k), f"must be true or false, got {_tname(v)} {v!r}")
            return default
        return v

    def choice(
        self, t: dict[str, Any], k: str, where: str, choices: tuple[str, ...], default: Any
    ) -> Any:
        v = self.string(t, k, where, default)
        if v is not None and v not in choices:
            self.problem(
                _join(where, k),
                f"must be one of {', '.join(choices)}, got {v!r}{_suggest(v, choices)}",
            )
            return default
        return v

    def array_of_tables(self, raw: dict[str, Any], k: str) -> list[tuple[str, dict[str, Any]]]:
        v = raw.get(k, [])
        if isinstance(v, dict):
            v = [v]
        if not isinstance(v, list):
            self.problem(k, f"must be an array of tables ([[{k}]]), got {_tname(v)}")
            return []
        out = []
        for i, item in enumerate(v):
            if not isinstance(item, dict):
                self.problem(f"{k}[{i}]", f"must be a table, got {_tname(item)}")
            else:
                out.append((f"{k}[{i}]", item))
        return out

    # -- sections ---------------------------------------------------------------------------

    def config(self, raw: dict[str, Any], path: Path | None) -> Config:
        top = self.keys(
            raw,
            "",
            (
                "store",
                "timezone",
                "source",
                "person",
                "rule",
                "checks",
                "workload",
                "email",
                "sync",
                "history",
            ),
        )
        tz = self.string(top, "timezone", "", "UTC")
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: absurdly long names
            self.problem(
                "timezone",
                f'unknown time zone {tz!r}; use an IANA name such as "Europe/Copenhagen"',
            )
            tz = "UTC"
        store = self.store(top, path)
        sources = tuple(self.source(w, t) for w, t in self.array_of_tables(raw, "source"))
        self.unique([s.name for s in sources], "source", "name")
        people = tuple(self.person(w, t) for w, t in self.array_of_tables(raw, "person"))
        self.unique([p.name for p in people], "person", "name")
        rules = tuple(self.rule(w, t) for w, t in self.array_of_tables(raw, "rule"))
        return Config(
            path=path,
            store=store,
            timezone=tz,
            sources=sources,
            people=people,
            rules=rules,
            checks=self.checks(raw.get("checks", {})),
            workload=self.workload(raw.get("workload", {})),
            email=self.email(raw.get("email", {})),
            sync=self.sync(raw.get("sync", {})),
            history=self.history(raw.get("history", {})),
            warnings=tuple(self.warnings),
            literal_secrets=tuple(self.literal_secrets),
        )

    def store(self, top: dict[str, Any], path: Path | None) -> str | None:
        store = self.string(top, "store", "")
        if not store:
            return None
        if "\x00" in store:
            self.problem("store", "must be a file path or a database URL, not text with a NUL")
            return None
        if path is not None and "://" not in store and not Path(store).is_absolute():
            store = str((path.parent / store).resolve())
        return store

    def unique(self, names: list[str], table: str, key: str) -> None:
        seen: set[str] = set()
        for i, n in enumerate(names):
            if n in seen:
                self.problem(f"{table}[{i}].{key}", f"{n!r} is used twice; names must be unique")
            seen.add(n)

    def source(self, w: str, t: dict[str, Any]) -> SourceConfig:
        self.keys(
            t,
            w,
            (
                "name",
                "kind",
                "key",
                "token",
                "boards",
                "workspace",
                "projects",
                "base_url",
                "api_version",
                "done_lists",
                "roles",
                "fields",
                "timeout",
                "requests_per_minute",
            ),
        )
        name = self.string(t, "name", w)
        if not name:
            self.problem(_join(w, "name"), 'is required: a unique label such as "indhold"')
            name = w
        kind = self.choice(t, "kind", w, KINDS, None)
        if "kind" not in t:
            self.problem(_join(w, "kind"), f"is required: one of {', '.join(KINDS)}")
        token = self.secret(t, "token", w)
        if token is None:
            self.problem(_join(w, "token"), 'is required, e.g. token = "${ASANA_TOKEN}"')
        key = self.secret(t, "key", w)
        if kind == "trello" and key is None:
            self.problem(_join(w, "key"), 'is required for trello, e.g. key = "${TRELLO_KEY}"')
        self.only_for(
            t,
            w,
            kind,
            {
                "key": "trello",
                "boards": ("trello", "monday"),
                "workspace": "asana",
                "projects": "asana",
                "api_version": "monday",
                "done_lists": "trello",
            },
        )
        base_url = self.string(t, "base_url", w)
        if base_url and not re.match(r"^https?://", base_url):
            self.problem(
                _join(w, "base_url"), f"must start with https:// or http://, got {base_url!r}"
            )
        api_version = self.string(t, "api_version", w, DEFAULT_API_VERSION)
        if not re.fullmatch(r"\d{4}-\d{2}", api_version):
            self.problem(_join(w, "api_version"), f'must look like "2026-07", got {api_version!r}')
        fields_t = self.keys(t.get("fields", {}), _join(w, "fields"), ("effort", "due", "status"))
        fw = _join(w, "fields")
        fields = FieldsConfig(
            self.string(fields_t, "effort", fw),
            self.string(fields_t, "due", fw),
            self.string(fields_t, "status", fw),
        )
        return SourceConfig(
            name=name,
            kind=kind or "",
            token=token,
            key=key,
            boards=self.strings(t, "boards", w),
            workspace=self.string(t, "workspace", w),
            projects=self.strings(t, "projects", w),
            base_url=base_url.rstrip("/") if base_url else None,
            api_version=api_version,
            done_lists=self.strings(t, "done_lists", w, ()),
            roles=self.roles(t.get("roles", {}), _join(w, "roles"), kind),
            fields=fields,
            timeout=self.number(t, "timeout", w, 30.0, minimum=1),
            requests_per_minute=self.number(
                t, "requests_per_minute", w, None, minimum=1, integer=True
            ),
        )

    def only_for(
        self, t: dict[str, Any], w: str, kind: str | None, allowed: dict[str, str | tuple[str, ...]]
    ) -> None:
        if kind is None:
            return
        for k, kinds in allowed.items():
            kinds_t = (kinds,) if isinstance(kinds, str) else kinds
            if k in t and kind not in kinds_t:
                self.problem(
                    _join(w, k), f"applies only to {' and '.join(kinds_t)} sources, not {kind}"
                )

    def roles(self, t: Any, w: str, kind: str | None) -> dict[str, tuple[str, ...]]:
        table = self.keys(t, w, LETTERS)
        base = dict(DEFAULT_ROLES.get(kind or "", {L: () for L in LETTERS}))
        builtin = BUILTIN_PEOPLE_FIELDS.get(kind or "", ())
        for letter in LETTERS:
            refs = self.strings(table, letter, w)
            if refs is None:
                continue
            for i, ref in enumerate(refs):
                if ref.startswith("field:"):
                    if not ref[6:].strip():
                        self.problem(
                            f"{w}.{letter}[{i}]",
                            'field: needs a name or id, e.g. "field:Accountable"',
                        )
                elif kind and ref not in builtin:
                    known = [*builtin, "field:<name or id>"]
                    self.problem(
                        f"{w}.{letter}[{i}]",
                        f"{ref!r} is not a people field of "
                        f"{kind}; use one of {', '.join(known)}{_suggest(ref, builtin)}",
                    )
            base[letter] = refs
        return base

    def person(self, w: str, t: dict[str, Any]) -> PersonConfig:
        self.keys(t, w, ("name", "emails", "accounts", "hats", "capacity", "away"))
        name = self.string(t, "name", w)
        if not name:
            self.problem(_join(w, "name"), "is required: the person's display name")
        emails = self.strings(t, "emails", w, ())
        for i, e in enumerate(emails):
            if "@" not in e:
                self.problem(f"{w}.emails[{i}]", f"{e!r} is not an email address")
        accounts = self.strings(t, "accounts", w, ())
        for i, a in enumerate(accounts):
            kind, _, ident = a.partition(":")
            if kind not in KINDS or not ident:
                self.problem(
                    f"{w}.accounts[{i}]",
                    f'{a!r} must look like "trello:username", "asana:<gid>" or "monday:<id>"',
                )
        capacity = self.number(t, "capacity", w, None)
        return PersonConfig(
            name=name or w,
            emails=emails,
            accounts=accounts,
            hats=self.strings(t, "hats", w, ()),
            capacity=capacity,
            away=self.away(t.get("away", []), _join(w, "away")),
        )

    def away(self, v: Any, w: str) -> tuple[tuple[date, date], ...]:
        if not isinstance(v, list):
            self.problem(w, 'must be a list like [{ from = "2026-12-21", to = "2027-01-03" }]')
            return ()
        out = []
        for i, item in enumerate(v):
            iw = f"{w}[{i}]"
            item = self.keys(item, iw, ("from", "to"))
            start, end = self.date(item, "from", iw), self.date(item, "to", iw)
            if start and end:
                if end < start:
                    self.problem(iw, f"ends ({end}) before it starts ({start})")
                else:
                    out.append((start, end))
        return tuple(out)

    def date(self, t: dict[str, Any], k: str, w: str) -> date | None:
        if k not in t:
            self.problem(_join(w, k), "is required (a date like 2026-12-21)")
            return None
        v = t[k]
        if isinstance(v, date) and not isinstance(v, datetime):  # a TOML date-time is no date
            return v
        if isinstance(v, str):
            try:
                return date.fromisoformat(v)
            except ValueError:
                pass
        shown = v.isoformat() if isinstance(v, date) else repr(v)
        self.problem(_join(w, k), f"must be a date like 2026-12-21, got {shown}")
        return None

    def rule(self, w: str, t: dict[str, Any]) -> RuleConfig:
        self.keys(t, w, ("match", "mode", *LETTERS))
        match = self.keys(
            t.get("match", {}),
            _join(w, "match"),
            ("source", "container", "group", "label", "title"),
        )
        if not match:
            self.problem(_join(w, "match"), 'is required, e.g. match = { group = "Strategi" }')
        clean: dict[str, str] = {}
        for k in list(match):
            s = self.string(match, k, _join(w, "match"))
            if s is None:
                continue
            if k == "title":
                try:
                    re.compile(s)
                except (re.error, OverflowError, RecursionError) as exc:
                    self.problem(f"{w}.match.title", f"is not a valid regular expression: {exc}")
            clean[k] = s
        letters = {L: self.string(t, L, w) for L in LETTERS if L in t}
        if not letters:
            self.problem(w, 'names no letter; add e.g. A = "hat:strategist"')
        return RuleConfig(
            match=clean,
            letters={k: v for k, v in letters.items() if v},
            mode=self.choice(t, "mode", w, ("fill", "suggest"), "fill"),
        )

    def checks(self, v: Any) -> ChecksConfig:
        w = "checks"
        t = self.keys(
            v,
            w,
            (
                "max_responsible",
                "max_consulted",
                "implied_responsible",
                "disable",
                "bottleneck_share",
                "bottleneck_min_tasks",
                "overload_error",
            ),
        )
        disable = self.strings(t, "disable", w, ())
        for i, c in enumerate(disable):
            if c not in CHECK_IDS:
                self.problem(
                    f"checks.disable[{i}]", f"unknown check id {c!r}{_suggest(c, CHECK_IDS)}"
                )
        d = ChecksConfig()
        return ChecksConfig(
            max_responsible=self.number(
                t, "max_responsible", w, d.max_responsible, minimum=1, integer=True
            ),
            max_consulted=self.number(t, "max_consulted", w, d.max_consulted, integer=True),
            implied_responsible=self.boolean(t, "implied_responsible", w, d.implied_responsible),
            disable=disable,
            bottleneck_share=self.number(t, "bottleneck_share", w, d.bottleneck_share),
            bottleneck_min_tasks=self.number(
                t, "bottleneck_min_tasks", w, d.bottleneck_min_tasks, integer=True
            ),
            overload_error=self.number(t, "overload_error", w, d.overload_error, minimum=1),
        )

    def workload(self, v: Any) -> WorkloadConfig:
        w = "workload"
        t = self.keys(
            v, w, ("horizon_days", "count_undated", "default_effort", "default_capacity", "weights")
        )
        d = WorkloadConfig()
        weights = dict(DEFAULT_WEIGHTS)
        wt = self.keys(t.get("weights", {}), f"{w}.weights", LETTERS)
        for letter in LETTERS:
            weights[letter] = self.number(wt, letter, f"{w}.weights", weights[letter])
        return WorkloadConfig(
            horizon_days=self.number(t, "horizon_days", w, d.horizon_days, minimum=1, integer=True),
            count_undated=self.boolean(t, "count_undated", w, d.count_undated),
            default_effort=self.number(t, "default_effort", w, d.default_effort),
            default_capacity=self.number(t, "default_capacity", w, d.default_capacity) or None,
            weights=weights,
        )

    def sync(self, v: Any) -> SyncConfig:
        w = "sync"
        t = self.keys(v, w, ("max_workers", "full_every_hours"))
        d = SyncConfig()
        return SyncConfig(
            max_workers=self.number(t, "max_workers", w, d.max_workers, minimum=1, integer=True),
            full_every_hours=self.number(t, "full_every_hours", w, d.full_every_hours),
        )

    def history(self, v: Any) -> HistoryConfig:
        w = "history"
        t = self.keys(v, w, ("keep_all_days", "keep_daily_weeks", "keep_weekly_weeks"))
        d = HistoryConfig()
        daily = self.number(t, "keep_daily_weeks", w, d.keep_daily_weeks, integer=True)
        weekly = self.number(t, "keep_weekly_weeks", w, d.keep_weekly_weeks, integer=True)
        if weekly and weekly < daily:
            self.problem(
                "history.keep_weekly_weeks",
                f"must be 0 (keep a weekly point forever) or at least keep_daily_weeks "
                f"({daily}), got {weekly}",
            )
            weekly = d.keep_weekly_weeks
        return HistoryConfig(
            keep_all_days=self.number(t, "keep_all_days", w, d.keep_all_days, integer=True),
            keep_daily_weeks=daily,
            keep_weekly_weeks=weekly,
        )

    def email(self, v: Any) -> EmailConfig:
        w = "email"
        t = self.keys(
            v,
            w,
            (
                "smtp_host",
                "smtp_port",
                "security",
                "username",
                "password",
                "from",
                "to",
                "skip_empty",
            ),
        )
        to = self.strings(t, "to", w, ())
        for i, addr in enumerate(to):
            if "@" not in addr or any(c in addr for c in "\r\n"):
                self.problem(f"email.to[{i}]", f"{addr!r} is not an email address")
        sender = self.string(t, "from", w)
        if sender and any(c in sender for c in "\r\n"):
            self.problem("email.from", "must be one line")
        return EmailConfig(
            smtp_host=self.string(t, "smtp_host", w),
            smtp_port=self.number(t, "smtp_port", w, 587, minimum=1, integer=True),
            security=self.choice(t, "security", w, ("starttls", "ssl", "none"), "starttls"),
            username=self.secret(t, "username", w),
            password=self.secret(t, "password", w),
            sender=sender,
            to=to,
            skip_empty=self.boolean(t, "skip_empty", w, False),
        )


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _tname(v: Any) -> str:
    names: dict[type, str] = {
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "a boolean",
        list: "a list",
        dict: "a table",
    }
    return names.get(type(v), type(v).__name__)


Converter = Callable[[Any], Any]
