"""Orchestration: connectors → store → mapping, and the report data of what that concluded.

No HTTP and no SQL here: connectors read, the store keeps, mapping judges. One pass: ``sync``
returns what it read and evaluated, and ``report_from_sync`` builds the report from that in the
same process; ``build_report`` is for a report without a sync (``raci report``), from the store.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import requests

from raci_sync.config import Config, SourceConfig
from raci_sync.connectors import KINDS
from raci_sync.connectors.base import make_connector, make_http
from raci_sync.connectors.http import HttpClient
from raci_sync.errors import SourceError, StoreError
from raci_sync.interrupt import Interrupted
from raci_sync.mapping import evaluate
from raci_sync.model import (
    Changes,
    Evaluation,
    Finding,
    FindingKey,
    ReportData,
    Run,
    Snapshot,
    SourceRun,
    SourceStatus,
)
from raci_sync.store import Store, StoredSnapshot

log = logging.getLogger("raci_sync.sync")
CLOCK_SLACK = timedelta(minutes=5)  # clocks of machines differ this much without lying
CLOCK_JUMP = timedelta(days=30)  # a gap since the last run this long may be a clock jump

Mount = Callable[[requests.Session], None]


@dataclass
class SyncOptions:
    """How a sync runs; the defaults are what `raci sync` does."""

    only: Sequence[str] = ()  # source names; empty = all
    full: bool = False
    mount: Mount | None = None  # a transport hook (the demo's replay, or a test's)
    sleep: Callable[[float], None] | None = None
    rate_limits: bool = True  # False for recorded or local fake APIs
    as_of: date | None = None  # the day the stored evaluation is for; default today
    progress: Callable[[str, SourceRun | None], None] | None = None  # (source, None) = started


@dataclass(frozen=True)
class SyncResult:
    """What one sync did, read and concluded; ``raci run`` reports from it without reading back.

    It reads like its run (``sources``, ``id``, ``failed``) for callers that only want to know
    how the sources fared.
    """

    run: Run
    snapshots: Mapping[str, Snapshot]  # each configured source's current snapshot, config order
    evaluation: Evaluation  # what was stored for the run, the window starting at ``as_of``
    as_of: date

    @property
    def sources(self) -> tuple[SourceRun, ...]:
        return self.run.sources

    @property
    def id(self) -> int | None:
        return self.run.id

    @property
    def failed(self) -> bool:
        return self.run.failed


@dataclass
class _Plan:
    """What one source's fetch will do: full or incremental, and from which snapshot."""

    source: SourceConfig
    since: datetime | None
    previous: Snapshot | None
    last_full: str | None
    previous_id: int | None = None


def now_in(config: Config) -> datetime:
    """The current time in the config's time zone."""
    return datetime.now(ZoneInfo(config.timezone))


def sync(config: Config, store: Store, options: SyncOptions | None = None) -> SyncResult:
    """Read every selected source into the store; a failed source keeps its last snapshot.

    Sources are read concurrently (``[sync] max_workers``); the store is written from this
    thread only, one transaction per source snapshot. Then every configured source's current
    snapshot (what was just read, else the stored one) is evaluated once, and the evaluation
    stored for trends.
    """
    opts = options or SyncOptions()
    selected = [config.source(n) for n in opts.only] if opts.only else list(config.sources)
    started = now_in(config)
    abandoned = store.close_abandoned_runs(started)
    if abandoned:
        log.warning(
            "%d earlier run(s) had been killed before finishing: marked interrupted", abandoned
        )
    run_id = store.begin_run(started)
    previous_start = store.previous_run_start(run_id)
    plans = [_plan(config, store, s, opts.full, started) for s in selected]
    results: dict[str, SourceRun] = {}
    known: dict[str, Snapshot | None] = {}  # each source's current snapshot, kept in memory
    workers = max(1, min(config.sync.max_workers, len(plans)))
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="raci-sync")
    waiting = True  # False when the run is cut short: workers blocked in a read are left
    try:
        futures = {}
        for plan in plans:
            if opts.progress:
                opts.progress(plan.source.name, None)
            http = make_http(
                plan.source, mount=opts.mount, sleep=opts.sleep, rate_limits=opts.rate_limits
            )
            futures[pool.submit(_fetch, plan, http, config.sync.max_workers)] = (plan, http)
        for future in as_completed(futures):
            plan, http = futures[future]
            outcome = future.result()
            result = _record(config, store, run_id, plan, http, outcome)
            results[plan.source.name] = result
            known[plan.source.name] = outcome if isinstance(outcome, Snapshot) else plan.previous
            if opts.progress:
                opts.progress(plan.source.name, result)
    except Interrupted as exc:
        waiting = False
        _close_run(config, store, run_id, "interrupted", str(exc))
        raise
    except StoreError as exc:
        waiting = False
        _close_run(config, store, run_id, "failed", str(exc))
        raise
    finally:
        pool.shutdown(wait=waiting, cancel_futures=not waiting)
    ordered = tuple(results[s.name] for s in selected)
    finished = now_in(config)
    failed = sum(r.status == "failed" for r in ordered)
    status = "ok" if not failed else ("failed" if failed == len(ordered) else "partial")
    store.finish_run(run_id, finished, status)
    as_of = opts.as_of or finished.date()
    snapshots = current_snapshots(config, store, known)
    evaluation = evaluate_snapshots(config, snapshots, as_of)
    store.save_evaluation(run_id, as_of, finished, evaluation)
    _thin(config, store, finished, previous_start)
    run = Run(started=started, finished=finished, sources=ordered, id=run_id)
    return SyncResult(run, snapshots, evaluation, as_of)


