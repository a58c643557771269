"""Trello against a real local server: incremental reads, concurrency, paging guards, costs.

``FakeTrello`` answers the four routes the connector uses with spec-shaped bodies (built from
the fixtures), pages cards like the live API (or ignores ``limit``/``before`` like a fake built
from the spec, which documents neither), and can answer a route with queued faults first.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from raci_sync.config import Secret, SourceConfig
from raci_sync.connectors.base import make_http
from raci_sync.connectors.trello.client import TrelloConnector
from raci_sync.connectors.trello.convert import BoardSummary, board_summary_from_trello
from raci_sync.connectors.trello.incremental import (
    BoardRead,
    board_changed,
    cached_boards,
    kept_board,
    state_from_reads,
)
from raci_sync.model import Account, Snapshot
from tests.connectors.test_trello import KEY, TOKEN, load, make_cards

B1, B2, B3 = "65a1f0c2d4e5f60718293a4b", "65b2e1d3c4b5a69788796a5c", "65c3f2e4d5c6b7a899a07b6d"
NOW = datetime.now(UTC)
QUIET = NOW - timedelta(hours=3)  # a board's last activity well before any `since` used here
RESET = object()  # a queued fault: drop the connection without an answer
NOT_FOUND = Response("The requested resource was not found.", 404, content_type="text/plain")


@dataclass
class FakeBoard:
    id: str
    name: str
    cards: list[dict[str, Any]]
    activity: datetime = QUIET
    closed: bool = False
    mine: bool = True  # the token's user is a member: the board is in /members/me/boards

    def summary(self) -> dict[str, Any]:
        """The board as ``fields=all`` answers it (the listing and the probe): every property."""
        stamp = self.activity.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        mine = {"id": self.id, "name": self.name, "closed": self.closed, "dateLastActivity": stamp}
        return {**load("members_me_boards.json")[0], **mine}


@dataclass
class FakeTrello:
    """A request handler for pytest-httpserver, serving ``/1/...``."""

    boards: list[FakeBoard]
    paging: bool = True  # honour `limit` and `before` as the live API does
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
        if path == "/members/me/boards":
            return as_json([b.summary() for b in self.boards if b.mine])
        m = re.fullmatch(r"/boards/([0-9a-f]{24})(/cards)?", path)
        board = next((b for b in self.boards if m and b.id == m[1]), None)
        if m is None or board is None:
            return NOT_FOUND
        if m[2]:
            return as_json(self.card_page(board, query))
        if "customFields" not in query:  # the activity probe
            return as_json(board.summary())
        return as_json({**load("board.json"), "id": board.id, "name": board.name})

    def card_page(self, board: FakeBoard, query: dict[str, str]) -> list[dict[str, Any]]:
        cards = sorted(board.cards, key=lambda c: c["id"], reverse=True)
        if not self.paging:
            return cards
        before = query.get("before")
        cards = [c for c in cards if before is None or c["id"] < before]
        return cards[: int(query.get("limit", "1000"))]

    def paths(self) -> list[str]:
        return [p for p, _ in self.requests]


def as_json(body: Any) -> Response:
    return Response(json.dumps(body), content_type="application/json")


@pytest.fixture(scope="module")
def threaded_server() -> Iterator[HTTPServer]:
    """A threaded local server, so concurrent board reads really overlap (started once:
    stopping one takes half a second)."""
    s = HTTPServer(threaded=True)
    s.start()
    yield s
    s.stop()


@pytest.fixture
def server(threaded_server: HTTPServer) -> Iterator[HTTPServer]:
    yield threaded_server
    threaded_server.clear()


def serve(server: HTTPServer, *boards: FakeBoard, **kw: Any) -> FakeTrello:
    fake = FakeTrello(list(boards), **kw)
    server.expect_request(re.compile("^/1/")).respond_with_handler(fake)
    return fake


def connector(
    server: HTTPServer,
    boards: tuple[str, ...] | None = ("Kampagner", "Indkøb", "Events"),
    waits: list[float] | None = None,
    max_workers: int = 4,
) -> TrelloConnector:
    src = SourceConfig(name="indhold", kind="trello", key=Secret(KEY), token=Secret(TOKEN),
                       boards=boards, base_url=server.url_for("/1"))  # fmt: skip
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


def by_board(snap: Snapshot) -> dict[str | None, list[str]]:
    out: dict[str | None, list[str]] = {}
    for t in snap.tasks:
        out.setdefault(t.container_id, []).append(t.id)
    return out


# -- full reads: cost and order ----------------------------------------------------------------


def test_full_read_costs_the_documented_minimum(server: HTTPServer) -> None:
    b1, b2, b3 = workspace()
    b1.cards, b2.cards = make_cards(2500, 0x67000000), make_cards(999, 0x66000000)
    fake = serve(server, b1, b2, b3)
    snap = connector(server).fetch()
    minimum = 1 + sum(1 + max(1, math.ceil(len(b.cards) / 1000)) for b in (b1, b2, b3))
    assert snap.requests == len(fake.requests) == minimum == 9
    assert len(snap.tasks) == 3499 == len({t.id for t in snap.tasks})


def test_boards_are_read_concurrently_in_config_order(server: HTTPServer) -> None:
    fake = serve(server, *workspace(), delay=0.05)
    snap = connector(server, boards=("Events", "Kampagner", "Indkøb")).fetch()
    assert fake.most_in_flight >= 2
    assert snap.containers == ("Events", "Kampagner", "Indkøb")
    assert list(by_board(snap)) == [B1, B2]  # Events has no cards
    assert [t.id for t in snap.tasks][:6] == [c["id"] for c in load("cards.json")]


def test_max_workers_one_reads_boards_one_at_a_time(server: HTTPServer) -> None:
    fake = serve(server, *workspace(), delay=0.02)
    snap = connector(server, max_workers=1).fetch()
    assert fake.most_in_flight == 1 and snap.containers == ("Kampagner", "Indkøb", "Events")


# -- incremental reads -------------------------------------------------------------------------


def test_incremental_read_of_an_unchanged_workspace_is_one_request(server: HTTPServer) -> None:
    fake = serve(server, *workspace())
    conn = connector(server)
    first = conn.fetch()
    fake.requests.clear()
    second = conn.fetch(since=first.fetched_at, previous=first)
    assert second.requests == 1 and fake.paths() == ["/members/me/boards"]
    assert (second.tasks, second.accounts, second.containers) == (
        first.tasks,
        first.accounts,
        first.containers,
    )
    assert second.state == first.state and second.fetched_at > first.fetched_at


def test_only_the_changed_board_is_read_again(server: HTTPServer) -> None:
    b1, b2, b3 = workspace()
    fake = serve(server, b1, b2, b3)
    conn = connector(server)
    first = conn.fetch()
    deleted, renamed = b2.cards[0]["id"], b2.cards[1]["id"]
    b2.cards = [{**b2.cards[1], "name": "Bestil nye poser"}, b2.cards[2]]
    b2.activity = datetime.now(UTC)
    fake.requests.clear()
    second = conn.fetch(since=first.fetched_at, previous=first)
    assert fake.paths() == ["/members/me/boards", f"/boards/{B2}", f"/boards/{B2}/cards"]
    assert second.requests == 3
    titles = {t.id: t.title for t in second.tasks}
    assert deleted not in titles  # a deleted card goes with the re-read of its board
    assert titles[renamed] == "Bestil nye poser"
    assert [t for t in second.tasks if t.container_id == B1] == [
        t for t in first.tasks if t.container_id == B1
    ]
    assert second.containers == first.containers


def test_activity_within_the_overlap_counts_as_a_change(server: HTTPServer) -> None:
    b1, b2, b3 = workspace()
    fake = serve(server, b1, b2, b3)
    conn = connector(server)
    first = conn.fetch()
    assert first.fetched_at is not None
    b3.activity = first.fetched_at - timedelta(seconds=30)  # clock skew: Trello is behind
    fake.requests.clear()
    conn.fetch(since=first.fetched_at, previous=first)
    assert fake.paths() == ["/members/me/boards", f"/boards/{B3}", f"/boards/{B3}/cards"]


def test_boards_by_id_outside_the_listing_are_probed(server: HTTPServer) -> None:
    b1, b2, b3 = workspace()
    b2.mine = False  # a board of the team the user is not a member of
    fake = serve(server, b1, b2, b3)
    conn = connector(server, boards=(B1, B2))
    first = conn.fetch()
    assert first.requests == 4  # given by id: no listing in a full read
    fake.requests.clear()
    second = conn.fetch(since=first.fetched_at, previous=first)
    assert fake.paths() == ["/members/me/boards", f"/boards/{B2}"]
    assert fake.requests[1][1]["fields"] == "all"
    assert second.tasks == first.tasks


def test_new_board_in_scope_is_read_and_a_closed_one_leaves(server: HTTPServer) -> None:
    b1, b2, b3 = workspace()
    b3.mine = False
    fake = serve(server, b1, b2, b3)
    conn = connector(server, boards=None)
    first = conn.fetch()
    assert first.containers == ("Kampagner", "Indkøb")
    b3.mine, b2.closed = True, True
    fake.requests.clear()
    second = conn.fetch(since=first.fetched_at, previous=first)
    assert second.containers == ("Kampagner", "Events")
    assert fake.paths() == ["/members/me/boards", f"/boards/{B3}", f"/boards/{B3}/cards"]
    assert B2 not in by_board(second)
    assert "aliceandersen" in {a.username for a in second.accounts}


def test_a_snapshot_without_state_is_read_in_full(server: HTTPServer) -> None:
    fake = serve(server, *workspace())
    conn = connector(server)
    first = conn.fetch()
    fake.requests.clear()
    second = conn.fetch(since=first.fetched_at, previous=replace(first, state={}))
    assert second.requests == 7 and second.tasks == first.tasks


def test_card_moved_to_a_changed_board_is_not_listed_twice(server: HTTPServer) -> None:
    b1, b2, b3 = workspace()
    fake = serve(server, b1, b2, b3)
    conn = connector(server)
    first = conn.fetch()
    b2.cards.append(b1.cards.pop(0))  # Kampagner's activity not (yet) showing the move
    b2.activity = datetime.now(UTC)
    fake.requests.clear()
    second = conn.fetch(since=first.fetched_at, previous=first)
    ids = [t.id for t in second.tasks]
    assert len(ids) == len(set(ids)) == len(first.tasks)
    assert next(t.container_id for t in second.tasks if t.id == load("cards.json")[0]["id"]) == B2


# -- paging guards -----------------------------------------------------------------------------


def test_a_server_that_ignores_limit_is_read_in_one_page(server: HTTPServer) -> None:
    b1 = FakeBoard(B1, "Kampagner", make_cards(2500, 0x67000000))
    fake = serve(server, b1, paging=False)
    snap = connector(server, boards=(B1,)).fetch()
    assert len(snap.tasks) == 2500 == len({t.id for t in snap.tasks})
    assert fake.paths().count(f"/boards/{B1}/cards") == 1 and snap.requests == 2


def test_a_page_answered_twice_ends_the_listing(
    server: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Exactly 1000 cards from a server that ignores `before`: the repeat adds nothing."""
    b1 = FakeBoard(B1, "Kampagner", make_cards(1000, 0x67000000))
    fake = serve(server, b1, paging=False)
    with caplog.at_level(logging.WARNING, "raci_sync.trello"):
        snap = connector(server, boards=(B1,)).fetch()
    assert len(snap.tasks) == 1000 and fake.paths().count(f"/boards/{B1}/cards") == 2
    assert "ignored `before`" in caplog.text


