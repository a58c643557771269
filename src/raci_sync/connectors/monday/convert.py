"""monday JSON → Task and Account (package-private, pure).

No I/O here: the connector module fetches and calls these; tests call them on recorded JSON.
A body of the wrong shape raises ResponseError naming the source and the object.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from raci_sync.config import FieldsConfig
from raci_sync.errors import ResponseError
from raci_sync.model import Account, FieldValue, State, Task

log = logging.getLogger("raci_sync.monday")

PEOPLE_TYPES = frozenset({"people", "person"})
_FIELD_KINDS = {"numbers": "number", "dropdown": "enum", "long_text": "text"}
_SKIPPED_TYPES = frozenset({"name", "subtasks", "button"})

Teams = Mapping[str, tuple[str, ...]]  # team id → member user ids


# -- people -------------------------------------------------------------------------------------


def account_from_monday(raw_user: Any, source_name: str) -> Account:
    """A monday user ``{id, name, email}`` as an Account."""
    where = f"source {source_name!r} (monday): a user"
    user = as_object(raw_user, where)
    return Account(
        source=source_name,
        id=id_of(user, where),
        name=opt_str(user, "name", where),
        email=opt_str(user, "email", where) or None,
    )


def teams_from_monday(raw_teams: Any, where: str) -> dict[str, tuple[str, ...]]:
    """Team id → member user ids."""
    out: dict[str, tuple[str, ...]] = {}
    for t in as_list_of_objects(raw_teams if raw_teams is not None else [], f"{where}: teams"):
        tid = id_of(t, f"{where}: a team")
        members = as_list_of_objects(t.get("users") or [], f"{where}: team {tid} users")
        out[tid] = tuple(id_of(u, f"{where}: team {tid} member") for u in members)
    return out


def complete_accounts(
    users: Iterable[Account], tasks: Iterable[Task], source: str
) -> list[Account]:
    """The directory, deduplicated, plus an id-only Account for every id a task names but the
    directory lacks (a deactivated user, say)."""
    out = {a.id: a for a in users}
    for t in tasks:
        for f in t.fields:
            for a in f.accounts:
                if a not in out:
                    out[a] = Account(source=source, id=a)
    return list(out.values())


def people_named(raw_items: Iterable[Any]) -> tuple[set[str], set[str]]:
    """(user ids, team ids) that raw items and their subitems name in subscribers and people
    columns; tells an incremental read whether its cached directory still covers them.
    Malformed parts are skipped here: the conversion reports them."""
    users: set[str] = set()
    teams: set[str] = set()
    for item in _with_subitems(raw_items):
        for s in _objects(item.get("subscribers")):
            if (sid := id_or_none(s)) is not None:
                users.add(sid)
        for v in _objects(item.get("column_values")):
            if not (isinstance(v.get("type"), str) and v["type"] in PEOPLE_TYPES):
                continue
            for e in _safe_people_entries(v):
                if not isinstance(e, dict) or (eid := id_or_none(e)) is None:
                    continue
                kind = e.get("kind") or "person"
                if kind == "team":
                    teams.add(eid)
                elif kind == "person":
                    users.add(eid)
    return users, teams


def _objects(value: Any) -> list[dict[str, Any]]:
    """The objects of a list; nothing for anything else (for readers that skip bad parts)."""
    return [x for x in value if isinstance(x, dict)] if isinstance(value, list) else []


def _safe_people_entries(v: dict[str, Any]) -> list[Any]:
    try:
        entries = _people_entries(v)
    except ValueError:
        return []
    return entries if isinstance(entries, list) else []


def _with_subitems(raw_items: Iterable[Any]) -> Iterable[dict[str, Any]]:
    for item in raw_items:
        if isinstance(item, dict):
            yield item
            yield from _objects(item.get("subitems"))


# -- items --------------------------------------------------------------------------------------


def tasks_from_monday(raw_item: Any, **kwargs: Any) -> list[Task]:
    """An item and its subitems (each with ``parent_id``), in that order; ``kwargs`` as for
    :func:`task_from_monday`."""
    parent = task_from_monday(raw_item, **kwargs)
    where = kwargs.get("where") or f"source {kwargs['source']!r} (monday)"
    subitems = as_list_of_objects(
        raw_item.get("subitems") or [], f"{where}: item {parent.id}: subitems"
    )
    sub_kwargs = {**kwargs, "columns": None, "parent": parent}
    return [parent, *(task_from_monday(s, **sub_kwargs) for s in subitems)]


def task_from_monday(
    raw_item: Any,
    *,
    source: str,
    board_id: str,
    board_name: str,
    columns: Mapping[str, str] | None = None,
    teams: Teams | None = None,
    fields: FieldsConfig | None = None,
    parent: Task | None = None,
    where: str | None = None,
) -> Task:
    """One monday item (or subitem, when ``parent`` is given) as a Task.

    ``columns`` maps column ids to titles (the parent board's; subitems bring their own
    ``column.title``); ``teams`` maps team ids to member ids, so a team in a people column
    stands for its members. A subitem takes its parent's board and group.
    """
    base = where or f"source {source!r} (monday)"
    item = as_object(raw_item, f"{base}: an item")
    item_id = id_of(item, f"{base}: an item")
    w = f"{base}: {'subitem' if parent else 'item'} {item_id}"
    cfg = fields or FieldsConfig()
    try:
        values = _values(item, columns or {}, w)
        due, start = _due(_pick(values, cfg.due, ("date", "timeline")), w)
        field_values, labels = _fields(item, values, teams or {}, w)
        return Task(
            source=source,
            id=item_id,
            title=opt_str(item, "name", w) or "",
            url=opt_str(item, "url", w) or None,
            container=parent.container if parent else board_name,
            container_id=parent.container_id if parent else board_id,
            group=parent.group if parent else _group(item, w),
            state=_state(item, _pick(values, cfg.status, ("status",))),
            due=due,
            start=start,
            updated=parse_time(item.get("updated_at"), f"{w}: updated_at"),
            parent_id=parent.id if parent else None,
            labels=tuple(labels),
            fields=tuple(field_values),
        )
    except ResponseError:
        raise
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise ResponseError(f"{w}: unexpected shape ({type(exc).__name__}: {exc})") from None


def _values(item: dict[str, Any], columns: Mapping[str, str], w: str) -> list[dict[str, Any]]:
    """The item's column values, each with its column title as ``_title``."""
    return [
        {**v, "_title": _column_title(v, columns, f"{w}: column {str(v.get('id'))[:40]!r}")}
        for v in as_list_of_objects(item.get("column_values") or [], f"{w}: column_values")
    ]