def _close_run(config: Config, store: Store, run_id: int, status: str, why: str) -> None:
    """Record why a run was cut short, if the store still takes it (a full disk may not)."""
    try:
        store.finish_run(run_id, now_in(config), status, why)
    except StoreError:
        log.warning("the run record could not say why the run ended: %s", why)


def _thin(config: Config, store: Store, now: datetime, previous_start: datetime | None) -> None:
    """Thin old history, unless the clock jumped ahead since the last run (PRODUCT §12: history
    is never thinned because of a clock jump); runs stamped after now are ignored by thinning
    and trends, and said once."""
    ahead = store.stamped_after(now)
    if ahead:
        log.warning(
            "%d runs, snapshots or evaluations in the store are stamped later than now (%s): the "
            "clock was ahead when they were made; they are left out of trends and thinning",
            ahead,
            now.isoformat(timespec="minutes"),
        )
    if previous_start is not None and now - previous_start > CLOCK_JUMP:
        log.warning(
            "the last run started %s, more than %d days ago: if the clock jumped ahead, thinning "
            "now would remove history, so it waits for the next run",
            previous_start.isoformat(timespec="minutes"),
            CLOCK_JUMP.days,
        )
        return
    keep = config.history
    store.thin(now, keep.keep_daily_weeks, keep.keep_weekly_weeks, keep.keep_all_days)


def _plan(config: Config, store: Store, source: SourceConfig, full: bool, now: datetime) -> _Plan:
    """Incremental when a recent full read exists; full on --full, first sync, when due, or
    when the last read is stamped in the future (the clock was ahead: an incremental read from
    a future watermark would miss every change until then)."""
    stored = store.current_snapshot(source.name)
    if stored is None or stored.kind != source.kind:
        return _Plan(source, None, None, None)
    previous = _snapshot(stored)
    last_full = stored.state.get("last_full") or None
    last_full_at = datetime.fromisoformat(last_full) if last_full else None
    future = [t for t in (stored.taken_at, last_full_at) if t is not None and t > now + CLOCK_SLACK]
    if future:
        log.warning(
            "source %s: its last read is stamped %s, later than now (%s): the clock was ahead "
            "then or is behind now; reading everything instead of what changed since",
            source.name,
            max(future).isoformat(timespec="minutes"),
            now.isoformat(timespec="minutes"),
        )
        return _Plan(source, None, previous, None, stored.id)
    due = last_full_at is None or now - last_full_at > timedelta(hours=config.sync.full_every_hours)
    if full or due:
        return _Plan(source, None, previous, last_full, stored.id)
    return _Plan(source, stored.taken_at, previous, last_full, stored.id)


def _fetch(plan: _Plan, http: HttpClient, max_workers: int) -> Snapshot | str:
    """Run one connector (in a worker thread); a failure becomes its message."""
    source = plan.source
    try:
        connector = make_connector(source, http, max_workers=max_workers)
        return connector.fetch(plan.since, plan.previous)
    except SourceError as exc:
        return http.scrub(str(exc))
    except Exception as exc:
        log.debug("unexpected error in source %s", source.name, exc_info=True)
        return f"source {source.name!r}: internal error ({type(exc).__name__}); please report it"


