"""The Asana demo recording, replayed through the real connector with the demo's config."""

from __future__ import annotations

import importlib.util
import sys
from datetime import date
from pathlib import Path
from types import ModuleType

import pytest

from raci_sync.connectors.base import make_connector, make_http
from raci_sync.demo import demo_config
from raci_sync.demo.replay import Cassette, Replay, mount_handler
from raci_sync.model import Snapshot, State, Task

REPO = Path(__file__).resolve().parents[2]
RECORDING = REPO / "src" / "raci_sync" / "demo" / "recordings" / "asana.json"
WINDOW = (date(2026, 12, 7), date(2026, 12, 20))


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("demo_asana", REPO / "tools" / "demo_asana.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Snapshot, Replay, str]:
    cfg = demo_config(tmp_path_factory.mktemp("demo") / "raci.sqlite")
    [source] = [s for s in cfg.sources if s.kind == "asana"]
    replay = Replay([Cassette.load(RECORDING)])
    http = make_http(source, mount=mount_handler(replay, ["https://app.asana.com/"]))
    conn = make_connector(source, http)
    me = conn.check()
    return conn.fetch(), replay, me


@pytest.fixture(scope="module")
def snap(replayed: tuple[Snapshot, Replay, str]) -> Snapshot:
    return replayed[0]


def letters(snap: Snapshot, task: Task) -> dict[str, tuple[str, ...]]:
    """R, A, C by name under the default Asana roles (assignee, Accountable, Consulted)."""
    names = {a.id: a.name or a.id for a in snap.accounts}
    ref = {"R": ("assignee", None), "A": ("field", "Accountable"), "C": ("field", "Consulted")}
    out: dict[str, tuple[str, ...]] = {}
    for letter, (key, title) in ref.items():
        ids = [i for f in task.fields if f.key == key and f.title == title for i in f.accounts]
        out[letter] = tuple(names[i] for i in ids)
    return out


def effort(task: Task) -> float | None:
    return next((f.number for f in task.fields if f.title == "Timer"), None)


def by_title(snap: Snapshot, title: str) -> Task:
    [task] = [t for t in snap.tasks if t.title == title]
    return task


def test_recording_is_what_the_generator_makes() -> None:
    assert generator().main(["--check"]) == 0, "run: .venv/bin/python tools/demo_asana.py"


def test_replay_answers_every_request(replayed: tuple[Snapshot, Replay, str]) -> None:
    snap, replay, me = replayed
    assert replay.misses == []
    assert me == "Jonas Kristensen <jonas@nordlyskaffe.dk>"
    # workspaces, projects, 2 × field settings, users, 2 × project tasks, 1 × subtasks
    assert snap.requests == 8


def test_an_incremental_sync_replays_with_one_request_per_project(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    cfg = demo_config(tmp_path_factory.mktemp("demo") / "raci.sqlite")
    [source] = [s for s in cfg.sources if s.kind == "asana"]
    replay = Replay([Cassette.load(RECORDING)])
    http = make_http(source, mount=mount_handler(replay, ["https://app.asana.com/"]))
    conn = make_connector(source, http)
    full = conn.fetch()
    again = conn.fetch(full.fetched_at, full)
    assert replay.misses == []
    assert (full.requests, again.requests) == (8, 2)  # unchanged: one request per project
    assert again.tasks == full.tasks and again.accounts == full.accounts


def test_check_scope_replays_and_finds_every_reference(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    cfg = demo_config(tmp_path_factory.mktemp("demo") / "raci.sqlite")
    [source] = [s for s in cfg.sources if s.kind == "asana"]
    replay = Replay([Cassette.load(RECORDING)])
    http = make_http(source, mount=mount_handler(replay, ["https://app.asana.com/"]))
    report = make_connector(source, http).check_scope()
    assert replay.misses == []
    assert report.who == "Jonas Kristensen <jonas@nordlyskaffe.dk>"
    assert report.containers == ("Kampagne Q1 2027", "Analyse & Rapportering")
    assert report.fields["Kampagne Q1 2027"] == (
        "Accountable (people)",
        "Consulted (people)",
        "Timer (number)",
        "Kanal (enum)",
    )
    assert report.problems == report.warnings == ()
    [note] = report.notes
    # the full read costs 8: one more for the one task with subtasks, which no count tells
    assert "at least 7 requests" in note and "a listing per task with subtasks" in note
    assert "at 150 requests/min" in note and "requests_per_minute = 1500" in note


def test_tasks_and_people(snap: Snapshot) -> None:
    assert len(snap.tasks) == 16
    assert sum(t.state is State.OPEN for t in snap.tasks) == 13
    done = {t.title for t in snap.tasks if t.state is State.DONE}
    assert done == {
        "Månedsrapport for november",
        "Evaluering af Black Friday-kampagnen",
        "Opsæt UTM-tracking på kampagnelinks",
    }
    assert snap.containers == ("Kampagne Q1 2027", "Analyse & Rapportering")
    assert {(a.name, a.email) for a in snap.accounts} == {
        ("Mette Sørensen", "mette@nordlyskaffe.dk"),
        ("Jonas Kristensen", "jonas@nordlyskaffe.dk"),
        ("Anders Holm", "anders@nordlyskaffe.dk"),
        ("Sofie Lund", "sofie@nordlyskaffe.dk"),
        ("Freja Nørgaard", "freja@nordlyskaffe.dk"),
    }
    assert all(len(t.id) == 16 and t.id.isdigit() for t in snap.tasks)


def test_task_in_both_projects_comes_out_once(snap: Snapshot) -> None:
    kpi = by_title(snap, "KPI'er og måltal for Q1-kampagnen")
    assert (kpi.container, kpi.group) == ("Kampagne Q1 2027", "Strategi")


def test_subtasks_have_their_own_people(snap: Snapshot) -> None:
    video = by_title(snap, "Produktion af kampagnevideo")
    subs = [t for t in snap.tasks if t.parent_id == video.id]
    assert [(t.title, letters(snap, t)["R"], letters(snap, t)["A"]) for t in subs] == [
        ("Skriv manuskript til kampagnevideo", ("Anders Holm",), ("Jonas Kristensen",)),
        ("Klip video til Instagram og Reels", ("Freja Nørgaard",), ("Mette Sørensen",)),
    ]
    assert all((t.container, t.group) == ("Kampagne Q1 2027", "Produktion") for t in subs)


def test_every_check_has_its_case(snap: Snapshot) -> None:
    open_tasks = [t for t in snap.tasks if t.is_open]
    hat = by_title(snap, "Fastlæg kampagnebudskab for Q1")  # the Strategi rule fills A
    assert (hat.group, letters(snap, hat)["R"], letters(snap, hat)["A"]) == (
        "Strategi",
        ("Jonas Kristensen",),
        (),
    )
    no_r = letters(snap, by_title(snap, "Vælg kanaler og fordel mediebudget"))
    assert (no_r["R"], no_r["A"]) == ((), ("Mette Sørensen",))
    no_owner = by_title(snap, "Produktfotos af vinterblend")
    assert letters(snap, no_owner) == {"R": (), "A": (), "C": ()}
    assert no_owner.group == "Produktion"  # no hat rule covers it
    consulted = letters(snap, by_title(snap, "Definér målgrupper og personas"))["C"]
    assert len(consulted) == 4 and "Sofie Lund" in consulted
    mette_a = [t for t in open_tasks if "Mette Sørensen" in letters(snap, t)["A"]]
    assert len(mette_a) == 9  # + the hat-filled one = 10 of 13 open tasks
    sofie = [t for t in open_tasks if "Sofie Lund" in letters(snap, t)["R"] + letters(snap, t)["A"]]
    assert sofie == []
    assert len([t for t in open_tasks if "Sofie Lund" in letters(snap, t)["C"]]) == 4
    assert by_title(snap, "Landingsside til Q1-kampagnen").due == date(2026, 12, 1)
    assert by_title(snap, "Dashboard til sociale medier").due is None


def test_freja_carries_a_heavy_window(snap: Snapshot) -> None:
    frejas = [t for t in snap.tasks if t.is_open and "Freja Nørgaard" in letters(snap, t)["R"]]
    assert len(frejas) == 4
    assert all(t.due and WINDOW[0] <= t.due <= WINDOW[1] for t in frejas)
    assert all(6 <= (effort(t) or 0) <= 10 for t in frejas)
    assert sum(effort(t) or 0 for t in frejas) == 27


def test_custom_field_values(snap: Snapshot) -> None:
    karrusel = by_title(snap, "Instagram-karrusel: julens kaffeblend")
    kanal = next(f for f in karrusel.fields if f.title == "Kanal")
    assert (kanal.kind, kanal.text) == ("enum", "Instagram")
    assert karrusel.labels == ("Jul",)
    assert effort(karrusel) == 8
    assert karrusel.url and karrusel.url.startswith("https://app.asana.com/1/")
