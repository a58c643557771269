"""History: week-over-week trends from stored evaluations, and retention that thins old data."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from raci_sync.cli import run_cli
from raci_sync.config import HistoryConfig, parse_config
from raci_sync.demo import demo_config, demo_mount, demo_replay
from raci_sync.model import (
    Account,
    Evaluation,
    Finding,
    Severity,
    Snapshot,
    State,
    Task,
    WorkloadLine,
)
from raci_sync.store import Retention, Store, Thinned, default_store_path
from raci_sync.store.history import Point, expired, iso_week
from raci_sync.store.history import thin as thin_history
from raci_sync.sync import SyncOptions, sync

CPH = ZoneInfo("Europe/Copenhagen")
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=CPH)  # Monday of 2026-W50


@pytest.fixture
def store() -> Store:
    with Store(":memory:") as s:
        yield s


def evaluation(
    checks: dict[str, int] | None = None, load: dict[str, float | None] | None = None
) -> Evaluation:
    findings = tuple(
        Finding(check, Severity.ERROR, f"{check} #{i}", source="indhold", task_id=f"t{i}")
        for check, n in (checks or {}).items()
        for i in range(n)
    )
    workload = tuple(
        WorkloadLine(name, 1.0, 10.0 if u is not None else None, u, "ok", 1)
        for name, u in (load or {}).items()
    )
    return Evaluation(people=(), assignments=(), findings=findings, workload=workload, unmatched=())


def save_eval(store: Store, generated: datetime, **kw: dict) -> int:  # type: ignore[type-arg]
    return store.save_evaluation(None, generated.date(), generated, evaluation(**kw))


def save_snap(store: Store, source: str, taken: datetime, n: int = 2) -> int:
    tasks = tuple(Task(source, f"t{i}", f"Opgave {i}", state=State.OPEN) for i in range(n))
    snap = Snapshot(source, "trello", tasks, (Account(source, "m1", "Freja"),), fetched_at=taken)
    return store.save_snapshot(store.begin_run(taken), snap, taken)


def at(days_ago: float, hour: int = 12) -> datetime:
    """A moment ``days_ago`` days before NOW's date, at ``hour`` local time."""
    day = NOW.date() - timedelta(days=days_ago)
    return datetime(day.year, day.month, day.day, hour, tzinfo=CPH)


def test_iso_week_labels_cross_the_year_like_the_calendar() -> None:
    assert iso_week(date(2026, 12, 7)) == "2026-W50"
    assert iso_week(date(2027, 1, 1)) == "2026-W53"  # 2026 has 53 ISO weeks
    assert iso_week(date(2027, 1, 4)) == "2027-W01"


# -- trends ------------------------------------------------------------------------------------


def test_trends_take_the_last_evaluation_of_each_week_before_the_report_week(
    store: Store,
) -> None:
    save_eval(store, datetime(2026, 11, 3, 8, tzinfo=CPH), checks={"no-owner": 9})  # W45: too old
    save_eval(store, datetime(2026, 11, 10, 8, tzinfo=CPH), checks={"no-owner": 1})  # W46
    save_eval(
        store,
        datetime(2026, 11, 12, 8, tzinfo=CPH),
        checks={"no-owner": 3, "overloaded": 1},
        load={"Freja Nørgaard": 1.3, "Sofie Lund": None},
    )  # W46, the last → shown
    # W47: nothing stored → absent
    save_eval(store, datetime(2026, 11, 29, 9, tzinfo=CPH), checks={"no-owner": 7})  # 08:00Z
    save_eval(store, datetime(2026, 11, 29, 8, 30, tzinfo=UTC), checks={"no-owner": 2})  # later
    save_eval(store, datetime(2026, 12, 6, 20, tzinfo=CPH), load={"Mette Sørensen": 0.4})  # W49
    save_eval(store, datetime(2026, 12, 7, 7, tzinfo=CPH), checks={"no-owner": 5})  # W50 itself

    trends = store.trends(date(2026, 12, 9), weeks=4)

    assert [w.week for w in trends.weeks] == ["2026-W46", "2026-W48", "2026-W49"]
    w46, w48, w49 = trends.weeks
    assert w46.as_of == date(2026, 11, 12)
    assert w46.open_without_owner == 3 and dict(w46.findings) == {"no-owner": 3, "overloaded": 1}
    assert dict(w46.utilisation) == {"Freja Nørgaard": 1.3, "Sofie Lund": None}
    assert w48.open_without_owner == 2  # the later moment wins, whatever the UTC offset
    assert w49.open_without_owner == 0 and dict(w49.findings) == {}
    assert dict(w49.utilisation) == {"Mette Sørensen": 0.4}
    assert trends.last(1) == (w49,)
    assert [w.week for w in store.trends(date(2026, 12, 7), weeks=1).weeks] == ["2026-W49"]
    assert store.trends(date(2026, 12, 7), weeks=0).weeks == ()


