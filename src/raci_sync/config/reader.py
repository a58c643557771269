"""The TOML config (PRODUCT §5) → the settings of ``settings.py``, every problem reported at once.

Each problem names its key path (``source[1].kind``) and, for unknown keys and values, the
nearest known one. The keys a table allows come from the settings' declarations and, for a
``[[source]]``, from its kind's record (``raci_sync.connectors.KINDS``): the tools declare their
own keys, secrets and defaults. ``${NAME}`` in any string is replaced from the environment; an
unset variable is a problem naming it. Secrets are wrapped in :class:`Secret`, so that no
``repr``, log line or exception text can show them.
"""

from __future__ import annotations

import math
import os
import re
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import MISSING, Field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from raci_sync.config.settings import (
    MATCH_KEYS,
    NOTIFY_KINDS,
    Bounds,
    ChecksConfig,
    Config,
    EmailConfig,
    FieldsConfig,
    HistoryConfig,
    IgnoreConfig,
    NotifyConfig,
    PersonConfig,
    Rule,
    RuleConfig,
    Secret,
    SourceConfig,
    SyncConfig,
    WorkloadConfig,
    normalise_name,
    suggest,
    toml_fields,
    toml_keys,
)
from raci_sync.connectors import KINDS, Kind
from raci_sync.errors import ConfigError
from raci_sync.i18n import LANGUAGES
from raci_sync.model import CHECK_IDS, LETTERS

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_S = TypeVar("_S")


def find_config(explicit: str | os.PathLike[str] | None) -> Path:
    """--config, else $RACI_CONFIG, else ./raci.toml."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("RACI_CONFIG")
    return Path(env) if env else Path("raci.toml")


def load_config(
    path: str | os.PathLike[str],
    env: Mapping[str, str] | None = None,
    *,
    all_secrets: bool = False,
    defer_rules: bool = False,
) -> Config:
    """Read and validate a config file; raise ConfigError listing every problem.

    An unset ``${NAME}`` in a secret is a problem only with ``all_secrets`` (check-config);
    otherwise the command that uses the secret reports it (``Config.require_secrets``). With
    ``defer_rules`` (check-config --online) a rule naming an unknown hat, person or source is
    kept in ``Config.deferred`` instead of raised, so the online problems join it in one list.
    """
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
    except UnicodeDecodeError as exc:
        raise ConfigError(
            [
                f"config file {p} is not UTF-8 (byte {exc.start}: {exc.object[exc.start]:#04x}); "
                "save it as UTF-8 (TOML files are UTF-8)"
            ]
        ) from None
    cfg = parse_config(text, path=p, env=env, all_secrets=all_secrets, defer_rules=defer_rules)
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
    text: str,
    *,
    path: Path | None = None,
    env: Mapping[str, str] | None = None,
    all_secrets: bool = False,
    defer_rules: bool = False,
) -> Config:
    """Parse TOML text into a Config; raise ConfigError listing every problem."""
    where = str(path) if path else None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"not valid TOML: {exc}"], where) from None
    except RecursionError:
        raise ConfigError(
            ["not a sensible config: arrays or tables nested too deep"], where
        ) from None
    r = _Reader(os.environ if env is None else env, all_secrets=all_secrets)
    cfg = r.config(raw, path)
    if not defer_rules:
        r.problems += r.rule_problems
    if r.problems:
        raise ConfigError(r.problems, where)
    return replace(cfg, deferred=tuple(r.rule_problems)) if defer_rules else cfg


def all_keys() -> set[str]:
    """Every key a config file can hold: of every table, and the tools' scope keys."""
    classes = (
        Config,
        SourceConfig,
        FieldsConfig,
        PersonConfig,
        RuleConfig,
        ChecksConfig,
        WorkloadConfig,
        EmailConfig,
        SyncConfig,
        HistoryConfig,
        NotifyConfig,
    )
    keys = {k for cls in classes for k in toml_keys(cls)}
    return keys | {"from", "to"} | set(MATCH_KEYS) | set(_source_keys(None))


