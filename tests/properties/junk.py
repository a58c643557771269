"""Strategies for "any JSON an API could plausibly send", and the checks the properties share.

Inputs start from the recorded, spec-shaped fixtures under ``tests/fixtures/<api>/`` and are then
mutated a few times at random places: a field dropped, set to null, given a value of the wrong
JSON type (a number for a string, a list for an object, an object for a list), a 100 000-char
string, odd unicode (RTL marks, emoji, NUL), deeply nested junk, or an extra field (unknown, or
one of the spec's field names with a junk value). Lone surrogates are left out: JSON text that
``requests`` decodes can hold none.

Every property counts the inputs it tried in ``TALLY``; ``conftest.py`` prints the counts.
"""

from __future__ import annotations

import copy
import json
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from raci_sync.errors import SourceError
from raci_sync.model import Account, FieldValue, State, Task

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

# Budgets keep the whole directory near 10 s and reproducible in CI (derandomize: the same
# inputs every run). RACI_PROPERTY_SCALE=20 multiplies every budget, for a deeper search.
SCALE = float(os.environ.get("RACI_PROPERTY_SCALE") or 1)


def budget(examples: int) -> settings:
    """Hypothesis settings for a property that should try about ``examples`` inputs."""
    return settings(
        max_examples=max(1, round(examples * SCALE)),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


T = TypeVar("T")

# inputs tried per function: TALLY["task_from_asana"]["ok" | "clear error"]
TALLY: defaultdict[str, Counter[str]] = defaultdict(Counter)

HUGE = "x" * 100_000
HUGE_UNICODE = "Ø🙂\u200f" * 33_334  # 100 002 characters: letters, emoji, RTL marks
ODD_STRINGS = (
    "",
    " ",
    "\t\r\n",
    "\u200f\u202eevil\u202c",
    "🙂☕🇩🇰",
    "\x00",
    "a\x00b",
    "null",
    "true",
    "0",
    "-1",
    "1e999",
    "NaN",
    "Infinity",
    ",, ,",
    "Mette Sørensen, Jonas ,",
    "2026-12-11",
    "2026-12-11T10:00:00Z",
    "2026-12-11T10:00:00.000+05:30",
    "2026-13-45",
    "2026-12-11 - 2026-12-20",
    "0001-01-01",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31",
    "9999-12-31T23:59:59-01:00",
    "2026-12-11T25:61:00",
    "<script>alert(1)</script>",
    '=HYPERLINK("http://x","y")',
    '{"personsAndTeams": 5}',
    '{"personsAndTeams": [{"id": null}]}',
    "[]",
    "{}",
)
ODD_NUMBERS = (0, -1, 1, 2**31, 2**63, -(2**63), 10**400, -(10**400), 0.5, -0.0, 1e308, 5e-324)


def _deep(depth: int, as_list: bool) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = [value] if as_list else {"a": value}
    return value


DEEP = (_deep(200, True), _deep(200, False), _deep(30, True), _deep(30, False))


def _huge(unicode: bool) -> str:
    return HUGE_UNICODE if unicode else HUGE


huge_strings = st.booleans().map(_huge)  # (a named map keeps 100 kB out of test reports)
short_texts = st.one_of(st.text(max_size=20), st.sampled_from(ODD_STRINGS))
texts = st.one_of(short_texts, huge_strings)
odd_numbers = st.sampled_from(ODD_NUMBERS)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    odd_numbers,
    st.floats(allow_nan=False, allow_infinity=False),
    texts,
)
json_values = st.one_of(
    st.recursive(
        scalars,
        lambda kids: st.lists(kids, max_size=4) | st.dictionaries(texts, kids, max_size=4),
        max_leaves=12,
    ),
    st.sampled_from(DEEP),
)


def load_fixture(api: str, name: str) -> Any:
    """A recorded body from ``tests/fixtures/<api>/<name>``."""
    return json.loads((FIXTURES / api / name).read_text(encoding="utf-8"))


def paths(value: Any, max_depth: int = 8) -> list[tuple[Any, ...]]:
    """The path of every node of a JSON value down to ``max_depth``, the root (``()``) first."""
    out: list[tuple[Any, ...]] = []
    todo: list[tuple[tuple[Any, ...], Any]] = [((), value)]
    while todo:
        path, node = todo.pop()
        out.append(path)
        if len(path) >= max_depth:
            continue
        if isinstance(node, dict):
            todo.extend(((*path, k), v) for k, v in reversed(node.items()))
        elif isinstance(node, list):
            todo.extend(((*path, i), v) for i, v in reversed(list(enumerate(node))))
    return out


def _wrong_type(current: Any) -> st.SearchStrategy[Any]:
    """A value of another JSON type than ``current`` (or anything, for null)."""
    if isinstance(current, bool):
        return st.sampled_from(["true", "false", 0, 1, [], {}])
    if isinstance(current, str):
        return st.one_of(
            st.integers(), st.floats(allow_nan=False), st.booleans(), st.lists(texts, max_size=3)
        ) | st.dictionaries(texts, scalars, max_size=3)
    if isinstance(current, int | float):
        return st.one_of(st.just(str(current)), st.booleans(), st.lists(scalars, max_size=3))
    if isinstance(current, dict):
        return st.one_of(
            st.just(list(current.values())), st.lists(json_values, max_size=3), texts, st.integers()
        )
    if isinstance(current, list):
        return st.one_of(
            st.just({str(i): v for i, v in enumerate(current)}),
            st.dictionaries(texts, json_values, max_size=3),
            texts,
            st.integers(),
        )
    return json_values


