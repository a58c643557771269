"""The Trello part of the demo: the recording replayed through the real connector."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from types import ModuleType

import pytest

from raci_sync.config import Secret, SourceConfig
from raci_sync.connectors.base import make_connector, make_http
from raci_sync.demo import DEMO_TODAY, demo_config
from raci_sync.demo.replay import Cassette, Replay, mount_handler
from raci_sync.mapping import evaluate
from raci_sync.model import Snapshot, State

REPO = Path(__file__).resolve().parents[2]
RECORDING = REPO / "src" / "raci_sync" / "demo" / "recordings" / "trello.json"


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("demo_trello", REPO / "tools" / "demo_trello.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["demo_trello"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def replay_fetch(boards: tuple[str, ...] | None = ("Indhold & SoMe",)) -> tuple[Snapshot, Replay]:
    replay = Replay([Cassette.load(RECORDING)])
    src = SourceConfig(name="indhold", kind="trello", key=Secret("demo-key"),
                       token=Secret("demo-token"), boards=boards, done_lists=("Udgivet",))  # fmt: skip
    http = make_http(src, mount=mount_handler(replay, ["https://api.trello.com/"]))
    return make_connector(src, http).fetch(), replay


@pytest.fixture(scope="module")
def snap() -> Snapshot:
    snapshot, replay = replay_fetch()
    assert replay.misses == []
    return snapshot


def test_recording_is_up_to_date() -> None:
    assert RECORDING.read_text(encoding="utf-8") == generator().build().to_json() + "\n", (
        "run tools/demo_trello.py"
    )


def test_tasks_and_states(snap: Snapshot) -> None:
    assert snap.containers == ("Indhold & SoMe",)
    assert snap.requests == 3
    assert len(snap.tasks) == 14
    states = {t.title: t.state for t in snap.tasks}
    assert sum(s is State.OPEN for s in states.values()) == 10
    assert states["Podcast-sponsorat: Kaffesnak"] is State.ARCHIVED
    assert states["Website: Nyt forsidebanner"] is State.DONE  # dueComplete
    assert states["Pressemeddelelse: Nyt risteri i Aarhus"] is State.DONE  # list "Udgivet"
    assert states["Instagram: Black Friday-tilbud"] is State.DONE


def test_fields(snap: Snapshot) -> None:
    by_title = {t.title: t for t in snap.tasks}
    names = {a.id: a.username for a in snap.accounts}
    t = by_title["Produktfotos: Ny etiopisk single origin"]
    fields = {f.title or f.key: f for f in t.fields}
    assert [names[a] for a in fields["members"].accounts] == ["kasperfoto"]
    assert fields["Accountable"].names == ("Mette Sørensen",)
    assert fields["Timer"].number == 6.0
    assert t.due == date(2026, 12, 11) and t.group == "I gang" and t.labels == ("Foto",)
    consulted = {f.title: f for f in by_title["Kundeundersøgelse: Smagspræferencer 2027"].fields}
    assert consulted["Consulted"].names == (
        "Mette Sørensen", "Jonas Kristensen", "Sofie Lund", "Anders Holm",
    )  # fmt: skip
    assert by_title["Kundeundersøgelse: Smagspræferencer 2027"].due is None
    no_owner = by_title["LinkedIn-opslag: Bæredygtighedsrapport 2026"].fields
    assert [(f.key, f.title, f.accounts) for f in no_owner] == [
        ("members", None, ()),
        ("field", "Timer", ()),
    ]


def test_freja_has_four_open_cards_in_the_window(snap: Snapshot) -> None:
    frejan = next(a.id for a in snap.accounts if a.username == "frejan")
    cards = [
        t for t in snap.tasks
        if t.is_open and any(frejan in f.accounts for f in t.fields if f.key == "members")
    ]  # fmt: skip
    assert len(cards) == 4
    assert all(t.due and date(2026, 12, 7) <= t.due <= date(2026, 12, 20) for t in cards)
    assert sorted(f.number for t in cards for f in t.fields if f.title == "Timer") == [5, 6, 7, 8]


def test_accounts(snap: Snapshot) -> None:
    assert {(a.username, a.name) for a in snap.accounts} == {
        ("mettesorensen", "Mette Sørensen"),
        ("jonaskr", "Jonas Kristensen"),
        ("andersholm", "Anders Holm"),
        ("frejan", "Freja N"),
        ("kasperfoto", "Kasper Vinther"),
    }


def test_omitted_boards_read_only_the_open_board() -> None:
    snapshot, replay = replay_fetch(boards=None)
    assert replay.misses == []
    assert snapshot.containers == ("Indhold & SoMe",) and len(snapshot.tasks) == 14


def test_check_names_mette() -> None:
    replay = Replay([Cassette.load(RECORDING)])
    src = SourceConfig(name="indhold", kind="trello", key=Secret("k"), token=Secret("t"))
    http = make_http(src, mount=mount_handler(replay, ["https://api.trello.com/"]))
    assert make_connector(src, http).check() == "Mette Sørensen (@mettesorensen)"


def test_the_checks_the_demo_is_built_for(snap: Snapshot, tmp_path: Path) -> None:
    """With the demo config, the Trello board alone makes these checks fire."""
    result = evaluate(snap.tasks, snap.accounts, demo_config(tmp_path / "s.sqlite"), DEMO_TODAY)
    found = {(f.check, f.task) for f in result.findings}
    assert ("no-owner", "LinkedIn-opslag: Bæredygtighedsrapport 2026") in found
    assert ("no-accountable", "TikTok-serie: Baristatips") in found
    assert ("too-many-consulted", "Kundeundersøgelse: Smagspræferencer 2027") in found
    assert not any(f.task == "Produktfotos: Ny etiopisk single origin" for f in result.findings)
    suggestion = next(f.suggestion for f in result.findings if f.check == "no-accountable")
    assert suggestion and "Jonas Kristensen" in suggestion
    assert [u.account for u in result.unmatched] == ["kasperfoto"]


def test_incremental_replay_of_the_unchanged_demo_board(snap: Snapshot) -> None:
    """On the demo's Monday morning nothing changed since Sunday: only the listing is asked."""
    replay = Replay([Cassette.load(RECORDING)])
    src = SourceConfig(name="indhold", kind="trello", key=Secret("demo-key"),
                       token=Secret("demo-token"), boards=("Indhold & SoMe",),
                       done_lists=("Udgivet",))  # fmt: skip
    http = make_http(src, mount=mount_handler(replay, ["https://api.trello.com/"]))
    since = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
    again = make_connector(src, http).fetch(since=since, previous=snap)
    assert replay.misses == []
    assert again.requests == 1 and again.tasks == snap.tasks and again.accounts == snap.accounts
