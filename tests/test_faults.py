"""Every fault of issue 5, injected into a real local server while ``sync()`` reads all three APIs.

Each test first has a clean full sync of the three sources (one made per module, copied into a
fresh store per test: that is the last good snapshot), then runs a full sync with one fault
injected into one API, and asserts WHICH of the two allowed outcomes happens:

- **same as clean**: the sync completes and the source's snapshot holds the same tasks (ids,
  states, fields) and the run concludes the same RACI assignments as the clean run; or
- **failed cleanly**: the source's run is ``failed`` with a message that names the source and the
  request (no traceback, no "internal error"), its last good snapshot is still the current one
  (same id, same read time, same tasks), and the report still shows its tasks, marked failed.

Either way the two other sources are not touched: same as clean. And every test counts the
requests the fake served for the faulted API against the clean run's count. Waits are patched
away (``SyncOptions(sleep=...)`` records them), so a 30 s ``Retry-After`` costs nothing; the
waits asked for are asserted where they carry the point (Retry-After, Trello's 10 s window,
monday's ``retry_in_seconds``, backoff). Figures: ``pytest tests/test_faults.py -rP`` prints
them (``test_zz_figures``). The vendor-shaped faults and the fault plans are in
tests/fakes/faults.py.
"""

from __future__ import annotations

import contextlib
import logging
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from raci_sync.config import Config, Secret, SourceConfig, SyncConfig
from raci_sync.model import Run, SourceRun, Task
from raci_sync.store import Store
from raci_sync.store.sqlite import StoredSnapshot
from raci_sync.sync import SyncOptions, source_status, sync
from tests.fakes import asana as fake_asana
from tests.fakes import monday as fake_monday
from tests.fakes import trello as fake_trello
from tests.fakes.faults import (
    MID,
    RATE_LIMITS,
    SERVER_ERRORS,
    TRELLO_429,
    Counted,
    CursorClock,
    in_turn,
    query_text,
    revoked,
    same_request,
)
from tests.fakes.server import (
    DROP,
    FakeServer,
    Fault,
    Reply,
    Request,
    Served,
    Stall,
    fail_first,
    fail_from,
)
from tests.fakes.workspace import Workspace, generate

KINDS = ("asana", "trello", "monday")
NAME = {"asana": "a", "trello": "t", "monday": "m"}
# Two projects/boards per tool. Asana pages (170 tasks a project, of which the 110 or so open
# and recently completed ones are listed, 100 a page: the history cutoff leaves out the rest)
# and reads subtasks; monday pages (110 items a board, read 100 a page here — see _small_monday_pages —
# so that there is a cursor to expire); Trello is small.
SIZES = {"asana": 340, "trello": 60, "monday": 220}
MONDAY_PAGE = 100
WORKERS = 4  # the default [sync] max_workers: sources and boards are read concurrently
# A source timeout of 5 s for the stall test: a stalled answer is held back until the read is
# over (an event, not a race of two sleeps), and no ordinary answer of the fakes comes near 5 s,
# even on two cores shared with parallel tests (at 1 s, some did: a retry too many).
TIMEOUT, STALL_CAP = 5.0, 60.0
ATTEMPTS = 5  # RetryPolicy.attempts: tries of one request before the source gives up
FIGURES: dict[str, dict[str, Any]] = {}  # fault → figures, printed by test_zz_figures
OUTCOMES = ("same as clean", "failed cleanly", "change read by the next sync")

# -- the workspace, the server, the clean run -------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def _small_monday_pages() -> Iterator[None]:
    """monday items pages of 100 instead of 500: the same paging and cursors for a fifth of the
    items (a 500-item page costs the fake and the client ~0.1 s of CPU each)."""
    from raci_sync.connectors.monday.client import MondayConnector

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(MondayConnector, "item_page_size", MONDAY_PAGE)
        yield


@pytest.fixture(scope="module")
def ws() -> Workspace:
    return generate(SIZES, containers=2, people=8, seed=21, subtask_share=0.03)