class _Reader:
    """Walks the raw TOML, collecting problems instead of stopping at the first."""

    def __init__(self, env: Mapping[str, str], *, all_secrets: bool = False) -> None:
        self.env = env
        self.all_secrets = all_secrets  # an unset secret is a problem now, not when used
        self.rule_problems: list[str] = []  # rules naming what does not exist
        self.problems: list[str] = []
        self.warnings: list[str] = []
        self.literal_secrets: list[str] = []  # key paths of secrets written into the file

    def problem(self, where: str, msg: str) -> None:
        self.problems.append(f"{where}: {msg}")

    # -- generic value readers -------------------------------------------------------------

    def keys(self, table: Any, where: str, allowed: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(table, dict):
            self.problem(where or "the file", f"must be a table, got {_tname(table)}")
            return {}
        for k in table:
            if k not in allowed:
                self.problem(_join(where, k), f"unknown key{suggest(k, allowed)}")
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

    def read(self, rule: Rule, t: dict[str, Any], k: str, where: str, default: Any) -> Any:
        """The value of ``t[k]`` by ``rule``; the default (and a problem) when it is wrong."""
        if rule.type == "str":
            return self.string(t, k, where, default)
        if rule.type == "strings":
            return self.strings(t, k, where, default)
        if rule.type in ("secret", "token"):
            return self.secret(t, k, where, ascii_only=rule.type == "token")
        if rule.type == "bool":
            return self.boolean(t, k, where, default)
        if rule.type == "choice":
            return self.choice(t, k, where, rule.choices, default)
        if rule.type in ("int", "number"):
            return self.number(t, k, where, default, rule)
        raise AssertionError(f"{rule.type} values are read by hand")  # pragma: no cover

    def section(self, cls: type[_S], t: dict[str, Any], where: str, **by_hand: Any) -> _S:
        """An instance of settings class ``cls`` from table ``t``: every declared key read by its
        rule, except the fields given in ``by_hand`` (already read by the caller)."""
        values: dict[str, Any] = {}
        for key, f, rule in toml_fields(cls):
            if f.name in by_hand:
                continue
            if rule.type != "custom":
                values[f.name] = self.read(rule, t, key, where, _default(f))
        return cls(**values, **by_hand)

    def string(self, t: dict[str, Any], k: str, where: str, default: Any = None) -> Any:
        if k not in t:
            return default
        v = t[k]
        if not isinstance(v, str):
            self.problem(_join(where, k), f"must be a string, got {_tname(v)}")
            return default
        return self.expand(v, _join(where, k))

    def secret(
        self, t: dict[str, Any], k: str, where: str, *, ascii_only: bool = False
    ) -> Secret | None:
        """A credential: literal (a warning) or ``${NAME}``; an unset NAME is kept as missing,
        for the commands that need it to report (PRODUCT §9: secrets only where used).
        ``ascii_only``: an API token travels in a header or query, so it must be ASCII."""
        if k not in t:
            return None
        raw, w = t[k], _join(where, k)
        if not isinstance(raw, str):
            self.problem(w, f"must be a string, got {_tname(raw)}")
            return None
        unset = [name for name in _ENV_REF.findall(raw) if name not in self.env]
        if unset:
            missing = Secret("", missing=unset[0], where=w)
            if self.all_secrets:
                self.problems.append(missing.problem())
            return missing
        if not _ENV_REF.search(raw):
            self.literal_secrets.append(w)
            self.warnings.append(
                f'{w} holds a literal secret; write "${{NAME}}" and export NAME '
                "instead, so the config file holds no secrets"
            )
        value = self.expand(raw, w)
        bad = _bad_secret(value, ascii_only)
        if bad:
            source = ", ".join(f"${name}" for name in _ENV_REF.findall(raw)) or "the file"
            self.problem(w, f"the value from {source} {bad}; set it again without it")
            return None
        return Secret(value, where=w)

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
        self, t: dict[str, Any], k: str, where: str, default: Any, rule: Rule | None = None
    ) -> Any:
        if k not in t:
            return default
        rule = rule or Rule("number", minimum=0)
        v = t[k]
        integer = rule.type == "int"
        ok = isinstance(v, int) if integer else isinstance(v, int | float)
        if isinstance(v, bool) or not ok:
            kind = "a whole number" if integer else "a number"
            self.problem(_join(where, k), f"must be {kind}, got {_tname(v)} {v!r}")
            return default
        if not math.isfinite(v):
            self.problem(_join(where, k), f"must be a finite number, got {v}")
            return default
        if v < rule.minimum:
            self.problem(_join(where, k), f"must be at least {_num(rule.minimum)}, got {v}")
            return default
        if v > rule.maximum:
            self.problem(_join(where, k), f"must be at most {_num(rule.maximum)}, got {v}")
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
                f"must be one of {', '.join(choices)}, got {v!r}{suggest(v, choices)}",
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

    def unique(self, names: list[str], table: str, key: str) -> None:
        seen: set[str] = set()
        for i, n in enumerate(names):
            if n in seen:
                self.problem(f"{table}[{i}].{key}", f"{n!r} is used twice; names must be unique")
            seen.add(n)

    # -- the file -----------------------------------------------------------------------------

    def config(self, raw: dict[str, Any], path: Path | None) -> Config:
        top = self.keys(raw, "", toml_keys(Config))
        sources = tuple(self.source(w, t) for w, t in self.array_of_tables(top, "source"))
        self.unique([s.name for s in sources], "source", "name")
        people = tuple(self.person(w, t) for w, t in self.array_of_tables(top, "person"))
        self.unique([p.name for p in people], "person", "name")
        rules = tuple(self.rule(w, t) for w, t in self.array_of_tables(top, "rule"))
        ignores = tuple(self.ignore(w, t) for w, t in self.array_of_tables(top, "ignore"))
        self.rule_references(rules, sources, people)
        notify = tuple(self.notify(w, t) for w, t in self.array_of_tables(top, "notify"))
        self.unique_targets(notify)
        timezone = self.timezone(top)
        sync = self.table(SyncConfig, top, "sync")
        bounds = Bounds(
            deadline_s=sync.source_deadline_s,
            max_wait_s=sync.max_wait_s,
            max_response_mb=sync.max_response_mb,
            max_pages=sync.max_pages,
        )
        sources = tuple(
            replace(s, timezone=timezone, history_days=sync.history_days, bounds=bounds)
            for s in sources
        )
        return Config(
            path=path,
            store=self.store(top, path),
            timezone=timezone,
            language=self.choice(top, "language", "", LANGUAGES, "en"),
            sources=sources,
            people=people,
            rules=rules,
            ignores=ignores,
            notify=notify,
            checks=self.checks(top.get("checks", {})),
            workload=self.workload(top.get("workload", {})),
            email=self.email(top.get("email", {})),
            sync=sync,
            history=self.history(top.get("history", {})),
            warnings=tuple(self.warnings),
            literal_secrets=tuple(self.literal_secrets),
        )

    def table(self, cls: type[_S], top: dict[str, Any], name: str) -> _S:
        """A table read entirely by its declarations (``[sync]``)."""
        return self.section(cls, self.keys(top.get(name, {}), name, toml_keys(cls)), name)

    def timezone(self, top: dict[str, Any]) -> str:
        tz: str = self.string(top, "timezone", "", "UTC")
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: absurdly long names
            self.problem(
                "timezone",
                f'unknown time zone {tz!r}; use an IANA name such as "Europe/Copenhagen"',
            )
            return "UTC"
        return tz

    def store(self, top: dict[str, Any], path: Path | None) -> str | None:
        store = self.string(top, "store", "")
        if not store:
            return None
        if "\x00" in store:
            self.problem("store", "must be a file path or a database URL, not text with a NUL")
            return None
        if path is not None and "://" not in store and not Path(store).is_absolute():
            store = str((path.parent / store).resolve())
        return str(store)

    # -- [[source]] ---------------------------------------------------------------------------

    def source(self, w: str, t: dict[str, Any]) -> SourceConfig:
        kind = self.kind(t, w)
        self.keys(t, w, _source_keys(None))  # unknown keys; then those of another kind
        self.only_for(t, w, kind)
        name = self.string(t, "name", w)
        if not name:
            self.problem(_join(w, "name"), 'is required: a unique label such as "indhold"')
            name = w
        for secret in kind.secrets if kind else ("token",):
            if secret not in t:
                env = kind.env.get(secret, "API_TOKEN") if kind else "API_TOKEN"
                needs = "is required" + (f" for {kind.name}" if kind and secret != "token" else "")
                self.problem(_join(w, secret), f'{needs}, e.g. {secret} = "${{{env}}}"')
        base_url = self.string(t, "base_url", w)
        if base_url and not re.match(r"^https?://", base_url):
            self.problem(
                _join(w, "base_url"), f"must start with https:// or http://, got {base_url!r}"
            )
        roles_t = t.get("roles", {})
        roles = self.roles(roles_t, _join(w, "roles"), kind)
        roles_t = roles_t if isinstance(roles_t, dict) else {}
        fw = _join(w, "fields")
        fields_t = self.keys(t.get("fields", {}), fw, toml_keys(FieldsConfig))
        return self.section(
            SourceConfig,
            t,
            w,
            name=name,
            kind=kind.name if kind else "",
            base_url=base_url.rstrip("/") if base_url else None,
            api_version=self.api_version(t, w, kind),
            roles=roles,
            written_roles={L: roles[L] for L in LETTERS if L in roles_t},
            fields=self.section(FieldsConfig, fields_t, fw),
        )

    def kind(self, t: dict[str, Any], w: str) -> Kind | None:
        names = tuple(KINDS)
        if "kind" not in t:
            self.problem(_join(w, "kind"), f"is required: one of {', '.join(names)}")
            return None
        name = self.choice(t, "kind", w, names, None)
        return KINDS[name] if name else None

    def only_for(self, t: dict[str, Any], w: str, kind: Kind | None) -> None:
        """A scope key or secret of another kind is a problem that names the kinds it is for."""
        if kind is None:
            return
        for k in t:
            if k in _source_keys(kind) or k not in _source_keys(None):
                continue
            owners = [x.name for x in KINDS.values() if k in (*x.scope_keys, *x.secrets)]
            self.problem(
                _join(w, k), f"applies only to {' and '.join(owners)} sources, not {kind.name}"
            )

    def api_version(self, t: dict[str, Any], w: str, kind: Kind | None) -> str | None:
        default = kind.defaults.get("api_version") if kind else None
        version = self.string(t, "api_version", w, default)
        if version is not None and not re.fullmatch(r"\d{4}-\d{2}", version):
            self.problem(_join(w, "api_version"), f'must look like "2026-07", got {version!r}')
            return default
        return version  # type: ignore[no-any-return]

    def roles(self, t: Any, w: str, kind: Kind | None) -> dict[str, tuple[str, ...]]:
        table = self.keys(t, w, LETTERS)
        base: dict[str, tuple[str, ...]] = {L: () for L in LETTERS}
        if kind is not None:
            base.update(kind.default_roles)
        builtin = kind.people_fields if kind else ()
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
                        f"{kind.name}; use one of {', '.join(known)}{suggest(ref, builtin)}",
                    )
            base[letter] = refs
        return base

    # -- [[person]] and [[rule]] ----------------------------------------------------------------

    def person(self, w: str, t: dict[str, Any]) -> PersonConfig:
        self.keys(t, w, toml_keys(PersonConfig))
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
                forms = ", ".join(f'"{k.account_hint}"' for k in KINDS.values())
                self.problem(f"{w}.accounts[{i}]", f"{a!r} must look like {forms}")
        return self.section(
            PersonConfig,
            t,
            w,
            name=name or w,
            emails=emails,
            accounts=accounts,
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
        self.keys(t, w, (*toml_keys(RuleConfig), *LETTERS))
        clean = self.match(t, w)
        if not t.get("match"):
            self.problem(_join(w, "match"), 'is required, e.g. match = { group = "Strategi" }')
        letters = {L: self.string(t, L, w) for L in LETTERS if L in t}
        if not letters:
            self.problem(w, 'names no letter; add e.g. A = "hat:strategist"')
        return self.section(
            RuleConfig, t, w, match=clean, letters={k: v for k, v in letters.items() if v}
        )

    def match(self, t: dict[str, Any], w: str) -> dict[str, str]:
        """A ``match`` table (rules and ignores): keys of MATCH_KEYS, a valid title regex."""
        match = self.keys(t.get("match", {}), _join(w, "match"), MATCH_KEYS)
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
        return clean

    def ignore(self, w: str, t: dict[str, Any]) -> IgnoreConfig:
        self.keys(t, w, toml_keys(IgnoreConfig))
        match = self.match(t, w) if "match" in t else {}
        account = self.string(t, "account", w)
        if account is not None:
            kind, _, ident = account.partition(":")
            if kind not in KINDS or not ident.strip():
                forms = ", ".join(f'"{k.account_hint}"' for k in KINDS.values())
                self.problem(_join(w, "account"), f"{account!r} must look like {forms}")
        given = [k for k in ("task", "match", "account") if k in t]
        if len(given) != 1:
            self.problem(
                w,
                "must name exactly one of task, match or account "
                f"({'none' if not given else ' and '.join(given)} given)",
            )
        checks = self.strings(t, "checks", w, ())
        for i, c in enumerate(checks):
            if c not in CHECK_IDS:
                self.problem(f"{w}.checks[{i}]", f"unknown check id {c!r}{suggest(c, CHECK_IDS)}")
        until = self.date(t, "until", w) if "until" in t else None
        return self.section(
            IgnoreConfig, t, w, match=match, account=account, checks=checks, until=until
        )

    def rule_references(
        self,
        rules: tuple[RuleConfig, ...],
        sources: tuple[SourceConfig, ...],
        people: tuple[PersonConfig, ...],
    ) -> None:
        """Every hat, person and source a rule names exists: a rule that can never fire is a
        mistake to report, not a rule to keep quietly (PRODUCT §9)."""
        hats = {h.strip().casefold(): h.strip() for p in people for h in p.hats}
        names = {normalise_name(p.name): p.name for p in people}
        source_names = {s.name.strip().casefold(): s.name for s in sources}
        for i, rule in enumerate(rules):
            w = f"rule[{i}]"
            for letter, value in rule.letters.items():
                if value.startswith("hat:"):
                    hat = value[len("hat:") :].strip()
                    if hat.casefold() not in hats:
                        worn = ", ".join(sorted(set(hats.values()))) or "none"
                        self.rule_problem(
                            f"{w}.{letter}",
                            f"nobody on the roster wears the hat {hat!r}"
                            f"{suggest(hat, hats.values())} (hats worn: {worn})",
                        )
                elif normalise_name(value) not in names:
                    self.rule_problem(
                        f"{w}.{letter}",
                        f"{value!r} is nobody on the roster{suggest(value, names.values())}; "
                        'write "hat:<hat>" or the name of a [[person]]',
                    )
            wanted = rule.match.get("source")
            if wanted is not None and wanted.strip().casefold() not in source_names:
                self.rule_problem(
                    f"{w}.match.source",
                    f"no source is named {wanted!r}{suggest(wanted, source_names.values())}",
                )

    # -- [[notify]] -------------------------------------------------------------------------------

    def notify(self, w: str, t: dict[str, Any]) -> NotifyConfig:
        """A chat webhook: its kind, its URL (a secret: no message shows it) and a name."""
        self.keys(t, w, toml_keys(NotifyConfig))
        kind = self.choice(t, "kind", w, NOTIFY_KINDS, None)
        if "kind" not in t:
            self.problem(_join(w, "kind"), f"is required: one of {', '.join(NOTIFY_KINDS)}")
        if "url" not in t:
            self.problem(
                _join(w, "url"), 'is required: the webhook URL, e.g. url = "${SLACK_WEBHOOK_URL}"'
            )
        url = self.secret(t, "url", w, ascii_only=True)
        if url is not None and url.missing is None:
            self.webhook_url(url.reveal(), _join(w, "url"))
        name = self.string(t, "name", w) or kind or w
        return NotifyConfig(kind=kind or "", url=url, name=name)

    def webhook_url(self, url: str, w: str) -> None:
        """An http(s) URL with a host; plain http only to this machine (it carries a secret).
        The messages never quote the URL: it is the secret."""
        try:
            parts = urlsplit(url)
            host = parts.hostname
        except ValueError:  # an unclosed [ in the host
            host = None
        if host is None or parts.scheme not in ("https", "http"):
            self.problem(w, "must be an https:// URL (the webhook URL the chat tool gave you)")
        elif parts.scheme == "http" and host not in ("localhost", "127.0.0.1", "::1"):
            self.warnings.append(
                f"{w} is a plain http:// URL to {host}: the webhook's secret URL "
                "travels unencrypted; use its https:// URL"
            )

    def unique_targets(self, targets: tuple[NotifyConfig, ...]) -> None:
        seen: set[str] = set()
        for i, target in enumerate(targets):
            if target.name in seen:
                self.problem(
                    f"notify[{i}].name",
                    f"{target.name!r} is used twice; give each [[notify]] its own name "
                    "(each target's posts are recorded under it)",
                )
            seen.add(target.name)

    def rule_problem(self, where: str, msg: str) -> None:
        self.rule_problems.append(f"{where}: {msg}")

    # -- the other tables -----------------------------------------------------------------------

    def checks(self, v: Any) -> ChecksConfig:
        w = "checks"
        t = self.keys(v, w, toml_keys(ChecksConfig))
        disable = self.strings(t, "disable", w, ())
        for i, c in enumerate(disable):
            if c not in CHECK_IDS:
                self.problem(
                    f"checks.disable[{i}]", f"unknown check id {c!r}{suggest(c, CHECK_IDS)}"
                )
        return self.section(ChecksConfig, t, w, disable=disable)

    def workload(self, v: Any) -> WorkloadConfig:
        w = "workload"
        t = self.keys(v, w, toml_keys(WorkloadConfig))
        weights = dict(WorkloadConfig().weights)
        wt = self.keys(t.get("weights", {}), f"{w}.weights", LETTERS)
        weight = Rule("number", minimum=0, maximum=100)
        for letter in LETTERS:
            weights[letter] = self.number(wt, letter, f"{w}.weights", weights[letter], weight)
        loaded = self.section(WorkloadConfig, t, w, weights=weights)
        # a default capacity of 0 means "unmonitored", as no capacity does
        return replace(loaded, default_capacity=loaded.default_capacity or None)

    def history(self, v: Any) -> HistoryConfig:
        w = "history"
        loaded = self.section(HistoryConfig, self.keys(v, w, toml_keys(HistoryConfig)), w)
        daily, weekly = loaded.keep_daily_weeks, loaded.keep_weekly_weeks
        if weekly and weekly < daily:
            self.problem(
                "history.keep_weekly_weeks",
                f"must be 0 (keep a weekly point forever) or at least keep_daily_weeks "
                f"({daily}), got {weekly}",
            )
            loaded = replace(loaded, keep_weekly_weeks=HistoryConfig().keep_weekly_weeks)
        return loaded

    def email(self, v: Any) -> EmailConfig:
        w = "email"
        t = self.keys(v, w, toml_keys(EmailConfig))
        to = self.strings(t, "to", w, ())
        for i, addr in enumerate(to):
            if "@" not in addr or any(c in addr for c in "\r\n"):
                self.problem(f"email.to[{i}]", f"{addr!r} is not an email address")
        sender = self.string(t, "from", w)
        if sender and any(c in sender for c in "\r\n"):
            self.problem("email.from", "must be one line")
        return self.section(EmailConfig, t, w, sender=sender, to=to)


def _bad_secret(value: str, ascii_only: bool) -> str:
    """What makes a credential unusable (in an HTTP header or query), or ""."""
    if not value:
        return "is empty"
    if value != value.strip():
        return "has spaces or a line break at its start or end (often a copied newline)"
    if ascii_only and not value.isascii():
        return "has a character that is not ASCII"
    if not value.isprintable():
        return "has a control character"
    return ""


def _source_keys(kind: Kind | None) -> tuple[str, ...]:
    """The keys a [[source]] of ``kind`` may hold (of any kind when ``kind`` is unknown)."""
    own = {k for x in KINDS.values() for k in (*x.scope_keys, *x.secrets)}
    common = tuple(k for k in toml_keys(SourceConfig) if k not in own)
    if kind is None:
        return (*common, *sorted(own))
    return (*common, *kind.secrets, *kind.scope_keys)


def _default(f: Field[Any]) -> Any:
    """A field's default value (a fresh one from its factory)."""
    if f.default_factory is not MISSING:
        return f.default_factory()
    return f.default


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _num(x: float) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


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