def _group(item: dict[str, Any], w: str) -> str | None:
    group = item.get("group")
    return opt_str(group, "title", f"{w}: group") if isinstance(group, dict) else None


def _state(item: dict[str, Any], status: dict[str, Any] | None) -> State:
    if item.get("state") in ("archived", "deleted"):
        return State.ARCHIVED
    if status is not None and status.get("is_done") is True:
        return State.DONE
    return State.OPEN


def _fields(
    item: dict[str, Any], values: list[dict[str, Any]], teams: Teams, w: str
) -> tuple[list[FieldValue], list[str]]:
    """(fields, labels): subscribers first (always present), then one per column with a value
    (people columns always); tags columns also give labels."""
    subscribers = as_list_of_objects(item.get("subscribers") or [], f"{w}: subscribers")
    out = [
        FieldValue(
            key="subscribers",
            kind="people",
            accounts=tuple(id_of(s, f"{w}: a subscriber") for s in subscribers),
        )
    ]
    labels: list[str] = []
    for v in values:
        fv = _field_value(v, teams, w)
        if fv is not None:
            out.append(fv)
            if v.get("type") == "tags" and fv.text:
                labels.extend(t.strip() for t in fv.text.split(",") if t.strip())
    return out, labels


def _column_title(v: dict[str, Any], columns: Mapping[str, str], where: str) -> str | None:
    col = v.get("column")
    title = opt_str(col, "title", where) if isinstance(col, dict) else None
    return columns.get(str(v.get("id"))) or title or None


def _pick(
    values: list[dict[str, Any]], ref: str | None, types: tuple[str, ...]
) -> dict[str, Any] | None:
    """The configured column (by title or id, any case), else the first one of ``types``."""
    candidates = [v for v in values if v.get("type") in types]
    if not ref:
        return candidates[0] if candidates else None
    key = ref.strip().casefold()
    return next(
        (
            v
            for v in candidates
            if str(v.get("id")).casefold() == key or str(v.get("_title") or "").casefold() == key
        ),
        None,
    )


def _due(col: dict[str, Any] | None, w: str) -> tuple[date | None, date | None]:
    if col is None:
        return None, None
    if col.get("type") == "timeline":
        return (
            _date(col.get("to"), f"{w}: timeline 'to'"),
            _date(col.get("from"), f"{w}: timeline 'from'"),
        )
    return _date(col.get("date"), f"{w}: date"), None


