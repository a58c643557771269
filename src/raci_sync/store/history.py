"""History in the store: week-over-week trends, and thinning old snapshots and evaluations.

Both work on the same buckets, so thinning never removes what trends show: an evaluation
belongs to the ISO week (and day) of its ``as_of`` and "the last one" of a bucket is the one
with the latest ``(as_of, generated_at, id)``; a snapshot belongs to the local day and ISO week
of ``taken_at`` (in the time zone of ``now``) per source, and the last one is the newest id.
Timestamps stored without a time zone are read as UTC.

Clocks lie (PRODUCT §9, §12): a point stamped later than ``now`` (written while the clock was
ahead) is ignored by both — never removed by thinning, never shown as a trend — and the caller
is told how many there are, to warn once.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from raci_sync.model import FindingKey, Trends, WeekPoint

log = logging.getLogger("raci_sync.store")

_CHUNK = 500  # ids per IN (...) list, well under SQLite's bound-parameter limit


def iso_week(day: date) -> str:
    """The ISO week of a day as reports show it, e.g. ``2026-W49``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class Retention:
    """How long history is kept (config ``[history]``).

    Everything younger than ``keep_all_days`` days is kept; up to ``keep_daily_weeks`` weeks,
    the last one per day; after that the last one per ISO week, for ``keep_weekly_weeks`` weeks
    counted from now (0 = forever).
    """

    keep_all_days: int = 2
    keep_daily_weeks: int = 8
    keep_weekly_weeks: int = 0

    def __post_init__(self) -> None:
        if min(self.keep_all_days, self.keep_daily_weeks, self.keep_weekly_weeks) < 0:
            raise ValueError(f"retention periods cannot be negative: {self}")


@dataclass(frozen=True)
class Thinned:
    """What one thinning removed: snapshots and evaluations with the rows that belonged to them."""

    snapshots: int = 0
    tasks: int = 0
    accounts: int = 0
    evaluations: int = 0
    assignments: int = 0
    findings: int = 0
    workload: int = 0

    def __bool__(self) -> bool:
        return bool(self.snapshots or self.evaluations)

    def __str__(self) -> str:
        return (
            f"{self.snapshots} snapshots ({self.tasks} tasks, {self.accounts} accounts), "
            f"{self.evaluations} evaluations ({self.findings} findings)"
        )


@dataclass(frozen=True)
class Point:
    """One snapshot or evaluation as retention sees it."""

    id: int
    group: str  # the source for snapshots; "" for evaluations
    moment: datetime  # aware: when it was taken, for its age
    day: date  # the local day it belongs to
    order: tuple[object, ...]  # the largest in a bucket is "the last one"


def expired(points: Sequence[Point], now: datetime, keep: Retention) -> list[int]:
    """Ids of the points the retention removes, oldest first (pure; ``now`` must be aware)."""
    last_of_day: dict[tuple[str, str], Point] = {}
    last_of_week: dict[tuple[str, str], Point] = {}
    points = [p for p in points if p.moment <= now]
    for p in points:
        _keep_last(last_of_day, (p.group, p.day.isoformat()), p)
        _keep_last(last_of_week, (p.group, iso_week(p.day)), p)
    out = []
    for p in sorted(points, key=lambda p: p.order):
        age = now - p.moment
        if age < timedelta(0):  # stamped in the future: a clock that was ahead; left alone
            continue
        if age < timedelta(days=keep.keep_all_days):
            continue
        if age < timedelta(weeks=keep.keep_daily_weeks):
            kept = last_of_day[(p.group, p.day.isoformat())] is p
        elif keep.keep_weekly_weeks == 0 or age < timedelta(weeks=keep.keep_weekly_weeks):
            kept = last_of_week[(p.group, iso_week(p.day))] is p
        else:
            kept = False
        if not kept:
            out.append(p.id)
    return out


# -- reading and writing the store -------------------------------------------------------------


