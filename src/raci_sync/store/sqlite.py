"""The SQLite store: runs, one complete snapshot per source per sync, and what each run concluded.

Every snapshot is written in one transaction together with its source's run record, so a
failed or interrupted source never replaces the last good snapshot: readers always take the
newest snapshot that exists, and a half-written one never exists.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from raci_sync.errors import NoDataError, StoreError
from raci_sync.model import (
    Account,
    Evaluation,
    FieldValue,
    FindingKey,
    Snapshot,
    State,
    Task,
    Trends,
)
from raci_sync.store.files import (
    backup,
    backup_due,
    check_intact,
    create_private,
    damaged,
    refuse_foreign,
)
from raci_sync.store.fixes import FixChange
from raci_sync.store.fixes import insert as insert_fix
from raci_sync.store.fixes import of_run as fixes_of_run
from raci_sync.store.fixes import undone as fixes_undone
from raci_sync.store.history import (
    Retention,
    Thinned,
    count_future,
    finding_history,
    read_trends,
)
from raci_sync.store.history import thin as thin_history
from raci_sync.store.notifications import (
    Notified,
    digest_sends,
    last_post,
    record_digest_sends,
    record_post,
)
from raci_sync.store.schema import MIGRATIONS


def default_store_path() -> Path:
    """The store in the user data dir (platformdirs), used when the config names none."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("raci-sync", appauthor=False)) / "raci.sqlite"


@dataclass(frozen=True)
class StoredSnapshot:
    """The current snapshot of one source, read back."""

    id: int
    source: str
    kind: str
    taken_at: datetime
    tasks: tuple[Task, ...]
    accounts: tuple[Account, ...]
    state: dict[str, str]
    containers: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceHistory:
    """The latest run record of one source and the time of its current snapshot."""

    source: str
    kind: str | None
    last_status: str | None  # ok | failed | skipped | None (never run)
    last_error: str | None
    last_run_at: datetime | None
    snapshot_at: datetime | None
    snapshot_tasks: int
    stale_since: datetime | None  # first failure after the current snapshot


