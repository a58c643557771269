"""A fake Trello REST API over a generated workspace, checked against ``trello_openapi.json``.

Every request must name a path and method of the spec and carry ``key`` and ``token`` (the
spec's security schemes; wrong or missing → ``401`` with a text body, as Trello answers). Query
parameters must be ones the operation declares, or — where the spec documents none, as for
``GET /boards/{id}/cards`` — ones Atlassian's *Nested Resources* and *Custom Fields* guides give
(``GUIDE_PARAMS``). Requested field names must be properties of the object's schema — for
boards and cards, items of the spec's BoardFields / CardFields enums or one of the departures
PRODUCT §12 allows (``DEPARTURES``: board ``dateLastActivity``; card ``start``, ``isTemplate``,
``cardRole``), which the fake serves. Anything else is recorded in ``violations`` (Trello ignores unknown parameters and fields, so the fake
answers without them rather than failing).

Served (other spec paths answer ``501`` and are recorded as not implemented)::

    GET /members/{id}             GET /members/{id}/boards      GET /boards/{id}
    GET /boards/{id}/cards        GET /boards/{id}/cards/{filter}
    GET /boards/{id}/lists        GET /boards/{id}/members      GET /boards/{id}/customFields
    GET /boards/{id}/labels       GET /boards/{boardId}/actions GET /cards/{id}
    POST /cards/{id}/idMembers    DELETE /cards/{id}/idMembers/{idMember}
    PUT /cards/{idCard}/customField/{idCustomField}/item

The writes change the workspace (card members; the Accountable and Consulted fields). A write's
body must have the shape of the operation's request body in the spec, or be the guide's form
for emptying a field (``{"idValue": ""}``, ``{"value": ""}``: *Getting started with Custom
Fields*); ``read_only = True`` stands for a token authorized with ``scope=read``: every write
answers ``401 unauthorized permission requested``, as Trello does. ``accountable="text"`` makes
the Accountable field a text field naming the person instead of a dropdown.

Cards page as the guides describe: ``limit`` 1–1000 (more → ``400 invalid value for limit``),
newest first, ``before``/``since`` an ObjectId or a date compared with each card's creation
time in whole seconds (the ObjectId's timestamp: "only objects created before this date");
``ignore_before = True`` answers every page as the first, as a server that ignores it would.
Custom field definitions come in the spec's shape (name and options under ``display``) unless
``custom_field_shape="guide"`` (top-level ``name``/``options``, as the guide and live API show).
Fields the spec types ``format: date`` (``Board.dateLastActivity``, ``Card.due``) are dates
unless ``dates="live"`` (the date-times the live API sends).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from tests.fakes import Answer, iso, parse_moment, spec_file
from tests.fakes.workspace import Container, Person, Task, Workspace

KEY = "fake-trello-key"
TOKEN = "fake-trello-token"
CARD_LIMIT = 1000
FIELD_NAMES = {"accountable": "Accountable", "consulted": "Consulted", "effort": "Timer"}
_NESTED_CARD = {
    "card_fields",
    "card_customFieldItems",
    "card_members",
    "card_member_fields",
    "card_attachments",
    "card_attachment_fields",
    "card_stickers",
    "card_checklists",
}
_CARDS_ENDPOINT = {
    "fields",
    "filter",
    "members",
    "member_fields",
    "customFieldItems",
    "checklists",
    "checklist_fields",
    "attachments",
    "attachment_fields",
    "stickers",
    "pluginData",
    "actions",
    "limit",
    "before",
    "since",
}
GUIDE_PARAMS: dict[str, set[str]] = {
    # Nested Resources guide: sub-parameters of the nested resources /boards/{id} declares
    "/boards/{id}": {
        "list_fields",
        "member_fields",
        "label_fields",
        "labels_limit",
        "customField_fields",
        "action_fields",
        "actions_limit",
        "actions_since",
        "actions_before",
        "actions_format",
        "actions_display",
        "actions_entities",
        "checklist_fields",
        "membership_fields",
        *_NESTED_CARD,
    },
    "/boards/{id}/cards": _CARDS_ENDPOINT,
    "/boards/{id}/cards/{filter}": _CARDS_ENDPOINT,
    "/boards/{id}/members": {"fields"},
    "/boards/{id}/labels": {"fields", "limit"},
}
_OBJECT_ID = re.compile(r"[0-9a-fA-F]{24}")
# PRODUCT §12 "Allowed departures" (research/api-facts.md §6): field names the live API accepts
# that the spec's BoardFields / CardFields enums lack. Nothing else outside the enums is served.
DEPARTURES = {
    "board": frozenset({"dateLastActivity"}),
    "card": frozenset({"start", "isTemplate", "cardRole"}),
}


class TrelloSpec:
    """Paths, per-operation query parameters and object fields of the Trello spec."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.templates = sorted(
            ((re.compile("^" + re.sub(r"\{[^/]+\}", "([^/]+)", p) + "$"), p) for p in doc["paths"]),
            key=lambda t: t[1].count("{"),
        )
        schemas = doc["components"]["schemas"]

        def props(name: str, enum: str | None = None) -> frozenset[str]:
            names = set(schemas[name].get("properties", {}))
            if enum:
                names |= set(schemas[enum].get("enum", []))
            return frozenset(names)

        def enum(name: str, kind: str) -> frozenset[str]:
            return frozenset(schemas[name]["enum"]) | DEPARTURES[kind]

        self.fields = {  # what a `fields` parameter may name: the enum, and §12's departures
            "board": enum("BoardFields", "board"),
            "card": enum("CardFields", "card"),
            "list": props("TrelloList"),
            "member": props("Member"),
            "label": props("Label"),
            "action": props("Action"),
        }

    def match(self, path: str) -> tuple[str, tuple[str, ...]] | None:
        for rx, template in self.templates:
            m = rx.match(path)
            if m:
                return template, m.groups()
        return None

    def query_params(self, template: str, method: str) -> set[str]:
        op = self.doc["paths"][template][method.lower()]
        return {p["name"] for p in op.get("parameters", []) if p.get("in") == "query"}


