"""Trello against a real local server: incremental reads, concurrency, paging guards, costs.

``FakeTrello`` (tests/fakes/trello_fixtures.py) answers the routes the connector uses with
spec-shaped bodies (built from the fixtures), pages cards like the live API (or ignores
``limit``/``before`` like a fake built from the spec, which documents neither), and can answer a
route with queued faults first.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from raci_sync.config import Bounds, Config
from raci_sync.connectors.trello.convert import BoardSummary, board_summary_from_trello
from raci_sync.connectors.trello.incremental import (
    BoardRead,
    board_changed,
    from_state,
    kept_board,
    to_state,
)
from raci_sync.errors import SourceError
from raci_sync.model import Account, Snapshot
from raci_sync.store import Store
from raci_sync.sync import SyncOptions, sync
from tests.fakes.trello_fixtures import (
    B1,
    B2,
    B3,
    FakeBoard,
    load,
    make_cards,
    serve,
    server_connector,
    workspace,
)


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
    snap = server_connector(server).fetch()
    minimum = 1 + sum(1 + max(1, math.ceil(len(b.cards) / 1000)) for b in (b1, b2, b3))
    assert snap.requests == len(fake.requests) == minimum == 9
    assert len(snap.tasks) == 3499 == len({t.id for t in snap.tasks})


def test_boards_are_read_concurrently_in_config_order(server: HTTPServer) -> None:
    fake = serve(server, *workspace(), delay=0.05)
    snap = server_connector(server, boards=("Events", "Kampagner", "Indkøb")).fetch()
    assert fake.most_in_flight >= 2
    assert snap.containers == ("Events", "Kampagner", "Indkøb")
    assert list(by_board(snap)) == [B1, B2]  # Events has no cards
    assert [t.id for t in snap.tasks][:6] == [c["id"] for c in load("cards.json")]


def test_max_workers_one_reads_boards_one_at_a_time(server: HTTPServer) -> None:
    fake = serve(server, *workspace(), delay=0.02)
    snap = server_connector(server, max_workers=1).fetch()
    assert fake.most_in_flight == 1 and snap.containers == ("Kampagner", "Indkøb", "Events")


# -- incremental reads -------------------------------------------------------------------------


def test_incremental_read_of_an_unchanged_workspace_is_one_request(server: HTTPServer) -> None:
    fake = serve(server, *workspace())
    conn = server_connector(server)
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
    conn = server_connector(server)
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
    conn = server_connector(server)
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
    conn = server_connector(server, boards=(B1, B2))
    first = conn.fetch()
    assert first.requests == 4  # given by id: no listing in a full read
    fake.requests.clear()
    second = conn.fetch(since=first.fetched_at, previous=first)
    assert fake.paths() == ["/members/me/boards", f"/boards/{B2}"]
    assert fake.requests[1][1]["fields"] == "name,closed,dateLastActivity"
    assert second.tasks == first.tasks


def test_new_board_in_scope_is_read_and_a_closed_one_leaves(server: HTTPServer) -> None:
    b1, b2, b3 = workspace()
    b3.mine = False
    fake = serve(server, b1, b2, b3)
    conn = server_connector(server, boards=None)
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
    conn = server_connector(server)
    first = conn.fetch()
    fake.requests.clear()
    second = conn.fetch(since=first.fetched_at, previous=replace(first, state={}))
    assert second.requests == 7 and second.tasks == first.tasks


def test_card_moved_to_a_changed_board_is_not_listed_twice(server: HTTPServer) -> None:
    b1, b2, b3 = workspace()
    fake = serve(server, b1, b2, b3)
    conn = server_connector(server)
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
    snap = server_connector(server, boards=(B1,)).fetch()
    assert len(snap.tasks) == 2500 == len({t.id for t in snap.tasks})
    assert fake.paths().count(f"/boards/{B1}/cards") == 1 and snap.requests == 2


def test_a_page_answered_twice_fails_the_read(server: HTTPServer) -> None:
    """Exactly 1000 cards from a server that ignores `limit` and `before`: the second page is
    the first again, so whether the board holds more is unknown."""
    b1 = FakeBoard(B1, "Kampagner", make_cards(1000, 0x67000000))
    fake = serve(server, b1, paging=False)
    with pytest.raises(SourceError, match="answered a page again") as err:
        server_connector(server, boards=(B1,)).fetch()
    assert fake.paths().count(f"/boards/{B1}/cards") == 2
    assert "1000 cards were read but the board may hold more" in str(err.value)


def test_a_server_that_ignores_before_fails_the_source_and_keeps_its_snapshot(
    server: HTTPServer, tmp_path: Path
) -> None:
    """The 1,000 of 1,195 cards once stored as "the end of the board" with exit 0."""
    b1 = FakeBoard(B1, "Kampagner", make_cards(1195, 0x67000000))
    fake = serve(server, b1)
    conn = server_connector(server, boards=(B1,))
    config = Config(path=None, sources=(conn.source,))
    with Store(tmp_path / "s.sqlite") as store:
        first = sync(config, store, SyncOptions(full=True, rate_limits=False))
        assert first.run.sources[0].status == "ok" and first.run.sources[0].tasks == 1195
        fake.ignore_before = True
        again = sync(config, store, SyncOptions(full=True, rate_limits=False))
        outcome = again.run.sources[0]
        kept = store.current_snapshot("indhold")
    assert outcome.status == "failed" and "ignored `before`" in (outcome.error or "")
    assert kept is not None and len(kept.tasks) == 1195


def test_a_board_longer_than_max_pages_fails_the_read(server: HTTPServer) -> None:
    serve(server, FakeBoard(B1, "Kampagner", make_cards(2500, 0x67000000)))
    conn = server_connector(server, boards=(B1,))
    conn.source = replace(conn.source, bounds=Bounds(max_pages=2))
    with pytest.raises(SourceError, match=r"still had cards after 2 pages of 1000"):
        conn.fetch()
    conn.source = replace(conn.source, bounds=Bounds(max_pages=3))
    assert len(conn.fetch().tasks) == 2500


def test_live_paging_across_pages(server: HTTPServer) -> None:
    b1 = FakeBoard(B1, "Kampagner", make_cards(2000, 0x67000000, per_second=3))
    fake = serve(server, b1)
    snap = server_connector(server, boards=(B1,)).fetch()
    assert len(snap.tasks) == 2000 == len({t.id for t in snap.tasks})
    pages = [q for p, q in fake.requests if p.endswith("/cards")]
    assert len(pages) == 3  # 1000, 1000 (+ the re-read of a second), then the rest
    assert all(q["limit"] == "1000" for q in pages) and "before" not in pages[0]


# -- pure helpers ------------------------------------------------------------------------------


def test_board_summary_reads_activity() -> None:
    raw = {**load("members_me_boards.json")[0], "desc": "", "pinned": False}  # the rest: ignored
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
    state = to_state([BoardRead(B1, "Kampagner", (), (alice,)), BoardRead(B2, "Ø", (), ())])
    assert all(isinstance(v, str) for v in state.values())
    assert from_state(state) == {
        B1: ("Kampagner", frozenset({alice.id})),
        B2: ("Ø", frozenset()),
    }
    for bad in ({}, {"boards": "{"}, {"boards": "[1]"}, {"boards": '{"x": {"name": "n"}}'}):
        assert from_state(bad) == {}


def test_kept_board_keeps_its_tasks_and_accounts() -> None:
    bob = Account("x", "b", "Bo Berg")
    snap = Snapshot("x", "trello", tasks=(), accounts=(bob, Account("x", "c")))
    kept = kept_board(B1, ("Kampagner", frozenset({"b"})), snap)
    assert kept == BoardRead(B1, "Kampagner", (), (bob,))


def test_changed_done_lists_reads_every_board_again(server: HTTPServer) -> None:
    fake = serve(server, *workspace())
    first = server_connector(server).fetch()
    conn = server_connector(server)
    conn.source = replace(conn.source, done_lists=("I gang",))
    fake.requests.clear()
    second = conn.fetch(since=first.fetched_at, previous=first)
    assert second.requests == 7  # the kept tasks' states were made with other done lists
    assert any(t.state.value == "done" and t.group == "I gang" for t in second.tasks)
