"""The small Trello of the per-tool tests: the board recorded in ``tests/fixtures/trello/``.

- At the HTTP edge (``responses``): :func:`register_board` and :func:`register_workspace` route
  the recorded board, cards and board listing; :func:`make_cards` makes any number of
  spec-shaped cards for paging.
- On a real local server (pytest-httpserver): :class:`FakeTrello` answers the routes the
  connector uses with spec-shaped bodies (built from the fixtures) over :class:`FakeBoard` boards,
  pages cards like the live API (or ignores ``limit``/``before`` like a fake built from the
  spec, which documents neither, or only ``before``), and can answer a route with queued faults
  first.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import responses
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from raci_sync.config import Secret, SourceConfig
from raci_sync.connectors.base import make_connector, make_http
from raci_sync.connectors.trello.client import DEFAULT_BASE_URL, TrelloConnector

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "trello"
KEY, TOKEN = "k3y0123456789abcdef0123456789ab", "t0ken-ATTA0123456789abcdefSECRET"
BOARD_ID = "65a1f0c2d4e5f60718293a4b"
OTHER_ID = "65b2e1d3c4b5a69788796a5c"
ALICE, BO, GONE = "5e8f1a2b3c4d5e6f70819201", "5e8f1a2b3c4d5e6f70819202", "5e8f1a2b3c4d5e6f70819203"
CF_ACCOUNTABLE, CF_CONSULTED, CF_TIMER = (
    "65a1f0c2d4e5f60718293b01",
    "65a1f0c2d4e5f60718293b02",
    "65a1f0c2d4e5f60718293b03",
)
URL = DEFAULT_BASE_URL
B1, B2, B3 = "65a1f0c2d4e5f60718293a4b", "65b2e1d3c4b5a69788796a5c", "65c3f2e4d5c6b7a899a07b6d"
NOW = datetime.now(UTC)
QUIET = NOW - timedelta(hours=3)  # a board's last activity well before any `since` used here
RESET = object()  # a queued fault: drop the connection without an answer
NOT_FOUND = Response("The requested resource was not found.", 404, content_type="text/plain")


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def source(**kw: Any) -> SourceConfig:
    base: dict[str, Any] = {
        "name": "indhold",
        "kind": "trello",
        "key": Secret(KEY),
        "token": Secret(TOKEN),
        "boards": ("Kampagner",),
        "done_lists": ("FÆRDIG",),
    }
    return SourceConfig(**{**base, **kw})


def connector(**kw: Any) -> TrelloConnector:
    src = source(**kw)
    # no client-side budget: the suite's many requests with one token must never wait for it
    conn = make_connector(src, make_http(src, sleep=lambda s: None, rate_limits=False))
    assert isinstance(conn, TrelloConnector)
    return conn


# -- at the HTTP edge ----------------------------------------------------------------------


def register_board(
    rsps: responses.RequestsMock, board_id: str = BOARD_ID, cards: Any = None
) -> None:
    board = load("board.json")
    board["id"] = board_id
    rsps.get(f"{URL}/boards/{board_id}", json=board)
    rsps.get(f"{URL}/boards/{board_id}/cards", json=load("cards.json") if cards is None else cards)


def register_workspace(rsps: responses.RequestsMock) -> None:
    """The listing, one board and its cards: a full fetch by name."""
    rsps.get(f"{URL}/members/me/boards", json=load("members_me_boards.json"))
    register_board(rsps)


def make_cards(n: int, first_second: int, per_second: int = 1) -> list[dict[str, Any]]:
    """``n`` spec-shaped cards, newest first, ``per_second`` created in each second."""
    template = load("cards.json")[0]
    cards = []
    for i in range(n):
        ts = first_second + i // per_second
        cards.append({**template, "id": f"{ts:08x}{'ab' * 5}{i:06x}", "name": f"Kort {i}"})
    return sorted(cards, key=lambda c: c["id"], reverse=True)


# -- on a local server --------------------------------------------------------------------


@dataclass
class FakeBoard:
    id: str
    name: str
    cards: list[dict[str, Any]]
    activity: datetime = QUIET
    closed: bool = False
    mine: bool = True  # the token's user is a member: the board is in /members/me/boards
    meta: dict[str, Any] = field(default_factory=dict)  # over board.json: other lists, fields

    def summary(self, fields: str | None = None) -> dict[str, Any]:
        """The board as the listing and the probe answer it: ``id`` and the ``fields`` asked
        for (every one it has when none are named)."""
        stamp = self.activity.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        mine = {"id": self.id, "name": self.name, "closed": self.closed, "dateLastActivity": stamp}
        wanted = set((fields or "all").split(","))
        return {k: v for k, v in mine.items() if "all" in wanted or k == "id" or k in wanted}


@dataclass
class FakeTrello:
    """A request handler for pytest-httpserver, serving ``/1/...``: the token's member, the
    board listing, each board (its definitions: board.json, or ``FakeBoard.meta`` over it, or
    the probe's summary) and its cards."""

    boards: list[FakeBoard]
    paging: bool = True  # honour `limit` and `before` as the live API does
    ignore_before: bool = False  # honour `limit` but answer every page as the first
    delay: float = 0.0  # seconds each board or card request takes
    faults: dict[str, list[Any]] = field(default_factory=dict)  # path → answers given first
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: Request) -> Response:
        path, query = request.path.removeprefix("/1"), dict(request.args)
        with self._lock:
            self.requests.append((path, query))
            queued = self.faults.get(path)
            fault = queued.pop(0) if queued else None
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if fault is RESET:
                raise ConnectionResetError  # werkzeug drops the connection
            if fault is not None:
                return fault
            if path.startswith("/boards/"):
                time.sleep(self.delay)
            return self.answer(path, query)
        finally:
            with self._lock:
                self.in_flight -= 1

    def answer(self, path: str, query: dict[str, str]) -> Response:
        if path == "/members/me":
            return as_json(load("members_me.json"))
        if path == "/members/me/boards":
            return as_json([b.summary(query.get("fields")) for b in self.boards if b.mine])
        m = re.fullmatch(r"/boards/([0-9a-f]{24})(/cards)?", path)
        board = next((b for b in self.boards if m and b.id == m[1]), None)
        if m is None or board is None:
            return NOT_FOUND
        if m[2]:
            return as_json(self.card_page(board, query))
        if "customFields" not in query:  # the activity probe
            return as_json(board.summary(query.get("fields")))
        return as_json({**load("board.json"), **board.meta, "id": board.id, "name": board.name})

    def card_page(self, board: FakeBoard, query: dict[str, str]) -> list[dict[str, Any]]:
        cards = sorted(board.cards, key=lambda c: c["id"], reverse=True)
        if not self.paging:
            return cards
        before = None if self.ignore_before else query.get("before")
        cards = [c for c in cards if before is None or c["id"] < before]
        return cards[: int(query.get("limit", "1000"))]

    def paths(self) -> list[str]:
        return [p for p, _ in self.requests]