def test_live_paging_across_pages(server: HTTPServer) -> None:
    b1 = FakeBoard(B1, "Kampagner", make_cards(2000, 0x67000000, per_second=3))
    fake = serve(server, b1)
    snap = connector(server, boards=(B1,)).fetch()
    assert len(snap.tasks) == 2000 == len({t.id for t in snap.tasks})
    pages = [q for p, q in fake.requests if p.endswith("/cards")]
    assert len(pages) == 3  # 1000, 1000 (+ the re-read of a second), then the rest
    assert all(q["limit"] == "1000" for q in pages) and "before" not in pages[0]


# -- pure helpers ------------------------------------------------------------------------------


def test_board_summary_reads_activity() -> None:
    raw = load("members_me_boards.json")[0]  # a `fields=all` board: the rest is ignored
    s = board_summary_from_trello(raw, "x")
    assert s == BoardSummary(B1, "Kampagner", False, datetime(2026, 12, 6, 17, 21, 40, 512000, UTC))
    day = board_summary_from_trello({**raw, "dateLastActivity": "2026-12-06"}, "x")
    assert day.last_activity == datetime(2026, 12, 7, tzinfo=UTC)  # the end of that day
    assert board_summary_from_trello({"id": B1}, "x").last_activity is None


def test_board_changed() -> None:
    cached = ("Kampagner", frozenset())
    cutoff = datetime(2026, 12, 7, 9, tzinfo=UTC)
    quiet = BoardSummary(B1, "Kampagner", last_activity=cutoff - timedelta(seconds=1))
    assert not board_changed(quiet, cached, cutoff)
    assert board_changed(
        replace(quiet, last_activity=cutoff + timedelta(seconds=1)), cached, cutoff
    )
    assert board_changed(replace(quiet, name="Kampagner 2027"), cached, cutoff)
    assert board_changed(replace(quiet, last_activity=None), cached, cutoff)
    assert board_changed(None, cached, cutoff) and board_changed(quiet, None, cutoff)


