"""What the store keeps of `raci fix` (migration 0006_fixes): each change with who, what,
before, after, when and its run; undos linked to what they put back; tasks read back put into
the current snapshot in place."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from raci_sync.errors import StoreError
from raci_sync.model import FieldValue, Snapshot, Task
from raci_sync.store import FixChange, Store

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def change(run_id: int, **kw: object) -> FixChange:
    base = FixChange(
        run_id=run_id,
        action="set",
        status="written",
        source="indhold",
        kind="trello",
        task_id="c1",
        task="Skriv nyhedsbrev",
        letter="A",
        person="Mette Sørensen",
        actor="tester",
        at=NOW,
        target={
            "ref": "field:Accountable",
            "key": "field",
            "id": "f1",
            "title": "Accountable",
            "type": "dropdown",
        },
        before=(),
        after=("Mette Sørensen",),
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def test_changes_are_kept_with_their_run_and_read_back_as_written(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        assert "0006_fixes" in {r[0] for r in store.db.execute("SELECT name FROM migrations")}
        run_id = store.begin_run(NOW)
        first = store.record_fix(change(run_id))
        skipped = change(run_id, status="skipped", target=None, after=(), reason="changed")
        second = store.record_fix(skipped)
        got = store.fix_changes(run_id)
        assert got == (change(run_id), skipped)
        assert got[0].id == first and got[1].reason == "changed"
        assert store.fix_changes(run_id + 1) == ()
        later = store.begin_run(NOW)
        store.record_fix(change(later, action="undo", before=("Mette Sørensen",), after=(),
                                undoes=first))  # fmt: skip
        assert store.fixes_undone([first, second]) == {first: later}
        failed_undo = change(later, action="undo", status="failed", undoes=second)
        store.record_fix(failed_undo)
        assert store.fixes_undone([second]) == {}  # only a written undo puts a change back


def task(id: str, title: str, *fields: FieldValue) -> Task:
    return Task(source="indhold", id=id, title=title, fields=fields)


def test_tasks_read_back_replace_their_stored_versions_in_place(tmp_path: Path) -> None:
    members = FieldValue(key="members", kind="people", accounts=("t-anders",))
    with Store(tmp_path / "s.sqlite") as store:
        run_id = store.begin_run(NOW)
        snap = Snapshot("indhold", "trello", (task("1", "a"), task("2", "b"), task("3", "c")), (),
                        fetched_at=NOW, state={"boards": "{}"})  # fmt: skip
        sid = store.save_snapshot(run_id, snap, NOW)
        assert store.update_current_tasks("indhold", [task("2", "b", members), task("4", "d")])
        current = store.current_snapshot("indhold")
        assert current is not None and current.id == sid
        assert [t.id for t in current.tasks] == ["1", "2", "3", "4"]  # order kept, new last
        assert current.tasks[1].fields == (members,)
        assert current.taken_at == NOW and current.state == {"boards": "{}"}
        assert store.history("indhold").snapshot_tasks == 4
        with pytest.raises(StoreError, match="no snapshot of source 'andet'"):
            store.update_current_tasks("andet", [task("1", "a")])


def test_a_store_of_an_earlier_version_gets_the_table(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        store.db.execute("DROP TABLE fix_changes")
        store.db.execute("DELETE FROM migrations WHERE name = '0006_fixes'")
    with Store(path) as store:
        run_id = store.begin_run(NOW)
        assert store.record_fix(change(run_id)) == 1