def _record(
    config: Config,
    store: Store,
    run_id: int,
    plan: _Plan,
    http: HttpClient,
    outcome: Snapshot | str,
) -> SourceRun:
    """Store a snapshot (one transaction) or the failure; return how the source fared."""
    source = plan.source
    finished = now_in(config)
    if isinstance(outcome, str):
        store.record_failure(
            run_id, source.name, source.kind, "failed", outcome, finished, http.requests_made
        )
        log.warning("%s", outcome)
        prev = store.history(source.name)
        return SourceRun(
            source.name,
            source.kind,
            "failed",
            tasks=prev.snapshot_tasks,
            requests=http.requests_made,
            error=outcome,
            synced_at=prev.snapshot_at,
        )
    last_full = (
        (outcome.fetched_at or finished).isoformat() if plan.since is None else (plan.last_full)
    )
    snap = replace(
        outcome, state={**outcome.state, "last_full": last_full or ""}, requests=http.requests_made
    )
    if plan.previous_id is not None and _same_content(snap, plan.previous):
        store.refresh_snapshot(run_id, plan.previous_id, snap, finished)
    else:
        store.save_snapshot(run_id, snap, finished)
    mode = "full" if plan.since is None else "incremental"
    log.debug(
        "source %s: %s read, %d tasks, %d requests",
        source.name,
        mode,
        len(snap.tasks),
        snap.requests,
    )
    return SourceRun(
        source.name,
        source.kind,
        "ok",
        tasks=len(snap.tasks),
        requests=snap.requests,
        synced_at=snap.fetched_at or finished,
    )


def _same_content(snap: Snapshot, previous: Snapshot | None) -> bool:
    """True when a read found exactly what the current snapshot holds."""
    return (
        previous is not None
        and snap.tasks == previous.tasks
        and snap.accounts == previous.accounts
        and tuple(snap.containers) == tuple(previous.containers)
    )


def _snapshot(stored: StoredSnapshot) -> Snapshot:
    """A stored snapshot as the connectors made it."""
    return Snapshot(
        source=stored.source,
        kind=stored.kind,
        tasks=stored.tasks,
        accounts=stored.accounts,
        containers=stored.containers,
        fetched_at=stored.taken_at,
        state=stored.state,
    )


def current_snapshots(
    config: Config, store: Store, known: Mapping[str, Snapshot | None] | None = None
) -> dict[str, Snapshot]:
    """The current snapshot of every configured source that has one, in config order.

    ``known`` holds snapshots a sync already has in memory (what it just stored, or kept):
    reading 50,000 tasks back from the store would only cost seconds.
    """
    current: dict[str, Snapshot] = {}
    for source in config.sources:
        if known and source.name in known:
            snap = known[source.name]
        else:
            stored = store.current_snapshot(source.name)
            snap = _snapshot(stored) if stored is not None else None
        if snap is not None:
            current[source.name] = snap
    return current


def evaluate_snapshots(
    config: Config, snapshots: Mapping[str, Snapshot], as_of: date
) -> Evaluation:
    """Attach roles and run the checks on the tasks and accounts of ``snapshots``."""
    tasks = [task for snap in snapshots.values() for task in snap.tasks]
    accounts = [account for snap in snapshots.values() for account in snap.accounts]
    return evaluate(tasks, accounts, config, as_of)


def evaluate_current(
    config: Config, store: Store, as_of: date, known: Mapping[str, Snapshot | None] | None = None
) -> Evaluation:
    """Attach roles and run the checks on the current snapshots."""
    return evaluate_snapshots(config, current_snapshots(config, store, known), as_of)


def build_report(
    config: Config, store: Store, as_of: date | None = None, generated_at: datetime | None = None
) -> ReportData:
    """Everything a report shows, from the store, with the window starting at ``as_of``."""
    now = generated_at or now_in(config)
    start = as_of or now.date()
    snapshots = current_snapshots(config, store)
    evaluation = evaluate_snapshots(config, snapshots, start)
    return _report_data(config, store, now, start, snapshots, evaluation)


def report_from_sync(
    config: Config, store: Store, result: SyncResult, generated_at: datetime | None = None
) -> ReportData:
    """The report of what ``result``'s sync read and concluded, window from its ``as_of``.

    Nothing is evaluated again and no snapshot is read back: the store gives only how each
    source stands and the weeks before (trends).
    """
    now = generated_at or now_in(config)
    return _report_data(config, store, now, result.as_of, result.snapshots, result.evaluation)