def test_trends_of_an_empty_store_and_same_day_ties(store: Store) -> None:
    assert store.trends(date(2026, 12, 7)).weeks == ()
    moment = datetime(2026, 12, 1, 6, tzinfo=CPH)
    save_eval(store, moment, checks={"no-owner": 1})
    save_eval(store, moment, checks={"no-owner": 4})  # same moment: the one stored last
    (w49,) = store.trends(date(2026, 12, 7)).weeks
    assert w49.open_without_owner == 4


# -- retention (pure) --------------------------------------------------------------------------


def points(*moments: datetime, group: str = "") -> list[Point]:
    return [Point(i, group, m, m.date(), (i,)) for i, m in enumerate(moments, start=1)]


def test_retention_keeps_all_recent_then_daily_then_weekly() -> None:
    pts = points(
        at(0, 9),  # 1  within keep_all_days: kept
        at(1, 8),  # 2  kept
        at(1, 20),  # 3  kept
        at(3, 8),  # 4  daily tier: not the last of its day → removed
        at(3, 20),  # 5  kept
        at(9 * 7, 8),  # 6  weekly tier, Monday 2026-W41 → removed
        at(9 * 7 - 3, 8),  # 7  Thursday of the same week → kept
        at(30 * 7, 8),  # 8  alone in its week → kept (weekly kept forever)
    )
    keep = Retention(keep_all_days=2, keep_daily_weeks=8, keep_weekly_weeks=0)
    assert expired(pts, NOW, keep) == [4, 6]
    assert expired(pts, NOW, replace(keep, keep_weekly_weeks=26)) == [4, 6, 8]
    # weekly only: NOW is Monday of W50, so 1 is alone in W50 and 5 the last of W49
    assert expired(pts, NOW, Retention(0, 0, 0)) == [2, 3, 4, 6]
    assert expired(pts[:3], NOW, keep) == []


def test_retention_buckets_are_per_group_and_periods_cannot_be_negative() -> None:
    a = points(at(20, 8), at(20, 9), group="indhold")
    b = [replace(p, id=p.id + 10, group="kampagner") for p in a]
    assert expired(a + b, NOW, Retention()) == [1, 11]
    with pytest.raises(ValueError, match="negative"):
        Retention(keep_daily_weeks=-1)


# -- retention (store) -------------------------------------------------------------------------


def kept_snapshots(store: Store) -> list[int]:
    return [r[0] for r in store.db.execute("SELECT id FROM snapshots ORDER BY id")]


def orphans(store: Store) -> int:
    q = (
        "SELECT (SELECT count(*) FROM tasks WHERE snapshot_id NOT IN (SELECT id FROM snapshots))"
        " + (SELECT count(*) FROM accounts WHERE snapshot_id NOT IN (SELECT id FROM snapshots))"
        " + (SELECT count(*) FROM findings WHERE evaluation_id NOT IN (SELECT id FROM evaluations))"
        " + (SELECT count(*) FROM workload WHERE evaluation_id NOT IN (SELECT id FROM evaluations))"
    )
    return int(store.db.execute(q).fetchone()[0])


