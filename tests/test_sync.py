"""Orchestration end to end: the demo through the real connectors, failures, full vs incremental."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from raci_sync.demo import DEMO_TODAY, demo_config, demo_mount, demo_replay
from raci_sync.demo.replay import Replay, mount_handler, request_parts
from raci_sync.model import CHECK_IDS
from raci_sync.reports.json import render_json
from raci_sync.store import Store
from raci_sync.sync import SyncOptions, SyncResult, _plan, build_report, report_from_sync, sync


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(tmp_path / "s.sqlite") as s:
        yield s


def demo_sync(
    store: Store, tmp_path: Path, mount: Any = None, only: tuple[str, ...] = ()
) -> tuple[Any, SyncResult, Replay]:
    """Sync the demo; always a full read (the recordings hold full reads only)."""
    cfg = demo_config(tmp_path / "s.sqlite")
    replay = demo_replay()
    opts = SyncOptions(mount=mount or demo_mount(replay), rate_limits=False, full=True, only=only)
    result = sync(cfg, store, opts)
    return cfg, result, replay


def test_demo_syncs_every_source_and_shows_every_check(store: Store, tmp_path: Path) -> None:
    cfg, run, replay = demo_sync(store, tmp_path)
    assert replay.misses == []
    assert [(s.name, s.status) for s in run.sources] == [
        ("indhold", "ok"),
        ("kampagner", "ok"),
        ("events", "ok"),
    ]
    data = build_report(cfg, store, DEMO_TODAY)
    fired = {f.check for f in data.findings}
    assert fired == set(CHECK_IDS), f"the demo does not show {set(CHECK_IDS) - fired}"
    assert {u.account for u in data.unmatched} >= {"kasperfoto"}
    assert len(data.tasks) == sum(s.tasks for s in run.sources)
    assert [s.tool for s in data.sources] == ["Trello", "Asana", "monday.com"]  # from KINDS
    # the run's conclusions are kept for trends
    assert store.counts()["evaluations"] == 1 and store.counts()["findings"] > 0


def failing_for(path_prefix: str, status: int, body: str) -> Any:
    """A transport answering from the demo recordings, except one API that fails."""
    replay = demo_replay()

    def handler(request: requests.PreparedRequest) -> tuple[int, dict[str, str], Any]:
        _, path, _, _ = request_parts(request)
        if path.startswith(path_prefix):
            return status, {"Content-Type": "text/plain"}, body
        return replay(request)

    return mount_handler(handler, [c.base_url for c in replay.cassettes])


def test_failed_source_keeps_its_last_good_snapshot(store: Store, tmp_path: Path) -> None:
    cfg, first, _ = demo_sync(store, tmp_path)
    trello_tasks = first.sources[0].tasks
    _, second, _ = demo_sync(store, tmp_path, failing_for("/1/", 401, "invalid token"))
    indhold = second.sources[0]
    assert indhold.status == "failed" and "401" in (indhold.error or "")
    assert "demo-token" not in (indhold.error or "") and "demo-key" not in (indhold.error or "")
    assert [s.status for s in second.sources[1:]] == ["ok", "ok"]
    assert second.failed
    data = build_report(cfg, store, DEMO_TODAY)
    status = {s.name: s for s in data.sources}["indhold"]
    assert status.status == "failed" and status.tasks == trello_tasks
    assert status.stale_since is not None and status.synced_at is not None
    assert sum(t.source == "indhold" for t in data.tasks) == trello_tasks  # never "no tasks"


def test_a_bug_in_one_connector_fails_only_that_source(store: Store, tmp_path: Path) -> None:
    replay = demo_replay()

    def handler(request: requests.PreparedRequest) -> tuple[int, dict[str, str], Any]:
        if "monday" in (request.url or ""):
            raise RuntimeError("boom")
        return replay(request)

    mount = mount_handler(handler, [c.base_url for c in replay.cassettes])
    _, run, _ = demo_sync(store, tmp_path, mount)
    status = {s.name: s for s in run.sources}
    assert status["events"].status == "failed" and "internal error" in status["events"].error
    assert status["indhold"].status == "ok" and status["kampagner"].status == "ok"


def test_plan_is_full_first_then_incremental_then_full_when_due(
    store: Store, tmp_path: Path
) -> None:
    cfg = demo_config(tmp_path / "s.sqlite")
    source = cfg.sources[0]
    now = datetime.now().astimezone()
    assert _plan(cfg, store, source, False, now).since is None  # never synced: full
    demo_sync(store, tmp_path)
    plan = _plan(cfg, store, source, False, now + timedelta(minutes=5))
    assert plan.since is not None and plan.previous is not None  # recent full read: incremental
    assert len(plan.previous.tasks) == 14
    assert _plan(cfg, store, source, True, now).since is None  # --full
    later = now + timedelta(hours=cfg.sync.full_every_hours + 1)
    assert _plan(cfg, store, source, False, later).since is None  # periodic full read is due
    shorter = replace(cfg, sync=replace(cfg.sync, full_every_hours=0))
    assert _plan(shorter, store, source, False, now + timedelta(minutes=5)).since is None


def test_report_as_of_moves_the_window(store: Store, tmp_path: Path) -> None:
    cfg, _, _ = demo_sync(store, tmp_path)
    data = build_report(cfg, store, date(2027, 1, 4))
    assert (data.window_start, data.window_end) == (date(2027, 1, 4), date(2027, 1, 17))


def test_replay_answers_a_local_server_too() -> None:
    replay = demo_replay()
    status, _, body = replay.answer("GET", "/1/members/me/boards", {}, None)
    assert status == 200 and isinstance(body, list)
    status, _, _ = replay.answer("GET", "/1/nope", {}, None)
    assert status == 404 and replay.misses
    assert json.dumps(body)  # recordings are plain JSON


def test_replay_prefers_the_most_specific_match() -> None:
    from raci_sync.demo.replay import Cassette

    c = Cassette(
        "x",
        "https://api.example/v1",
        [
            {"method": "GET", "path": "/t", "match": {}, "body": "first page"},
            {"method": "GET", "path": "/t", "match": {"offset": "2"}, "body": "second page"},
        ],
    )
    replay = Replay([c])
    assert replay.answer("GET", "/v1/t", {"limit": "100"}, None)[2] == "first page"
    assert replay.answer("GET", "/v1/t", {"limit": "100", "offset": "2"}, None)[2] == "second page"


def test_an_identical_read_refreshes_the_snapshot_instead_of_copying_it(
    store: Store, tmp_path: Path
) -> None:
    demo_sync(store, tmp_path)
    first = store.current_snapshot("indhold")
    counts = store.counts()
    _, run, _ = demo_sync(store, tmp_path)
    again = store.current_snapshot("indhold")
    assert first is not None and again is not None
    assert again.id == first.id and again.tasks == first.tasks
    assert again.taken_at >= first.taken_at  # the next incremental read starts from here
    assert store.counts()["snapshots"] == counts["snapshots"]
    assert store.counts()["tasks"] == counts["tasks"]
    assert store.counts()["source_runs"] == counts["source_runs"] + 3
    assert all(s.status == "ok" for s in run.sources)
    assert store.history("indhold").last_status == "ok"


def test_the_stored_evaluation_equals_one_made_from_the_store(store: Store, tmp_path: Path) -> None:
    from raci_sync.sync import evaluate_current

    demo_sync(store, tmp_path)
    _, second, _ = demo_sync(store, tmp_path, failing_for("/1/", 401, "invalid token"))
    assert second.failed  # trello kept its last good snapshot, from memory and from the store
    as_of = second.run.finished.date()
    fresh = evaluate_current(demo_config(tmp_path / "s.sqlite"), store, as_of)
    stored = store.db.execute(
        "SELECT check_id, task_id FROM findings WHERE evaluation_id = "
        "(SELECT max(id) FROM evaluations) ORDER BY check_id, task_id"
    ).fetchall()
    assert stored == sorted((f.check, f.task_id) for f in fresh.findings)


def _same_report(cfg: Any, store: Store, result: SyncResult) -> None:
    """The report made from a sync's result is the one the store gives for the same day."""
    made = report_from_sync(cfg, store, result)
    fresh = build_report(cfg, store, result.as_of, generated_at=made.generated_at)
    assert made == fresh
    assert render_json(made) == render_json(fresh)  # the same text too, offsets and all


