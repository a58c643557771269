"""The SQLite store: snapshots round-trip, failures keep the last good data, migrations."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from raci_sync.errors import StoreError
from raci_sync.model import Account, FieldValue, Snapshot, State, Task
from raci_sync.store import Store
from raci_sync.store.schema import MIGRATIONS, SCHEMA_VERSION

T0 = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
T1 = datetime(2026, 12, 8, 7, 0, tzinfo=UTC)


def snapshot(source: str = "indhold", n: int = 2) -> Snapshot:
    tasks = tuple(
        Task(
            source=source,
            id=f"t{i}",
            title=f"Opgave {i} – æøå ☕",
            url=f"https://x/{i}",
            container="Indhold & SoMe",
            container_id="b1",
            group="I gang",
            state=State.DONE if i == 0 else State.OPEN,
            due=date(2026, 12, 10),
            updated=T0,
            parent_id="t0" if i == 2 else None,
            labels=("SoMe",),
            fields=(
                FieldValue("members", accounts=("m1", "m2")),
                FieldValue("field", id="cf1", title="Timer", kind="number", number=2.5),
                FieldValue(
                    "field",
                    id="cf2",
                    title="Consulted",
                    kind="text",
                    text="Mette, Jonas",
                    names=("Mette", "Jonas"),
                ),
            ),
        )
        for i in range(n)
    )
    accounts = (Account(source, "m1", "Freja N", "frejan"), Account(source, "m2", "Anders Holm"))
    return Snapshot(
        source=source,
        kind="trello",
        tasks=tasks,
        accounts=accounts,
        containers=("Indhold & SoMe",),
        fetched_at=T0,
        requests=3,
    )


def test_snapshot_round_trips_every_field() -> None:
    with Store(":memory:") as store:
        run = store.begin_run(T0)
        snap = snapshot(n=3)
        store.save_snapshot(run, snap, T0)
        back = store.current_snapshot("indhold")
        assert back is not None
        assert back.tasks == snap.tasks
        assert back.accounts == snap.accounts
        assert back.taken_at == T0


def test_failed_source_keeps_last_good_snapshot_and_is_stale() -> None:
    with Store(":memory:") as store:
        r1 = store.begin_run(T0)
        store.save_snapshot(r1, snapshot(n=2), T0)
        r2 = store.begin_run(T1)
        store.record_failure(r2, "indhold", "trello", "failed", "401 token invalid", T1)
        back = store.current_snapshot("indhold")
        assert back is not None and len(back.tasks) == 2
        h = store.history("indhold")
        assert h.last_status == "failed" and h.last_error == "401 token invalid"
        assert h.snapshot_at == T0 and h.stale_since == T1 and h.snapshot_tasks == 2


def test_newer_snapshot_replaces_older_and_never_synced_is_none() -> None:
    with Store(":memory:") as store:
        store.save_snapshot(store.begin_run(T0), snapshot(n=2), T0)
        store.save_snapshot(store.begin_run(T1), snapshot(n=5), T1)
        back = store.current_snapshot("indhold")
        assert back is not None and len(back.tasks) == 5
        assert store.history("indhold").stale_since is None
        assert store.current_snapshot("other") is None
        assert store.history("other").last_status is None


def test_a_snapshot_that_fails_midway_leaves_nothing_behind() -> None:
    with Store(":memory:") as store:
        run = store.begin_run(T0)
        bad = snapshot(n=2)
        dup = Snapshot(
            source=bad.source,
            kind=bad.kind,
            tasks=bad.tasks + bad.tasks[:1],
            accounts=bad.accounts,
            fetched_at=T0,
        )  # duplicate task id → IntegrityError
        with pytest.raises(sqlite3.IntegrityError):
            store.save_snapshot(run, dup, T0)
        assert store.current_snapshot("indhold") is None
        assert store.counts()["tasks"] == 0 and store.counts()["snapshots"] == 0


def test_migrations_are_named_recorded_and_applied_once(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        assert store.version == SCHEMA_VERSION
    with Store(path) as store:
        assert store.migrate() == []  # nothing left to apply
        names = [r[0] for r in store.db.execute("SELECT name FROM migrations ORDER BY name")]
        assert names == ["0001_initial", "0002_history"]


def first_release_store(path: Path) -> None:
    """A store as raci-sync wrote it with only the first migration: one synced source, one run
    evaluated, and one later failed run of that source."""
    name, sql = MIGRATIONS[0]
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    db.executescript(sql)
    db.executescript(
        f"""
        INSERT INTO migrations VALUES ('{name}', '2026-11-01T08:00:00+00:00');
        INSERT INTO runs VALUES (1, '{T0.isoformat()}', '{T0.isoformat()}', 'ok');
        INSERT INTO runs VALUES (2, '{T1.isoformat()}', '{T1.isoformat()}', 'failed');
        INSERT INTO snapshots VALUES (1, 'indhold', 'trello', 1, '{T0.isoformat()}', 1,
            '["Indhold & SoMe"]', '{{"last_full": "{T0.isoformat()}"}}');
        INSERT INTO tasks VALUES (1, 't1', 'Nyhedsbrev', 'https://x/1', 'Indhold & SoMe', 'b1',
            'I gang', 'open', '2026-12-10', NULL, NULL, NULL, '["SoMe"]',
            '[{{"key": "members", "accounts": ["m1"]}}]');
        INSERT INTO accounts VALUES (1, 'm1', 'Freja N', 'frejan', NULL);
        INSERT INTO source_runs VALUES (1, 'indhold', 'trello', 'ok', NULL, 1, 3, 1,
            '{T0.isoformat()}');
        INSERT INTO source_runs VALUES (2, 'indhold', 'trello', 'failed', '401', 0, 1, NULL,
            '{T1.isoformat()}');
        INSERT INTO evaluations VALUES (1, 1, '2026-12-07', '{T0.isoformat()}');
        INSERT INTO findings VALUES (1, 'no-owner', 'error', 'indhold', 't1', 'Nyhedsbrev',
            NULL, 'has no owner', NULL);
        INSERT INTO workload VALUES (1, 'Freja Nørgaard', 4.0, 10.0, 0.4, 'ok', 2);
        """
    )
    db.close()


def test_a_store_of_the_previous_schema_is_migrated_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    first_release_store(path)
    with Store(path) as store:
        names = [r[0] for r in store.db.execute("SELECT name FROM migrations ORDER BY name")]
        assert names == [name for name, _ in MIGRATIONS] and names[:2] == [
            "0001_initial",
            "0002_history",
        ]
        assert store.version == SCHEMA_VERSION
        indexes = {
            r[0] for r in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        }
        assert {"evaluations_by_as_of", "findings_by_evaluation"} <= indexes
        assert store.counts() == {
            "runs": 2,
            "source_runs": 2,
            "snapshots": 1,
            "tasks": 1,
            "accounts": 1,
            "evaluations": 1,
            "assignments": 0,
            "findings": 1,
            "workload": 1,
        }  # migrated, never dropped
        snap = store.current_snapshot("indhold")
        assert snap is not None and snap.state == {"last_full": T0.isoformat()}
        assert snap.tasks == (
            Task(
                "indhold",
                "t1",
                "Nyhedsbrev",
                url="https://x/1",
                container="Indhold & SoMe",
                container_id="b1",
                group="I gang",
                due=date(2026, 12, 10),
                labels=("SoMe",),
                fields=(FieldValue("members", accounts=("m1",)),),
            ),
        )
        assert snap.accounts == (Account("indhold", "m1", "Freja N", "frejan"),)
        h = store.history("indhold")
        assert h.last_status == "failed" and h.stale_since == T1 and h.snapshot_at == T0
        (week,) = store.trends(date(2026, 12, 14)).weeks  # the old evaluation feeds trends
        assert week.week == "2026-W50" and week.open_without_owner == 1
        assert week.utilisation == {"Freja Nørgaard": 0.4}
        # and the new code writes to it
        store.save_snapshot(store.begin_run(T1), snapshot(n=2), T1)
        assert len(store.current_snapshot("indhold").tasks) == 2  # type: ignore[union-attr]
    with Store(path) as store:
        assert store.migrate() == []  # once migrated, opening again changes nothing


def test_store_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute("INSERT INTO migrations VALUES ('9999_future', 'x')")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer raci-sync"):
        Store(path)


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot open the store"):
        Store(path)
