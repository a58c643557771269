"""Trello: boards → cards with members, labels and custom fields, normalized (PRODUCT §2, §3).

Requests of a **full read** of B boards holding N_b cards each::

    GET /members/me/boards?fields=all                             once, unless every board is
                                                                    given by its 24-hex id
    GET /boards/{id}?fields=name,closed&lists=all&list_fields=name,closed
        &members=all&member_fields=fullName,username&customFields=true
        &labels=all&label_fields=name,color&labels_limit=1000       per board: definitions, people
    GET /boards/{id}/cards?filter=all&fields=…&customFieldItems=true&limit=1000[&before=…]
                                                                    per board: ceil(N_b / 1000)

that is ``[1] + Σ (1 + ceil(N_b / 1000))``, the documented minimum (plus one confirming page
for a board whose card count is an exact multiple of 1000). Boards are read ``max_workers`` at
a time; the HTTP client's limiter keeps the token inside Trello's 100 requests per 10 s.

An **incremental read** (``fetch(since, previous)``) makes the one listing call, whose
``dateLastActivity`` per board says which boards saw any action (card created, changed, moved,
archived or deleted; list, label or custom field edited; member added) since ``since`` less
OVERLAP. Only those boards are read again, in full: so a deleted card disappears with the next
incremental read of its board, not only with the periodic full read. Every other board keeps
its tasks and accounts from ``previous`` (the board ids, names and account ids are kept in
``Snapshot.state["boards"]``; a change of ``done_lists`` in the config re-reads every board,
since it changes task states). An unchanged workspace costs **one request**, plus one
``GET /boards/{id}?fields=all`` per configured board the token's user is not a member of (the
listing only shows the user's own boards). Both ask for ``fields=all`` because the spec's
BoardFields enum, which the listing's ``fields`` must be drawn from, has no ``dateLastActivity``
(the Board schema does, and ``all`` returns every Board property); of the answer only ``id``,
``name``, ``closed`` and ``dateLastActivity`` are read. The listing counts against
Trello's ``/1/members/`` limit of 100 requests per 900 s: one per sync. That board activity
covers every card change is Trello's documented meaning of the field, not verified against the
live API; the periodic full read (``[sync] full_every_hours``) is the backstop. Card-level
``since``/``before`` filter by creation, not change, so they cannot serve as a change feed.

Auth is the ``key`` and ``token`` query parameters on every request (the spec's security
schemes); the HTTP layer replaces both by ``***`` in every log line and message.

Fetching (``TrelloConnector``) is apart from converting (``board_from_trello``,
``task_from_trello``, ``account_from_trello``, ``board_summary_from_trello``, and the
incremental helpers ``board_changed``/``kept_board``): the converters are pure and raise
ResponseError, never KeyError/TypeError, on a body of the wrong shape.
"""

from __future__ import annotations

import difflib
import json
import logging
import math
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import partial
from typing import Any, ClassVar, TypeVar

from raci_sync.config import SourceConfig
from raci_sync.connectors.http import HttpClient
from raci_sync.connectors.parallel import in_order
from raci_sync.errors import AuthError, NotFoundError, ResponseError, SourceError
from raci_sync.model import Account, FieldValue, Snapshot, State, Task

log = logging.getLogger("raci_sync.trello")
_T = TypeVar("_T")