@pytest.fixture(scope="module")
def server(ws: Workspace) -> Iterator[FakeServer]:
    with FakeServer(ws, monday={"fast": True}) as srv:
        yield srv


def sources(
    server: FakeServer, ws: Workspace, timeout: float | None = None
) -> tuple[SourceConfig, ...]:
    """The three sources over the fake, scoped by board/project names."""

    def names(kind: str) -> tuple[str, ...]:
        return tuple(c.name for c in ws.tools[kind].containers)

    out = (
        SourceConfig(
            name=NAME["asana"],
            kind="asana",
            token=Secret(fake_asana.TOKEN),
            base_url=server.base_urls["asana"],
            projects=names("asana"),
        ),
        SourceConfig(
            name=NAME["trello"],
            kind="trello",
            token=Secret(fake_trello.TOKEN),
            key=Secret(fake_trello.KEY),
            base_url=server.base_urls["trello"],
            boards=names("trello"),
            done_lists=("Udgivet",),
        ),
        SourceConfig(
            name=NAME["monday"],
            kind="monday",
            token=Secret(fake_monday.TOKEN),
            base_url=server.base_urls["monday"],
            boards=names("monday"),
        ),
    )
    return out if timeout is None else tuple(replace(s, timeout=timeout) for s in out)


@dataclass
class Outcome:
    """One sync against the fake: the run, what the fake served, the waits asked for."""

    run: Run
    counts: dict[str, int]
    log: list[Served]
    sleeps: list[float]

    def source(self, kind: str) -> SourceRun:
        return next(s for s in self.run.sources if s.kind == kind)

    def statuses(self, kind: str) -> list[int | None]:
        return [s.status for s in self.log if s.api == kind]


def run_sync(
    server: FakeServer,
    ws: Workspace,
    store: Store,
    fault: Fault | None = None,
    *,
    timeout: float | None = None,
    workers: int = WORKERS,
    sleep: Callable[[float], None] | None = None,
    full: bool = True,
) -> Outcome:
    """A sync (full unless told) of the three sources with ``fault`` installed; waits
    recorded, not slept."""
    config = Config(
        path=None,
        sources=sources(server, ws, timeout),
        sync=SyncConfig(max_workers=workers),
    )
    sleeps: list[float] = []

    def record(seconds: float) -> None:
        sleeps.append(seconds)
        if sleep is not None:
            sleep(seconds)

    server.reset()
    server.fault = fault
    try:
        run = sync(config, store, SyncOptions(full=full, rate_limits=False, sleep=record))
    finally:
        server.fault = None
    assert not server.errors, server.errors[0]  # a bug in the fake, not a fault
    return Outcome(run, dict(server.counts), list(server.log), sleeps)


def assignments(store: Store, run_id: int, source: str) -> set[tuple[str, str, str, str]]:
    """(task id, person, letter, via) the run concluded for a source's tasks."""
    rows = store.db.execute(
        "SELECT a.task_id, a.person, a.letter, a.via FROM assignments a "
        "JOIN evaluations e ON e.id = a.evaluation_id WHERE e.run_id = ? AND a.source = ?",
        (run_id, source),
    )
    return {(r[0], r[1], r[2], r[3]) for r in rows}


@dataclass
class Clean:
    """The clean run every test starts from (its store is the template of each test's store)."""

    path: Path
    counts: dict[str, int]
    snapshots: dict[str, StoredSnapshot]
    tasks: dict[str, dict[str, Task]]
    assignments: dict[str, set[tuple[str, str, str, str]]]