OPS = ("drop", "null", "junk", "wrong type", "odd value", "huge", "add field", "deep")


def _odd_value(current: Any) -> st.SearchStrategy[Any]:
    """A boundary value of the same JSON type (a huge number, a date-like string, ...)."""
    if isinstance(current, bool):
        return st.booleans()
    if isinstance(current, int | float):
        return odd_numbers
    if isinstance(current, list):
        return st.lists(scalars, max_size=3) | st.just([])
    if isinstance(current, dict):
        return st.just({})
    return st.sampled_from(ODD_STRINGS)


@st.composite
def mutated(
    draw: st.DrawFn,
    seeds: Sequence[Any],
    known_keys: Sequence[str] = (),
    max_mutations: int = 5,
) -> Any:
    """A seed (a spec-shaped object), changed ``0..max_mutations`` times at random places."""
    value = copy.deepcopy(draw(st.sampled_from(seeds)))
    keys = st.sampled_from(known_keys) | texts if known_keys else texts
    for _ in range(draw(st.integers(0, max_mutations))):
        path = draw(st.sampled_from(paths(value)))
        op = draw(st.sampled_from(OPS))
        if op == "add field":
            node = _at(value, path)
            if isinstance(node, dict):
                node[draw(keys)] = copy.deepcopy(draw(json_values))
            continue
        if not path:  # the root itself: rarely replaced, so most inputs stay recognisable
            if draw(st.integers(0, 9)) == 0:
                value = copy.deepcopy(draw(_wrong_type(value)))
            continue
        parent, key = _at(value, path[:-1]), path[-1]
        if op == "drop":
            del parent[key]
            continue
        parent[key] = copy.deepcopy(draw(_replacement(op, parent[key])))
    return value


def _replacement(op: str, current: Any) -> st.SearchStrategy[Any]:
    if op == "null":
        return st.none()
    if op == "junk":
        return json_values
    if op == "wrong type":
        return _wrong_type(current)
    if op == "odd value":
        return _odd_value(current)
    if op == "huge":
        return huge_strings
    return st.sampled_from(DEEP)


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


# -- outcomes -------------------------------------------------------------------------------


def converts(name: str, call: Callable[[], T], *names_source: str) -> T | None:
    """``call()``'s result, or None when it raised a clear error (a SourceError subclass) whose
    message names the source. Any other exception propagates: that is the bug to find."""
    try:
        result = call()
    except SourceError as exc:
        TALLY[name]["clear error"] += 1
        text = str(exc)
        assert any(s in text for s in names_source), f"error does not name the source: {text}"
        assert "Traceback" not in text
        return None
    TALLY[name]["ok"] += 1
    return result


def tried(name: str, outcome: str = "ok") -> None:
    """Count one input of a property that has no error outcome."""
    TALLY[name][outcome] += 1


# -- what a sane result looks like --------------------------------------------------------------


def _opt(value: Any, typ: type) -> bool:
    return value is None or isinstance(value, typ)


def assert_account(account: Any, source: str) -> None:
    assert isinstance(account, Account)
    assert account.source == source
    assert isinstance(account.id, str) and account.id
    assert _opt(account.name, str) and _opt(account.username, str) and _opt(account.email, str)


def assert_field(fv: Any) -> None:
    assert isinstance(fv, FieldValue)
    assert isinstance(fv.key, str) and fv.key
    assert _opt(fv.id, str) and _opt(fv.title, str) and _opt(fv.kind, str)
    assert isinstance(fv.accounts, tuple) and all(isinstance(a, str) and a for a in fv.accounts)
    assert isinstance(fv.names, tuple) and all(isinstance(n, str) and n for n in fv.names)
    assert fv.number is None or type(fv.number) is float
    assert _opt(fv.text, str)
    if fv.key == "field":
        assert fv.id is None or fv.id, "a custom field value with an empty id"


def _is_day(value: Any) -> bool:
    return value is None or (isinstance(value, date) and not isinstance(value, datetime))


def assert_task(task: Any, source: str, builtin: Sequence[str]) -> None:
    """A Task with sane types, holding each built-in people field of its tool exactly once."""
    assert isinstance(task, Task)
    assert task.source == source
    assert isinstance(task.id, str) and task.id
    assert isinstance(task.title, str)
    assert isinstance(task.state, State)
    assert _is_day(task.due) and _is_day(task.start)
    assert task.updated is None or (
        isinstance(task.updated, datetime) and task.updated.tzinfo is not None
    )
    for attr in ("url", "container", "container_id", "group", "parent_id"):
        assert _opt(getattr(task, attr), str), attr
    assert isinstance(task.labels, tuple) and all(isinstance(x, str) for x in task.labels)
    assert isinstance(task.fields, tuple)
    for fv in task.fields:
        assert_field(fv)
    keys = [f.key for f in task.fields]
    for key in builtin:
        assert keys.count(key) == 1, f"built-in people field {key!r} missing or repeated"
