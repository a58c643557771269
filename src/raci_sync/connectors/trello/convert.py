"""Trello JSON → Board, Task and Account: pure, no I/O; tested against recorded JSON.

The converters raise ResponseError (through :class:`~raci_sync.connectors.shape.Shape`), never
KeyError/TypeError, on a body of the wrong shape.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from raci_sync.connectors.references import FieldDef
from raci_sync.connectors.shape import Shape
from raci_sync.model import Account, FieldValue, State, Task

KIND = "trello"
FIELD_KINDS = {
    "list": "enum",
    "text": "text",
    "number": "number",
    "checkbox": "checkbox",
    "date": "date",
}


def shape(source_name: str, what: str) -> Shape:
    """The reader of one object of a Trello answer."""
    return Shape(source_name, KIND, what)


@dataclass(frozen=True)
class CustomFieldDef:
    """One custom field definition of a board; ``options`` maps dropdown option id → text."""

    id: str
    name: str | None
    type: str
    options: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TrelloList:
    """One list of a board."""

    id: str
    name: str
    closed: bool = False


@dataclass(frozen=True)
class Board:
    """What one board call tells: names of lists and labels, field definitions, members."""

    id: str
    name: str
    closed: bool = False
    lists: Mapping[str, TrelloList] = field(default_factory=dict)
    fields: Mapping[str, CustomFieldDef] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)  # label id → name (or colour)
    members: tuple[Account, ...] = ()


@dataclass(frozen=True)
class BoardSummary:
    """A board as the listing (or a probe) tells it: enough to resolve names and spot changes."""

    id: str
    name: str
    closed: bool = False
    last_activity: datetime | None = None


def field_defs(board: Board) -> tuple[FieldDef, ...]:
    """A board's custom fields as the references check them (Trello's types: list, text,
    number, date, checkbox)."""
    return tuple(FieldDef(f.name or "", f.id, f.type) for f in board.fields.values())


def account_from_trello(raw_member: Any, source_name: str) -> Account:
    """A board member (``id``, ``fullName``, ``username``) as an Account."""
    s = shape(source_name, "a board member")
    m = s.obj(raw_member)
    return Account(
        source=source_name,
        id=s.ident(m),
        name=s.text(m, "fullName") or None,
        username=s.text(m, "username") or None,
    )


def custom_field_from_trello(raw: Any, source_name: str, board_name: str) -> CustomFieldDef:
    """A custom field definition; reads name and options at the top level (as the live API and
    the custom-fields guide show them) or under ``display`` (as the OpenAPI spec has them)."""
    s = shape(source_name, f"a custom field of board {board_name!r}")
    f = s.obj(raw)
    ident = s.ident(f)
    ds = s.about(f"custom field {ident}.display")
    display = s.field(f, "display", (dict,), "an object") or {}
    name = s.text(f, "name") or ds.text(display, "name")
    options: dict[str, str] = {}
    raw_options = s.field(f, "options", (list,), "a list")
    for raw_opt in raw_options if raw_options is not None else ds.items(display, "options"):
        os = s.about(f"an option of custom field {name or ident!r}")
        o = os.obj(raw_opt)
        value = os.field(o, "value", (dict,), "an object") or {}
        option_id = os.ident(o)
        options[option_id] = s.about(f"option {option_id}.value").text(value, "text") or ""
    return CustomFieldDef(id=ident, name=name, type=s.text(f, "type") or "", options=options)


def board_from_trello(raw_board: Any, source_name: str) -> Board:
    """The nested board answer (lists, members, customFields, labels) as a Board."""
    s = shape(source_name, "a board")
    b = s.obj(raw_board)
    ident = s.ident(b)
    name = s.text(b, "name") or ident
    lists = {}
    for raw_list in s.items(b, "lists"):
        ls = s.about(f"a list of board {name!r}")
        lst = ls.obj(raw_list)
        lists[ls.ident(lst)] = TrelloList(
            ls.ident(lst), ls.text(lst, "name") or "", ls.flag(lst, "closed")
        )
    labels = {}
    for raw_label in s.items(b, "labels"):
        lbs = s.about(f"a label of board {name!r}")
        lab = lbs.obj(raw_label)
        text = lbs.text(lab, "name") or lbs.text(lab, "color")
        if text:
            labels[lbs.ident(lab)] = text
    fields = [custom_field_from_trello(f, source_name, name) for f in s.items(b, "customFields")]
    members = tuple(account_from_trello(m, source_name) for m in s.items(b, "members"))
    return Board(
        id=ident,
        name=name,
        closed=s.flag(b, "closed"),
        lists=lists,
        fields={f.id: f for f in fields},
        labels=labels,
        members=members,
    )


def is_work(raw_card: Any, source_name: str, board_name: str) -> bool:
    """Whether a card is a piece of work: not a template (``isTemplate``) and no card with a
    ``cardRole`` (a separator, a link, a board card or a mirror of a card elsewhere)."""
    s = shape(source_name, f"a card of board {board_name!r}")
    card = s.obj(raw_card)
    s = s.about(f"card {card.get('id')!r} of board {board_name!r}")
    return not s.flag(card, "isTemplate") and not s.text(card, "cardRole")


def task_from_trello(
    raw_card: Any,
    board: Board,
    source_name: str,
    done_lists: Iterable[str] = (),
    tz: tzinfo = UTC,
) -> Task:
    """One card as a Task.

    State: a closed card (or one in a closed list or board: hidden in Trello) is archived;
    ``dueComplete`` or a list named in ``done_lists`` (case-insensitive) makes it done.
    ``due``/``start`` are date-times in Trello; their date is taken in ``tz`` (at the edge of
    the calendar, the first or last day of it: see :func:`local_day`).
    """
    s = shape(source_name, f"a card of board {board.name!r}")
    card = s.obj(raw_card)
    ident = s.ident(card)
    s = s.about(f"card {ident} of board {board.name!r}")
    lst = board.lists.get(s.text(card, "idList") or "")
    done = {d.strip().casefold() for d in done_lists}
    if s.flag(card, "closed") or board.closed or (lst is not None and lst.closed):
        state = State.ARCHIVED
    elif s.flag(card, "dueComplete") or (lst is not None and lst.name.strip().casefold() in done):
        state = State.DONE
    else:
        state = State.OPEN
    due, start = s.moment(card, "due"), s.moment(card, "start")
    members = FieldValue(key="members", kind="people", accounts=tuple(s.ids(card, "idMembers")))
    labels = tuple(board.labels[i] for i in s.ids(card, "idLabels") if i in board.labels)
    return Task(
        source=source_name,
        id=ident,
        title=s.text(card, "name") or "",
        url=s.text(card, "shortUrl") or s.text(card, "url"),
        container=board.name,
        container_id=board.id,
        group=lst.name if lst else None,
        state=state,
        due=local_day(due, tz) if due else None,
        start=local_day(start, tz) if start else None,
        updated=s.moment(card, "dateLastActivity"),
        labels=labels,
        fields=(members, *_custom_field_values(card, s, board)),
    )


def local_day(moment: datetime, tz: tzinfo) -> date:
    """The date of ``moment`` in ``tz``. At the edge of the calendar, where that date would be
    before year 1 or after year 9999 (``9999-12-31T23:00:00Z`` east of UTC), it is the first or
    last day of the calendar: such a date is kept, as Asana's and monday's converters keep
    any date they are sent, never an error or "no date"."""
    try:
        return moment.astimezone(tz).date()
    except OverflowError:
        return date.min if moment.year == 1 else date.max


def board_summary_from_trello(raw: Any, source_name: str) -> BoardSummary:
    """A board of ``/members/me/boards`` (or ``/boards/{id}``), both asked for ``name``, ``closed``
    and ``dateLastActivity``, as a BoardSummary (any other property of the board is ignored).

    A date-only ``dateLastActivity`` (the spec types it ``format: date``; the live API sends a
    date-time) counts as the end of that day, so a change later that day is never missed; the
    end of the calendar's last day (9999-12-31) is the latest time there is.
    """
    s = shape(source_name, "a board in the list of boards")
    b = s.obj(raw)
    activity = s.moment(b, "dateLastActivity")
    if activity is not None and len((s.text(b, "dateLastActivity") or "").strip()) == 10:
        try:
            activity += timedelta(days=1)
        except OverflowError:
            activity = datetime.max.replace(tzinfo=UTC)
    return BoardSummary(s.ident(b), s.text(b, "name") or "", s.flag(b, "closed"), activity)


def board_accounts(board: Board, tasks: list[Task], source_name: str) -> list[Account]:
    """Board members, plus an id-only Account for card members who left the board."""
    known = {a.id for a in board.members}
    gone = dict.fromkeys(
        a
        for t in tasks
        for f in t.fields
        if f.key == "members"
        for a in f.accounts
        if a not in known
    )
    return [*board.members, *(Account(source=source_name, id=a) for a in gone)]


def _custom_field_values(card: dict[str, Any], s: Shape, board: Board) -> list[FieldValue]:
    """One FieldValue per custom field item that holds a value."""
    out = []
    for raw_item in s.items(card, "customFieldItems"):
        its = s.about(f"a custom field item of {s.what}")
        item = its.obj(raw_item)
        fid = its.ident(item, "idCustomField")
        definition = board.fields.get(fid)
        value = its.field(item, "value", (dict,), "an object") or {}
        vs = s.about(f"{s.what}: field {fid}")
        fv = _field_value(fid, definition, value, vs, its.text(item, "idValue"))
        if fv is not None:
            out.append(fv)
    return out


def _field_value(
    fid: str,
    definition: CustomFieldDef | None,
    value: dict[str, Any],
    vs: Shape,
    id_value: str | None,
) -> FieldValue | None:
    title = definition.name if definition else None
    ftype = definition.type if definition else _guess_type(value, id_value)
    kind = FIELD_KINDS.get(ftype, ftype or None)
    if ftype == "list":
        text = definition.options.get(id_value or "") if definition else None
        return _text_value(fid, title, kind, text)
    if ftype == "text":
        return _text_value(fid, title, kind, vs.text(value, "text"))
    if ftype == "number":
        number = vs.number(value, "number", text=True)
        if number is None:
            return None
        return FieldValue(key="field", id=fid, title=title, kind=kind, number=number)
    if ftype == "checkbox":
        checked = vs.field(value, "checked", (str, bool), "true or false")
        if checked is None:
            return None
        return FieldValue(key="field", id=fid, title=title, kind=kind, text=str(checked).lower())
    if ftype == "date":
        when = vs.text(value, "date")
        return FieldValue(key="field", id=fid, title=title, kind=kind, text=when) if when else None
    return None  # a field type this version does not know: nothing to read from it


def _text_value(
    fid: str, title: str | None, kind: str | None, text: str | None
) -> FieldValue | None:
    if not text or not text.strip():
        return None
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    return FieldValue(key="field", id=fid, title=title, kind=kind, text=text.strip(), names=names)


def _guess_type(value: Mapping[str, Any], id_value: str | None) -> str:
    if id_value:
        return "list"
    for key, ftype in (
        ("text", "text"),
        ("number", "number"),
        ("checked", "checkbox"),
        ("date", "date"),
    ):
        if key in value:
            return ftype
    return ""