def read_trends(
    db: sqlite3.Connection, before: date, weeks: int, now: datetime | None = None
) -> Trends:
    """Per ISO week before the week of ``before``, the last evaluation stored in that week;
    with ``now``, evaluations stamped later than it (a clock that was ahead) are left out."""
    if weeks <= 0:
        return Trends()
    monday = before - timedelta(days=before.weekday())
    start = monday - timedelta(weeks=weeks)
    last: dict[tuple[str, str], Point] = {}
    rows = db.execute(
        "SELECT id, as_of, generated_at FROM evaluations WHERE as_of >= ? AND as_of < ?",
        (start.isoformat(), monday.isoformat()),
    )
    for p in _evaluation_points(rows):
        if now is None or p.moment <= now:
            _keep_last(last, ("", iso_week(p.day)), p)
    chosen = sorted(last.values(), key=lambda p: p.day)
    ids = [p.id for p in chosen]
    findings: dict[int, dict[str, int]] = {i: {} for i in ids}
    utilisation: dict[int, dict[str, float | None]] = {i: {} for i in ids}
    for part in _chunks(ids):
        marks = ",".join("?" * len(part))
        for eid, check, n in db.execute(
            f"SELECT evaluation_id, check_id, count(*) FROM findings "
            f"WHERE evaluation_id IN ({marks}) GROUP BY evaluation_id, check_id "
            "ORDER BY evaluation_id, check_id",
            part,
        ):
            findings[eid][check] = int(n)
        for eid, person, util in db.execute(
            f"SELECT evaluation_id, person, utilisation FROM workload "
            f"WHERE evaluation_id IN ({marks}) ORDER BY evaluation_id, rowid",
            part,
        ):
            utilisation[eid][person] = util
    return Trends(
        tuple(
            WeekPoint(
                week=iso_week(p.day),
                as_of=p.day,
                open_without_owner=findings[p.id].get("no-owner", 0),
                findings=findings[p.id],
                utilisation=utilisation[p.id],
            )
            for p in chosen
        )
    )


def thin(db: sqlite3.Connection, now: datetime, keep: Retention) -> Thinned:
    """Delete what the retention removes; the caller holds the transaction.

    The current (newest) snapshot of every source is always kept, however old. The rows of a
    removed snapshot or evaluation go with it (ON DELETE CASCADE; foreign keys must be on).
    """
    if not db.execute("PRAGMA foreign_keys").fetchone()[0]:
        raise RuntimeError("foreign keys are off: thinning would leave orphaned rows")
    now = now if now.tzinfo is not None else now.astimezone()
    tz = now.tzinfo
    assert tz is not None
    current = {int(r[0]) for r in db.execute("SELECT max(id) FROM snapshots GROUP BY source")}
    snaps = _snapshot_points(db.execute("SELECT id, source, taken_at FROM snapshots"), tz)
    gone_snaps = [i for i in expired(snaps, now, keep) if i not in current]
    evals = _evaluation_points(db.execute("SELECT id, as_of, generated_at FROM evaluations"))
    gone_evals = expired(evals, now, keep)
    counts = Thinned(
        snapshots=len(gone_snaps),
        tasks=_count(db, "tasks", "snapshot_id", gone_snaps),
        accounts=_count(db, "accounts", "snapshot_id", gone_snaps),
        evaluations=len(gone_evals),
        assignments=_count(db, "assignments", "evaluation_id", gone_evals),
        findings=_count(db, "findings", "evaluation_id", gone_evals),
        workload=_count(db, "workload", "evaluation_id", gone_evals),
    )
    for part in _chunks(gone_snaps):
        marks = ",".join("?" * len(part))
        # source_runs keeps the run log; its link to a removed snapshot is cleared (the
        # first migration declared that foreign key without an ON DELETE action).
        db.execute(
            f"UPDATE source_runs SET snapshot_id = NULL WHERE snapshot_id IN ({marks})", part
        )
        db.execute(f"DELETE FROM snapshots WHERE id IN ({marks})", part)
    for part in _chunks(gone_evals):
        db.execute(f"DELETE FROM evaluations WHERE id IN ({','.join('?' * len(part))})", part)
    if counts:
        log.info("store: thinned old history: removed %s", counts)
    return counts