class Store:
    """A connection to one store; use as a context manager or call close()."""

    def __init__(self, path: str | Path, *, create: bool = True, write: bool = True) -> None:
        """Open the store at ``path``.

        ``create=False`` (reports) refuses a path where no store exists (NoDataError: a mistyped
        ``store`` must not look like an empty week); ``write=True`` (syncs) also checks the
        file for damage and keeps the daily backup. A database of another application is
        refused untouched.
        """
        self.path = str(path)
        if self.path.startswith(("postgres://", "postgresql://")):
            raise StoreError("a PostgreSQL store is not supported yet; point `store` at a file")
        on_disk = self.path != ":memory:"
        if on_disk and not Path(self.path).exists():
            if not create:
                raise NoDataError(
                    f"no data: the store {self.path} does not exist. Run `raci sync` first, or "
                    "fix `store` in the config if it names the wrong file"
                )
            create_private(Path(self.path))
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the store {self.path}: {exc}") from None
        try:
            self.db.execute("PRAGMA foreign_keys = ON")
            if on_disk:
                refuse_foreign(self.db, self.path)
                if write:
                    check_intact(self.db, self.path)
                self.db.execute("PRAGMA journal_mode = WAL")
            self.migrate()
            if on_disk and write and backup_due(self.path):
                backup(self.db, self.path)
        except sqlite3.DatabaseError as exc:
            self.db.close()
            if "not a database" in str(exc):
                raise StoreError(
                    f"{self.path} is not a SQLite database ({exc}); it was left untouched. "
                    "Point `store` in the config at a new file"
                ) from None
            raise StoreError(damaged(self.path, str(exc))) from None
        except StoreError:
            self.db.close()
            raise

    def check_intact(self) -> None:
        """StoreError saying how to recover when the file is damaged (a store opened without
        ``write`` is not checked when opened)."""
        if self.path != ":memory:":
            check_intact(self.db, self.path)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT, rolled back on any exception.

        A database error (a full disk, a damaged page) becomes a StoreError that says so; the
        rollback leaves what was stored before intact.
        """
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.DatabaseError as exc:
            raise StoreError(self.explain(exc)) from None
        try:
            yield self.db
            self.db.execute("COMMIT")
        except BaseException as exc:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.DatabaseError) and _storage_fault(exc):
                raise StoreError(self.explain(exc)) from None
            raise

    def explain(self, exc: sqlite3.DatabaseError) -> str:
        """What a database error means for the person running raci."""
        text = str(exc)
        if "full" in text:
            return (
                f"the store {self.path} could not be written: the disk (or the database's "
                f"size limit) is full ({text}); what was stored before is intact. Free some "
                "space and run again"
            )
        if "readonly" in text or "read-only" in text:
            return f"the store {self.path} is read-only ({text}); give this user write access"
        if "malformed" in text or "corrupt" in text or "not a database" in text:
            return damaged(self.path, text)
        return f"the store {self.path} could not be written: {text}"

    # -- schema -------------------------------------------------------------------------------

    def migrate(self) -> list[str]:
        """Apply the missing named migrations in order; returns the names applied."""
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, "
            "applied_at TEXT NOT NULL)"
        )
        done = {r[0] for r in self.db.execute("SELECT name FROM migrations")}
        known = {name for name, _ in MIGRATIONS}
        if done - known:
            raise StoreError(
                f"the store {self.path} was written by a newer raci-sync "
                f"(migrations {sorted(done - known)}); upgrade raci-sync"
            )
        applied = []
        pending = [name for name, _ in MIGRATIONS if name not in done]
        if pending and done and self.path != ":memory:":
            backup(self.db, self.path)  # a store with data: keep a way back before changing it
        for name, sql in MIGRATIONS:
            if name in done:
                continue
            with self.transaction() as db:
                for statement in _statements(sql):
                    db.execute(statement)
                db.execute("INSERT INTO migrations VALUES (?, ?)", (name, _now()))
            applied.append(name)
        return applied

    @property
    def version(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM migrations").fetchone()[0])

    # -- runs ---------------------------------------------------------------------------------

    def begin_run(self, started: datetime) -> int:
        with self.transaction() as db:
            cur = db.execute("INSERT INTO runs (started_at) VALUES (?)", (started.isoformat(),))
        return int(cur.lastrowid or 0)

    def finish_run(
        self, run_id: int, finished: datetime, status: str, error: str | None = None
    ) -> None:
        """Close a run: ok | partial | failed | interrupted, and why when it did not end well."""
        with self.transaction() as db:
            db.execute(
                "UPDATE runs SET finished_at = ?, status = ?, error = ? WHERE id = ?",
                (finished.isoformat(), status, error, run_id),
            )

    def close_abandoned_runs(self, now: datetime) -> int:
        """Mark runs still 'running' as interrupted: their process was killed (the caller holds
        the lock, so no other run is going on). Returns how many there were."""
        with self.transaction() as db:
            cur = db.execute(
                "UPDATE runs SET status = 'interrupted', finished_at = ?, error = ? "
                "WHERE status = 'running'",
                (now.isoformat(), "the process ended before the run finished (killed?)"),
            )
        return int(cur.rowcount)

    def run_record(self, run_id: int) -> tuple[str, str | None]:
        """(status, error) of one run."""
        row = self.db.execute("SELECT status, error FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise StoreError(f"the store {self.path} has no run {run_id}")
        return str(row[0]), row[1]

    def save_snapshot(self, run_id: int, snap: Snapshot, finished: datetime) -> int:
        """Store a complete snapshot and its ok run record in one transaction."""
        taken = (snap.fetched_at or finished).isoformat()
        with self.transaction() as db:
            cur = db.execute(
                "INSERT INTO snapshots (source, kind, run_id, taken_at, tasks, containers, state)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    snap.source,
                    snap.kind,
                    run_id,
                    taken,
                    len(snap.tasks),
                    json.dumps(list(snap.containers), ensure_ascii=False),
                    json.dumps(snap.state),
                ),
            )
            sid = int(cur.lastrowid or 0)
            db.executemany(
                "INSERT INTO tasks VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [_task_row(sid, t) for t in snap.tasks],
            )
            db.executemany(
                "INSERT OR REPLACE INTO accounts VALUES (?,?,?,?,?)",
                [(sid, a.id, a.name, a.username, a.email) for a in snap.accounts],
            )
            _record_ok(db, run_id, snap, sid, finished)
        return sid

    def refresh_snapshot(
        self, run_id: int, snapshot_id: int, snap: Snapshot, finished: datetime
    ) -> int:
        """Mark an unchanged snapshot as read again by this run (one transaction).

        When a read returns exactly the tasks and accounts of the current snapshot, copying
        thousands of identical rows would only grow the store: the snapshot row gets the new
        read time and state instead, and the run record points at it.
        """
        taken = (snap.fetched_at or finished).isoformat()
        with self.transaction() as db:
            db.execute(
                "UPDATE snapshots SET run_id = ?, taken_at = ?, containers = ?, state = ? "
                "WHERE id = ?",
                (
                    run_id,
                    taken,
                    json.dumps(list(snap.containers), ensure_ascii=False),
                    json.dumps(snap.state),
                    snapshot_id,
                ),
            )
            _record_ok(db, run_id, snap, snapshot_id, finished)
        return snapshot_id

    def record_failure(
        self,
        run_id: int,
        source: str,
        kind: str,
        status: str,
        error: str,
        finished: datetime,
        requests: int = 0,
    ) -> None:
        """Record a failed or skipped source; its last good snapshot stays current."""
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO source_runs VALUES (?,?,?,?,?,?,?,?,?)",
                (run_id, source, kind, status, error, 0, requests, None, finished.isoformat()),
            )

    # -- reading ------------------------------------------------------------------------------

    def current_snapshot(self, source: str) -> StoredSnapshot | None:
        """The newest complete snapshot of a source, or None if it never synced."""
        row = self.db.execute(
            "SELECT id, kind, taken_at, state, containers FROM snapshots WHERE source = ? "
            "ORDER BY id DESC LIMIT 1",
            (source,),
        ).fetchone()
        if row is None:
            return None
        sid, kind, taken_at, state, containers = row
        tasks = tuple(
            _task_from_row(source, r)
            for r in self.db.execute(
                "SELECT id, title, url, container, container_id, grp, state, due, start, updated, "
                "parent_id, labels, fields FROM tasks WHERE snapshot_id = ? ORDER BY rowid",
                (sid,),
            )
        )
        accounts = tuple(
            Account(source, *r)
            for r in self.db.execute(
                "SELECT id, name, username, email FROM accounts WHERE snapshot_id = ? "
                "ORDER BY rowid",
                (sid,),
            )
        )
        return StoredSnapshot(
            sid,
            source,
            kind,
            datetime.fromisoformat(taken_at),
            tasks,
            accounts,
            json.loads(state),
            tuple(json.loads(containers)),
        )

    def history(self, source: str) -> SourceHistory:
        """How a source fared in its latest run, and since when its data is stale."""
        last = self.db.execute(
            "SELECT kind, status, error, finished_at FROM source_runs WHERE source = ? "
            "ORDER BY run_id DESC LIMIT 1",
            (source,),
        ).fetchone()
        snap = self.db.execute(
            "SELECT run_id, taken_at, tasks FROM snapshots WHERE source = ? ORDER BY id DESC "
            "LIMIT 1",
            (source,),
        ).fetchone()
        stale = None
        if snap is not None:
            first_fail = self.db.execute(
                "SELECT min(finished_at) FROM source_runs WHERE source = ? AND status = 'failed' "
                "AND run_id > ?",
                (source, snap[0] or 0),
            ).fetchone()[0]
            stale = datetime.fromisoformat(first_fail) if first_fail else None
        return SourceHistory(
            source=source,
            kind=last[0] if last else None,
            last_status=last[1] if last else None,
            last_error=last[2] if last else None,
            last_run_at=datetime.fromisoformat(last[3]) if last else None,
            snapshot_at=datetime.fromisoformat(snap[1]) if snap else None,
            snapshot_tasks=int(snap[2]) if snap else 0,
            stale_since=stale,
        )

    def save_evaluation(
        self, run_id: int | None, as_of: date, generated_at: datetime, evaluation: Evaluation
    ) -> int:
        """Keep what a run concluded (assignments, findings, workload) for trends."""
        with self.transaction() as db:
            cur = db.execute(
                "INSERT INTO evaluations (run_id, as_of, generated_at) VALUES (?, ?, ?)",
                (run_id, as_of.isoformat(), generated_at.isoformat()),
            )
            eid = int(cur.lastrowid or 0)
            db.executemany(
                "INSERT INTO assignments VALUES (?,?,?,?,?,?,?)",
                [
                    (eid, a.source, a.task_id, a.person, a.person_name, a.letter, a.via)
                    for a in evaluation.assignments
                ],
            )
            db.executemany(
                "INSERT INTO findings VALUES (?,?,?,?,?,?,?,?,?)",
                [
                    (
                        eid,
                        f.check,
                        str(f.severity),
                        f.source,
                        f.task_id,
                        f.task,
                        f.person,
                        f.message,
                        f.suggestion,
                    )
                    for f in evaluation.findings
                ],
            )
            db.executemany(
                "INSERT INTO workload VALUES (?,?,?,?,?,?,?)",
                [
                    (eid, w.person, w.load, w.capacity, w.utilisation, w.status, w.open_tasks)
                    for w in evaluation.workload
                ],
            )
        return eid

    # -- the weekly email ---------------------------------------------------------------------

    def email_sends(self, week: str) -> dict[str, datetime]:
        """Who the weekly email reached in ISO ``week`` (lower-case address → when); an all-clear
        week skipped with ``skip_empty`` counts as reached."""
        rows = self.db.execute(
            "SELECT recipient, sent_at FROM email_sends WHERE week = ? ORDER BY recipient", (week,)
        )
        return {recipient: datetime.fromisoformat(at) for recipient, at in rows}

    def record_email_sends(
        self,
        week: str,
        recipients: Sequence[str],
        at: datetime,
        *,
        kind: str = "sent",
        subject: str | None = None,
    ) -> None:
        """Record that ``recipients`` have ISO ``week``'s email (``kind`` sent or skipped); a
        resend replaces the earlier record."""
        with self.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO email_sends VALUES (?, ?, ?, ?, ?)",
                [(week, r.lower(), at.isoformat(), kind, subject) for r in recipients],
            )

    # -- notifications and personal digests (issue 12) ---------------------------------------

    def last_notification(self, target: str) -> Notified | None:
        """The last successful post to the ``[[notify]]`` target named ``target``."""
        return last_post(self.db, target)

    def record_notification(
        self,
        target: str,
        kind: str,
        at: datetime,
        errors: Iterable[FindingKey],
        overloaded: Iterable[str],
    ) -> None:
        """Record a successful post to ``target`` and what was open then (the next post's
        baseline: it carries only what is new since)."""
        with self.transaction() as db:
            record_post(db, target, kind, at, errors, overloaded)

    def digest_sends(self, week: str) -> dict[str, datetime]:
        """Who had their personal digest in ISO ``week`` (lower-case address → when)."""
        return digest_sends(self.db, week)

    def record_digest_sends(
        self, week: str, recipients: Sequence[str], at: datetime, *, kind: str = "sent"
    ) -> None:
        """Record that ``recipients`` have ISO ``week``'s personal digest (``kind`` sent, or
        skipped when there was nothing and ``skip_empty`` is set); a resend replaces it."""
        with self.transaction() as db:
            record_digest_sends(db, week, recipients, at, kind)

    # -- raci fix -----------------------------------------------------------------------------

    def record_fix(self, change: FixChange) -> int:
        """Keep one change `raci fix` made or tried, in its own transaction (a write done in a
        tool is on record even when the command is stopped right after it); its id."""
        with self.transaction() as db:
            return insert_fix(db, change)

    def fix_changes(self, run_id: int) -> tuple[FixChange, ...]:
        """What `raci fix` did in run ``run_id``, in order."""
        return fixes_of_run(self.db, run_id)

    def fixes_undone(self, ids: Sequence[int]) -> dict[int, int]:
        """Of the changes ``ids``, those an undo has put back: change id → its run."""
        return fixes_undone(self.db, ids)

    def update_current_tasks(self, source: str, tasks: Sequence[Task]) -> int:
        """Put ``tasks``, as read from the tool again, in place of their stored versions in the
        source's current snapshot (new ones at its end), in one transaction; its id.

        `raci fix` stores what it wrote this way, so the store and the next report show it —
        also what the next incremental read cannot see (an Asana subtask). The snapshot keeps
        its read time: the next incremental read still starts from its sync.
        """
        with self.transaction() as db:
            row = db.execute(
                "SELECT id FROM snapshots WHERE source = ? ORDER BY id DESC LIMIT 1", (source,)
            ).fetchone()
            if row is None:
                raise StoreError(f"the store {self.path} has no snapshot of source {source!r}")
            sid = int(row[0])
            for task in tasks:
                values = _task_row(sid, task)
                cur = db.execute(
                    "UPDATE tasks SET title = ?, url = ?, container = ?, container_id = ?, "
                    "grp = ?, state = ?, due = ?, start = ?, updated = ?, parent_id = ?, "
                    "labels = ?, fields = ? WHERE snapshot_id = ? AND id = ?",
                    (*values[2:], sid, task.id),
                )
                if cur.rowcount == 0:
                    db.execute("INSERT INTO tasks VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", values)
                    db.execute("UPDATE snapshots SET tasks = tasks + 1 WHERE id = ?", (sid,))
        return sid

    # -- history ------------------------------------------------------------------------------

    def trends(self, before: date, weeks: int = 4, now: datetime | None = None) -> Trends:
        """The last evaluation of each of the ``weeks`` ISO weeks before the week of ``before``.

        Oldest first; a week without an evaluation is absent. A check with no finding that
        week is absent from ``findings`` (read it with ``.get(check, 0)``). With ``now``,
        evaluations stamped later than it (the clock was ahead) are left out.
        """
        return read_trends(self.db, before, weeks, now)

    def finding_history(
        self, keys: Sequence[FindingKey], before: date, now: datetime | None = None
    ) -> tuple[dict[FindingKey, date], date | None, set[FindingKey]]:
        """First day each finding was seen, and the previous ISO week's last evaluation
        (its as_of and finding keys) to compare with; see ``history.finding_history``."""
        return finding_history(self.db, keys, before, now)

    def stamped_after(self, now: datetime) -> int:
        """How many runs, snapshots and evaluations are stamped later than ``now``."""
        return count_future(self.db, now)

    def previous_run_start(self, run_id: int) -> datetime | None:
        """When the run before ``run_id`` started (None for the first run)."""
        row = self.db.execute(
            "SELECT started_at FROM runs WHERE id < ? ORDER BY id DESC LIMIT 1", (run_id,)
        ).fetchone()
        return datetime.fromisoformat(row[0]) if row else None

    def thin(
        self,
        now: datetime,
        keep_daily_weeks: int = 8,
        keep_weekly_weeks: int = 0,
        keep_all_days: int = 2,
    ) -> Thinned:
        """Remove old snapshots and evaluations in one transaction; returns what went.

        Kept: everything younger than ``keep_all_days`` days; the last per day up to
        ``keep_daily_weeks`` weeks; after that the last per ISO week (snapshots: per source)
        for ``keep_weekly_weeks`` weeks from ``now`` (0 = forever). The current snapshot of
        every source is never removed.
        """
        keep = Retention(keep_all_days, keep_daily_weeks, keep_weekly_weeks)
        self.db.execute("PRAGMA foreign_keys = ON")  # a no-op if on; cascades need it
        with self.transaction() as db:
            return thin_history(db, now, keep)

    def counts(self) -> dict[str, int]:
        """Row counts per table (for tests and diagnostics)."""
        tables = (
            "runs",
            "source_runs",
            "snapshots",
            "tasks",
            "accounts",
            "evaluations",
            "assignments",
            "findings",
            "workload",
        )
        return {t: int(self.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in tables}


def _storage_fault(exc: BaseException) -> bool:
    """A fault of the file (full, damaged, read-only), not a bug in the statements."""
    return isinstance(exc, sqlite3.DatabaseError) and not isinstance(
        exc, sqlite3.IntegrityError | sqlite3.ProgrammingError | sqlite3.InterfaceError
    )


def _record_ok(
    db: sqlite3.Connection, run_id: int, snap: Snapshot, snapshot_id: int, finished: datetime
) -> None:
    """The run record of a source read in full: its snapshot, task and request counts."""
    db.execute(
        "INSERT INTO source_runs VALUES (?,?,?,?,?,?,?,?,?)",
        (
            run_id,
            snap.source,
            snap.kind,
            "ok",
            None,
            len(snap.tasks),
            snap.requests,
            snapshot_id,
            finished.isoformat(),
        ),
    )


def _statements(sql: str) -> list[str]:
    lines = [ln.split("--", 1)[0] for ln in sql.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def _now() -> str:
    return datetime.now().astimezone().isoformat()


def _iso(d: date | datetime | None) -> str | None:
    return d.isoformat() if d is not None else None


def _task_row(sid: int, t: Task) -> tuple[Any, ...]:
    return (
        sid,
        t.id,
        t.title,
        t.url,
        t.container,
        t.container_id,
        t.group,
        str(t.state),
        _iso(t.due),
        _iso(t.start),
        _iso(t.updated),
        t.parent_id,
        json.dumps(list(t.labels), ensure_ascii=False),
        json.dumps([_field_dict(f) for f in t.fields], ensure_ascii=False),
    )


_FIELD_KEYS = ("key", "id", "title", "kind", "accounts", "names", "number", "text")


def _field_dict(f: FieldValue) -> dict[str, Any]:
    # Hand-written rather than dataclasses.asdict: asdict deep-copies and was most of the cost
    # of writing a 10k-task snapshot (bench/sync_bench.py profile).
    out: dict[str, Any] = {}
    for k in _FIELD_KEYS:
        v = getattr(f, k)
        if v is not None and v != ():
            out[k] = list(v) if isinstance(v, tuple) else v
    return out


def _task_from_row(source: str, r: Sequence[Any]) -> Task:
    (
        tid,
        title,
        url,
        container,
        container_id,
        grp,
        state,
        due,
        start,
        updated,
        parent_id,
        labels,
        fields,
    ) = r
    return Task(
        source=source,
        id=tid,
        title=title,
        url=url,
        container=container,
        container_id=container_id,
        group=grp,
        state=State(state),
        due=date.fromisoformat(due) if due else None,
        start=date.fromisoformat(start) if start else None,
        updated=datetime.fromisoformat(updated) if updated else None,
        parent_id=parent_id,
        labels=tuple(json.loads(labels)),
        fields=tuple(_field_from_dict(d) for d in json.loads(fields)),
    )


def _field_from_dict(d: dict[str, Any]) -> FieldValue:
    d = dict(d)
    d["accounts"] = tuple(d.get("accounts", ()))
    d["names"] = tuple(d.get("names", ()))
    return FieldValue(**d)