@pytest.fixture(scope="module")
def clean(server: FakeServer, ws: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Clean:
    path = tmp_path_factory.mktemp("clean") / "clean.sqlite"
    with Store(path) as store:
        out = run_sync(server, ws, store)
        snapshots: dict[str, StoredSnapshot] = {}
        for kind in KINDS:
            assert out.source(kind).status == "ok", out.source(kind).error
            snap = store.current_snapshot(NAME[kind])
            assert snap is not None and len(snap.tasks) == len(ws.expected(kind))
            snapshots[kind] = snap
        found = {k: assignments(store, out.run.id or 0, NAME[k]) for k in KINDS}
    assert all(found.values())  # every source's tasks get R/A letters: a sharp comparison
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
    return Clean(
        path=path,
        counts=out.counts,
        snapshots=snapshots,
        tasks={k: {t.id: t for t in s.tasks} for k, s in snapshots.items()},
        assignments=found,
    )


@pytest.fixture
def store(clean: Clean, tmp_path: Path) -> Iterator[Store]:
    """A copy of the clean run's store: each test's last good snapshots."""
    path = tmp_path / "s.sqlite"
    shutil.copyfile(clean.path, path)
    with Store(path) as s:
        yield s


@pytest.fixture(autouse=True)
def _debug_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="raci_sync")


# -- the two allowed outcomes ------------------------------------------------------------------


def assert_same_as_clean(out: Outcome, store: Store, clean: Clean, kind: str) -> None:
    src = out.source(kind)
    assert src.status == "ok", src.error
    snap = store.current_snapshot(NAME[kind])
    assert snap is not None
    got = {t.id: t for t in snap.tasks}
    assert len(got) == len(snap.tasks) == len(clean.tasks[kind])  # each task once
    assert got == clean.tasks[kind]  # same ids, states, fields
    assert assignments(store, out.run.id or 0, NAME[kind]) == clean.assignments[kind]


def assert_failed_cleanly(
    out: Outcome,
    store: Store,
    clean: Clean,
    kind: str,
    caplog: pytest.LogCaptureFixture,
    *says: str,
) -> str:
    """The source failed with a clear message, its last good snapshot intact; the others ok."""
    src = out.source(kind)
    assert src.status == "failed"
    error = src.error or ""
    assert error.startswith(f"source {NAME[kind]!r} ({kind})"), error
    for words in says:
        assert words in error, (words, error)
    assert "Traceback" not in error and "internal error" not in error, error
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    for secret in (fake_asana.TOKEN, fake_trello.KEY, fake_trello.TOKEN, fake_monday.TOKEN):
        assert secret not in error
    kept = store.current_snapshot(NAME[kind])
    before = clean.snapshots[kind]
    assert kept is not None
    assert (kept.id, kept.taken_at, kept.state) == (before.id, before.taken_at, before.state)
    assert {t.id: t for t in kept.tasks} == clean.tasks[kind]
    assert src.tasks == len(before.tasks)  # the run still reports the kept tasks
    # the evaluation still sees every task of the failed source (its last good data) ...
    assert assignments(store, out.run.id or 0, NAME[kind]) == clean.assignments[kind]
    # ... and the report shows the source as failed, with its kept tasks and the message
    status = source_status(store, SourceConfig(name=NAME[kind], kind=kind, token=Secret("x")))
    assert (status.status, status.tasks, status.error) == ("failed", len(before.tasks), error)
    for other in KINDS:
        if other != kind:
            assert_same_as_clean(out, store, clean, other)
            assert out.counts[other] == clean.counts[other]
    assert out.run.failed  # `raci sync` exits 3
    return error


def assert_all_same_as_clean(out: Outcome, store: Store, clean: Clean, faulted: str) -> None:
    """Every source as after the clean run; the sources not faulted for the same requests."""
    for kind in KINDS:
        assert_same_as_clean(out, store, clean, kind)
        if kind != faulted:
            assert out.counts[kind] == clean.counts[kind]


