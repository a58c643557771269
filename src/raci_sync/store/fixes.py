"""What the store keeps of `raci fix` (migration ``0006_fixes``): one row per change written,
skipped or failed in the tools, by the run of the command that tried it."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

COLUMNS = (
    "run_id, action, status, source, kind, task_id, task, letter, person, target, before, "
    "after, actor, at, reason, undoes"
)


@dataclass(frozen=True)
class FixChange:
    """One change `raci fix` made, or tried to make, in a tool."""

    run_id: int
    action: str  # set | undo
    status: str  # written | skipped | failed
    source: str
    kind: str
    task_id: str
    task: str  # the task's title
    letter: str
    person: str | None  # who the letter was given to
    actor: str  # who ran raci fix
    at: datetime
    target: Mapping[str, Any] | None = None  # the field written: ref, key, id, title, type
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    reason: str | None = None  # why it was skipped or failed
    undoes: int | None = None  # the change an undo puts back
    id: int | None = field(default=None, compare=False)


def insert(db: sqlite3.Connection, change: FixChange) -> int:
    """Write one change; its id."""
    marks = ", ".join("?" * len(COLUMNS.split(",")))
    cur = db.execute(
        f"INSERT INTO fix_changes ({COLUMNS}) VALUES ({marks})",
        (
            change.run_id,
            change.action,
            change.status,
            change.source,
            change.kind,
            change.task_id,
            change.task,
            change.letter,
            change.person,
            None if change.target is None else json.dumps(dict(change.target)),
            json.dumps(list(change.before), ensure_ascii=False),
            json.dumps(list(change.after), ensure_ascii=False),
            change.actor,
            change.at.isoformat(),
            change.reason,
            change.undoes,
        ),
    )
    return int(cur.lastrowid or 0)


def of_run(db: sqlite3.Connection, run_id: int) -> tuple[FixChange, ...]:
    """The changes of one run, in the order they were made."""
    rows = db.execute(
        f"SELECT id, {COLUMNS} FROM fix_changes WHERE run_id = ? ORDER BY id", (run_id,)
    )
    return tuple(_change(row) for row in rows)


def undone(db: sqlite3.Connection, ids: Sequence[int]) -> dict[int, int]:
    """Of the changes ``ids``, those an undo has put back: change id → the run that did."""
    out: dict[int, int] = {}
    for start in range(0, len(ids), 500):
        part = list(ids[start : start + 500])
        marks = ",".join("?" * len(part))
        for undoes, run_id in db.execute(
            f"SELECT undoes, run_id FROM fix_changes WHERE status = 'written' AND undoes IN "
            f"({marks})",
            part,
        ):
            out[int(undoes)] = int(run_id)
    return out


def _change(row: Sequence[Any]) -> FixChange:
    (ident, run_id, action, status, source, kind, task_id, task, letter, person, target,
     before, after, actor, at, reason, undoes) = row  # fmt: skip
    return FixChange(
        run_id=int(run_id),
        action=action,
        status=status,
        source=source,
        kind=kind,
        task_id=task_id,
        task=task,
        letter=letter,
        person=person,
        actor=actor,
        at=datetime.fromisoformat(at),
        target=json.loads(target) if target else None,
        before=tuple(json.loads(before)),
        after=tuple(json.loads(after)),
        reason=reason,
        undoes=undoes,
        id=int(ident),
    )