DEFAULT_BASE_URL = "https://api.trello.com/1"
CARD_PAGE_SIZE = 1000  # the API's maximum for /boards/{id}/cards
MAX_CARD_PAGES = 2000  # 2 million cards: far beyond any board; a guard against endless paging
OVERLAP = timedelta(seconds=60)  # taken off `since`: clock skew between us and Trello
STATE_KEY = "boards"  # Snapshot.state key: board id → name and account ids (JSON)
SETTINGS_KEY = "done_lists"  # Snapshot.state key: the done lists the kept tasks were made with
# The board listing and the activity probe: `fields` is "all" or items of the spec's BoardFields
# enum, which lacks `dateLastActivity`, so only "all" brings the activity. "all" is the
# listing's default but not the probe's (GET /boards/{id} defaults to name,desc,…,labelNames),
# so it is sent on both. board_summary_from_trello reads id, name, closed, dateLastActivity.
LISTING_PARAMS = {"fields": "all"}
CARD_FIELDS = (
    "name",
    "idList",
    "idMembers",
    "idLabels",
    "closed",
    "due",
    "dueComplete",
    "start",
    "dateLastActivity",
    "shortUrl",
)
BOARD_PARAMS = {
    "fields": "name,closed",
    "lists": "all",  # closed lists too: archived cards in them still get their group
    "list_fields": "name,closed",
    "members": "all",
    "member_fields": "fullName,username",
    "customFields": "true",
    "labels": "all",
    "label_fields": "name,color",
    "labels_limit": "1000",  # the nested default is 50
}
KEY_HELP = (
    "get the API key at https://trello.com/power-ups/admin (your Power-Up → API key) and a "
    "token at https://trello.com/1/authorize?expiration=never&scope=read&response_type=token"
    "&name=raci-sync&key=<your API key>"
)
FIELD_KINDS = {
    "list": "enum",
    "text": "text",
    "number": "number",
    "checkbox": "checkbox",
    "date": "date",
}
_TRELLO_ID = re.compile(r"[0-9a-fA-F]{24}")
_HTTP_DETAIL = re.compile(r"answered (\d{3})[^(]*\((.*)\); ")


def is_trello_id(ref: str) -> bool:
    """True for a 24-hex Trello object id (boards given by id are used without a lookup)."""
    return bool(_TRELLO_ID.fullmatch(ref.strip()))


# -- pure conversion -----------------------------------------------------------------------


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


def shape_error(source: str, what: str, msg: str) -> ResponseError:
    """The error for an answer that is not shaped as Trello documents it."""
    return ResponseError(
        f"source {source!r} (trello): {what}: {msg}; Trello's answer does not "
        "have the documented shape",
        source=source,
    )


class _Shape:
    """Reads fields of one raw object, raising ResponseError that names source and object."""

    def __init__(self, raw: Any, source: str, what: str) -> None:
        self.source = source
        self.what = what
        if not isinstance(raw, dict):
            raise self.error(f"expected a JSON object, got {_jtype(raw)}")
        self.raw: dict[str, Any] = raw

    def error(self, msg: str) -> ResponseError:
        return shape_error(self.source, self.what, msg)

    def get(self, key: str, typ: type | tuple[type, ...], *, required: bool = False) -> Any:
        value = self.raw.get(key)
        if value is None:
            if required:
                raise self.error(f"the required field {key!r} is missing")
            return None
        ok = isinstance(value, typ) and not (isinstance(value, bool) and bool not in _tuple(typ))
        if not ok:
            raise self.error(f"field {key!r} should be {_tnames(typ)}, got {_jtype(value)}")
        return value

    def id(self, key: str = "id") -> str:
        """A required, non-empty id (an empty one names nothing, so it is no id)."""
        ident: str = self.get(key, str, required=True)
        if not ident:
            raise self.error(f"the field {key!r} is empty; it should be an id")
        return ident

    def strings(self, key: str) -> list[str]:
        """A list of ids: every entry a non-empty string."""
        items = self.get(key, list) or []
        if not all(isinstance(i, str) and i for i in items):
            raise self.error(f"field {key!r} should be a list of ids (non-empty strings)")
        return items

    def objects(self, key: str) -> list[Any]:
        items: list[Any] = self.get(key, list) or []
        return items

    def moment(self, key: str) -> datetime | None:
        text = self.get(key, str)
        if not text:
            return None
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise self.error(f"field {key!r} is not an ISO date-time: {text[:40]!r}") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def account_from_trello(raw_member: Any, source_name: str) -> Account:
    """A board member (``id``, ``fullName``, ``username``) as an Account."""
    m = _Shape(raw_member, source_name, "a board member")
    return Account(
        source=source_name,
        id=m.id(),
        name=m.get("fullName", str) or None,
        username=m.get("username", str) or None,
    )


