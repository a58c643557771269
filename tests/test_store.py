"""The SQLite store: snapshots round-trip, failures keep the last good data, migrations; and the
file: owner-only, never another application's database, never written when damaged, backed
up, and a full disk is a clear error that keeps what was stored (PRODUCT §6)."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from raci_sync.errors import NoDataError, StoreError
from raci_sync.model import Account, FieldValue, Snapshot, State, Task
from raci_sync.store import Store
from raci_sync.store.files import BACKUP_EVERY_S, backup_path
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
        assert names == ["0001_initial", "0002_history", "0003_email_sends"]


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
    with pytest.raises(StoreError, match=r"is not a SQLite database.*left untouched"):
        Store(path)
    assert path.read_bytes() == b"this is not sqlite" * 100


# -- the store as a file ------------------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_store_its_wal_and_backup_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    old = os.umask(0o022)
    try:
        with Store(path) as store:
            store.save_snapshot(store.begin_run(T0), snapshot(), T0)
            wal = Path(f"{path}-wal")
            assert wal.exists() and mode(wal) == 0o600
        assert mode(path) == 0o600
        assert mode(backup_path(path)) == 0o600
    finally:
        os.umask(old)


def test_a_stricter_umask_is_respected(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    old = os.umask(0o277)  # owner may read only: stricter than 0600
    try:
        # as root the file stays writable; as anyone else it cannot take the schema: either way
        # no wider mode than the umask allows
        with contextlib.suppress(StoreError):
            Store(path).close()
    finally:
        os.umask(old)
    assert mode(path) == 0o400


def test_reports_never_create_a_store(tmp_path: Path) -> None:
    path = tmp_path / "typo" / "raci.sqlte"
    with pytest.raises(NoDataError, match=r"no data: the store .*raci\.sqlte does not exist"):
        Store(path, create=False)
    assert not path.exists() and not path.parent.exists()


def foreign_database(path: Path) -> bytes:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    db.execute("INSERT INTO customers (name) VALUES ('Nordlys Kaffe')")
    db.commit()
    db.close()
    return path.read_bytes()


@pytest.mark.parametrize("write", [False, True])
def test_another_applications_database_is_refused_untouched(tmp_path: Path, write: bool) -> None:
    path = tmp_path / "crm.sqlite"
    before = foreign_database(path)
    with pytest.raises(StoreError, match=r"another application \(tables: customers\).*untouched"):
        Store(path, write=write)
    assert path.read_bytes() == before
    assert not Path(f"{path}-wal").exists() and not backup_path(path).exists()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # not switched to WAL
    db.close()


def corrupt(path: Path) -> None:
    """Overwrite a page in the middle of the file with garbage."""
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 3 * page
    data[2 * page : 3 * page] = b"\xde\xad\xbe\xef" * (page // 4)
    path.write_bytes(bytes(data))


def test_a_damaged_store_is_never_written_and_says_how_to_recover(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        for i in range(3):
            store.save_snapshot(store.begin_run(T0), snapshot(f"s{i}", n=60), T0)
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    corrupt(path)
    before = path.read_bytes()
    with pytest.raises(StoreError) as info:
        Store(path)
    message = str(info.value)
    assert "is damaged" in message and "nothing was written" in message
    assert f"mv {backup_path(path)} {path}" in message  # the backup is the way back
    assert path.read_bytes() == before


def test_a_backup_is_taken_once_a_day_and_before_a_migration(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        store.save_snapshot(store.begin_run(T0), snapshot(n=2), T0)
    backup = backup_path(path)
    first = backup.stat().st_mtime
    with Store(path):
        pass
    assert backup.stat().st_mtime == first  # not again the same day
    old = first - BACKUP_EVERY_S - 60
    os.utime(backup, (old, old))
    with Store(path):
        pass
    assert backup.stat().st_mtime > old
    copy = sqlite3.connect(backup)
    assert copy.execute("SELECT count(*) FROM tasks").fetchone()[0] == 2
    copy.close()
    # a store missing a migration is copied before it is changed
    db = sqlite3.connect(path)
    db.execute("DELETE FROM migrations WHERE name = '0002_history'")
    db.execute("DROP TABLE IF EXISTS workload")
    db.commit()
    db.close()
    backup.unlink()
    os.utime(path, (old, old))
    with contextlib.suppress(StoreError):  # re-applying 0002 may fail; the backup came first
        Store(path).close()
    copy = sqlite3.connect(backup)
    names = [r[0] for r in copy.execute("SELECT name FROM migrations")]
    copy.close()
    assert sorted(names) == ["0001_initial", "0003_email_sends"]  # as it was before 0002


def test_a_full_disk_is_a_clear_error_and_keeps_what_was_stored(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        store.save_snapshot(store.begin_run(T0), snapshot(n=2), T0)
        pages = store.db.execute("PRAGMA page_count").fetchone()[0]
        store.db.execute(f"PRAGMA max_page_count = {pages + 1}")
        run = store.begin_run(T0 + timedelta(days=1))
        with pytest.raises(StoreError, match="is full"):
            store.save_snapshot(run, snapshot(n=5000), T0 + timedelta(days=1))
        kept = store.current_snapshot("indhold")
        assert kept is not None and len(kept.tasks) == 2
    with Store(path) as store:
        assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        kept = store.current_snapshot("indhold")
        assert kept is not None and len(kept.tasks) == 2
