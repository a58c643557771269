"""Trello: boards → cards with members, labels and custom fields, normalized (PRODUCT §2, §3).

A full read costs, per board, ``1 + ceil(cards / 1000)`` requests, plus one board listing when
the config names boards (or omits them) instead of giving their 24-hex ids::

    GET /members/me/boards?fields=name,closed                          (names → ids)
    GET /boards/{id}?fields=name,closed&lists=all&list_fields=name,closed
        &members=all&member_fields=fullName,username&customFields=true
        &labels=all&label_fields=name,color&labels_limit=1000          (definitions, people)
    GET /boards/{id}/cards?filter=all&fields=…&customFieldItems=true&limit=1000[&before=…]

Auth is the ``key`` and ``token`` query parameters on every request (the spec's security
schemes); the HTTP layer replaces both by ``***`` in every log line and message.

Fetching (``TrelloConnector``) is apart from converting (``board_from_trello``,
``task_from_trello``, ``account_from_trello``): the converters are pure and raise
ResponseError, never KeyError/TypeError, on a body of the wrong shape.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any, ClassVar

from raci_sync.config import SourceConfig
from raci_sync.connectors.http import HttpClient
from raci_sync.errors import AuthError, NotFoundError, ResponseError, SourceError
from raci_sync.model import Account, FieldValue, Snapshot, State, Task

DEFAULT_BASE_URL = "https://api.trello.com/1"
CARD_PAGE_SIZE = 1000  # the API's maximum for /boards/{id}/cards
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

    def id(self) -> str:
        ident: str = self.get("id", str, required=True)
        return ident

    def strings(self, key: str) -> list[str]:
        items = self.get(key, list) or []
        if not all(isinstance(i, str) for i in items):
            raise self.error(f"field {key!r} should be a list of ids (strings)")
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
    ``due``/``start`` are date-times in Trello; their date is taken in ``tz``.
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
        due=due.astimezone(tz).date() if due else None,
        start=start.astimezone(tz).date() if start else None,
        updated=c.moment("dateLastActivity"),
        labels=labels,
        fields=(members, *_custom_field_values(c, board)),
    )


def _custom_field_values(card: _Shape, board: Board) -> list[FieldValue]:
    """One FieldValue per custom field item that holds a value."""
    out = []
    for raw_item in card.objects("customFieldItems"):
        item = _Shape(raw_item, card.source, f"a custom field item of {card.what}")
        fid = item.get("idCustomField", str, required=True)
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


# -- fetching -------------------------------------------------------------------------------


class TrelloConnector:
    """Reads the configured boards (ids or names; omitted: every open board of the token)."""

    kind: ClassVar[str] = "trello"

    def __init__(self, source: SourceConfig, http: HttpClient) -> None:
        self.source = source
        self.http = http
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

        ``since`` is ignored: Trello's card ``since`` filters by creation, not by change, so
        every fetch is a full read (incremental sync will poll board actions instead).
        """
        started, before = datetime.now(UTC), self.http.requests_made
        tasks: list[Task] = []
        accounts: dict[str, Account] = {}
        containers: list[str] = []
        for board_id in self.resolve_boards():
            board, board_tasks = self.fetch_board(board_id)
            containers.append(board.name)
            tasks.extend(board_tasks)
            for account in _board_accounts(board, board_tasks, self.source.name):
                if account.id not in accounts or accounts[account.id].name is None:
                    accounts[account.id] = account
        return Snapshot(
            source=self.source.name,
            kind=self.kind,
            tasks=tuple(tasks),
            accounts=tuple(accounts.values()),
            containers=tuple(containers),
            fetched_at=started,
            requests=self.http.requests_made - before,
        )

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
        try:
            raw = self._get(
                f"/boards/{board_id}",
                BOARD_PARAMS,
                what=f"board {board_id}",
                obj=f"board {board_id}",
            )
        except NotFoundError:
            raise NotFoundError(
                f"{self._who}: board {board_id} (from `boards` in the config) does not exist or "
                "is not visible to the token's user (Trello answered 404); check the id, or put "
                "the board's name in `boards` instead",
                source=self.source.name,
            ) from None
        return board_from_trello(raw, self.source.name)

    def fetch_cards(self, board: Board) -> list[Any]:
        """All cards of a board (open and archived), 1000 per request, newest first."""
        params = {
            "filter": "all",
            "fields": ",".join(CARD_FIELDS),
            "customFieldItems": "true",
            "limit": str(CARD_PAGE_SIZE),
        }
        cards: dict[str, Any] = {}
        while True:
            page = self._get(
                f"/boards/{board.id}/cards",
                params,
                what=f"cards of board {board.name!r}",
                obj=f"board {board.name!r}",
            )
            if not isinstance(page, list):
                raise shape_error(
                    self.source.name,
                    f"cards of board {board.name!r}",
                    f"expected a JSON array of cards, got {_jtype(page)}",
                )
            ids = [
                _Shape(c, self.source.name, f"a card of board {board.name!r}").id() for c in page
            ]
            new = [i for i in ids if i not in cards]
            cards.update((i, c) for i, c in zip(ids, page, strict=True) if i not in cards)
            if len(page) < CARD_PAGE_SIZE:
                return list(cards.values())
            if not new:
                raise SourceError(
                    f"{self._who}: board {board.name!r} has more than {CARD_PAGE_SIZE} cards "
                    "created within one second; Trello's paging cannot get past them",
                    source=self.source.name,
                )
            params = {**params, "before": oldest_first_second(ids)}

    def resolve_boards(self) -> list[str]:
        """Board ids of the configured scope: ids as given, names looked up once."""
        refs = self.source.boards or None  # an empty list is as good as none: every board
        if refs is not None and all(is_trello_id(r) for r in refs):
            return list(dict.fromkeys(r.strip().lower() for r in refs))
        raw = self._get(
            "/members/me/boards",
            {"fields": "name,closed"},
            what="the list of boards",
            obj="the list of the user's boards",
        )
        if not isinstance(raw, list):
            raise shape_error(
                self.source.name, "the list of boards", f"expected a JSON array, got {_jtype(raw)}"
            )
        visible = [_board_summary(b, self.source.name) for b in raw]
        if refs is None:
            ids = [i for i, _, closed in visible if not closed]
            if not ids:
                raise NotFoundError(
                    f"{self._who}: the token's user sees no open boards; check that the token "
                    "belongs to the right Trello user, or list the boards in `boards`",
                    source=self.source.name,
                )
            return ids
        return list(dict.fromkeys(self._match_board(r, visible) for r in refs))

    def _match_board(self, ref: str, visible: list[tuple[str, str, bool]]) -> str:
        if is_trello_id(ref):
            return ref.strip().lower()
        wanted = ref.strip().casefold()
        hits = [(i, n) for i, n, closed in visible if n.strip().casefold() == wanted and not closed]
        if len(hits) == 1:
            return hits[0][0]
        if hits:
            raise SourceError(
                f"{self._who}: {len(hits)} open boards are named {ref!r} (ids "
                f"{', '.join(i for i, _ in hits)}); put the id of the one you mean in `boards`",
                source=self.source.name,
            )
        archived = [n for _, n, closed in visible if closed and n.strip().casefold() == wanted]
        if archived:
            raise NotFoundError(
                f"{self._who}: board {archived[0]!r} is archived (closed) in Trello; reopen it or "
                "remove it from `boards`",
                source=self.source.name,
            )
        names = sorted(n for _, n, closed in visible if not closed)
        raise NotFoundError(
            f"{self._who}: no open board named {ref!r} is visible to the token's user"
            f"{_suggest(ref, names)}; boards it sees: {_short_list(names)}. Fix `boards` in the "
            "config, or add the token's user to the board",
            source=self.source.name,
        )

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


def _board_summary(raw: Any, source_name: str) -> tuple[str, str, bool]:
    b = _Shape(raw, source_name, "a board in the list of boards")
    return b.id(), b.get("name", str) or "", bool(b.get("closed", bool))


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