def test_state_round_trip_and_damaged_state() -> None:
    alice = Account("x", "5e8f1a2b3c4d5e6f70819201", "Alice Andersen", "aliceandersen")
    state = state_from_reads([BoardRead(B1, "Kampagner", (), (alice,)), BoardRead(B2, "Ø", (), ())])
    assert all(isinstance(v, str) for v in state.values())
    assert cached_boards(state) == {
        B1: ("Kampagner", frozenset({alice.id})),
        B2: ("Ø", frozenset()),
    }
    for bad in ({}, {"boards": "{"}, {"boards": "[1]"}, {"boards": '{"x": {"name": "n"}}'}):
        assert cached_boards(bad) == {}


def test_kept_board_keeps_its_tasks_and_accounts() -> None:
    bob = Account("x", "b", "Bo Berg")
    snap = Snapshot("x", "trello", tasks=(), accounts=(bob, Account("x", "c")))
    kept = kept_board(B1, ("Kampagner", frozenset({"b"})), snap)
    assert kept == BoardRead(B1, "Kampagner", (), (bob,))


def test_changed_done_lists_reads_every_board_again(server: HTTPServer) -> None:
    fake = serve(server, *workspace())
    first = connector(server).fetch()
    conn = connector(server)
    conn.source = replace(conn.source, done_lists=("I gang",))
    fake.requests.clear()
    second = conn.fetch(since=first.fetched_at, previous=first)
    assert second.requests == 7  # the kept tasks' states were made with other done lists
    assert any(t.state.value == "done" and t.group == "I gang" for t in second.tasks)