def custom_field_from_trello(raw: Any, source_name: str, board_name: str) -> CustomFieldDef:
    """A custom field definition; reads name and options at the top level (as the live API and
    the custom-fields guide show them) or under ``display`` (as the OpenAPI spec has them)."""
    f = _Shape(raw, source_name, f"a custom field of board {board_name!r}")
    ident = f.id()
    display = _Shape(f.get("display", dict) or {}, source_name, f"custom field {ident}.display")
    name = f.get("name", str) or display.get("name", str)
    options: dict[str, str] = {}
    raw_options = f.get("options", list)
    for raw_opt in raw_options if raw_options is not None else display.objects("options"):
        o = _Shape(raw_opt, source_name, f"an option of custom field {name or ident!r}")
        value = _Shape(o.get("value", dict) or {}, source_name, f"option {o.id()}.value")
        options[o.id()] = value.get("text", str) or ""
    return CustomFieldDef(id=ident, name=name, type=f.get("type", str) or "", options=options)


def board_from_trello(raw_board: Any, source_name: str) -> Board:
    """The nested board answer (lists, members, customFields, labels) as a Board."""
    b = _Shape(raw_board, source_name, "a board")
    ident = b.id()
    name = b.get("name", str) or ident
    lists = {}
    for raw_list in b.objects("lists"):
        lst = _Shape(raw_list, source_name, f"a list of board {name!r}")
        lists[lst.id()] = TrelloList(
            lst.id(), lst.get("name", str) or "", bool(lst.get("closed", bool))
        )
    labels = {}
    for raw_label in b.objects("labels"):
        lab = _Shape(raw_label, source_name, f"a label of board {name!r}")
        text = lab.get("name", str) or lab.get("color", str)
        if text:
            labels[lab.id()] = text
    fields = [custom_field_from_trello(f, source_name, name) for f in b.objects("customFields")]
    members = tuple(account_from_trello(m, source_name) for m in b.objects("members"))
    return Board(
        id=ident,
        name=name,
        closed=bool(b.get("closed", bool)),
        lists=lists,
        fields={f.id: f for f in fields},
        labels=labels,
        members=members,
    )


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
    c = _Shape(raw_card, source_name, f"a card of board {board.name!r}")
    ident = c.id()
    c.what = f"card {ident} of board {board.name!r}"
    lst = board.lists.get(c.get("idList", str) or "")
    done = {d.strip().casefold() for d in done_lists}
    if c.get("closed", bool) or board.closed or (lst is not None and lst.closed):
        state = State.ARCHIVED
    elif c.get("dueComplete", bool) or (lst is not None and lst.name.strip().casefold() in done):
        state = State.DONE
    else:
        state = State.OPEN
    due, start = c.moment("due"), c.moment("start")
    members = FieldValue(key="members", kind="people", accounts=tuple(c.strings("idMembers")))
    labels = tuple(board.labels[i] for i in c.strings("idLabels") if i in board.labels)
    return Task(
        source=source_name,
        id=ident,
        title=c.get("name", str) or "",
        url=c.get("shortUrl", str) or c.get("url", str),
        container=board.name,
        container_id=board.id,
        group=lst.name if lst else None,
        state=state,
        due=local_day(due, tz) if due else None,
        start=local_day(start, tz) if start else None,
        updated=c.moment("dateLastActivity"),
        labels=labels,
        fields=(members, *_custom_field_values(c, board)),
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


def _custom_field_values(card: _Shape, board: Board) -> list[FieldValue]:
    """One FieldValue per custom field item that holds a value."""
    out = []
    for raw_item in card.objects("customFieldItems"):
        item = _Shape(raw_item, card.source, f"a custom field item of {card.what}")
        fid = item.id("idCustomField")
        definition = board.fields.get(fid)
        value = _Shape(item.get("value", dict) or {}, card.source, f"{card.what}: field {fid}")
        fv = _field_value(fid, definition, value, item.get("idValue", str))
        if fv is not None:
            out.append(fv)
    return out


def _field_value(
    fid: str, definition: CustomFieldDef | None, value: _Shape, id_value: str | None
) -> FieldValue | None:
    title = definition.name if definition else None
    ftype = definition.type if definition else _guess_type(value.raw, id_value)
    kind = FIELD_KINDS.get(ftype, ftype or None)
    if ftype == "list":
        text = definition.options.get(id_value or "") if definition else None
        return _text_value(fid, title, kind, text)
    if ftype == "text":
        return _text_value(fid, title, kind, value.get("text", str))
    if ftype == "number":
        raw_number = value.get("number", (str, int, float))
        if raw_number is None or raw_number == "":
            return None
        try:
            number = float(raw_number)
        except ValueError:
            raise value.error(f"number {str(raw_number)[:20]!r} is not a number") from None
        except OverflowError:  # an integer beyond float's range
            number = math.inf
        if not math.isfinite(number):  # "1e999", "NaN", "Infinity", 10**400
            raise value.error(f"number {str(raw_number)[:20]!r} is out of range")
        return FieldValue(key="field", id=fid, title=title, kind=kind, number=number)
    if ftype == "checkbox":
        checked = value.get("checked", (str, bool))
        if checked is None:
            return None
        return FieldValue(key="field", id=fid, title=title, kind=kind, text=str(checked).lower())
    if ftype == "date":
        when = value.get("date", str)
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


def oldest_first_second(card_ids: Iterable[str]) -> str:
    """The ``before`` for the next card page: an ObjectId one second after the oldest card.

    Trello compares ``before`` at whole seconds, so ``before=<oldest id>`` would skip cards
    created in the same second as the oldest one but not yet returned (trello-archive/api-docs
    #68). Asking for everything up to the end of that second re-reads those few cards instead;
    they are deduplicated by id.
    """
    oldest = min(i.lower() for i in card_ids)
    return f"{int(oldest[:8], 16) + 1:08x}" + "0" * 16


# -- board listing and incremental state (pure) -----------------------------------------------


@dataclass(frozen=True)
class BoardSummary:
    """A board as the listing (or a probe) tells it: enough to resolve names and spot changes."""

    id: str
    name: str
    closed: bool = False
    last_activity: datetime | None = None


@dataclass(frozen=True)
class BoardRead:
    """What one board contributes to a snapshot: read now, or kept from the previous one."""

    id: str
    name: str
    tasks: tuple[Task, ...]
    accounts: tuple[Account, ...]


def board_summary_from_trello(raw: Any, source_name: str) -> BoardSummary:
    """A board of ``/members/me/boards`` (or ``/boards/{id}``), both asked with ``fields=all``,
    as a BoardSummary: ``id``, ``name``, ``closed`` and ``dateLastActivity`` are read, every other
    property of the board is ignored.

    A date-only ``dateLastActivity`` (the spec types it ``format: date``; the live API sends a
    date-time) counts as the end of that day, so a change later that day is never missed; the
    end of the calendar's last day (9999-12-31) is the latest time there is.
    """
    b = _Shape(raw, source_name, "a board in the list of boards")
    activity = b.moment("dateLastActivity")
    if activity is not None and len((b.get("dateLastActivity", str) or "").strip()) == 10:
        try:
            activity += timedelta(days=1)
        except OverflowError:
            activity = datetime.max.replace(tzinfo=UTC)
    return BoardSummary(b.id(), b.get("name", str) or "", bool(b.get("closed", bool)), activity)


def state_from_reads(reads: Iterable[BoardRead]) -> dict[str, str]:
    """The connector's part of ``Snapshot.state``: each board's name and account ids."""
    boards = {r.id: {"name": r.name, "accounts": [a.id for a in r.accounts]} for r in reads}
    return {STATE_KEY: json.dumps(boards, ensure_ascii=False, separators=(",", ":"))}


def cached_boards(state: Mapping[str, str]) -> dict[str, tuple[str, frozenset[str]]]:
    """Board id → (name, account ids) from a previous snapshot's state; {} when unreadable
    (an older snapshot, or a damaged store: every board is then read again)."""
    try:
        raw = json.loads(state.get(STATE_KEY) or "{}")
        return {
            str(i): (str(b["name"]), frozenset(str(a) for a in b["accounts"]))
            for i, b in raw.items()
        }
    except (ValueError, TypeError, KeyError, AttributeError):
        return {}


def board_changed(
    summary: BoardSummary | None, cached: tuple[str, frozenset[str]] | None, cutoff: datetime
) -> bool:
    """Whether a board must be read again: new to the snapshot, renamed, active after
    ``cutoff``, or of unknown activity."""
    if cached is None or summary is None or summary.last_activity is None:
        return True
    return summary.name != cached[0] or summary.last_activity > cutoff


def kept_board(
    board_id: str,
    cached: tuple[str, frozenset[str]],
    previous: Snapshot,
    moved: Collection[str] = (),
) -> BoardRead:
    """An unchanged board as the previous snapshot had it (less cards now read elsewhere)."""
    name, account_ids = cached
    wanted = board_id.lower()
    tasks = tuple(
        t for t in previous.tasks if (t.container_id or "").lower() == wanted and t.id not in moved
    )
    accounts = tuple(a for a in previous.accounts if a.id in account_ids)
    return BoardRead(board_id, name, tasks, accounts)


def merge_accounts(reads: Iterable[BoardRead]) -> tuple[Account, ...]:
    """Every board's accounts once; a named account wins over an id-only one."""
    accounts: dict[str, Account] = {}
    for read in reads:
        for account in read.accounts:
            if account.id not in accounts or accounts[account.id].name is None:
                accounts[account.id] = account
    return tuple(accounts.values())


# -- fetching -------------------------------------------------------------------------------


class TrelloConnector:
    """Reads the configured boards (ids or names; omitted: every open board of the token),
    ``max_workers`` boards at a time."""

    kind: ClassVar[str] = "trello"

    def __init__(self, source: SourceConfig, http: HttpClient, *, max_workers: int = 4) -> None:
        self.source = source
        self.http = http
        self.max_workers = max(1, max_workers)
        self.base_url = (source.base_url or DEFAULT_BASE_URL).rstrip("/")
        secrets = tuple(s.reveal() for s in (source.key, source.token) if s is not None)
        http.secrets = tuple(dict.fromkeys((*http.secrets, *secrets)))

    @property
    def _who(self) -> str:
        return f"source {self.source.name!r} (trello)"

    def check(self) -> str:
        """``GET /members/me``: whose token this is, as "Full Name (@username)"."""
        raw = self._get(
            "/members/me",
            {"fields": "username,fullName"},
            what="the token's own member",
            obj="its own member record",
        )
        me = _Shape(raw, self.source.name, "the token's member")
        return f"{me.get('fullName', str) or '?'} (@{me.get('username', str) or me.id()})"

    def fetch(self, since: datetime | None = None, previous: Snapshot | None = None) -> Snapshot:
        """Every card of every configured board, archived ones included.

        Without ``since`` and ``previous``: a full read. With both: one board listing tells
        each board's ``dateLastActivity``; a board active after ``since`` (less OVERLAP, for
        clock skew) is read again in full, so its new, changed, moved *and deleted* cards are
        all seen; any other board keeps its previous tasks and accounts untouched.
        """
        started, before = datetime.now(UTC), self.http.requests_made
        if since is None or previous is None:
            reads = self._read_all()
        else:
            cutoff = (since if since.tzinfo else since.replace(tzinfo=UTC)) - OVERLAP
            reads = self._read_changed(cutoff, previous)
        return Snapshot(
            source=self.source.name,
            kind=self.kind,
            tasks=tuple(t for r in reads for t in r.tasks),
            accounts=merge_accounts(reads),
            containers=tuple(r.name for r in reads),
            fetched_at=started,
            requests=self.http.requests_made - before,
            state={**state_from_reads(reads), SETTINGS_KEY: self._settings()},
        )

    def _read_all(self) -> list[BoardRead]:
        listing = self.list_boards() if self._needs_listing() else None
        return self.read_boards(self.scope(listing))

    def _read_changed(self, cutoff: datetime, previous: Snapshot) -> list[BoardRead]:
        same_settings = previous.state.get(SETTINGS_KEY) == self._settings()
        cached = cached_boards(previous.state) if same_settings else {}
        listing = self.list_boards()
        ids = self.scope(listing)
        summaries: dict[str, BoardSummary | None] = {b.id: b for b in listing}
        unknown = [i for i in ids if i in cached and _activity(summaries.get(i)) is None]
        summaries.update(zip(unknown, self.probe_boards(unknown), strict=True))
        changed = [i for i in ids if board_changed(summaries.get(i), cached.get(i), cutoff)]
        fresh = dict(zip(changed, self.read_boards(changed), strict=True))
        moved = {t.id for r in fresh.values() for t in r.tasks}
        return [fresh.get(i) or kept_board(i, cached[i], previous, moved) for i in ids]

    def _settings(self) -> str:
        """The config that shapes converted tasks: when it changes, every board is read again."""
        return json.dumps(sorted({d.strip().casefold() for d in self.source.done_lists}))

    def resolve_boards(self) -> list[str]:
        """Board ids of the configured scope: ids as given, names looked up once."""
        return self.scope(self.list_boards() if self._needs_listing() else None)

    def read_boards(self, board_ids: list[str]) -> list[BoardRead]:
        """Every board in full, concurrently; results in the order of ``board_ids``."""
        return self._parallel(self.read_board, board_ids)

    def read_board(self, board_id: str) -> BoardRead:
        """One board in full: definitions and members, then all cards."""
        board, tasks = self.fetch_board(board_id)
        accounts = _board_accounts(board, tasks, self.source.name)
        return BoardRead(board_id, board.name, tuple(tasks), tuple(accounts))

    def fetch_board(self, board_id: str) -> tuple[Board, list[Task]]:
        """One board: its definitions and members, then all its cards as tasks."""
        board = self.fetch_board_meta(board_id)
        cards = self.fetch_cards(board)
        tasks = [
            task_from_trello(c, board, self.source.name, self.source.done_lists) for c in cards
        ]
        return board, tasks

    def fetch_board_meta(self, board_id: str) -> Board:
        """``GET /boards/{id}`` with lists, members, custom fields and labels nested."""
        raw = self._board_get(board_id, f"/boards/{board_id}", BOARD_PARAMS, f"board {board_id}")
        return board_from_trello(raw, self.source.name)

    def probe_boards(self, board_ids: list[str]) -> list[BoardSummary]:
        """Name and last activity of boards the listing does not show (not the user's own)."""
        return self._parallel(self.probe_board, board_ids)

    def probe_board(self, board_id: str) -> BoardSummary:
        """``GET /boards/{id}?fields=all``: one request, no lists, members or cards."""
        what = f"the last activity of board {board_id}"
        raw = self._board_get(board_id, f"/boards/{board_id}", LISTING_PARAMS, what)
        return board_summary_from_trello(raw, self.source.name)

    def fetch_cards(self, board: Board) -> list[Any]:
        """All cards of a board (open and archived), 1000 per request, newest first.

        Each page must bring a card not seen before, so a server that ignores ``limit`` or
        ``before`` (or answers the same page twice) ends the listing instead of looping, and
        no card is listed twice.
        """
        params = {
            "filter": "all",
            "fields": ",".join(CARD_FIELDS),
            "customFieldItems": "true",
            "limit": str(CARD_PAGE_SIZE),
        }
        cards: dict[str, Any] = {}
        for _ in range(MAX_CARD_PAGES):
            page = self._card_page(board, params)
            new = {i: c for i, c in page if i not in cards}
            cards.update(new)
            before = self._next_before(board, [i for i, _ in page], bool(new), params)
            if before is None:
                return list(cards.values())
            params = {**params, "before": before}
        raise SourceError(
            f"{self._who}: board {board.name!r} still had cards after {MAX_CARD_PAGES} pages "
            f"of {CARD_PAGE_SIZE}; Trello's paging is not ending, the read was stopped",
            source=self.source.name,
        )

    def _card_page(self, board: Board, params: Mapping[str, str]) -> list[tuple[str, Any]]:
        what = f"cards of board {board.name!r}"
        page = self._board_get(board.id, f"/boards/{board.id}/cards", params, what)
        if not isinstance(page, list):
            raise shape_error(
                self.source.name, what, f"expected a JSON array of cards, got {_jtype(page)}"
            )
        card = f"a card of board {board.name!r}"
        return [(_Shape(c, self.source.name, card).id(), c) for c in page]

    def _next_before(
        self, board: Board, ids: list[str], progressed: bool, params: Mapping[str, str]
    ) -> str | None:
        """The ``before`` of the next card page, or None when this page was the last."""
        if len(ids) != CARD_PAGE_SIZE:
            return None  # a short page ends the list; a longer one means `limit` was ignored
        if progressed:
            if not all(is_trello_id(i) for i in ids):
                raise shape_error(
                    self.source.name,
                    f"cards of board {board.name!r}",
                    "a card id is not a 24-hex Trello id, so the next page cannot be asked for",
                )
            return oldest_first_second(ids)
        before = params.get("before", "")
        if all(i.lower() < before for i in ids):
            raise SourceError(
                f"{self._who}: board {board.name!r} has more than {CARD_PAGE_SIZE} cards "
                "created within one second; Trello's paging cannot get past them",
                source=self.source.name,
            )
        log.warning(
            "%s: board %r: the card listing ignored `before` and repeated a page; "
            "taking the %d cards read as all of them",
            self._who,
            board.name,
            len(ids),
        )
        return None

    def list_boards(self) -> list[BoardSummary]:
        """``GET /members/me/boards``: id, name, closed and last activity of the user's boards."""
        raw = self._get(
            "/members/me/boards",
            LISTING_PARAMS,
            what="the list of boards",
            obj="the list of the user's boards",
        )
        if not isinstance(raw, list):
            raise shape_error(
                self.source.name, "the list of boards", f"expected a JSON array, got {_jtype(raw)}"
            )
        return [board_summary_from_trello(b, self.source.name) for b in raw]

    def _needs_listing(self) -> bool:
        refs = self.source.boards or ()
        return not refs or not all(is_trello_id(r) for r in refs)

    def scope(self, listing: list[BoardSummary] | None) -> list[str]:
        """Board ids of the configured scope, in config order (the listing's when omitted)."""
        refs = self.source.boards or None  # an empty list is as good as none: every board
        if refs is None:
            ids = [b.id for b in listing or () if not b.closed]
            if not ids:
                raise NotFoundError(
                    f"{self._who}: the token's user sees no open boards; check that the token "
                    "belongs to the right Trello user, or list the boards in `boards`",
                    source=self.source.name,
                )
            return ids
        return list(dict.fromkeys(self._match_board(r, listing or []) for r in refs))

    def _match_board(self, ref: str, visible: list[BoardSummary]) -> str:
        if is_trello_id(ref):
            return ref.strip().lower()
        wanted = ref.strip().casefold()
        named = [b for b in visible if b.name.strip().casefold() == wanted]
        hits = [b.id for b in named if not b.closed]
        if len(hits) == 1:
            return hits[0]
        if hits:
            raise SourceError(
                f"{self._who}: {len(hits)} open boards are named {ref!r} (ids "
                f"{', '.join(hits)}); put the id of the one you mean in `boards`",
                source=self.source.name,
            )
        if named:
            raise NotFoundError(
                f"{self._who}: board {named[0].name!r} is archived (closed) in Trello; reopen it "
                "or remove it from `boards`",
                source=self.source.name,
            )
        names = sorted(b.name for b in visible if not b.closed)
        raise NotFoundError(
            f"{self._who}: no open board named {ref!r} is visible to the token's user"
            f"{_suggest(ref, names)}; boards it sees: {_short_list(names)}. Fix `boards` in the "
            "config, or add the token's user to the board",
            source=self.source.name,
        )

    def _parallel(self, work: Callable[[str], _T], ids: list[str]) -> list[_T]:
        """``work(id)`` for every id, ``max_workers`` at a time; results in the order of ids.
        The first failure (in that order) is raised; work not yet started is dropped."""
        return in_order([partial(work, i) for i in ids], self.max_workers, name="trello")

    def _board_get(self, board_id: str, path: str, params: Mapping[str, str], what: str) -> Any:
        """A GET about one board; a 404 says the board is gone or hidden from the user."""
        try:
            return self._get(path, params, what=what, obj=f"board {board_id}")
        except NotFoundError:
            raise NotFoundError(
                f"{self._who}: board {board_id} (in `boards` of the config, or found by name) "
                f"does not exist or is not visible to the token's user: Trello answered 404 to "
                f"{what}. It may have been deleted, or the user removed from it; fix `boards` "
                "(an id or the board's name), or add the token's user to the board",
                source=self.source.name,
            ) from None

    def _get(self, path: str, params: Mapping[str, str], *, what: str, obj: str) -> Any:
        """One authenticated GET; a 401/403 becomes a message about the key and token."""
        key, token = self.source.key, self.source.token
        if key is None or token is None:
            raise AuthError(
                f"{self._who}: no API key or token configured; {KEY_HELP}", source=self.source.name
            )
        auth = {"key": key.reveal(), "token": token.reveal()}
        try:
            return self.http.request_json(
                "GET", self.base_url + path, params={**params, **auth}, what=what
            )
        except AuthError as exc:
            m = _HTTP_DETAIL.search(str(exc))
            status = f"{m.group(1)}: {m.group(2)}" if m else "refused"
            raise AuthError(
                f"{self._who}: Trello refused {what} ({status}). The API key or token of source "
                f"{self.source.name!r} is invalid, expired, or has no access to {obj}; "
                f"{KEY_HELP}",
                source=self.source.name,
            ) from None


def _activity(summary: BoardSummary | None) -> datetime | None:
    return summary.last_activity if summary is not None else None


def _board_accounts(board: Board, tasks: list[Task], source_name: str) -> list[Account]:
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


def _suggest(word: str, names: list[str]) -> str:
    close = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _short_list(names: list[str], limit: int = 10) -> str:
    if not names:
        return "none"
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _tuple(typ: type | tuple[type, ...]) -> tuple[type, ...]:
    return typ if isinstance(typ, tuple) else (typ,)


def _tnames(typ: type | tuple[type, ...]) -> str:
    names = {
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        list: "a list",
        dict: "an object",
    }
    return " or ".join(dict.fromkeys(names.get(t, t.__name__) for t in _tuple(typ)))


def _jtype(value: Any) -> str:
    if value is None:
        return "null"
    return (
        _tnames(type(value))
        if type(value) in (str, bool, int, float, list, dict)
        else (type(value).__name__)
    )