def _field_value(v: dict[str, Any], teams: Teams, w: str) -> FieldValue | None:
    ctype = str(v.get("type") or "")
    cid = id_of(v, f"{w}: a column value")
    wc = f"{w}: column {cid}"
    text = v.get("text") if isinstance(v.get("text"), str) and v.get("text") else None
    base = {"key": "field", "id": cid, "title": v.get("_title")}
    if ctype in PEOPLE_TYPES:  # always present, so "the first people column" stays the first
        accounts = _people(v, teams, wc)
        return FieldValue(**base, kind="people", accounts=accounts, text=text)
    if ctype == "numbers":
        number = _number(v.get("number") if v.get("number") is not None else text, wc)
        if number is None:
            return None
        return FieldValue(**base, kind="number", number=number, text=text)
    if ctype == "status":
        label = v.get("label") if isinstance(v.get("label"), str) else text
        return FieldValue(**base, kind="status", text=label) if label else None
    if ctype == "date":
        d = opt_str(v, "date", wc)
        return FieldValue(**base, kind="date", text=d) if d else None
    if ctype in _SKIPPED_TYPES or text is None:
        return None
    return FieldValue(**base, kind=_FIELD_KINDS.get(ctype, ctype), text=text)


def _people_entries(v: dict[str, Any]) -> Any:
    """A people value's ``persons_and_teams``, else the ``personsAndTeams`` of its raw JSON."""
    entries = v.get("persons_and_teams")
    if entries is not None:
        return entries
    raw = v.get("value")
    parsed = json.loads(raw) if isinstance(raw, str) and raw else {}
    return (parsed.get("personsAndTeams") or []) if isinstance(parsed, dict) else []


def _people(v: dict[str, Any], teams: Teams, w: str) -> tuple[str, ...]:
    out: list[str] = []
    for e in as_list_of_objects(_people_entries(v), f"{w}: persons_and_teams"):
        eid = id_of(e, f"{w}: a person or team")
        kind = e.get("kind") or "person"
        if kind == "team":
            if eid not in teams:
                log.warning(
                    "%s: team %s is not in the team list; its members are not counted", w, eid
                )
            out.extend(teams.get(eid, ()))
        elif kind == "person":
            out.append(eid)
        # kind "agent" (an AI agent) is not a person and holds no letter
    return tuple(dict.fromkeys(out))


# -- shape checks -------------------------------------------------------------------------------


def as_object(v: Any, where: str) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise ResponseError(f"{where}: expected an object, got {_tname(v)}")
    return v


def as_list_of_objects(v: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(v, list):
        raise ResponseError(f"{where}: expected a list, got {_tname(v)}")
    for x in v:
        as_object(x, where)
    return v


def id_of(obj: Mapping[str, Any], where: str) -> str:
    ident = id_or_none(obj)
    if ident is None:
        raise ResponseError(f"{where}: missing or invalid 'id' ({obj.get('id')!r})")
    return ident


def id_or_none(obj: Mapping[str, Any]) -> str | None:
    """``obj``'s id (a non-empty string or an integer) as a string; None when it has none."""
    v = obj.get("id")
    if isinstance(v, bool) or not isinstance(v, str | int) or str(v) == "":
        return None
    return str(v)


def opt_str(obj: Mapping[str, Any], key: str, where: str) -> str | None:
    v = obj.get(key)
    if v is not None and not isinstance(v, str):
        raise ResponseError(f"{where}: '{key}' should be a string, got {_tname(v)}")
    return v


def _number(v: Any, where: str) -> float | None:
    """A numbers column's value (a JSON number, or the text of one) as a finite float."""
    if v is None or v == "":
        return None
    if isinstance(v, bool) or not isinstance(v, str | int | float):
        raise ResponseError(f"{where}: 'number' should be a number, got {_tname(v)}")
    try:
        number = float(v)
    except ValueError:
        raise ResponseError(f"{where}: {str(v)[:40]!r} is not a number") from None
    except OverflowError:  # an integer beyond float's range
        number = math.inf
    if not math.isfinite(number):
        raise ResponseError(f"{where}: the number {str(v)[:40]!r} is out of range")
    return number


def _date(v: Any, where: str) -> date | None:
    if v in (None, ""):
        return None
    if not isinstance(v, str):
        raise ResponseError(f"{where}: should be a date string, got {_tname(v)}")
    try:
        return date.fromisoformat(v[:10])
    except ValueError:
        raise ResponseError(f"{where}: {v!r} is not a date") from None


def parse_time(v: Any, where: str) -> datetime | None:
    if v in (None, ""):
        return None
    try:
        d = datetime.fromisoformat(str(v))
    except ValueError:
        raise ResponseError(f"{where}: {v!r} is not an ISO 8601 time") from None
    return d if d.tzinfo else d.replace(tzinfo=UTC)


def _tname(v: Any) -> str:
    return "null" if v is None else type(v).__name__