def _report_data(
    config: Config,
    store: Store,
    now: datetime,
    start: date,
    snapshots: Mapping[str, Snapshot],
    evaluation: Evaluation,
) -> ReportData:
    tz = ZoneInfo(config.timezone)
    findings, changes = _what_changed(store, evaluation.findings, start, now)
    return ReportData(
        generated_at=now,
        window_start=start,
        window_end=start + timedelta(days=config.workload.horizon_days - 1),
        sources=tuple(
            source_status(
                store,
                s,
                tz,
                now=now,
                stale_after=timedelta(hours=config.sync.stale_after_hours),
            )
            for s in config.sources
        ),
        tasks=tuple(task for snap in snapshots.values() for task in snap.tasks),
        assignments=evaluation.assignments,
        findings=findings,
        workload=evaluation.workload,
        unmatched=evaluation.unmatched,
        people=evaluation.people,
        trends=store.trends(start, 4, now=now),
        changes=changes,
        ignored=evaluation.ignored,
        notes=evaluation.notes,
    )


@dataclass(frozen=True)
class ReportFilter:
    """``raci report --check/--severity/--source/--person`` (each repeatable; empty: all).

    Findings are narrowed to those of the checks, severities and sources given, and to those
    about a person given or on a task they are A or R on; the workload to those people; tasks
    and source status to those sources. The exit code follows what is left (PRODUCT §12).
    """

    checks: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    people: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.checks or self.severities or self.sources or self.people)

    def apply(self, data: ReportData) -> ReportData:
        if not self:
            return data
        people = {p.casefold() for p in self.people}
        owners = {
            key: {a.person_name.casefold() for a in found if a.letter in ("A", "R")}
            for key, found in data.assignments_by_task.items()
        }

        def keep(f: Finding) -> bool:
            about = (f.person or "").casefold() in people or people & owners.get(
                (f.source or "", f.task_id or ""), set()
            )
            return (
                (not self.checks or f.check in self.checks)
                and (not self.severities or str(f.severity) in self.severities)
                and (not self.sources or f.source in self.sources)
                and (not people or bool(about))
            )

        def in_source(name: str) -> bool:
            return not self.sources or name in self.sources

        return replace(
            data,
            findings=tuple(f for f in data.findings if keep(f)),
            workload=tuple(w for w in data.workload if not people or w.person.casefold() in people),
            tasks=tuple(t for t in data.tasks if in_source(t.source)),
            sources=tuple(s for s in data.sources if in_source(s.name)),
        )


def _what_changed(
    store: Store, findings: Sequence[Finding], start: date, now: datetime
) -> tuple[tuple[Finding, ...], Changes]:
    """Each finding with the day it was first seen, and what is new or resolved against the
    last run of the previous ISO week (PRODUCT §10)."""
    keys = [f.key for f in findings]
    since, baseline_day, baseline = store.finding_history(keys, start, now)
    dated = tuple(replace(f, since=since.get(f.key, start)) for f in findings)
    if baseline_day is None:
        return dated, Changes()
    current = dict.fromkeys(keys)
    return dated, Changes(
        baseline=baseline_day,
        new=tuple(k for k in current if k not in baseline),
        resolved=tuple(sorted(baseline - current.keys(), key=_key_order)),
    )


def _key_order(key: FindingKey) -> tuple[str, ...]:
    return tuple(part or "" for part in key)


def source_status(
    store: Store,
    source: SourceConfig,
    tz: ZoneInfo | None = None,
    *,
    now: datetime | None = None,
    stale_after: timedelta | None = None,
) -> SourceStatus:
    """How a report shows one source: ok, failed (its last good data kept), stale (older than
    ``stale_after`` at ``now``), or never synced."""
    h = store.history(source.name)
    status = h.last_status or "never"
    if status == "ok" and h.snapshot_at is None:
        status = "never"
    stale_since = h.stale_since
    if (
        status == "ok"
        and now is not None
        and stale_after is not None
        and h.snapshot_at is not None
        and now - h.snapshot_at > stale_after
    ):
        status, stale_since = "stale", h.snapshot_at + stale_after
    return SourceStatus(
        name=source.name,
        kind=source.kind,
        status=status,
        synced_at=_local(h.snapshot_at, tz),
        tasks=h.snapshot_tasks,
        error=h.last_error if status == "failed" else None,
        stale_since=_local(stale_since, tz),
        kind_title=kind.title if (kind := KINDS.get(source.kind)) else "",
    )


def _local(moment: datetime | None, tz: ZoneInfo | None) -> datetime | None:
    if moment is None or tz is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(tz)