@cache
def trello_spec() -> TrelloSpec:
    with spec_file("trello.openapi.json").open(encoding="utf-8") as f:
        return TrelloSpec(json.load(f))


class TrelloError(Exception):
    """Answered with a text/plain body, as Trello does."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status


class TrelloFake:
    """Answers Trello API requests from a :class:`Workspace`."""

    api = "trello"

    def __init__(
        self,
        ws: Workspace,
        *,
        key: str = KEY,
        token: str = TOKEN,
        custom_field_shape: str = "spec",
        dates: str = "spec",
        accountable: str = "list",
    ) -> None:
        if custom_field_shape not in ("spec", "guide"):
            raise ValueError("custom_field_shape is 'spec' or 'guide'")
        if dates not in ("spec", "live"):
            raise ValueError("dates is 'spec' or 'live'")
        if accountable not in ("list", "text"):
            raise ValueError("accountable is 'list' or 'text'")
        self.dates = dates
        self.accountable = accountable
        self.read_only = False  # a token authorized with scope=read: writes answer 401
        self._writing = threading.Lock()
        self.ws = ws
        self.key = key
        self.token = token
        self.custom_field_shape = custom_field_shape
        self.spec = trello_spec()
        self.violations: list[str] = []
        self.ignore_before = False  # answer every card page as the first (a paging loop)
        self._lock = threading.Lock()
        self.routes: dict[str, Callable[..., Any]] = {
            "/members/{id}": self.get_member,
            "/members/{id}/boards": self.get_member_boards,
            "/boards/{id}": self.get_board,
            "/boards/{id}/cards": self.get_cards,
            "/boards/{id}/cards/{filter}": self.get_cards,
            "/boards/{id}/lists": self.get_lists,
            "/boards/{id}/members": self.get_board_members,
            "/boards/{id}/customFields": self.get_custom_fields,
            "/boards/{id}/labels": self.get_labels,
            "/boards/{boardId}/actions": self.get_actions,
            "/cards/{id}": self.get_card,
        }
        self.writes: dict[tuple[str, str], Callable[..., Any]] = {
            ("POST", "/cards/{id}/idMembers"): self.add_member,
            ("DELETE", "/cards/{id}/idMembers/{idMember}"): self.remove_member,
            ("PUT", "/cards/{idCard}/customField/{idCustomField}/item"): self.put_field_item,
        }

    # -- the entry point ----------------------------------------------------------------------

    def handle(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        """One request (``path`` below ``/1``) → (status, headers, body)."""
        if query.get("key") != self.key:
            return 401, {}, "invalid key"
        if query.get("token") != self.token:
            return 401, {}, "invalid token"
        found = self.spec.match(path)
        if found is None or method.lower() not in self.spec.doc["paths"][found[0]]:
            self.record(f"{method} {path}: no such path in the Trello spec")
            return 404, {}, f"Cannot {method} {path}"
        template, args = found
        self.check_params(method, template, query)
        if method != "GET":
            return self.write(method, template, args, query, body)
        route = self.routes.get(template)
        if route is None:
            self.record(f"{method} {template}: in the spec but not implemented by the fake")
            return 501, {}, f"the fake Trello API does not implement {method} {template}"
        try:
            return 200, {}, route(*args, query=query)
        except TrelloError as exc:
            return exc.status, {}, str(exc)

    def write(
        self,
        method: str,
        template: str,
        args: tuple[str, ...],
        query: Mapping[str, str],
        body: Any,
    ) -> Answer:
        route = self.writes.get((method, template))
        if route is None:
            self.record(f"{method} {template}: in the spec but not implemented by the fake")
            return 501, {}, f"the fake Trello API does not implement {method} {template}"
        self.check_body(method, template, body)
        if self.read_only:
            return 401, {}, "unauthorized permission requested"
        try:
            with self._writing:
                return 200, {}, route(*args, query=query, body=body)
        except TrelloError as exc:
            return exc.status, {}, str(exc)

    def check_body(self, method: str, template: str, body: Any) -> None:
        """The body against the operation's request schema (or the guide's emptying form)."""
        op = self.spec.doc["paths"][template][method.lower()]
        schema = op.get("requestBody", {}).get("content", {}).get("application/json", {})
        where = f"{method} {template}"
        if not schema:
            if body not in (None, "", {}):
                self.record(f"{where}: a body, where the spec has none")
            return
        if body in ({"value": ""}, {"idValue": ""}):
            return  # emptying a field, as the Custom Fields guide does it
        options = schema["schema"].get("oneOf", [schema["schema"]])
        if not any(_fits(self.spec, body, option) for option in options):
            self.record(f"{where}: body {body!r} has none of the request body's shapes")

    def record(self, problem: str) -> None:
        with self._lock:
            if problem not in self.violations:  # each problem once
                self.violations.append(problem)

    def check_params(self, method: str, template: str, query: Mapping[str, str]) -> None:
        allowed = self.spec.query_params(template, method) | GUIDE_PARAMS.get(template, set())
        for name in query:
            if name not in allowed and name not in ("key", "token"):
                self.record(
                    f"{method} {template}: query parameter {name!r} is neither in the "
                    "spec nor in the nested-resources guide"
                )

    def fields(self, kind: str, value: str | None, where: str) -> set[str] | None:
        """The field names asked for (None: all), recording those the schema lacks."""
        if value is None or value == "all":
            return None
        names = {f for f in value.split(",") if f}
        unknown = sorted(names - self.spec.fields[kind])
        if unknown:
            self.record(f"{where}: {kind} field(s) {unknown} not in the spec's schema")
        return names & self.spec.fields[kind]

    # -- routes -------------------------------------------------------------------------------

    def get_member(self, member_id: str, *, query: Mapping[str, str]) -> Any:
        person = self._member(member_id)
        full = (
            {**self.member(person), "email": person.email}
            if person.index == self.ws.me
            else self.member(person)
        )
        return select(full, self.fields("member", query.get("fields"), "GET /members/{id}"))

    def get_member_boards(self, member_id: str, *, query: Mapping[str, str]) -> Any:
        self._member(member_id)
        wanted = self.fields("board", query.get("fields"), "GET /members/{id}/boards")
        boards = self.ws.trello.containers if query.get("filter", "all") != "closed" else []
        out = []
        for b in boards:
            board = select(self.board(b), wanted)
            if query.get("lists", "none") != "none":
                board["lists"] = [self.list_(b, g) for g in b.groups]
            out.append(board)
        return out

    def get_board(self, board_id: str, *, query: Mapping[str, str]) -> Any:
        b = self._board(board_id)
        where = "GET /boards/{id}"
        out = select(
            self.board(b), self.fields("board", query.get("fields", _BOARD_DEFAULT), where)
        )
        lists = query.get("lists", "open")
        if lists != "none":
            wanted = self.fields("list", query.get("list_fields"), where)
            out["lists"] = [select(self.list_(b, g), wanted) for g in b.groups]
        if query.get("members", "none") != "none":
            wanted = self.fields("member", query.get("member_fields", "fullName,username"), where)
            out["members"] = [select(self.member(p), wanted) for p in self.ws.people]
        if query.get("customFields") == "true":
            out["customFields"] = self.custom_field_defs(b)
        if "labels" in query and query["labels"] != "none":
            wanted = self.fields("label", query.get("label_fields"), where)
            limit = _int(query.get("labels_limit", "50"), 0, 1000, "labels_limit")
            out["labels"] = [select(label, wanted) for label in self.labels(b)][:limit]
        if query.get("cards", "none") != "none":
            card_query = {k[len("card_") :]: v for k, v in query.items() if k.startswith("card_")}
            cards = self._filter_cards(b, query["cards"])
            out["cards"] = [self.render_card(c, card_query, where) for c in cards]
        return out

    def get_cards(
        self, board_id: str, card_filter: str | None = None, *, query: Mapping[str, str]
    ) -> Any:
        b = self._board(board_id)
        cards = self._filter_cards(b, card_filter or query.get("filter", "open"))
        before, since = query.get("before"), query.get("since")
        if self.ignore_before:
            before = None
        if before is not None:
            limit_ts = _created_second(before, "before")
            cards = [c for c in cards if int(c.id[:8], 16) < limit_ts]
        if since is not None:
            since_ts = _created_second(since, "since")
            cards = [c for c in cards if int(c.id[:8], 16) > since_ts]
        cards.sort(key=lambda c: c.id.lower(), reverse=True)  # newest first
        if "limit" in query:
            cards = cards[: _int(query["limit"], 1, CARD_LIMIT, "limit")]
        where = "GET /boards/{id}/cards"
        return [self.render_card(c, query, where) for c in cards]

    def get_card(self, card_id: str, *, query: Mapping[str, str]) -> Any:
        if not _OBJECT_ID.fullmatch(card_id):
            raise TrelloError(400, "invalid id")
        try:
            card = self.ws.trello.task(card_id)
        except KeyError:
            raise TrelloError(404, "The requested resource was not found.") from None
        if card.deleted:
            raise TrelloError(404, "The requested resource was not found.")
        return self.render_card(card, query, "GET /cards/{id}")

    def get_lists(self, board_id: str, *, query: Mapping[str, str]) -> Any:
        b = self._board(board_id)
        wanted = self.fields("list", query.get("fields"), "GET /boards/{id}/lists")
        return [select(self.list_(b, g), wanted) for g in b.groups]

    def get_board_members(self, board_id: str, *, query: Mapping[str, str]) -> Any:
        self._board(board_id)
        wanted = self.fields(
            "member", query.get("fields", "fullName,username"), "GET /boards/{id}/members"
        )
        return [select(self.member(p), wanted) for p in self.ws.people]

    def get_custom_fields(self, board_id: str, *, query: Mapping[str, str]) -> Any:
        return self.custom_field_defs(self._board(board_id))

    def get_labels(self, board_id: str, *, query: Mapping[str, str]) -> Any:
        b = self._board(board_id)
        wanted = self.fields("label", query.get("fields"), "GET /boards/{id}/labels")
        limit = _int(query.get("limit", "50"), 0, 1000, "limit")
        return [select(label, wanted) for label in self.labels(b)][:limit]

    def get_actions(self, board_id: str, *, query: Mapping[str, str]) -> Any:
        """Board actions, newest first: createCard per card, updateCard at its last change,
        deleteCard when deleted; ``filter`` (types), ``since``/``before``, ``limit``, ``page``."""
        b = self._board(board_id)
        limit = _int(query.get("limit", "50"), 0, 1000, "limit")
        page = _int(query.get("page", "0"), 0, 10**6, "page")
        types = (
            set(query["filter"].split(",")) if query.get("filter") not in (None, "all") else None
        )
        actions = [a for a in self.actions(b) if types is None or a["type"] in types]
        if "since" in query:
            after = _moment_of(query["since"], "since")
            actions = [a for a in actions if _action_time(a) > after]
        if "before" in query:
            until = _moment_of(query["before"], "before")
            actions = [a for a in actions if _action_time(a) < until]
        actions.sort(key=lambda a: (a["date"], a["id"]), reverse=True)
        return actions[page * limit : (page + 1) * limit]

    def add_member(self, card_id: str, *, query: Mapping[str, str], body: Any) -> Any:
        card = self._card(card_id)
        person = self._member(query.get("value", ""))
        if person.index in card.responsible:
            raise TrelloError(400, "member is already on the card")
        self.ws.touch("trello", card.id, responsible=(*card.responsible, person.index))
        return [self.member(self.ws.people[p]) for p in card.responsible]

    def remove_member(self, card_id: str, member_id: str, *, query: Any, body: Any) -> Any:
        card = self._card(card_id)
        person = self._member(member_id)
        if person.index not in card.responsible:
            raise TrelloError(400, "member is not on the card")
        left = tuple(p for p in card.responsible if p != person.index)
        self.ws.touch("trello", card.id, responsible=left)
        return [self.member(self.ws.people[p]) for p in left]

    def put_field_item(self, card_id: str, field_id: str, *, query: Any, body: Any) -> Any:
        card = self._card(card_id)
        b = card.container
        key = next((k for k, f in b.field_ids.items() if f == field_id), None)
        if key not in ("accountable", "consulted"):
            raise TrelloError(400, "invalid custom field")
        value, id_value = body.get("value"), body.get("idValue")
        if key == "accountable" and self.accountable == "list" and "idValue" in body:
            person = next((p for p, o in b.option_ids.items() if o == id_value), None)
            if id_value and person is None:
                raise TrelloError(400, "invalid value for idValue")
            self.ws.touch("trello", card.id, accountable=person)
        elif "value" in body and (key == "consulted" or self.accountable == "text"):
            names = (value or {}).get("text", "") if isinstance(value, dict) else ""
            people = tuple(self._named(n) for n in names.split(",") if n.strip())
            if key == "consulted":
                self.ws.touch("trello", card.id, consulted=people)
            else:
                self.ws.touch("trello", card.id, accountable=people[0] if people else None)
        else:
            raise TrelloError(400, "invalid value for this custom field type")
        item = {"id": card.id[:8] + "0" * 16, "idCustomField": field_id, "idModel": card.id,
                "modelType": "card"}  # fmt: skip
        return {**item, **({"idValue": id_value} if "idValue" in body else {"value": value})}

    def _card(self, card_id: str) -> Task:
        if not _OBJECT_ID.fullmatch(card_id):
            raise TrelloError(400, "invalid id")
        try:
            card = self.ws.trello.task(card_id)
        except KeyError:
            raise TrelloError(404, "The requested resource was not found.") from None
        if card.deleted:
            raise TrelloError(404, "The requested resource was not found.")
        return card

    def _named(self, name: str) -> int:
        person = next((p for p in self.ws.people if p.name == name.strip()), None)
        if person is None:
            raise TrelloError(400, f"the fake names only its people, not {name.strip()!r}")
        return person.index

    # -- lookups --------------------------------------------------------------------------------

    def _board(self, board_id: str) -> Container:
        if not _OBJECT_ID.fullmatch(board_id):
            raise TrelloError(400, "invalid id")
        board = self.ws.trello.container(board_id.lower())
        if board is None:
            raise TrelloError(404, "The requested resource was not found.")
        return board

    def _member(self, member_id: str) -> Person:
        if member_id == "me":
            return self.ws.people[self.ws.me]
        person = self.ws.person("trello", member_id) or next(
            (p for p in self.ws.people if p.username == member_id), None
        )
        if person is None:
            raise TrelloError(404, "The requested resource was not found.")
        return person

    def _filter_cards(self, b: Container, card_filter: str) -> list[Task]:
        cards = self.ws.trello.top_level(b)
        if card_filter == "all":
            return cards
        if card_filter in ("open", "visible"):
            return [c for c in cards if c.state != "archived"]
        if card_filter == "closed":
            return [c for c in cards if c.state == "archived"]
        if card_filter == "complete":
            return [c for c in cards if c.due_complete]
        if card_filter == "incomplete":
            return [c for c in cards if not c.due_complete]
        if card_filter == "none":
            return []
        raise TrelloError(400, "invalid value for filter")

    # -- representations ------------------------------------------------------------------------

    def board(self, b: Container) -> dict[str, Any]:
        short = _short_link(b.id)
        activity = max(
            [
                b.created,
                *(c.updated for c in self.ws.trello.tasks if c.container is b),
                *(c.deleted_at for c in self.ws.trello.tasks if c.container is b and c.deleted_at),
            ]
        )
        return {
            "id": b.id,
            "name": b.name,
            "desc": "",
            "closed": False,
            "idOrganization": None,
            "pinned": False,
            "url": f"https://trello.com/b/{short}/{_slug(b.name)}",
            "shortUrl": f"https://trello.com/b/{short}",
            "shortLink": short,
            "prefs": {"permissionLevel": "private"},
            "labelNames": {},
            "starred": False,
            "dateLastActivity": self._date(activity),
            "dateLastView": self._date(activity),
        }

    def _date(self, moment: datetime) -> str | None:
        """A ``format: date`` field of the spec (Board.dateLastActivity, Card.due): the date, or
        with ``dates="live"`` the date-time the live API sends."""
        return iso(moment) if self.dates == "live" else moment.date().isoformat()

    def list_(self, b: Container, g: Any) -> dict[str, Any]:
        pos = (b.groups.index(g) + 1) * 16384
        return {
            "id": g.id,
            "name": g.name,
            "closed": False,
            "pos": pos,
            "idBoard": b.id,
            "subscribed": False,
        }

    @staticmethod
    def member(p: Person) -> dict[str, Any]:
        initials = "".join(w[0] for w in p.name.split()[:2])
        return {
            "id": p.trello_id,
            "fullName": p.name,
            "username": p.username,
            "initials": initials,
            "avatarUrl": None,
            "confirmed": True,
            "memberType": "normal",
        }

    def labels(self, b: Container) -> list[dict[str, Any]]:
        colors = ("green", "yellow", "orange")
        return [
            {"id": lid, "idBoard": b.id, "name": name, "color": colors[i % len(colors)]}
            for i, (name, lid) in enumerate(b.label_ids.items())
        ]

    def custom_field_defs(self, b: Container) -> list[dict[str, Any]]:
        out = []
        for pos, (key, fid) in enumerate(b.field_ids.items()):
            ftype = {"accountable": self.accountable, "consulted": "text", "effort": "number"}[key]
            options = (
                [
                    {
                        "id": oid,
                        "idCustomField": fid,
                        "value": {"text": self.ws.people[p].name},
                        "color": "none",
                        "pos": (i + 1) * 1024,
                    }
                    for i, (p, oid) in enumerate(b.option_ids.items())
                ]
                if ftype == "list"
                else []
            )
            base = {
                "id": fid,
                "idModel": b.id,
                "modelType": "board",
                "fieldGroup": hashlib.sha256(fid.encode()).hexdigest(),
                "type": ftype,
            }
            if self.custom_field_shape == "spec":
                display: dict[str, Any] = {
                    "cardFront": True,
                    "name": FIELD_NAMES[key],
                    "pos": f"{(pos + 1) * 16384},",
                }
                if options:
                    display["options"] = options
                out.append({**base, "display": display})
            else:
                guide = {
                    **base,
                    "name": FIELD_NAMES[key],
                    "pos": (pos + 1) * 16384,
                    "display": {"cardFront": True},
                }
                if options:
                    guide["options"] = options
                out.append(guide)
        return out

    def card(self, c: Task) -> dict[str, Any]:
        b = c.container
        short = _short_link(c.id)
        return {
            "id": c.id,
            "name": c.title,
            "desc": "",
            "closed": c.state == "archived",
            "idBoard": b.id,
            "idList": c.group.id,
            "idMembers": [self.ws.people[p].trello_id for p in c.responsible],
            "idLabels": [b.label_ids[label] for label in c.labels],
            "labels": [b.label_ids[label] for label in c.labels],  # the spec: ids
            "idChecklists": [],
            "idMembersVoted": [],
            "idShort": int(c.id[:8], 16) % 10000,
            "due": self._due(c),
            "start": self._date(_noon(c.start)) if c.start else None,
            "dueComplete": c.due_complete,
            "dueReminder": None,
            "dateLastActivity": iso(c.updated),
            "pos": int(c.id[:8], 16),
            "shortLink": short,
            "shortUrl": f"https://trello.com/c/{short}",
            "url": f"https://trello.com/c/{short}/{_slug(c.title)}",
            "subscribed": False,
            "manualCoverAttachment": False,
            "badges": {"comments": 0, "attachments": 0, "checkItems": 0, "checkItemsChecked": 0},
            "isTemplate": c.template,
            "cardRole": c.card_role,
        }

    def _due(self, c: Task) -> str | None:
        """A due time as set (``due_at``), else noon UTC of the due day."""
        if c.due_at is not None:
            return iso(c.due_at) if self.dates == "live" else c.due_at.date().isoformat()
        return self._date(_noon(c.due)) if c.due else None

    def render_card(self, c: Task, query: Mapping[str, str], where: str) -> dict[str, Any]:
        out = select(self.card(c), self.fields("card", query.get("fields"), where))
        if query.get("members") == "true":
            wanted = self.fields("member", query.get("member_fields", "fullName,username"), where)
            out["members"] = [select(self.member(self.ws.people[p]), wanted) for p in c.responsible]
        if query.get("customFieldItems") == "true":
            out["customFieldItems"] = self.field_items(c)
        return out

    def field_items(self, c: Task) -> list[dict[str, Any]]:
        """Items of the fields that hold a value, shaped as the Custom Fields guide shows."""
        b = c.container
        items = []

        def item(key: str, **value: Any) -> dict[str, Any]:
            seed = hashlib.sha256(f"{c.id}{key}".encode()).hexdigest()[:16]
            return {
                "id": c.id[:8] + seed,
                "idCustomField": b.field_ids[key],
                "idModel": c.id,
                "modelType": "card",
                **value,
            }

        if c.accountable is not None and self.accountable == "text":
            items.append(item("accountable", value={"text": self.ws.people[c.accountable].name}))
        elif c.accountable is not None:
            items.append(item("accountable", idValue=b.option_ids[c.accountable]))
        if c.consulted:
            names = ", ".join(self.ws.people[p].name for p in c.consulted)
            items.append(item("consulted", value={"text": names}))
        if c.effort is not None:
            items.append(item("effort", value={"number": f"{c.effort:g}"}))
        return items

    def actions(self, b: Container) -> list[dict[str, Any]]:
        me = self.ws.people[self.ws.me]
        out = []
        for c in self.ws.trello.tasks:
            if c.container is not b:
                continue
            data = {
                "card": {
                    "id": c.id,
                    "name": c.title,
                    "idShort": int(c.id[:8], 16) % 10000,
                    "shortLink": _short_link(c.id),
                },
                "board": {"id": b.id, "name": b.name, "shortLink": _short_link(b.id)},
                "list": {"id": c.group.id, "name": c.group.name},
            }
            events = [("createCard", c.created)]
            if c.updated > c.created:
                events.append(("updateCard", c.updated))
            if c.deleted_at is not None:
                events.append(("deleteCard", c.deleted_at))
            for kind, at in events:
                seed = hashlib.sha256(f"{c.id}{kind}{at.isoformat()}".encode()).hexdigest()[:16]
                out.append(
                    {
                        "id": f"{int(at.timestamp()):08x}{seed}",
                        "idMemberCreator": me.trello_id,
                        "type": kind,
                        "date": iso(at),
                        "data": data,
                        "memberCreator": self.member(me),
                    }
                )
        return out


_BOARD_DEFAULT = "name,desc,descData,closed,idOrganization,pinned,url,shortUrl,prefs,labelNames"


def select(obj: Mapping[str, Any], wanted: set[str] | None) -> dict[str, Any]:
    """The object with only the asked-for fields (and ``id``, which Trello always sends)."""
    if wanted is None:
        return dict(obj)
    return {k: v for k, v in obj.items() if k == "id" or k in wanted}


def _fits(spec: TrelloSpec, value: Any, schema: Mapping[str, Any]) -> bool:
    """Whether a JSON value has a (request body) schema's shape: types, properties, patterns."""
    if "$ref" in schema:
        schema = spec.doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return (
            isinstance(value, dict)
            and bool(value)
            and all(k in props and _fits(spec, v, props[k]) for k, v in value.items())
        )
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in (None, "string") and isinstance(value, str):
        return re.fullmatch(schema.get("pattern", ".*"), value) is not None
    return False


def _noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def _int(value: str, lo: int, hi: int, name: str) -> int:
    if not re.fullmatch(r"\d+", value) or not lo <= int(value) <= hi:
        raise TrelloError(400, f"invalid value for {name}")
    return int(value)


def _created_second(ref: str, name: str) -> int:
    """The creation second an ObjectId or a date stands for."""
    if _OBJECT_ID.fullmatch(ref):
        return int(ref[:8], 16)
    moment = parse_moment(ref)
    if moment is None:
        raise TrelloError(400, f"invalid value for {name}")
    return int(moment.timestamp())


def _moment_of(ref: str, name: str) -> datetime:
    if _OBJECT_ID.fullmatch(ref):
        return datetime.fromtimestamp(int(ref[:8], 16), UTC)
    moment = parse_moment(ref)
    if moment is None:
        raise TrelloError(400, f"invalid value for {name}")
    return moment


def _action_time(action: Mapping[str, Any]) -> datetime:
    moment = parse_moment(action["date"])
    assert moment is not None
    return moment


def _short_link(object_id: str) -> str:
    alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    n = int(object_id, 16)
    out = ""
    for _ in range(8):
        n, r = divmod(n, len(alphabet))
        out += alphabet[r]
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]