def figures(
    fault: str,
    kind: str,
    outcome: str,
    out: Outcome,
    clean: Clean,
    injected: int,
    waits: Any = None,
    **extra: Any,
) -> None:
    assert outcome in OUTCOMES, outcome
    FIGURES[fault] = {
        "api": kind,
        "outcome": outcome,
        "faults injected": injected,
        "requests": out.counts[kind],
        "clean requests": clean.counts[kind],
        "waits asked (s)": [round(s, 1) for s in out.sleeps] if waits is None else waits,
        **extra,
    }


# -- rate limits ------------------------------------------------------------------------------


@pytest.mark.parametrize("signal", list(RATE_LIMITS))
def test_rate_limit_is_waited_out_and_the_sync_completes(
    signal: str, server: FakeServer, ws: Workspace, store: Store, clean: Clean
) -> None:
    """Two 429s (or monday's budget error in a 200 body) on one request in mid-read: the client
    waits what the API says — Asana/monday Retry-After, Trello's 10 s window (no header),
    monday's retry_in_seconds — and the sync ends as if nothing happened, two requests dearer."""
    kind, answer, wait = RATE_LIMITS[signal]
    plan = Counted(fail_first(2, answer, api=kind, when=same_request(MID[kind])))
    out = run_sync(server, ws, store, plan)
    assert_all_same_as_clean(out, store, clean, kind)
    assert plan.injected == 2
    assert out.counts[kind] == clean.counts[kind] + 2
    assert out.sleeps == [wait, wait]
    figures(signal, kind, "same as clean", out, clean, plan.injected)


BOARD_ITEMS = re.compile(r"\bquery BoardItems\b")  # a monday board's first items page


def together(n: int, query: re.Pattern[str], wait: float = 30.0) -> Fault:
    """A fault plan that answers everything as the fake does, but holds the first ``n`` monday
    queries that match ``query`` until all ``n`` have arrived: they are in flight at once,
    however the client's threads were scheduled (up to ``wait`` seconds; then each goes on
    alone, and the test's assertions say what happened)."""
    barrier = threading.Barrier(n)
    left = [n]
    lock = threading.Lock()

    def hook(req: Request) -> None:
        if req.api != "monday" or not query.search(query_text(req)):
            return None
        with lock:
            if left[0] <= 0:
                return None
            left[0] -= 1
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(wait)
        return None

    return hook


@pytest.mark.parametrize(
    ("budget", "workers"), [(14_000, 1), (12_000, WORKERS)], ids=["paced", "refused"]
)
def test_monday_complexity_budget_running_out_mid_sync(
    budget: int, workers: int, ws: Workspace, store: Store, clean: Clean
) -> None:
    """The fake's own complexity budget (per 60 s, on a virtual clock that only the client's
    waits move); a full read costs ~28,000 points in six queries. ``paced`` (14,000, boards one
    at a time): the connector sees from the reported ``complexity`` that the next page will not
    fit and waits for the reset before sending it — no request refused. ``refused`` (12,000,
    boards concurrently): pages are refused with COMPLEXITY_BUDGET_EXHAUSTED in a 200 body and
    retried after its ``retry_in_seconds``. Either way: the same snapshot as a clean read.

    The two boards' first pages (6,820 points each, 10,491 left after the directory) reach the
    server together (:func:`together`): when one board's thread started late on a busy machine,
    the connector used to see the first page's cost in time and wait instead — nothing refused."""
    now = [1_000_000.0]
    with FakeServer(ws, monday={"fast": True, "budget": budget, "clock": lambda: now[0]}) as srv:
        fake = srv.fakes["monday"]
        refused: list[int] = []
        charge = fake.charge

        def counting_charge(cost: int) -> dict[str, int]:
            try:
                return charge(cost)
            except fake_monday.MondayError as exc:
                refused.append(exc.extra["retry_in_seconds"])
                raise

        fake.charge = counting_charge

        def advance(seconds: float) -> None:
            now[0] += seconds

        fault = together(2, BOARD_ITEMS) if workers > 1 else None
        out = run_sync(srv, ws, store, fault, workers=workers, sleep=advance)
    assert_all_same_as_clean(out, store, clean, "monday")
    assert out.sleeps and all(0 < s <= 61 for s in out.sleeps)  # at most one window each
    assert out.counts["monday"] == clean.counts["monday"] + len(refused)
    if workers == 1:
        assert refused == [] and len(out.sleeps) == 2  # before b1 page 2 and b2 page 2
    else:
        assert 1 <= len(refused) <= 3
        # the wait monday asks for, in full (up to [sync] max_wait_s; it used to be cut to 60 s)
        assert all(r in out.sleeps for r in refused)
    name = f"monday-complexity-budget-{budget // 1000}k-per-minute"
    figures(name, "monday", "same as clean", out, clean, len(refused), refused=len(refused))


