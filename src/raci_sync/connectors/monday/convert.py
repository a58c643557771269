"""monday JSON → Task and Account: pure, no I/O; tested against recorded JSON.

The client fetches and calls these; a body of the wrong shape raises ResponseError (through
:class:`~raci_sync.connectors.shape.Shape`) naming the source, the object and the field.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from raci_sync.config import FieldsConfig
from raci_sync.connectors.references import FieldDef
from raci_sync.connectors.shape import Shape
from raci_sync.errors import ResponseError, SourceError
from raci_sync.model import Account, FieldValue, State, Task

log = logging.getLogger("raci_sync.monday")

KIND = "monday"
PEOPLE_TYPES = frozenset({"people", "person"})
_FIELD_KINDS = {"numbers": "number", "dropdown": "enum", "long_text": "text"}
_SKIPPED_TYPES = frozenset({"name", "subtasks", "button"})

# column types as raci's references name them (connectors/references.py); others stay monday's
_DEF_TYPES = {"person": "people", "numbers": "number", "long_text": "text"}

Teams = Mapping[str, tuple[str, ...]]  # team id → member user ids
# status column id → the label indexes that mean done (None: the settings do not say)
DoneLabels = Mapping[str, frozenset[str] | None]


def shape(source_name: str, what: str) -> Shape:
    """The reader of one object of a monday answer."""
    return Shape(source_name, KIND, what)


# -- people -------------------------------------------------------------------------------------


def account_from_monday(raw_user: Any, source_name: str) -> Account:
    """A monday user ``{id, name, email}`` as an Account."""
    s = shape(source_name, "a user")
    user = s.obj(raw_user)
    return Account(
        source=source_name,
        id=s.ident(user, integers=True),
        name=s.text(user, "name"),
        email=s.text(user, "email") or None,
    )


def teams_from_monday(raw_teams: Any, answer: Shape) -> dict[str, tuple[str, ...]]:
    """Team id → member user ids (``answer`` reads the answer that holds the teams)."""
    out: dict[str, tuple[str, ...]] = {}
    for t in answer.objs(raw_teams if raw_teams is not None else [], "teams"):
        tid = answer.about(f"{answer.what}: a team").ident(t, integers=True)
        team = answer.about(f"{answer.what}: team {tid}")
        members = team.objs(t.get("users") or [], "users")
        member = team.about(f"{team.what}: a member")
        out[tid] = tuple(member.ident(u, integers=True) for u in members)
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


# -- columns ------------------------------------------------------------------------------------


def columns_from_monday(raw_columns: Any, answer: Shape) -> tuple[FieldDef, ...]:
    """A board's ``columns { id title type }`` as field definitions (types as raci names them:
    people, number, date, timeline, status, text, dropdown …)."""
    column = answer.about(f"{answer.what}: a column")
    out = []
    for c in answer.objs(raw_columns, "columns"):
        ctype = column.text(c, "type") or ""
        out.append(
            FieldDef(
                name=column.text(c, "title") or "",
                id=column.ident(c, integers=True),
                type=_DEF_TYPES.get(ctype, ctype),
            )
        )
    return tuple(out)


def done_labels_from_monday(raw_columns: Any, answer: Shape) -> dict[str, frozenset[str] | None]:
    """Status column id → the indexes of its labels that mean done, from ``columns(types:
    [status]) { id settings }``; None for a column whose settings do not say.

    ``settings`` (JSON, or JSON text) lists the labels either as objects with ``is_done``
    (``{"labels": [{"index": 1, "is_done": true}, …]}``, the StatusLabel shape) or, in the older
    ``settings_str`` shape, as ``{"labels": {"1": "Done"}, "done_colors": [1]}``.
    """
    out: dict[str, frozenset[str] | None] = {}
    column = answer.about(f"{answer.what}: a status column")
    for c in answer.objs(raw_columns if raw_columns is not None else [], "status_columns"):
        out[column.ident(c, integers=True)] = _done_labels(c.get("settings"))
    return out


def _done_labels(settings: Any) -> frozenset[str] | None:
    if isinstance(settings, str):
        try:
            settings = json.loads(settings)
        except ValueError:
            return None
    if not isinstance(settings, dict):
        return None
    labels = settings.get("labels")
    if isinstance(labels, list):
        entries = [x for x in labels if isinstance(x, dict) and isinstance(x.get("is_done"), bool)]
        if not entries:
            return None
        keys = [x.get("index", x.get("id")) for x in entries if x["is_done"]]
        return frozenset(str(k) for k in keys if isinstance(k, int | str))
    done = settings.get("done_colors")
    if isinstance(labels, dict) and isinstance(done, list):
        return frozenset(str(k) for k in done if isinstance(k, int | str))
    return None


# -- items --------------------------------------------------------------------------------------


def tasks_from_monday(raw_item: Any, **kwargs: Any) -> list[Task]:
    """An item and its subitems (each with ``parent_id``), in that order; ``kwargs`` as for
    :func:`task_from_monday`."""
    parent = task_from_monday(raw_item, **kwargs)
    s = shape(kwargs["source"], f"item {parent.id}")
    subitems = s.objs(raw_item.get("subitems") or [], "subitems")
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
    done_labels: DoneLabels | None = None,
    zone: tzinfo | None = None,
) -> Task:
    """One monday item (or subitem, when ``parent`` is given) as a Task.

    ``columns`` maps column ids to titles (the parent board's; subitems bring their own
    ``column.title``); ``teams`` maps team ids to member ids, so a team in a people column
    stands for its members. A subitem takes its parent's board and group. ``done_labels``
    says which labels of each status column mean done (for a multi-level board's BatteryValue),
    ``zone`` is the team's time zone: a date column that carries a time is a UTC instant, and
    its due date is the day in that zone.
    """
    s = shape(source, "an item")
    item = s.obj(raw_item)
    item_id = s.ident(item, integers=True)
    s = s.about(f"{'subitem' if parent else 'item'} {item_id}")
    cfg = fields or FieldsConfig()
    zone = zone or UTC
    try:
        values = _values(item, columns or {}, s)
        due, start = _due(_pick(values, cfg.due, ("date", "timeline")), s, zone)
        field_values, labels = _fields(item, values, teams or {}, s, zone)
        return Task(
            source=source,
            id=item_id,
            title=s.text(item, "name") or "",
            url=s.text(item, "url") or None,
            container=parent.container if parent else board_name,
            container_id=parent.container_id if parent else board_id,
            group=parent.group if parent else _group(item, s),
            state=_state(item, _pick(values, cfg.status, ("status",)), done_labels or {}, s),
            due=due,
            start=start,
            updated=moment_of(s, item, "updated_at"),
            parent_id=parent.id if parent else None,
            labels=tuple(labels),
            fields=tuple(field_values),
        )
    except ResponseError:
        raise
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise s.error(f"in an unexpected shape ({type(exc).__name__}: {exc})") from None


def moment_of(s: Shape, raw: dict[str, Any], key: str) -> datetime | None:
    """A time such as ``updated_at`` (an ISO 8601 text; a value of another type is read as its
    text, as monday's own clients do)."""
    value = raw.get(key)
    return s.moment_value(None if value in (None, "") else str(value), key)


def _values(item: dict[str, Any], columns: Mapping[str, str], s: Shape) -> list[dict[str, Any]]:
    """The item's column values, each with its column title as ``_title``; a status rollup's
    ``battery_value`` comes from ``rollups`` (the same column values, asked with
    ``capabilities: [CALCULATED]``: monday leaves rollups empty without it)."""
    rollups = {
        str(r.get("id")): r.get("battery_value")
        for r in s.objs(item.get("rollups") or [], "rollups")
        if "battery_value" in r
    }
    out = []
    for v in s.objs(item.get("column_values") or [], "column_values"):
        if str(v.get("id")) in rollups:  # a BatteryValue: only ``rollups`` asks for its keys
            v = {**v, "battery_value": rollups[str(v.get("id"))]}
        out.append(
            {**v, "_title": _column_title(v, columns, s.about(f"{s.what}: column {_cid(v)}"))}
        )
    return out


def _cid(v: dict[str, Any]) -> str:
    return repr(str(v.get("id"))[:40])


def _group(item: dict[str, Any], s: Shape) -> str | None:
    group = item.get("group")
    return s.about(f"{s.what}: group").text(group, "title") if isinstance(group, dict) else None


def _state(
    item: dict[str, Any], status: dict[str, Any] | None, done_labels: DoneLabels, s: Shape
) -> State:
    if item.get("state") in ("archived", "deleted"):
        return State.ARCHIVED
    if status is not None and "battery_value" in status:
        return State.DONE if _battery_done(status, done_labels, s) else State.OPEN
    if status is not None and status.get("is_done") is True:
        return State.DONE
    return State.OPEN


def _battery_done(status: dict[str, Any], done_labels: DoneLabels, s: Shape) -> bool:
    """A multi-level board's status (BatteryValue: label index keys and how many items hold
    each; a leaf holds one) is done when every label held means done. Which labels mean done is
    in the column's settings; when they do not say, the board cannot be read right."""
    cs = s.about(f"{s.what}: column {_cid(status)}")
    held = []
    for entry in cs.objs(status.get("battery_value") or [], "battery_value"):
        count = cs.number(entry, "count")
        if count:
            held.append(cs.ident(entry, "key", integers=True))
    if not held:
        return False  # no label set
    done = done_labels.get(str(status.get("id")))
    if done is None:
        raise SourceError(
            f"source {s.source!r} (monday): {s.what}: status column {status.get('_title')!r} "
            "is a multi-level board's rollup (BatteryValue: label indexes, no is_done), and "
            "the column's settings do not say which labels mean done, so done items cannot be "
            "told from open ones; the read fails rather than count them open. Name another "
            "status column in [source.fields] status, or report this with the column's settings",
            source=s.source,
        )
    return all(k in done for k in held)


def _fields(
    item: dict[str, Any], values: list[dict[str, Any]], teams: Teams, s: Shape, zone: tzinfo
) -> tuple[list[FieldValue], list[str]]:
    """(fields, labels): subscribers first (always present), then one per column with a value
    (people columns always); tags columns also give labels."""
    subscribers = s.objs(item.get("subscribers") or [], "subscribers")
    subscriber = s.about(f"{s.what}: a subscriber")
    out = [
        FieldValue(
            key="subscribers",
            kind="people",
            accounts=tuple(subscriber.ident(x, integers=True) for x in subscribers),
        )
    ]
    labels: list[str] = []
    for v in values:
        fv = _field_value(v, teams, s, zone)
        if fv is not None:
            out.append(fv)
            if v.get("type") == "tags" and fv.text:
                labels.extend(t.strip() for t in fv.text.split(",") if t.strip())
    return out, labels


def _column_title(v: dict[str, Any], columns: Mapping[str, str], s: Shape) -> str | None:
    col = v.get("column")
    title = s.text(col, "title") if isinstance(col, dict) else None
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


def _due(col: dict[str, Any] | None, s: Shape, zone: tzinfo) -> tuple[date | None, date | None]:
    if col is None:
        return None, None
    s = s.about(f"{s.what}: column {_cid(col)}")
    if col.get("type") == "timeline":
        return (
            s.day_value(col.get("to"), "to", prefix=True),
            s.day_value(col.get("from"), "from", prefix=True),
        )
    return _day(col, s, zone), None


def _day(col: dict[str, Any], s: Shape, zone: tzinfo) -> date | None:
    """A date column's day in ``zone``: a value with a time is a UTC instant (its ``value``
    JSON, ``{"date": "2026-12-10", "time": "23:30:00"}``); one without is a plain day."""
    raw = col.get("value")
    try:
        value = json.loads(raw) if isinstance(raw, str) and raw else raw
    except ValueError:
        raise s.wrong("value", raw, "JSON") from None
    if isinstance(value, dict) and value.get("time") and value.get("date"):
        day, time = value["date"], value["time"]
        if not isinstance(day, str) or not isinstance(time, str):
            raise s.wrong("value", raw, "a date and a time")
        try:
            moment = datetime.fromisoformat(f"{day[:10]}T{time}")
        except ValueError:
            raise s.wrong("value", raw, "a date and a time") from None
        return moment.replace(tzinfo=UTC).astimezone(zone).date()
    return s.day_value(col.get("date"), "date", prefix=True)


def _field_value(v: dict[str, Any], teams: Teams, s: Shape, zone: tzinfo) -> FieldValue | None:
    ctype = str(v.get("type") or "")
    cid = s.about(f"{s.what}: a column value").ident(v, integers=True)
    cs = s.about(f"{s.what}: column {cid}")
    text = v.get("text") if isinstance(v.get("text"), str) and v.get("text") else None
    title: str | None = v.get("_title")
    if ctype in PEOPLE_TYPES:  # always present, so "the first people column" stays the first
        accounts = _people(v, teams, cs)
        return FieldValue(
            key="field", id=cid, title=title, kind="people", accounts=accounts, text=text
        )
    if ctype == "numbers":
        key = "number" if v.get("number") is not None else "text"
        number = cs.number_value(v.get("number") if key == "number" else text, key, text=True)
        if number is None:
            return None
        return FieldValue(key="field", id=cid, title=title, kind="number", number=number, text=text)
    if ctype == "status":
        label = v.get("label") if isinstance(v.get("label"), str) else text
        return (
            FieldValue(key="field", id=cid, title=title, kind="status", text=label)
            if label
            else None
        )
    if ctype == "date":
        d = _day(v, cs, zone)
        return (
            FieldValue(key="field", id=cid, title=title, kind="date", text=d.isoformat())
            if d
            else None
        )
    if ctype in _SKIPPED_TYPES or text is None:
        return None
    return FieldValue(
        key="field", id=cid, title=title, kind=_FIELD_KINDS.get(ctype, ctype), text=text
    )


def _people_entries(v: dict[str, Any]) -> Any:
    """A people value's ``persons_and_teams``, else the ``personsAndTeams`` of its raw JSON."""
    entries = v.get("persons_and_teams")
    if entries is not None:
        return entries
    raw = v.get("value")
    parsed = json.loads(raw) if isinstance(raw, str) and raw else {}
    return (parsed.get("personsAndTeams") or []) if isinstance(parsed, dict) else []


def _people(v: dict[str, Any], teams: Teams, s: Shape) -> tuple[str, ...]:
    out: list[str] = []
    entry = s.about(f"{s.what}: a person or team")
    for e in s.objs(_people_entries(v), "persons_and_teams"):
        eid = entry.ident(e, integers=True)
        kind = e.get("kind") or "person"
        if kind == "team":
            if eid not in teams:
                log.warning(
                    "source %r (monday): %s: team %s is not in the team list; its members are "
                    "not counted",
                    s.source,
                    s.what,
                    eid,
                )
            out.extend(teams.get(eid, ()))
        elif kind == "person":
            out.append(eid)
        # kind "agent" (an AI agent) is not a person and holds no letter
    return tuple(dict.fromkeys(out))


# -- lenient readers ---------------------------------------------------------------------------


def id_or_none(obj: Mapping[str, Any]) -> str | None:
    """``obj``'s id (a non-empty string or an integer) as a string; None when it has none."""
    v = obj.get("id")
    if isinstance(v, bool) or not isinstance(v, str | int) or str(v) == "":
        return None
    return str(v)