def as_json(body: Any) -> Response:
    return Response(json.dumps(body), content_type="application/json")


def serve(server: HTTPServer, *boards: FakeBoard, **kw: Any) -> FakeTrello:
    fake = FakeTrello(list(boards), **kw)
    server.expect_request(re.compile("^/1/")).respond_with_handler(fake)
    return fake


def server_connector(
    server: HTTPServer,
    boards: tuple[str, ...] | None = ("Kampagner", "Indkøb", "Events"),
    waits: list[float] | None = None,
    max_workers: int = 4,
    **kw: Any,
) -> TrelloConnector:
    """A connector over ``server`` (boards by name; ``kw``: more of the source's settings);
    waits go to ``waits`` instead of sleeping."""
    src = SourceConfig(name="indhold", kind="trello", key=Secret(KEY), token=Secret(TOKEN),
                       boards=boards, base_url=server.url_for("/1"), **kw)  # fmt: skip
    sleep = waits.append if waits is not None else (lambda s: None)
    http = make_http(src, sleep=sleep, rate_limits=False)
    return TrelloConnector(src, http, max_workers=max_workers)


def workspace() -> tuple[FakeBoard, FakeBoard, FakeBoard]:
    """Three boards: the fixture's six cards, 3 cards, and an empty one."""
    other = [{**c, "id": c["id"][:-4] + "b2b2"} for c in load("cards.json")[:3]]
    return (
        FakeBoard(B1, "Kampagner", load("cards.json")),
        FakeBoard(B2, "Indkøb", other),
        FakeBoard(B3, "Events", []),
    )
