"""Orchestration: connectors → store, and store → mapping → report data.

No HTTP and no SQL here: connectors read, the store keeps, mapping judges.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import requests

from raci_sync.config import Config, SourceConfig
from raci_sync.connectors import make_connector, make_http
from raci_sync.errors import SourceError
from raci_sync.mapping import Evaluation, evaluate
from raci_sync.model import Account, Run, SourceRun, Task
from raci_sync.reports.data import ReportData, SourceStatus
from raci_sync.store import Store

log = logging.getLogger("raci_sync.sync")

Mount = Callable[[requests.Session], None]


@dataclass
class SyncOptions:
    """How a sync runs; the defaults are what `raci sync` does."""

    only: Sequence[str] = ()  # source names; empty = all
    full: bool = False
    mount: Mount | None = None  # a transport hook (the demo's replay, or a test's)
    sleep: Callable[[float], None] | None = None
    progress: Callable[[str, SourceRun | None], None] | None = None  # (source, None) = started


def now_in(config: Config) -> datetime:
    """The current time in the config's time zone."""
    return datetime.now(ZoneInfo(config.timezone))


def sync(config: Config, store: Store, options: SyncOptions | None = None) -> Run:
    """Read every selected source into the store; a failed source keeps its last snapshot."""
    opts = options or SyncOptions()
    selected = [config.source(n) for n in opts.only] if opts.only else list(config.sources)
    started = now_in(config)
    run_id = store.begin_run(started)
    results = []
    for source in selected:
        if opts.progress:
            opts.progress(source.name, None)
        result = _sync_one(config, store, run_id, source, opts)
        results.append(result)
        if opts.progress:
            opts.progress(source.name, result)
    finished = now_in(config)
    failed = sum(r.status == "failed" for r in results)
    status = "ok" if not failed else ("failed" if failed == len(results) else "partial")
    store.finish_run(run_id, finished, status)
    run = Run(started=started, finished=finished, sources=tuple(results), id=run_id)
    evaluation = evaluate_current(config, store, finished.date())
    store.save_evaluation(run_id, finished.date(), finished, evaluation)
    return run


def _sync_one(
    config: Config, store: Store, run_id: int, source: SourceConfig, opts: SyncOptions
) -> SourceRun:
    t0 = time.monotonic()
    http = make_http(source, mount=opts.mount, sleep=opts.sleep)
    try:
        snap = make_connector(source, http).fetch(None)
    except SourceError as exc:
        error = str(exc)
    except Exception as exc:
        log.debug("unexpected error in source %s", source.name, exc_info=True)
        error = f"source {source.name!r}: internal error ({type(exc).__name__}); please report it"
    else:
        finished = now_in(config)
        store.save_snapshot(run_id, snap, finished)
        log.info(
            "source %s: %d tasks, %d requests, %.1f s",
            source.name,
            len(snap.tasks),
            snap.requests,
            time.monotonic() - t0,
        )
        return SourceRun(
            source.name,
            source.kind,
            "ok",
            tasks=len(snap.tasks),
            requests=snap.requests,
            synced_at=snap.fetched_at or finished,
        )
    error = http.scrub(error)
    store.record_failure(
        run_id, source.name, source.kind, "failed", error, now_in(config), http.requests_made
    )
    log.warning("%s", error)
    prev = store.history(source.name)
    return SourceRun(
        source.name,
        source.kind,
        "failed",
        tasks=prev.snapshot_tasks,
        requests=http.requests_made,
        error=error,
        synced_at=prev.snapshot_at,
    )


def current_data(config: Config, store: Store) -> tuple[list[Task], list[Account]]:
    """Tasks and accounts of every configured source's current snapshot."""
    tasks: list[Task] = []
    accounts: list[Account] = []
    for source in config.sources:
        snap = store.current_snapshot(source.name)
        if snap is not None:
            tasks.extend(snap.tasks)
            accounts.extend(snap.accounts)
    return tasks, accounts


def evaluate_current(config: Config, store: Store, as_of: date) -> Evaluation:
    """Attach roles and run the checks on the current snapshots."""
    tasks, accounts = current_data(config, store)
    return evaluate(tasks, accounts, config, as_of)


def build_report(
    config: Config, store: Store, as_of: date | None = None, generated_at: datetime | None = None
) -> ReportData:
    """Everything a report shows, from the store, with the window starting at ``as_of``."""
    now = generated_at or now_in(config)
    start = as_of or now.date()
    tasks, accounts = current_data(config, store)
    ev = evaluate(tasks, accounts, config, start)
    return ReportData(
        generated_at=now,
        window_start=start,
        window_end=start + timedelta(days=config.workload.horizon_days - 1),
        sources=tuple(source_status(store, s, ZoneInfo(config.timezone)) for s in config.sources),
        tasks=tuple(tasks),
        assignments=ev.assignments,
        findings=ev.findings,
        workload=ev.workload,
        unmatched=ev.unmatched,
        people=ev.people,
    )


def source_status(store: Store, source: SourceConfig, tz: ZoneInfo | None = None) -> SourceStatus:
    """How a report shows one source: ok, failed (stale data kept), or never synced."""
    h = store.history(source.name)
    status = h.last_status or "never"
    return SourceStatus(
        name=source.name,
        kind=source.kind,
        status=status,
        synced_at=_local(h.snapshot_at, tz),
        tasks=h.snapshot_tasks,
        error=h.last_error if status == "failed" else None,
        stale_since=_local(h.stale_since, tz),
    )


def _local(moment: datetime | None, tz: ZoneInfo | None) -> datetime | None:
    if moment is None or tz is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(tz)