def test_thin_removes_old_snapshots_with_their_rows_and_keeps_every_current_one(
    store: Store,
) -> None:
    assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    old_campaign = save_snap(store, "kampagner", at(30 * 7), n=3)  # current, however old
    s = [
        save_snap(store, "indhold", at(27 * 7)),  # beyond keep_weekly_weeks → removed
        save_snap(store, "indhold", at(9 * 7, 8)),  # not the last of its week → removed
        save_snap(store, "indhold", at(9 * 7 - 3, 8)),  # last of its week
        save_snap(store, "indhold", at(3, 8)),  # not the last of its day → removed
        save_snap(store, "indhold", at(3, 20)),
        save_snap(store, "indhold", at(1, 8)),
        save_snap(store, "indhold", at(0, 9)),  # current
    ]
    store.record_failure(store.begin_run(at(1)), "kampagner", "asana", "failed", "401", at(1))
    runs_before = store.counts()["source_runs"]

    gone = store.thin(NOW, keep_daily_weeks=8, keep_weekly_weeks=26, keep_all_days=2)

    assert gone == Thinned(snapshots=3, tasks=6, accounts=3)
    assert kept_snapshots(store) == [old_campaign, s[2], s[4], s[5], s[6]]
    assert orphans(store) == 0 and store.db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert store.counts()["source_runs"] == runs_before  # the run log stays …
    linked = {r[0] for r in store.db.execute("SELECT snapshot_id FROM source_runs")}
    assert linked == {None, *kept_snapshots(store)}  # … its links to removed snapshots cleared
    current = store.current_snapshot("kampagner")
    assert current is not None and len(current.tasks) == 3
    assert store.history("kampagner").stale_since == at(1)  # still shown as stale since …
    assert store.thin(NOW, 8, 26, 2) == Thinned()  # nothing more to do: idempotent
    assert not Thinned()


def test_thin_never_removes_what_trends_show(store: Store) -> None:
    start = NOW - timedelta(weeks=20)
    moments = [start + timedelta(hours=6 * i) for i in range(20 * 7 * 4)]
    for i, m in enumerate(moments):
        save_eval(store, m, checks={"no-owner": i % 5}, load={"Freja": i / 100})
    before = store.trends(NOW.date(), weeks=30)

    gone = store.thin(NOW)  # defaults: all for 2 days, daily for 8 weeks, weekly forever

    assert store.trends(NOW.date(), weeks=30) == before
    assert gone.evaluations == len(moments) - store.counts()["evaluations"] > 0
    assert gone.findings > 0 and gone.workload == gone.evaluations and orphans(store) == 0
    rows = store.db.execute("SELECT as_of, generated_at FROM evaluations").fetchall()
    kept = [(date.fromisoformat(a), datetime.fromisoformat(g)) for a, g in rows]
    recent = [d for d, g in kept if NOW - g < timedelta(days=2)]
    daily = [d for d, g in kept if timedelta(days=2) <= NOW - g < timedelta(weeks=8)]
    weekly = [iso_week(d) for d, g in kept if NOW - g >= timedelta(weeks=8)]
    assert len(recent) == sum(NOW - m < timedelta(days=2) for m in moments)
    assert len(daily) == len(set(daily)) and len(weekly) == len(set(weekly))


def test_thin_is_one_transaction(store: Store) -> None:
    save_snap(store, "indhold", at(20, 8))
    save_snap(store, "indhold", at(20, 9))
    save_eval(store, at(20, 8), checks={"no-owner": 1})
    save_eval(store, at(20, 9), checks={"no-owner": 1})
    before = store.counts()
    store.db.execute(
        "CREATE TEMP TRIGGER refuse BEFORE DELETE ON main.evaluations "
        "BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
    )
    with pytest.raises(sqlite3.DatabaseError, match="disk says no"):
        store.thin(NOW)
    assert store.counts() == before  # the snapshot removed before the failure came back


def test_thinning_without_foreign_keys_is_refused() -> None:
    db = sqlite3.connect(":memory:")
    db.execute("PRAGMA foreign_keys = OFF")
    with pytest.raises(RuntimeError, match="foreign keys"):
        thin_history(db, NOW, Retention())


def test_every_sync_thins_with_the_configured_retention(tmp_path: Path) -> None:
    cfg = demo_config(tmp_path / "s.sqlite")
    with Store(tmp_path / "s.sqlite") as store:
        long_ago = datetime.now(UTC) - timedelta(weeks=20)
        monday = (long_ago - timedelta(days=long_ago.weekday())).replace(hour=0, minute=0)
        old = [save_snap(store, "indhold", monday + timedelta(hours=h)) for h in (8, 32)]
        opts = SyncOptions(mount=demo_mount(demo_replay()), rate_limits=False, full=True)
        sync(cfg, store, opts)  # the last run was 20 weeks ago: maybe a clock jump, so no
        assert set(old) <= set(kept_snapshots(store))  # thinning until the next run
        sync(cfg, store, opts)
        ids = kept_snapshots(store)
        assert old[0] not in ids and old[1] in ids  # default: the last of that week stays
        cfg = replace(cfg, history=HistoryConfig(keep_weekly_weeks=10))
        sync(cfg, store, opts)
        assert old[1] not in kept_snapshots(store)
        # the demo's three sources; the second, identical read refreshed them instead of copying
        assert store.counts()["snapshots"] == 3


