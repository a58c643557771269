"""The monday demo recording, replayed through the real connector, gives the designed board."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from raci_sync.config import FieldsConfig, Secret, SourceConfig, load_config
from raci_sync.connectors.http import HttpClient
from raci_sync.connectors.monday.client import DEFAULT_BASE_URL, MondayConnector
from raci_sync.demo.replay import Cassette, Replay, mount_handler
from raci_sync.model import Snapshot, State, Task

DEMO = Path(__file__).resolve().parents[2] / "src" / "raci_sync" / "demo"
METTE, JONAS, ANDERS, FREJA, LINE = "61204518", "61204533", "61204547", "61204562", "61298044"


def replay(boards: tuple[str, ...] | None = ("Events & PR",)) -> tuple[MondayConnector, Replay]:
    rep = Replay([Cassette.load(DEMO / "recordings" / "monday.json")])
    src = SourceConfig(
        name="events",
        kind="monday",
        token=Secret("demo"),
        boards=boards,
        fields=FieldsConfig(effort="Timer", status="Status", due="Deadline"),
    )
    http = HttpClient(
        describe="source 'events' (monday)", mount=mount_handler(rep, [DEFAULT_BASE_URL])
    )
    return MondayConnector(src, http), rep


@pytest.fixture(scope="module")
def snap() -> Snapshot:
    connector, rep = replay()
    result = connector.fetch()
    assert rep.misses == []
    return result


def by_title(snap: Snapshot) -> dict[str, Task]:
    return {t.title: t for t in snap.tasks}


def people(task: Task, title: str) -> tuple[str, ...]:
    return next(f.accounts for f in task.fields if f.title == title)


def test_the_board_has_ten_items_and_two_subitems(snap: Snapshot) -> None:
    assert snap.containers == ("Events & PR",)
    assert len(snap.tasks) == 12
    assert len([t for t in snap.tasks if t.parent_id]) == 2
    assert snap.requests == 3  # board list, users + teams, one items page
    assert {t.group for t in snap.tasks} == {"Planlagt", "I gang", "Afsluttet"}


def test_states(snap: Snapshot) -> None:
    t = by_title(snap)
    assert t["Pressefotos fra risteriet"].state is State.DONE
    assert t["Sommerfest 2026 – opsamling"].state is State.ARCHIVED
    assert t["Send invitationer til fagpressen"].state is State.DONE
    assert sum(x.state is State.OPEN for x in snap.tasks) == 9


def test_the_ownership_problems_are_in_the_data(snap: Snapshot) -> None:
    t = by_title(snap)
    assert people(t["Pressemeddelelse: Ny juleblend"], "Accountable") == (METTE, JONAS)
    # team Indholdsteamet (Anders, Freja) + Jonas + Line: four R
    assert people(t["Lanceringsevent for vinterkaffen"], "Person") == (ANDERS, FREJA, JONAS, LINE)
    assert people(t["Mediekontakt til julekampagnen"], "Person") == (LINE,)
    assert people(t["Pressekit 2027"], "Person") == ()
    assert people(t["Pressekit 2027"], "Accountable") == (METTE,)
    open_a = [x for x in snap.tasks if x.is_open and METTE in people_or_empty(x, "Accountable")]
    assert len(open_a) == 8


def people_or_empty(task: Task, title: str) -> tuple[str, ...]:
    return next((f.accounts for f in task.fields if f.title == title), ())


def test_freja_carries_hours_due_in_the_window(snap: Snapshot) -> None:
    window = (date(2026, 12, 7), date(2026, 12, 20))
    hers = [
        x
        for x in snap.tasks
        if x.is_open
        and people(x, "Person") == (FREJA,)
        and x.due
        and window[0] <= x.due <= window[1]
    ]
    hours = sorted(next(f.number for f in x.fields if f.title == "Timer") for x in hers)
    assert hours == [6.0, 8.0]


def test_subitems_sit_under_their_parent(snap: Snapshot) -> None:
    t = by_title(snap)
    parent = t["Kaffesmagning for journalister"]
    sub = t["Bestil smagsprøver fra risteriet"]
    assert sub.parent_id == parent.id and sub.group == parent.group == "I gang"
    assert people(sub, "Person") == (ANDERS,) and sub.due == date(2026, 12, 14)


def test_accounts_include_the_guest_with_the_emails_as_monday_has_them(snap: Snapshot) -> None:
    acc = {a.id: a for a in snap.accounts}
    assert acc[LINE].name == "Line Bech" and acc[LINE].email == "line@pr-bureau.dk"
    assert acc[JONAS].email == "Jonas@NordlysKaffe.dk"
    assert len(acc) == 5


@pytest.mark.parametrize("boards", [None, ("1847263950",), ("events & pr",)])
def test_other_scopes_replay_too(boards: tuple[str, ...] | None) -> None:
    connector, rep = replay(boards)
    assert len(connector.fetch().tasks) == 12
    assert rep.misses == []


def test_an_incremental_read_replays_in_one_request(snap: Snapshot) -> None:
    connector, rep = replay()
    again = connector.fetch(since=datetime(2026, 12, 4, 11, 0, tzinfo=UTC), previous=snap)
    assert rep.misses == []
    assert again.requests == 1  # the board and its subitems board in one query
    assert again.tasks == snap.tasks  # the recording did not change: the merge is exact
    assert again.accounts == snap.accounts and again.state == snap.state


def test_check_replays() -> None:
    connector, rep = replay()
    assert connector.check() == "Mette Sørensen <mette@nordlyskaffe.dk>"
    assert rep.misses == []


def test_the_demo_config_source_replays_without_misses() -> None:
    cfg = load_config(DEMO / "demo.toml", env={"RACI_DEMO_TOKEN": "t", "RACI_DEMO_KEY": "k"})
    sources = [s for s in cfg.sources if s.kind == "monday"]
    assert sources
    rep = Replay([Cassette.load(DEMO / "recordings" / "monday.json")])
    for src in sources:
        http = HttpClient(describe=src.name, mount=mount_handler(rep, [DEFAULT_BASE_URL]))
        assert len(MondayConnector(src, http).fetch().tasks) == 12
    assert rep.misses == []