def finding_history(
    db: sqlite3.Connection, keys: Sequence[FindingKey], before: date, now: datetime | None
) -> tuple[dict[FindingKey, date], date | None, set[FindingKey]]:
    """For the findings ``keys`` of a report whose window starts on ``before``: the first day
    each was seen, and the last evaluation of the ISO weeks before ``before``'s week (its
    as_of and its finding keys) to compare with. Evaluations stamped after ``now`` (a clock
    that was ahead) are left out, as in trends."""
    stamp = now.isoformat() if now is not None else "9999"
    db.execute(
        "CREATE TEMP TABLE IF NOT EXISTS report_keys "
        "(check_id TEXT, source TEXT, task_id TEXT, person TEXT)"
    )
    db.execute("DELETE FROM report_keys")
    db.executemany("INSERT INTO report_keys VALUES (?, ?, ?, ?)", keys)
    since: dict[FindingKey, date] = {}
    for check, source, task_id, person, first in db.execute(
        "SELECT k.check_id, k.source, k.task_id, k.person, min(e.as_of) FROM report_keys k "
        "JOIN findings f ON f.check_id = k.check_id AND f.source IS k.source "
        "AND f.task_id IS k.task_id AND f.person IS k.person "
        "JOIN evaluations e ON e.id = f.evaluation_id "
        "WHERE e.generated_at <= ? GROUP BY k.check_id, k.source, k.task_id, k.person",
        (stamp,),
    ):
        since[(check, source, task_id, person)] = date.fromisoformat(first)
    db.execute("DELETE FROM report_keys")
    monday = before - timedelta(days=before.weekday())
    row = db.execute(
        "SELECT id, as_of FROM evaluations WHERE as_of < ? AND generated_at <= ? "
        "ORDER BY as_of DESC, generated_at DESC, id DESC LIMIT 1",
        (monday.isoformat(), stamp),
    ).fetchone()
    if row is None:
        return since, None, set()
    baseline = {
        (str(c), s, t, p)
        for c, s, t, p in db.execute(
            "SELECT DISTINCT check_id, source, task_id, person FROM findings "
            "WHERE evaluation_id = ?",
            (row[0],),
        )
    }
    return since, date.fromisoformat(row[1]), baseline


def count_future(db: sqlite3.Connection, now: datetime) -> int:
    """How many runs, snapshots and evaluations are stamped later than ``now``."""
    total = 0
    for table, column in (
        ("runs", "started_at"),
        ("snapshots", "taken_at"),
        ("evaluations", "generated_at"),
    ):
        total += sum(_aware(str(r[0])) > now for r in db.execute(f"SELECT {column} FROM {table}"))
    return total


def _keep_last(bucket: dict[tuple[str, str], Point], key: tuple[str, str], p: Point) -> None:
    best = bucket.get(key)
    if best is None or p.order > best.order:
        bucket[key] = p


def _evaluation_points(rows: Iterable[Sequence[object]]) -> list[Point]:
    out = []
    for eid, as_of, generated_at in rows:
        day = date.fromisoformat(str(as_of))
        moment = _aware(str(generated_at))
        out.append(Point(int(str(eid)), "", moment, day, (day, moment, int(str(eid)))))
    return out


def _snapshot_points(rows: Iterable[Sequence[object]], tz: tzinfo) -> list[Point]:
    out = []
    for sid, source, taken_at in rows:
        moment = _aware(str(taken_at))
        ident = int(str(sid))
        out.append(Point(ident, str(source), moment, moment.astimezone(tz).date(), (ident,)))
    return out


def _aware(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


def _count(db: sqlite3.Connection, table: str, column: str, ids: Sequence[int]) -> int:
    total = 0
    for part in _chunks(ids):
        marks = ",".join("?" * len(part))
        total += int(
            db.execute(
                f"SELECT count(*) FROM {table} WHERE {column} IN ({marks})", part
            ).fetchone()[0]
        )
    return total