# -- 5xx bursts, resets, stalls, broken and truncated bodies ------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_burst_of_server_errors_is_retried_with_backoff(
    kind: str, server: FakeServer, ws: Workspace, store: Store, clean: Clean
) -> None:
    plan = Counted(in_turn(SERVER_ERRORS[kind], api=kind, when=same_request(MID[kind])))
    out = run_sync(server, ws, store, plan)
    assert_all_same_as_clean(out, store, clean, kind)
    assert plan.injected == 3 and out.counts[kind] == clean.counts[kind] + 3
    assert len(out.sleeps) == 3 and out.sleeps[0] < out.sleeps[2]  # backoff grows
    figures(f"5xx-burst-of-3/{kind}", kind, "same as clean", out, clean, plan.injected)


PERSISTENT: dict[str, tuple[str, Any, str]] = {  # id → (api, answer, what the message says)
    "asana-503": ("asana", SERVER_ERRORS["asana"][1], "answered 503"),
    "trello-503": ("trello", SERVER_ERRORS["trello"][1], "answered 503"),
    "monday-503": ("monday", SERVER_ERRORS["monday"][1], "answered 503"),
    "trello-429-window-after-window": ("trello", Reply(429, TRELLO_429), "rate limited (429)"),
    "monday-connection-reset": ("monday", DROP, "connection failed"),
    # issue 10: a body cut off every time (Content-Length matches: the JSON stops mid-way)
    "asana-cut-off-200": ("asana", Reply(truncate=60), "not valid JSON"),
    "monday-cut-off-200": ("monday", Reply(truncate=60), "not valid JSON"),
}


