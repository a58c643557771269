"""parse_config on arbitrary TOML documents of plausible keys and random values: a Config, or a
ConfigError listing every problem, each starting with its key path; never another exception."""

from __future__ import annotations

import math
import tomllib
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import example, given
from hypothesis import strategies as st

from raci_sync.config import Config, Secret, parse_config
from raci_sync.connectors import KINDS
from raci_sync.errors import ConfigError
from raci_sync.model import CHECK_IDS
from tests.properties.junk import TALLY, budget
from tests.properties.junk import short_texts as texts

ENV = {"TOKEN": "tok-123", "KEY": "key-456", "EMAIL": "mette@nordlyskaffe.dk", "BASE": "https://x"}
CONFIG_PATH = Path("/srv/raci/raci.toml")  # never read: only relative store paths hang off it
SECTIONS = ("store", "timezone", "source", "person", "rule", "checks")
SECTIONS += ("workload", "email", "sync", "history")


# -- a tiny TOML writer (inline tables only: the parsed result is the same) ----------------------


_ESCAPE = {i: f"\\u{i:04x}" for i in (*range(0x20), 0x7F)} | {ord('"'): '\\"', ord("\\"): "\\\\"}


def toml_string(text: str) -> str:
    return '"' + text.translate(_ESCAPE) + '"'


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{toml_string(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
        )
    raise TypeError(type(value))


def to_toml(doc: dict[str, Any]) -> str:
    return "".join(f"{toml_string(k)} = {toml_value(v)}\n" for k, v in doc.items())


# -- plausible documents ----------------------------------------------------------------------

INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
toml_scalars = st.one_of(
    st.booleans(),
    INT64,
    st.sampled_from([0, -1, 1, 2]),
    st.floats(),  # nan and inf are TOML too
    texts,
    st.dates(),
    st.datetimes(timezones=st.none() | st.just(UTC)),
    st.times(),
)
toml_junk = st.recursive(
    toml_scalars,
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(texts, kids, max_size=3),
    max_leaves=8,
)
numbers = st.one_of(st.sampled_from([0, 1, -1, 0.5, 1.5, 2**63 - 1]), st.floats(), INT64)
secret_refs = st.sampled_from(
    ["${TOKEN}", "${KEY}", "${MISSING}", "literal-token", "$TOKEN", "${}"]
)
text_lists = st.lists(texts, max_size=3)
some_dates = st.one_of(
    st.dates(),
    st.datetimes(timezones=st.none() | st.just(UTC)),
    st.sampled_from(["2026-12-21", "2026-13-01", "21/12/2026", ""]),
)
BUILTIN_REFS = ("assignee", "followers", "members", "subscribers", "first_people_column")
role_refs = st.sampled_from((*BUILTIN_REFS, "field:Accountable", "field:", "field:  ", "bogus"))
regexes = st.sampled_from(["Strategi", ".*", "(", "[a-", "a{99999999999}", "(?P<x>", "*", "\\"])


def table(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """A table with any subset of ``fields`` (each plausible or junk), maybe an unknown key."""
    plausible = st.fixed_dictionaries({}, optional={k: s | toml_junk for k, s in fields.items()})
    extra = st.dictionaries(texts, toml_junk, max_size=1)
    return st.builds(lambda a, b: {**b, **a}, plausible, extra)


sources = table(
    {
        "name": st.sampled_from(["indhold", "kampagner", "", "${MISSING}"]),
        "kind": st.sampled_from([*KINDS, "jira", "Trello", ""]),
        "token": secret_refs,
        "key": secret_refs,
        "boards": st.lists(st.sampled_from(["Kampagner", "65a1f0c2d4e5f60718293a4b"]), max_size=2),
        "workspace": st.sampled_from(["Nordlys", "1204558760925811"]),
        "projects": text_lists,
        "base_url": st.sampled_from(["https://x.test/1/", "ftp://x", "${BASE}", "", "http://"]),
        "api_version": st.sampled_from(["2026-07", "2026-7", "latest"]),
        "done_lists": text_lists,
        "roles": st.dictionaries(
            st.sampled_from(["R", "A", "C", "I", "X"]), st.lists(role_refs) | role_refs
        ),
        "fields": st.dictionaries(st.sampled_from(["effort", "due", "status", "x"]), texts),
        "timeout": numbers,
        "requests_per_minute": numbers,
    }
)
people = table(
    {
        "name": st.sampled_from(["Mette Sørensen", "Jonas Kristensen", "", "${MISSING}"]),
        "emails": st.lists(st.sampled_from(["mette@nordlyskaffe.dk", "nope", "${EMAIL}"])),
        "accounts": st.lists(st.sampled_from(["trello:mette", "asana:", "jira:1", "x"])),
        "hats": text_lists,
        "capacity": numbers,
        "away": st.lists(
            st.fixed_dictionaries({}, optional={"from": some_dates, "to": some_dates}), max_size=2
        ),
    }
)
rules = table(
    {
        "match": st.dictionaries(
            st.sampled_from(["group", "container", "label", "title", "source", "x"]), regexes
        ),
        "mode": st.sampled_from(["fill", "suggest", "replace"]),
        **{L: st.sampled_from(["hat:strategist", "Mette Sørensen", ""]) for L in "RACI"},
    }
)
checks = table(
    {
        "max_responsible": numbers,
        "max_consulted": numbers,
        "implied_responsible": st.booleans(),
        "disable": st.lists(st.sampled_from([*CHECK_IDS, "no-owners", ""])),
        "bottleneck_share": numbers,
        "bottleneck_min_tasks": numbers,
        "overload_error": numbers,
    }
)
workload = table(
    {
        "horizon_days": numbers,
        "count_undated": st.booleans(),
        "default_effort": numbers,
        "default_capacity": numbers,
        "weights": st.dictionaries(st.sampled_from(["R", "A", "C", "I", "X"]), numbers),
    }
)
email = table(
    {
        "smtp_host": st.sampled_from(["smtp.example.dk", ""]),
        "smtp_port": numbers,
        "security": st.sampled_from(["starttls", "ssl", "none", "tls"]),
        "username": secret_refs,
        "password": secret_refs,
        "from": st.sampled_from(["raci@nordlyskaffe.dk", "a@b\r\nBcc: x@y"]),
        "to": st.lists(st.sampled_from(["mette@nordlyskaffe.dk", "nope", "a@b\nc"])),
        "skip_empty": st.booleans(),
    }
)
sync = table({"max_workers": numbers, "full_every_hours": numbers})
history = table({k: numbers for k in ("keep_all_days", "keep_daily_weeks", "keep_weekly_weeks")})


ZONE_NAMES = ("UTC", "Europe/Copenhagen", "Mars/Olympus", "", "../../etc/passwd", "a" * 300)
ZONE_NAMES += ("Europe/", "/UTC", "utc", "Europe/Copenhagen\x00", ".")


def many(tables: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[Any]:
    return st.lists(tables, max_size=3)


documents = table(
    {
        "store": st.sampled_from(["raci.db", "/var/lib/raci.db", "sqlite:///x", "a\x00b", ""]),
        "timezone": st.sampled_from(ZONE_NAMES),
        "source": many(sources) | sources,
        "person": many(people),
        "rule": many(rules),
        "checks": checks,
        "workload": workload,
        "email": email,
        "sync": sync,
        "history": history,
    }
)


def starts_with_key_path(problem: str, top_keys: set[str]) -> bool:
    """``source[1].kind: ...``: the text opens with a key of the document (or a section),
    followed by a sub-key, an index, or the colon."""
    return any(
        problem.startswith(k) and problem[len(k) : len(k) + 1] in (".", "[", ":")
        for k in top_keys | set(SECTIONS)
    )


@budget(200)
@given(doc=documents)
# an away span from a date to a date-time (TOML has both; datetime is a date subclass)
@example(
    doc={
        "person": [
            {
                "name": "Mette",
                "away": [{"from": date(2026, 12, 21), "to": datetime(2026, 12, 22, 10)}],
            }
        ]
    }
)
# a time zone name longer than a file name may be: ZoneInfo raises OSError (ENAMETOOLONG)
@example(doc={"timezone": "a" * 300})
# a relative store path with a NUL: Path.resolve() raises ValueError
@example(doc={"store": "a\x00b"})
# a title pattern with a repeat count beyond C's int: re.compile raises OverflowError, which is
# no re.error
@example(doc={"rule": [{"match": {"title": "a{99999999999}"}, "A": "hat:strategist"}]})
def test_parse_config(doc: dict[str, Any]) -> None:
    text = to_toml(doc)
    tomllib.loads(text)  # the writer's output is TOML: what follows tests the config reader
    try:
        config = parse_config(text, path=CONFIG_PATH, env=ENV)
    except ConfigError as exc:
        TALLY["config.parse_config"]["ConfigError"] += 1
        assert exc.problems
        for problem in exc.problems:
            assert starts_with_key_path(problem, set(doc)), problem
        return
    TALLY["config.parse_config"]["Config"] += 1
    assert_sane_config(config)


def assert_sane_config(config: Config) -> None:
    """What a Config without problems promises the rest of the app."""
    ZoneInfo(config.timezone)
    names = [s.name for s in config.sources]
    assert len(names) == len(set(names))
    for s in config.sources:
        assert s.kind in KINDS and isinstance(s.token, Secret)
        assert s.kind != "trello" or isinstance(s.key, Secret)
    persons = [p.name for p in config.people]
    assert len(persons) == len(set(persons))
    assert all(start <= end for p in config.people for start, end in p.away)
    assert set(config.checks.disable) <= set(CHECK_IDS)
    assert config.workload.horizon_days >= 1 and config.checks.max_responsible >= 1
    assert all(r.mode in ("fill", "suggest") and r.match for r in config.rules)


@budget(200)
@given(
    text=st.text(max_size=200) | st.sampled_from(["[source]\nkind = 1", "[[person]]\nname = 'x'"])
)
def test_parse_config_any_text(text: str) -> None:
    """Text that may not even be TOML: a Config or a ConfigError, never another exception."""
    try:
        config = parse_config(text, path=CONFIG_PATH, env=ENV)
    except ConfigError as exc:
        TALLY["config.parse_config (any text)"]["ConfigError"] += 1
        assert exc.problems
        return
    TALLY["config.parse_config (any text)"]["Config"] += 1
    assert_sane_config(config)