def test_a_report_from_the_sync_equals_one_from_the_store(store: Store, tmp_path: Path) -> None:
    cfg, first, _ = demo_sync(store, tmp_path)
    assert first.as_of == first.run.finished.date()
    assert list(first.snapshots) == ["indhold", "kampagner", "events"]  # config order
    _same_report(cfg, store, first)
    _, failed, _ = demo_sync(store, tmp_path, failing_for("/1/", 401, "invalid token"))
    assert failed.snapshots["indhold"].tasks == first.snapshots["indhold"].tasks  # kept
    _same_report(cfg, store, failed)
    _, one, _ = demo_sync(store, tmp_path, only=("events",))
    assert list(one.snapshots) == ["indhold", "kampagner", "events"]  # the others from the store
    _same_report(cfg, store, one)


def test_a_report_from_the_sync_reads_no_snapshot_back(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg, result, _ = demo_sync(store, tmp_path)

    def read_back(source: str) -> Any:
        raise AssertionError(f"the report read the snapshot of {source} back")

    monkeypatch.setattr(store, "current_snapshot", read_back)
    data = report_from_sync(cfg, store, result)
    dated = tuple(replace(f, since=None) for f in data.findings)  # the report adds `since`
    assert dated == result.evaluation.findings
    assert {f.since for f in data.findings} == {result.as_of}  # all first seen in this run
    assert len(data.tasks) == sum(s.tasks for s in result.run.sources)


def test_run_demo_syncs_reports_and_writes_its_files(tmp_path: Path) -> None:
    from raci_sync.demo import FILES, run_demo

    done = run_demo(tmp_path / "demo")
    assert not done.run.failed and done.data.window_start == DEMO_TODAY
    assert [p.name for p in done.written] == [name for name, _, _ in FILES]
    assert all(p.stat().st_size > 0 for p in done.written) and done.store.exists()
    written = json.loads((tmp_path / "demo" / "report.json").read_text(encoding="utf-8"))
    assert written == json.loads(render_json(done.data))
    again = run_demo(tmp_path / "demo", date(2027, 1, 4))  # a fresh store each time
    assert again.data.window_start == date(2027, 1, 4) and not again.data.trends.weeks