@pytest.mark.parametrize("case", list(PERSISTENT))
def test_fault_that_does_not_end_fails_the_source_cleanly(
    case: str,
    server: FakeServer,
    ws: Workspace,
    store: Store,
    clean: Clean,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One mid-read request fails every time: tried 5 times in all, then the source fails with
    'gave up' naming the request; the last good snapshot stays, the others sync."""
    kind, answer, says = PERSISTENT[case]
    plan = Counted(fail_first(10**6, answer, api=kind, when=same_request(MID[kind])))
    out = run_sync(server, ws, store, plan)
    error = assert_failed_cleanly(
        out, store, clean, kind, caplog, f"gave up after {ATTEMPTS} tries", says
    )
    assert plan.injected == ATTEMPTS  # that request, tried 5 times, then no more
    assert len(out.sleeps) == ATTEMPTS - 1
    if answer is not DROP and answer.status == 429:
        assert out.sleeps == [10.0] * (ATTEMPTS - 1)  # Trello: wait out each 10 s window
    # every try was made; the read stops there: never more than a clean read plus the retries
    # (Asana skips the subtask listings it no longer needs)
    assert plan.first + ATTEMPTS - 1 <= out.counts[kind] <= clean.counts[kind] + ATTEMPTS - 1
    figures(f"never-ending/{case}", kind, "failed cleanly", out, clean, plan.injected, error=error)


@pytest.mark.parametrize("kind", KINDS)
def test_connection_reset_is_retried(
    kind: str, server: FakeServer, ws: Workspace, store: Store, clean: Clean
) -> None:
    """The server closes the connection without answering, twice on one request."""
    plan = Counted(fail_first(2, DROP, api=kind, when=same_request(MID[kind])))
    out = run_sync(server, ws, store, plan)
    assert_all_same_as_clean(out, store, clean, kind)
    assert out.statuses(kind).count(None) == 2
    assert out.counts[kind] == clean.counts[kind] + 2 and len(out.sleeps) == 2
    figures(f"connection-reset-x2/{kind}", kind, "same as clean", out, clean, plan.injected)


@pytest.mark.parametrize("kind", KINDS)
def test_broken_off_transfer_is_retried(
    kind: str, server: FakeServer, ws: Workspace, store: Store, clean: Clean
) -> None:
    """The answer announces its full length, sends 60 bytes and closes the connection."""
    plan = Counted(fail_first(1, Reply(close_after=60), api=kind, when=same_request(MID[kind])))
    out = run_sync(server, ws, store, plan)
    assert_all_same_as_clean(out, store, clean, kind)
    assert out.counts[kind] == clean.counts[kind] + 1 and len(out.sleeps) == 1
    figures(f"transfer-broken-off/{kind}", kind, "same as clean", out, clean, plan.injected)


@pytest.mark.parametrize("kind", KINDS)
def test_truncated_body_is_retried(
    kind: str, server: FakeServer, ws: Workspace, store: Store, clean: Clean
) -> None:
    """A well-formed response whose JSON body stops after 60 bytes (Content-Length matches):
    never taken as data, and — a read's passing fault (issue 10) — asked again like a 5xx.
    It persisting fails the source: PERSISTENT's ``*-cut-off-200``."""
    plan = Counted(fail_first(1, Reply(truncate=60), api=kind, when=same_request(MID[kind])))
    out = run_sync(server, ws, store, plan)
    assert_all_same_as_clean(out, store, clean, kind)
    assert plan.injected == 1 and out.counts[kind] == clean.counts[kind] + 1
    assert len(out.sleeps) == 1  # one backoff wait
    figures(f"truncated-body/{kind}", kind, "same as clean", out, clean, 1)


def test_stall_past_the_timeout_is_retried(ws: Workspace, store: Store, clean: Clean) -> None:
    """The server holds back its answer to one mid-read request of EACH API until the sync is
    over; every source's timeout is 5 s: the client gives up on it after 5 s and asks again (the
    three stalls overlap: sources are read concurrently). Its own server: the held handler
    threads are released, and finish, after the read."""
    release = threading.Event()
    stall = Stall(STALL_CAP, until=release)
    with FakeServer(ws, monday={"fast": True}) as srv:
        plans = {k: Counted(fail_first(1, stall, api=k, when=same_request(MID[k]))) for k in KINDS}
        try:
            out = run_sync(srv, ws, store, lambda r: plans[r.api](r), timeout=TIMEOUT)
        finally:
            release.set()
    for k in KINDS:
        assert_same_as_clean(out, store, clean, k)
        assert plans[k].injected == 1 and out.counts[k] == clean.counts[k] + 1
        name = f"stall-past-the-timeout-{TIMEOUT:g}s/{k}"
        figures(name, k, "same as clean", out, clean, 1, waits="1 backoff")
    assert len(out.sleeps) == 3  # one backoff wait per stalled request


NEXT_STEP = re.compile(r"\b(try again|run again|later)\b", re.IGNORECASE)


@pytest.mark.parametrize(
    "fault",
    [fail_first(10**6, Reply(503, "Service Unavailable"), api="trello"), fail_first(10**6, Reply(truncate=60), api="trello")],
    ids=["gave-up-on-503s", "truncated-body"],
)  # fmt: skip
def test_a_passing_failure_tells_the_user_what_to_do(
    fault: Fault, server: FakeServer, ws: Workspace, store: Store
) -> None:
    """A source that failed on an API's passing trouble (5xx until the retries ran out, a body
    cut off) must say what to do next — try again later — as the 401, 404 and cursor messages
    say what to fix; 'gave up after 5 tries … answered 503' alone leaves the user guessing
    whether the config is wrong. (Fails today: HttpClient.request_json and HttpClient._once
    build these two messages without a next step.)"""
    out = run_sync(server, ws, store, fault)
    error = out.source("trello").error or ""
    assert out.source("trello").status == "failed"
    assert NEXT_STEP.search(error), error


# -- monday cursors -----------------------------------------------------------------------------


@pytest.fixture
def cursor_clock(server: FakeServer) -> Iterator[Callable[[int], CursorClock]]:
    fake = server.fakes["monday"]
    original = fake.clock

    def install(jumps: int) -> CursorClock:
        clock = CursorClock(jumps)
        fake.clock = clock.now
        return clock

    yield install
    fake.clock = original


def test_monday_cursor_expired_mid_board_restarts_that_board(
    server: FakeServer,
    ws: Workspace,
    store: Store,
    clean: Clean,
    cursor_clock: Callable[[int], CursorClock],
) -> None:
    """The first board's 2nd page comes back 'cursor expired': that board's listing starts over
    (first page again, then the 2nd with a fresh cursor): each item once, none missing.
    One worker, so the other board's cursor is issued after the jump (exact count)."""
    clock = cursor_clock(1)
    out = run_sync(server, ws, store, clock.hook, workers=1)
    assert_all_same_as_clean(out, store, clean, "monday")
    assert clock.injected == 1
    assert out.counts["monday"] == clean.counts["monday"] + 2  # the refused page, the 1st again
    figures("monday-cursor-expired-once", "monday", "same as clean", out, clean, 1)


def test_monday_cursor_that_keeps_expiring_fails_the_source_cleanly(
    server: FakeServer,
    ws: Workspace,
    store: Store,
    clean: Clean,
    cursor_clock: Callable[[int], CursorClock],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every 2nd page expires: after 3 restarts of the board the source fails and says so."""
    clock = cursor_clock(10**6)
    out = run_sync(server, ws, store, clock.hook, workers=1)
    error = assert_failed_cleanly(
        out, store, clean, "monday", caplog, "cursor expired", "gave up after 3 restarts",
        "try again later",
    )  # fmt: skip
    # listing + directory, then the first board 4 times (2 pages each); the 2nd is never read
    assert out.counts["monday"] == 2 + 4 * 2 and clock.injected == 4
    figures("monday-cursor-always-expired", "monday", "failed cleanly", out, clean, 4, error=error)


# -- a token revoked in the middle of a sync ------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_token_revoked_mid_sync_fails_the_source_cleanly(
    kind: str,
    server: FakeServer,
    ws: Workspace,
    store: Store,
    clean: Clean,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every request from the k-th on (k = half the clean read) gets the API's own 401: not
    retried, the source fails at once telling the user to replace the token."""
    k = clean.counts[kind] // 2 + 1
    plan = Counted(fail_from(k, revoked(server, kind), api=kind))
    out = run_sync(server, ws, store, plan)
    error = assert_failed_cleanly(out, store, clean, kind, caplog, "401", "token")
    statuses = out.statuses(kind)
    assert statuses.count(200) == k - 1 and statuses.count(401) == plan.injected >= 1
    # the first 401 ends the read: what follows it is what was in flight on the other worker
    # threads, and what they had picked up before the rest of the work was cancelled
    assert k <= out.counts[kind] <= k - 1 + 2 * WORKERS and out.sleeps == []
    figures(f"token-revoked-from-request-{k}/{kind}", kind, "failed cleanly", out, clean,
            plan.injected, error=error)  # fmt: skip


def test_all_tokens_revoked_at_once_keeps_every_snapshot(
    server: FakeServer, ws: Workspace, store: Store, clean: Clean
) -> None:
    plans = {k: fail_from(2, revoked(server, k), api=k) for k in KINDS}
    out = run_sync(server, ws, store, lambda r: plans[r.api](r))
    assert [s.status for s in out.run.sources] == ["failed"] * 3
    assert store.db.execute("SELECT status FROM runs WHERE id = ?", (out.run.id,)).fetchone() == (
        "failed",
    )
    for kind in KINDS:
        kept = store.current_snapshot(NAME[kind])
        assert kept is not None and kept.id == clean.snapshots[kind].id
        assert {t.id: t for t in kept.tasks} == clean.tasks[kind]
        assert assignments(store, out.run.id or 0, NAME[kind]) == clean.assignments[kind]


@pytest.mark.parametrize("kind", KINDS)
def test_a_change_made_while_a_source_failed_is_read_by_the_next_incremental_sync(
    kind: str, tmp_path: Path
) -> None:
    """Nothing is lost across a failed run: a task changed after the last good read, then a
    failed incremental sync (token revoked from its first request), then the token works
    again: the next incremental sync reads from the last GOOD read's time, so it sees the
    change — at incremental cost."""
    ws = generate(60, containers=2, people=6, seed=31, subtask_share=0.0)
    with FakeServer(ws, monday={"fast": True}) as srv, Store(tmp_path / "s.sqlite") as store:
        full = run_sync(srv, ws, store)
        kept = store.current_snapshot(NAME[kind])
        victim = ws.tools[kind].tasks[3]
        ws.touch(kind, victim.id, title="Ændret mens synkroniseringen fejlede")
        failed = run_sync(srv, ws, store, fail_from(1, revoked(srv, kind), api=kind), full=False)
        assert failed.source(kind).status == "failed"
        assert 1 <= failed.counts[kind] <= 2  # at most one per board (read at once), no retry
        after_failure = store.current_snapshot(NAME[kind])
        again = run_sync(srv, ws, store, full=False)
        snap = store.current_snapshot(NAME[kind])
    assert kept is not None and after_failure is not None and snap is not None
    assert after_failure.id == kept.id and after_failure.taken_at == kept.taken_at
    assert again.source(kind).status == "ok", again.source(kind).error
    titles = {t.id: t.title for t in snap.tasks}
    assert titles[victim.id] == "Ændret mens synkroniseringen fejlede"
    assert len(titles) == len(snap.tasks) == len(ws.expected(kind))
    assert again.counts[kind] < full.counts[kind]  # incremental, not a full re-read
    FIGURES[f"change-during-failed-run/{kind}"] = {
        "api": kind,
        "outcome": "change read by the next sync",
        "faults injected": 1,
        "requests": again.counts[kind],
        "clean requests": full.counts[kind],
        "waits asked (s)": [],
    }


# -- the figures ------------------------------------------------------------------------------


def test_zz_figures(capsys: pytest.CaptureFixture[str]) -> None:
    """Prints what the fault tests above measured (``-rP`` shows it; the README's figures).
    Under xdist it prints what ran on its own worker (run this file alone for the whole)."""
    assert all(f["outcome"] in OUTCOMES for f in FIGURES.values()), FIGURES
    if not FIGURES:
        print("no fault scenario ran on this worker")
        return
    injected = sum(f["faults injected"] for f in FIGURES.values())
    same = sum(f["outcome"] == "same as clean" for f in FIGURES.values())
    print(f"{len(FIGURES)} fault scenarios, {injected} faults injected: {same} completed the same "
          f"as a clean run, {len(FIGURES) - same} failed their source cleanly")  # fmt: skip
    width = max(len(k) for k in FIGURES)
    for fault, f in FIGURES.items():
        print(
            f"  {fault:<{width}}  {f['outcome']:<14} injected {f['faults injected']:>2}  "
            f"requests {f['requests']:>3} (clean {f['clean requests']})  waits {f['waits asked (s)']}"
        )
    for fault, f in FIGURES.items():
        if "error" in f:
            print(f"  {fault}: {f['error'][:160]}")