def test_history_config_is_read_and_checked() -> None:
    cfg = parse_config("[history]\nkeep_all_days = 1\nkeep_daily_weeks = 4\nkeep_weekly_weeks = 52")
    assert cfg.history == HistoryConfig(keep_all_days=1, keep_daily_weeks=4, keep_weekly_weeks=52)
    assert parse_config("").history == HistoryConfig(2, 8, 0)


# -- where the store lives ---------------------------------------------------------------------


def test_without_store_in_the_config_the_store_lands_in_the_user_data_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_home = Path(os.environ["XDG_DATA_HOME"])  # set per test by conftest
    assert default_store_path() == data_home / "raci-sync" / "raci.sqlite"
    config = tmp_path / "raci.toml"
    config.write_text('timezone = "Europe/Copenhagen"\n', encoding="utf-8")
    assert parse_config(config.read_text()).store is None
    code = run_cli(["--config", str(config), "sync"])
    assert code == 0, capsys.readouterr().err
    assert (data_home / "raci-sync" / "raci.sqlite").is_file()
    with Store(default_store_path()) as store:
        assert store.version >= 2


def test_points_stamped_in_the_future_are_neither_thinned_nor_trends(store: Store) -> None:
    """A run made while the clock was two years ahead stays, but is ignored: it neither
    thins the real history nor stands for its week in trends (PRODUCT §12)."""
    for hour in range(10):
        save_eval(store, at(9, 8 + hour), checks={"no-owner": hour})  # ten runs last week
    ahead = NOW + timedelta(days=730)
    save_eval(store, ahead, checks={"no-owner": 99})
    save_snap(store, "indhold", at(9, 8))
    save_snap(store, "indhold", ahead)  # the current snapshot, stamped in the future
    that_week = iso_week(at(9).date())
    trend_before = store.trends(NOW.date(), weeks=2, now=NOW)

    gone = store.thin(NOW, keep_daily_weeks=8, keep_weekly_weeks=0, keep_all_days=2)

    assert gone.evaluations == 9  # the real runs of one day thin to their last, as always
    assert (
        store.db.execute(
            "SELECT count(*) FROM evaluations WHERE generated_at = ?", (ahead.isoformat(),)
        ).fetchone()[0]
        == 1
    )  # the future one is left alone
    assert store.stamped_after(NOW) == 3  # its run, its snapshot, its evaluation
    (week,) = store.trends(NOW.date(), weeks=2, now=NOW).weeks
    assert week.week == that_week and week.open_without_owner == 9
    assert store.trends(NOW.date(), weeks=2, now=NOW) == trend_before
    # and asked from the future, the real runs are what they are: old, thinned by age
    assert (
        expired([Point(1, "", NOW, NOW.date(), (1,))], NOW - timedelta(days=1), Retention(0, 0, 0))
        == []
    )


def test_each_finding_knows_since_when_and_what_changed_since_last_week(store: Store) -> None:
    """PRODUCT §10: findings[].since is the first day seen; changes compare with the last run
    of the previous ISO week (new, resolved)."""
    old = Finding("no-owner", Severity.ERROR, "old", source="indhold", task_id="t1")
    gone = Finding("no-owner", Severity.ERROR, "gone", source="indhold", task_id="t2")
    fresh = Finding("no-owner", Severity.ERROR, "fresh", source="indhold", task_id="t3")

    def save(day: datetime, *findings: Finding) -> None:
        ev = Evaluation(people=(), assignments=(), findings=findings, workload=(), unmatched=())
        store.save_evaluation(None, day.date(), day, ev)

    save(NOW - timedelta(days=21), old)  # three weeks ago: first seen
    save(NOW - timedelta(days=6), old, gone)  # last week's only run (the baseline) …
    save(NOW - timedelta(days=5, hours=-1), old, gone)  # … no, this later one is
    save(NOW, old, fresh)
    since, baseline_day, baseline = store.finding_history([old.key, fresh.key], NOW.date(), NOW)
    assert since == {old.key: (NOW - timedelta(days=21)).date(), fresh.key: NOW.date()}
    assert baseline_day == (NOW - timedelta(days=5, hours=-1)).date()
    assert baseline == {old.key, gone.key}
    # a run stamped in the future is no baseline and no first sighting
    save(NOW + timedelta(days=400), gone)
    assert store.finding_history([gone.key], NOW.date(), NOW)[0] == {
        gone.key: (NOW - timedelta(days=6)).date()
    }
