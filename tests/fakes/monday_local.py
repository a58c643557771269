"""A small monday.com on a real local server (pytest-httpserver), for the per-tool tests.

It executes every query with graphql-core against the pinned SDL over an in-memory workspace
(:func:`workspace`: three boards, one with subitems, a team), so every answer has the schema's
shape and every query sent is validated (``invalid`` lists what did not validate); it meters a
complexity budget, and can be told to fail a request of a given operation with a given status,
body and headers.

It honours the incremental read's rule (``__last_updated__`` on or after ``["EXACT", day]``, by
day in ``owner_zone``; the cursor keeps it), and can misbehave as a test asks: ``stuck_cursor``
(``next_items_page`` answers its own cursor again), ``endless`` (``users``/``boards`` answer a
full page of the same entries on every page), ``max_limit`` (an items page of more items is
refused with a ``ComplexityException``, as one over monday's per-query maximum), ``slow``
(an items page of more than N items answers after S seconds), ``version`` (what
``version { kind value }`` says). A board with ``"multi_level": True`` answers its status as
``BatteryValue`` (its labels' ``is_done`` in the column's settings). A date given as
``"2026-12-10T23:30:00"`` is a date column value with a time (UTC, in ``value``).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from graphql import graphql_sync
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response
from werkzeug.serving import WSGIRequestHandler

from raci_sync.config import FieldsConfig, Secret, SourceConfig
from raci_sync.connectors.http import HttpClient
from raci_sync.connectors.monday.client import MondayConnector
from raci_sync.connectors.monday.queries import QUERIES
from tests.fakes import parse_moment
from tests.fakes.monday import CURRENT, monday_schema, query_errors

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "monday"
TOKEN = "tok-monday-LOCAL-S3CRET"
WEB = "https://nordlys-test.monday.com"
ANNA, BO, CARL, DITTE = "71230011", "71230012", "71230013", "71230014"
TEAM = "804211"
B1, B1_SUBS, B2, B3 = "5001001001", "5001001009", "5001002001", "5001003001"
COLUMNS = [
    ("person", "Owner", "people"),
    ("people_a", "Accountable", "people"),
    ("status", "Status", "status"),
    ("date4", "Due", "date"),
    ("numeric", "Timer", "numbers"),
]
SUB_COLUMNS = [("person", "Owner", "people"), ("status", "Status", "status")]
STATUS_INDEX = {"Working on it": 0, "Done": 1, "Stuck": 2}
OP_BY_QUERY = {q: n for n, q in QUERIES.items()}


def load(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return body


# -- the workspace ------------------------------------------------------------------------------


def column_value(col: tuple[str, str, str], v: Any) -> dict[str, Any]:
    """One spec-shaped column value (``__typename`` picks the ColumnValue implementation)."""
    cid, title, ctype = col
    base = {"id": cid, "type": ctype, "column": {"id": cid, "title": title, "type": ctype}}
    if ctype == "people":
        entries = [e if isinstance(e, tuple) else ("person", e) for e in v or ()]
        raw = {"personsAndTeams": [{"id": int(i), "kind": k} for k, i in entries]}
        return {
            **base,
            "__typename": "PeopleValue",
            "text": ", ".join(i for _, i in entries),
            "value": json.dumps(raw) if entries else None,
            "persons_and_teams": [{"id": i, "kind": k} for k, i in entries],
        }
    if ctype == "status":
        index = STATUS_INDEX.get(v, 5)
        raw = json.dumps({"index": index}) if v else None
        return {
            **base,
            "__typename": "StatusValue",
            "text": v or "",
            "value": raw,
            "label": v or "",
            "is_done": v == "Done",
            "index": index,
        }
    if ctype == "date":
        day, _, at = (v or "").partition("T")
        raw = json.dumps({"date": day, "time": at} if at else {"date": day}) if v else None
        text = f"{day} {at}".strip()
        return {
            **base,
            "__typename": "DateValue",
            "text": text,
            "value": raw,
            "date": day or None,
            "time": at or None,
        }
    number = None if v is None else float(v)
    raw = json.dumps(str(v)) if v is not None else None
    text = "" if v is None else str(v)
    return {**base, "__typename": "NumbersValue", "text": text, "value": raw, "number": number}


def item(
    iid: str,
    name: str,
    updated: str,
    *,
    board: str = B1,
    owner: tuple[Any, ...] = (),
    accountable: tuple[Any, ...] = (),
    status: str | None = "Working on it",
    due: str | None = None,
    hours: float | None = None,
    group: str = "Planlagt",
    subscribers: tuple[str, ...] = (),
    subitems: tuple[dict[str, Any], ...] = (),
) -> dict[str, Any]:
    """A monday item as the API holds it (subitems get their board and parent)."""
    for s in subitems:
        s.update(board={"id": B1_SUBS}, parent_item={"id": iid})
    values = dict(zip(COLUMNS, (owner, accountable, status, due, hours), strict=True))
    return {
        "id": iid,
        "name": name,
        "state": "active",
        "created_at": "2026-10-01T08:00:00Z",
        "updated_at": updated,
        "url": f"{WEB}/boards/{board}/pulses/{iid}",
        "group": {"id": "topics", "title": group},
        "subscribers": [{"id": u} for u in subscribers],
        "column_values": [column_value(c, v) for c, v in values.items()],
        "subitems": list(subitems),
    }


def subitem(
    iid: str, name: str, updated: str, owner: tuple[str, ...] = (), status: str = ""
) -> dict:
    values = [column_value(SUB_COLUMNS[0], owner), column_value(SUB_COLUMNS[1], status or None)]
    return {
        "id": iid,
        "name": name,
        "state": "active",
        "created_at": "2026-10-02T08:00:00Z",
        "updated_at": updated,
        "url": f"{WEB}/boards/{B1_SUBS}/pulses/{iid}",
        "group": {"id": "topics", "title": "Subitems"},
        "subscribers": [],
        "column_values": values,
        "subitems": [],
    }


def workspace() -> dict[str, Any]:
    """Three boards: Kampagner (5 items, one with 2 subitems), Events (3), Drift (empty)."""
    kampagner = [
        item(
            "6001",
            "Kampagneplan",
            "2026-11-20T10:00:00Z",
            owner=(ANNA, ("team", TEAM)),
            accountable=(BO,),
            due="2026-12-10",
            hours=5,
            subscribers=(ANNA,),
            subitems=(
                subitem("6101", "Skriv tekster", "2026-11-18T09:00:00Z", (CARL,), "Done"),
                subitem("6102", "Find billeder", "2026-11-18T09:30:00Z"),
            ),
        ),
        item("6002", "Annoncer", "2026-11-21T10:00:00Z", owner=(BO,), accountable=(ANNA,)),
        item("6003", "Nyhedsbrev", "2026-11-22T10:00:00Z", owner=(CARL,), status="Done"),
        item("6004", "Plakater", "2026-11-23T10:00:00Z", accountable=(ANNA,), hours=2),
        item("6005", "Messe", "2026-11-24T10:00:00Z", owner=(ANNA,), group="I gang"),
    ]
    events = [
        item("7001", "Julefrokost", "2026-11-10T10:00:00Z", board=B2, owner=(BO,)),
        item("7002", "Smagning", "2026-11-11T10:00:00Z", board=B2, owner=(CARL,)),
        item("7003", "Pressedag", "2026-11-12T10:00:00Z", board=B2, accountable=(BO,)),
    ]
    return {
        "boards": [
            {"id": B1, "name": "Kampagner", "type": "board", "items": kampagner},
            {
                "id": B1_SUBS,
                "name": "Subitems of Kampagner",
                "type": "sub_items_board",
                "items": [s for i in kampagner for s in i["subitems"]],
            },
            {"id": B2, "name": "Events", "type": "board", "items": events},
            {"id": B3, "name": "Drift", "type": "board", "items": []},
        ],
        "users": [
            {"id": ANNA, "name": "Anna Berg", "email": "anna@example.dk"},
            {"id": BO, "name": "Bo Dahl", "email": "bo@example.dk"},
            {"id": CARL, "name": "Carl Eg", "email": "carl@example.dk"},
        ],
        "teams": [{"id": TEAM, "name": "Design", "users": [{"id": BO}, {"id": CARL}]}],
    }


# -- the fake server ----------------------------------------------------------------------------


@contextmanager
def threaded_fake() -> Iterator[FakeMonday]:
    """The fake on a server that answers requests in parallel (the default one queues them).

    werkzeug switches its request handler *class* to HTTP/1.1 keep-alive when it makes a
    threaded server, which would leave the session's single-threaded server stuck on idle
    keep-alive connections in later tests: the class is put back afterwards.
    """
    saved = dict(vars(WSGIRequestHandler))
    server = HTTPServer(threaded=True)
    server.start()
    try:
        monday_schema(CURRENT)  # built before any timing
        yield FakeMonday(server)
    finally:
        server.clear()
        server.stop()
        if "protocol_version" in saved:
            WSGIRequestHandler.protocol_version = saved["protocol_version"]
        elif "protocol_version" in vars(WSGIRequestHandler):
            del WSGIRequestHandler.protocol_version


@dataclass
class Fault:
    """Answer the next request of ``op`` (any op when None) with this instead."""

    op: str | None
    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)


class FakeMonday:
    """A monday GraphQL endpoint on a real local server, answering from a workspace."""

    def __init__(self, server: HTTPServer, data: dict[str, Any] | None = None) -> None:
        self.server = server
        self.data = data or workspace()
        self.url = server.url_for("/v2")
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.invalid: list[str] = []
        self.faults: list[Fault] = []
        self.waits: list[float] = []
        self.delay: dict[str, float] = {}  # board id → seconds to wait before answering
        self.in_flight = 0  # answers being delayed right now …
        self.most_in_flight = 0  # … and the most at once (concurrency, without timing)
        self.full_budget = self.budget = 10_000_000
        self.reset_in = 37
        self.costs: dict[str, int] = {}  # op → cost (default: by limit)
        self.owner_zone = ZoneInfo("Europe/Copenhagen")
        self.version = {"kind": "current", "value": CURRENT}
        self.stuck_cursor = False
        self.endless: set[str] = set()  # "users", "boards"
        self.max_limit: int | None = None
        self.slow: tuple[int, float] | None = None  # (items above which, seconds)
        self._lock = threading.Lock()
        server.expect_request("/v2", method="POST").respond_with_handler(self.handle)

    # -- test controls

    def fail(self, op: str | None, status: int, body: Any, **headers: str) -> FakeMonday:
        text = body if isinstance(body, str) else json.dumps(body)
        self.faults.append(Fault(op, status, text, headers))
        return self

    def sleep(self, seconds: float) -> None:
        """The connector's sleep: records the wait; waiting out the reset refills the budget."""
        self.waits.append(seconds)
        if seconds >= self.reset_in:
            self.budget = self.full_budget

    def board(self, board_id: str) -> dict[str, Any]:
        return next(b for b in self.data["boards"] if b["id"] == board_id)

    @property
    def ops(self) -> list[str]:
        return [op for op, _ in self.sent]

    @property
    def requests(self) -> int:
        return len(self.server.log)

    def connector(
        self, boards: tuple[str, ...] | None = (B1, B2, B3), max_workers: int = 1, **attrs: Any
    ) -> MondayConnector:
        src = SourceConfig(
            name="kampagner",
            kind="monday",
            token=Secret(TOKEN),
            boards=boards,
            base_url=self.url,
            fields=FieldsConfig(effort="Timer"),
        )
        http = HttpClient(
            describe="source 'kampagner' (monday)", secrets=(TOKEN,), sleep=self.sleep
        )
        c = MondayConnector(src, http, max_workers=max_workers)
        for k, v in attrs.items():
            setattr(c, k, v)
        return c

    # -- answering

    def handle(self, request: Request) -> Response:
        body = json.loads(request.get_data())
        query, variables = body["query"], body.get("variables") or {}
        op = OP_BY_QUERY.get(query, "?")
        with self._lock:
            self.sent.append((op, variables))
            self.invalid.extend(f"{op}: {e}" for e in query_errors(query, variables))
            if op == "?":
                self.invalid.append("a query the connector module does not define")
            fault = next((f for f in self.faults if f.op in (None, op)), None)
            if fault is not None:
                self.faults.remove(fault)
                return Response(fault.body, fault.status, fault.headers, "application/json")
            answer = self.answer(op, query, variables)
        with self._lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        time.sleep(self.delay.get(variables.get("boardId", ""), 0.0))
        slow = self.slow is not None and "items_page" in query
        if slow and self.slow is not None and int(variables.get("limit", 0)) > self.slow[0]:
            time.sleep(self.slow[1])  # outside the lock: other requests are answered meanwhile
        with self._lock:
            self.in_flight -= 1
        return Response(json.dumps(answer), 200, content_type="application/json")

    def answer(self, op: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        limit = int(variables.get("limit", 0))
        if self.max_limit is not None and "items_page" in query and limit > self.max_limit:
            return {
                "errors": [
                    {
                        "message": "Query has complexity above the maximum per query",
                        "extensions": {"code": "ComplexityException", "status_code": 400},
                    }
                ],
                "account_id": 1,
            }
        cost = self.costs.get(op, 1_000 + 200 * limit)
        if cost > self.budget:
            return {
                "errors": [
                    {
                        "message": f"Complexity budget exhausted, reset in {self.reset_in} seconds",
                        "extensions": {
                            "code": "ComplexityException",
                            "status_code": 429,
                            "retry_in_seconds": self.reset_in,
                        },
                    }
                ],
                "account_id": 1,
            }
        before, self.budget = self.budget, self.budget - cost
        complexity = {
            "query": cost,
            "before": before,
            "after": self.budget,
            "reset_in_x_seconds": self.reset_in,
        }
        result = graphql_sync(
            monday_schema(CURRENT),
            query,
            root_value=self.root(complexity),
            variable_values=variables,
            type_resolver=lambda value, info, abstract: value["__typename"],
        )
        assert result.errors is None, result.errors
        return {"data": result.data, "account_id": 1}

    def root(self, complexity: dict[str, int]) -> dict[str, Any]:
        return {
            "complexity": complexity,
            "version": self.version,
            "me": self.data["users"][0],
            "boards": self.boards,
            "users": lambda info, limit=200, page=1, **kw: self.listed("users", limit, page),
            "teams": lambda info, **kw: self.data["teams"],
            "next_items_page": self.next_items_page,
        }

    def listed(self, what: str, limit: int, page: int) -> list[dict[str, Any]]:
        """One page of users or boards (``endless``: the first page, whatever page is asked)."""
        entries = self.data[what]
        if what in self.endless:
            return entries[:limit]
        return entries[(page - 1) * limit : page * limit]

    def boards(
        self, info: Any, ids: list[str] | None = None, limit: int = 25, page: int = 1, **kw: Any
    ) -> list[dict[str, Any]]:
        found = (
            [b for b in self.data["boards"] if b["id"] in ids]
            if ids is not None
            else self.listed("boards", limit, page)
        )
        return [self.board_object(b) for b in found]

    def board_object(self, b: dict[str, Any]) -> dict[str, Any]:
        cols = SUB_COLUMNS if b["type"] == "sub_items_board" else COLUMNS
        multi = bool(b.get("multi_level"))
        return {
            **b,
            "url": f"{WEB}/boards/{b['id']}",
            "hierarchy_type": "multi_level" if multi else "classic",
            "columns": lambda info, types=None, **kw: [
                column_object(c, multi) for c in cols if types is None or c[2] in types
            ],
            "items_page": lambda info, limit=25, query_params=None, **kw: self.page(
                b["id"], since_day(query_params), 0, limit
            ),
        }

    def page(self, board_id: str, since: str, start: int, limit: int) -> dict[str, Any]:
        """A page of a board's items; ``since`` (a day, or "") is the incremental rule."""
        board = self.board(board_id)
        items = board["items"]
        if since:
            day = date.fromisoformat(since)
            items = [i for i in items if self.owner_day(i["updated_at"]) >= day]
        if board.get("multi_level"):
            items = [as_multi_level(i) for i in items]
        more = start + limit < len(items)
        token = f"{board_id}:{since}:{start + limit}"
        cursor = base64.b64encode(token.encode()).decode() if more else None
        return {"cursor": cursor, "items": items[start : start + limit]}

    def owner_day(self, moment: str) -> date:
        return parse_moment(moment).astimezone(self.owner_zone).date()

    def next_items_page(self, info: Any, cursor: str, limit: int) -> dict[str, Any]:
        board_id, since, start = base64.b64decode(cursor).decode().split(":")
        if self.stuck_cursor:  # the same page, and its own cursor again
            page = self.page(board_id, since, int(start) - limit, limit)
            return {**page, "cursor": cursor}
        return self.page(board_id, since, int(start), limit)


def since_day(query_params: dict[str, Any] | None) -> str:
    """The day of an ``["EXACT", day]`` rule on ``__last_updated__`` ("" when there is none);
    any other query_params is a test's mistake."""
    if not query_params:
        return ""
    (rule,) = query_params["rules"]
    assert rule["column_id"] == "__last_updated__" and rule["compare_attribute"] == "UPDATED_AT"
    assert rule["operator"] == "greater_than_or_equals", rule
    kind, day = rule["compare_value"]
    assert kind == "EXACT"
    return str(date.fromisoformat(day))


def column_object(col: tuple[str, str, str], multi_level: bool) -> dict[str, Any]:
    """A column with its settings (status: which labels are done)."""
    cid, title, ctype = col
    settings: dict[str, Any] | None = None
    if ctype == "status" and multi_level:
        settings = {
            "labels": [
                {"index": i, "label": label, "is_done": label == "Done"}
                for label, i in STATUS_INDEX.items()
            ]
        }
    elif ctype == "status":
        settings = {
            "labels": {str(i): label for label, i in STATUS_INDEX.items()},
            "done_colors": [1],
        }
    return {"id": cid, "title": title, "type": ctype, "settings": settings}


def as_multi_level(raw: dict[str, Any]) -> dict[str, Any]:
    """An item as a multi-level board holds it: its status a BatteryValue (``rollups``, the
    calculated values, are read from the same list: the plain one is left empty)."""
    values = []
    for v in raw["column_values"]:
        if v["type"] == "status":
            keys = [{"key": str(v["index"]), "count": 1}] if v["label"] else []
            v = {k: v[k] for k in ("id", "type", "column", "text")}
            v.update(__typename="BatteryValue", value=None, battery_value=keys)
        values.append(v)
    subitems = [as_multi_level(s) for s in raw.get("subitems", [])]
    return {**raw, "column_values": values, "subitems": subitems}


ALL_IDS = [
    "6001",
    "6101",
    "6102",
    "6002",
    "6003",
    "6004",
    "6005",
    "7001",
    "7002",
    "7003",
]  # every task of workspace(), in read order
