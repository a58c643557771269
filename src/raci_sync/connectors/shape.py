"""One reader for the JSON the APIs send, with one wording for a body of the wrong shape.

Converters and clients read API JSON only through a :class:`Shape`, so a field that departs from
the vendor's documentation is a ResponseError naming the source, the object and the field, never
a KeyError or TypeError::

    source 'kampagner' (asana): Asana sent task '1208421907315501' with 'name' = '5' instead of
    a string, which is not the shape the Asana API documents

A field that is absent or ``null`` reads as "not set" (None, False or an empty list); only a
value of the wrong type, or one that does not parse, is an error. ``bool`` is no number here:
``true`` is no number in JSON, whatever Python thinks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from raci_sync.connectors import KINDS
from raci_sync.errors import ResponseError


@dataclass(frozen=True)
class Shape:
    """Reads one object of one source's answer; ``what`` names it ("task '12'", "a user")."""

    source: str  # the source's name in the config
    kind: str  # its Kind's name: the tool's title comes from the Kind record
    what: str

    def about(self, what: str) -> Shape:
        """The same reader for another object of the same answer."""
        return replace(self, what=what)

    def error(self, problem: str) -> ResponseError:
        """The one wording: ``source 'x' (kind): <Tool> sent <what> <problem>, which is …``."""
        title = KINDS[self.kind].title if self.kind in KINDS else self.kind
        return ResponseError(
            f"source {self.source!r} ({self.kind}): {title} sent {self.what} {problem}, which "
            f"is not the shape the {title} API documents",
            source=self.source,
        )

    # -- whole values ---------------------------------------------------------------------------

    def obj(self, value: Any, key: str | None = None) -> dict[str, Any]:
        """``value`` as an object (``key`` names where it was found, if anywhere)."""
        if not isinstance(value, dict):
            where = f"with {key!r} as" if key else "as"
            raise self.error(f"{where} {json_type(value)} instead of an object")
        return value

    def array(self, value: Any, key: str | None = None) -> list[Any]:
        """``value`` as a list (``null`` is no list here: use :meth:`items` for a field)."""
        if not isinstance(value, list):
            where = f"with {key!r} as" if key else "as"
            raise self.error(f"{where} {json_type(value)} instead of a list")
        return value

    def objs(self, value: Any, key: str | None = None) -> list[dict[str, Any]]:
        """``value`` as a list of objects."""
        return [self.obj(v, key) for v in self.array(value, key)]

    # -- fields of an object --------------------------------------------------------------------

    def field(self, raw: dict[str, Any], key: str, types: tuple[type, ...], expected: str) -> Any:
        """``raw[key]`` when it is one of ``types`` (None when absent or null)."""
        value = raw.get(key)
        wrong = not isinstance(value, types) or (isinstance(value, bool) and bool not in types)
        if value is not None and wrong:
            raise self.wrong(key, value, expected)
        return value

    def wrong(self, key: str, value: Any, expected: str) -> ResponseError:
        """The error for ``key`` holding ``value`` where ``expected`` belongs."""
        return self.error(f"with {key!r} = {str(value)[:60]!r} instead of {expected}")

    def text(self, raw: dict[str, Any], key: str) -> str | None:
        text: str | None = self.field(raw, key, (str,), "a string")
        return text

    def flag(self, raw: dict[str, Any], key: str) -> bool:
        return bool(self.field(raw, key, (bool,), "true or false"))

    def ident(self, raw: dict[str, Any], key: str = "id", *, integers: bool = False) -> str:
        """A required, non-empty id (a string; with ``integers``, an integer too)."""
        types: tuple[type, ...] = (str, int) if integers else (str,)
        value = self.field(raw, key, types, "a string or integer id" if integers else "a string id")
        if value is None or str(value) == "":
            raise self.error(f"without its {key!r}")
        return str(value)

    def ids(self, raw: dict[str, Any], key: str) -> list[str]:
        """A list of ids: every entry a non-empty string (absent or null: none)."""
        items = raw.get(key)
        if items is None:
            return []
        if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
            raise self.wrong(key, items, "a list of ids")
        return items

    def items(self, raw: dict[str, Any], key: str) -> list[Any]:
        """A list field (absent or null: empty); its entries are read by the caller."""
        items: list[Any] | None = self.field(raw, key, (list,), "a list")
        return items or []

    def children(self, raw: dict[str, Any], key: str) -> list[dict[str, Any]]:
        """A list of objects (absent or null: empty)."""
        return [self.obj(i, key) for i in self.items(raw, key)]

    def number(self, raw: dict[str, Any], key: str, *, text: bool = False) -> float | None:
        """A JSON number as a finite float (with ``text``, also a string holding one)."""
        return self.number_value(raw.get(key), key, text=text)

    def number_value(self, value: Any, key: str, *, text: bool = False) -> float | None:
        """:meth:`number` for a value already taken out of its object."""
        if value is None or (text and value == ""):
            return None
        types = (int, float, str) if text else (int, float)
        if isinstance(value, bool) or not isinstance(value, types):
            raise self.wrong(key, value, "a number")
        try:
            number = float(value)
        except ValueError:
            raise self.wrong(key, value, "a number") from None
        except OverflowError:  # an integer beyond float's range (1e400 as a JSON integer)
            number = math.inf
        if not math.isfinite(number):  # also "1e999", "NaN", "Infinity"
            raise self.error(f"with {key!r} = {str(value)[:60]!r}, a number out of range")
        return number

    def day(self, raw: dict[str, Any], key: str) -> date | None:
        """An ISO date (``2026-12-11``); empty: None."""
        return self.day_value(raw.get(key), key)

    def day_value(self, value: Any, key: str, *, prefix: bool = False) -> date | None:
        """:meth:`day` for a value; with ``prefix``, of its first ten characters."""
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise self.wrong(key, value, "a date")
        try:
            return date.fromisoformat(value[:10] if prefix else value)
        except ValueError:
            raise self.wrong(key, value, "a date") from None

    def moment(self, raw: dict[str, Any], key: str) -> datetime | None:
        """An ISO date-time, in UTC when it names no zone; empty: None."""
        return self.moment_value(raw.get(key), key)

    def moment_value(self, value: Any, key: str) -> datetime | None:
        """:meth:`moment` for a value already taken out of its object."""
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise self.wrong(key, value, "a date-time")
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise self.wrong(key, value, "a date-time") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def json_type(value: Any) -> str:
    """How JSON names the type of ``value``: ``a string``, ``null``, ``an object`` …"""
    if value is None:
        return "null"
    for typ, name in _JSON_TYPES:
        if isinstance(value, typ):
            return name
    return type(value).__name__


_JSON_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "a boolean"),  # before int: a bool is an int in Python
    (int, "a number"),
    (float, "a number"),
    (str, "a string"),
    (list, "a list"),
    (dict, "an object"),
)
