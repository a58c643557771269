"""Crash safety: `raci sync` killed with SIGKILL at random points, and two `raci run` at once.

The real command runs as a child process (``python -m raci_sync``) against the local fake APIs
(tests/fakes, in this process, with added latency so a sync takes about a second). Each round
changes the workspace (a task deleted per tool, so the new snapshots differ from the kept
ones), starts a full sync, kills it after a random (seeded) delay, and then checks the store:

- ``PRAGMA integrity_check`` is ``ok`` and ``PRAGMA foreign_key_check`` finds nothing;
- every snapshot in the store is whole (its task rows number what its row says), and each
  source's current snapshot is EITHER the one it had before the killed run OR the complete new
  one — compared by task ids with what the workspace holds before and after the change;
- the next `raci sync --full` exits 0 and stores exactly the new workspace.

Some rounds also get a fault injected (a 503 or 429 with ``Retry-After: 0``, or a stall) on a
random request, so the kill lands in retries too. Figures (rounds survived, where the kills
landed, faults injected) are printed: ``pytest tests/test_crash.py -rP``. ``RACI_CRASH_SEED`` and
``RACI_CRASH_ROUNDS`` change the seed and the number of rounds.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from raci_sync.store import Store
from tests.fakes import asana as fake_asana
from tests.fakes import monday as fake_monday
from tests.fakes import trello as fake_trello
from tests.fakes.config import env_refs, sources_toml
from tests.fakes.server import FakeServer, Reply, Request, Stall
from tests.fakes.workspace import Workspace, generate

pytestmark = pytest.mark.slow

KINDS = ("asana", "trello", "monday")
NAME = {"asana": "a", "trello": "t", "monday": "m"}
SIZES = {"asana": 400, "trello": 1200, "monday": 1000}  # ~2,650 tasks: writes take a while
LATENCY = 0.05  # seconds per request: a full sync takes about a second
SEED = int(os.environ.get("RACI_CRASH_SEED", "5"))
ROUNDS = int(os.environ.get("RACI_CRASH_ROUNDS", "20"))
TIME_BUDGET = 20.0  # seconds for the loop; fewer rounds on a slow machine (at least MIN_ROUNDS)
MIN_ROUNDS = 8
ENV = {
    "RACI_CRASH_ASANA_TOKEN": fake_asana.TOKEN,
    "RACI_CRASH_TRELLO_KEY": fake_trello.KEY,
    "RACI_CRASH_TRELLO_TOKEN": fake_trello.TOKEN,
    "RACI_CRASH_MONDAY_TOKEN": fake_monday.TOKEN,
}
FAULTS = {  # what a round may inject on one random request (no real waits: Retry-After 0)
    "503 Retry-After 0": Reply(503, "Service Unavailable", {"Retry-After": "0"}),
    "429 Retry-After 0": Reply(429, {"errors": [{"message": "rate limit"}]}, {"Retry-After": "0"}),
    "stall 0.3 s": Stall(0.3),
}


@pytest.fixture
def ws() -> Workspace:
    return generate(SIZES, containers=2, people=10, seed=SEED, subtask_share=0.02)


@pytest.fixture
def server(ws: Workspace) -> Iterator[FakeServer]:
    with FakeServer(ws, latency=LATENCY, monday={"fast": True}) as srv:
        yield srv


def write_config(path: Path, server: FakeServer, ws: Workspace, store: Path) -> Path:
    """A raci.toml over the fakes: secrets from the environment, never in the file."""
    sources = sources_toml(server, ws, names=NAME, credentials=env_refs("RACI_CRASH"), effort=None)
    path.write_text(f"store = {json.dumps(str(store))}\n" + sources, encoding="utf-8")
    return path


def raci(cfg: Path, *args: str) -> subprocess.Popen[str]:
    """`python -m raci_sync --config cfg ARGS` as a child process (stdout/stderr piped)."""
    return subprocess.Popen(
        [sys.executable, "-m", "raci_sync", "--config", str(cfg), *args],
        env={**os.environ, **ENV},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen[str], timeout: float = 60) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def expected_ids(ws: Workspace) -> dict[str, frozenset[str]]:
    return {k: frozenset(ws.expected(k)) for k in KINDS}


def delete_one_task_per_tool(ws: Workspace, rng: random.Random) -> None:
    for kind in KINDS:
        read = ws.expected(kind)  # a task a read keeps (no template, no history left out)
        tops = [t for t in ws.tools[kind].tasks if t.parent is None and t.id in read]
        ws.delete(kind, rng.choice(tops).id)


@dataclass
class StoreState:
    """What a store holds after a kill, read without raci's own code first."""

    integrity: str
    foreign_key_problems: int
    runs: int
    last_run_finished: bool
    last_run_sources: int
    partial_snapshots: list[tuple[int, str, int, int]]  # (id, source, rows, said)
    current: dict[str, frozenset[str]]


def inspect(path: Path) -> StoreState:
    db = sqlite3.connect(path)
    try:
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        fk = len(db.execute("PRAGMA foreign_key_check").fetchall())
        runs, last = db.execute("SELECT count(*), max(id) FROM runs").fetchone()
        finished = db.execute("SELECT finished_at FROM runs WHERE id = ?", (last,)).fetchone()
        sources = db.execute(
            "SELECT count(*) FROM source_runs WHERE run_id = ?", (last,)
        ).fetchone()[0]
        partial = db.execute(
            "SELECT s.id, s.source, (SELECT count(*) FROM tasks t WHERE t.snapshot_id = s.id) AS n,"
            " s.tasks FROM snapshots s WHERE n != s.tasks"
        ).fetchall()
    finally:
        db.close()
    with Store(path) as store:
        current = {}
        for kind in KINDS:
            snap = store.current_snapshot(NAME[kind])
            assert snap is not None, f"{kind}: the last good snapshot is gone"
            ids = [t.id for t in snap.tasks]
            assert len(ids) == len(set(ids)), f"{kind}: a task twice in one snapshot"
            current[kind] = frozenset(ids)
    return StoreState(
        integrity=integrity,
        foreign_key_problems=fk,
        runs=runs,
        last_run_finished=bool(finished and finished[0]),
        last_run_sources=sources,
        partial_snapshots=partial,
        current=current,
    )


def kill_point(before: StoreState, after: StoreState, ended: bool) -> str:
    """Where in the sync the kill landed, as the store tells it."""
    if ended:
        return "after the sync had ended (nothing to kill)"
    if after.runs == before.runs:
        return "starting up (before the run began)"
    if after.last_run_finished:
        return "after the run was recorded (evaluation, thinning, exit)"
    if after.last_run_sources == 0:
        return "reading the APIs (nothing written yet)"
    if after.last_run_sources < len(KINDS):
        return f"between source writes ({after.last_run_sources} of {len(KINDS)} written)"
    return "every source written, run not yet recorded"


class FaultPlan:
    """At most one fault, on request number ``n`` of one API; counts what it injected."""

    def __init__(self, api: str, n: int, kind: str) -> None:
        self.api, self.n, self.kind = api, n, kind
        self.injected = 0

    def __call__(self, req: Request) -> Any:
        if req.api == self.api and req.n == self.n:
            self.injected += 1
            return FAULTS[self.kind]
        return None


def maybe_fault(rng: random.Random, clean_counts: dict[str, int]) -> FaultPlan | None:
    if rng.random() < 0.5:
        return None
    api = rng.choice(KINDS)
    return FaultPlan(api, rng.randint(1, clean_counts[api]), rng.choice(sorted(FAULTS)))


def test_sigkill_at_random_points_never_loses_the_last_good_snapshot(
    ws: Workspace, server: FakeServer, tmp_path: Path
) -> None:
    store_path = tmp_path / "raci.sqlite"
    cfg = write_config(tmp_path / "raci.toml", server, ws, store_path)
    rng = random.Random(SEED)

    started = time.perf_counter()
    code, _, err = finish(raci(cfg, "sync", "--full", "-q"))
    walls = [time.perf_counter() - started]  # wall times of full syncs
    assert code == 0, err
    clean_counts = dict(server.counts)
    good = expected_ids(ws)
    before = inspect(store_path)
    assert before.current == good

    points: Counter[str] = Counter()
    faults: Counter[str] = Counter()
    kept = renewed = rounds = 0
    delays: list[float] = []
    loop_started = time.perf_counter()
    while rounds < ROUNDS and (
        rounds < MIN_ROUNDS or time.perf_counter() - loop_started < TIME_BUDGET
    ):
        rounds += 1
        delete_one_task_per_tool(ws, rng)
        new = expected_ids(ws)
        plan = maybe_fault(rng, clean_counts)
        server.reset()
        server.fault = plan
        # half the kills anywhere in a sync, half in its second half (the writes); a sync's
        # length is the median of the last full runs (the machine's load varies)
        wall = statistics.median(walls[-5:])
        delay = wall * (rng.uniform(0.0, 1.1) if rounds % 2 else rng.uniform(0.5, 1.05))
        delays.append(delay)
        proc = raci(cfg, "sync", "--full", "-q")
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)  # our own child, by its handle
        code, _, err = finish(proc)
        server.fault = None
        if plan is not None and plan.injected:
            faults[plan.kind] += plan.injected
        assert code in (0, -signal.SIGKILL), (code, err)  # 0: it ended before the kill
        assert "Traceback" not in err, err

        after = inspect(store_path)
        assert after.integrity == "ok", f"round {rounds}: {after.integrity}"
        assert after.foreign_key_problems == 0
        assert after.partial_snapshots == [], f"round {rounds}: partial {after.partial_snapshots}"
        for kind in KINDS:
            now = after.current[kind]
            assert now in (good[kind], new[kind]), (
                f"round {rounds}, {kind}: the current snapshot ({len(now)} tasks) is neither the "
                f"last good one ({len(good[kind])}) nor the complete new one ({len(new[kind])})"
            )
            kept += now == good[kind]
            renewed += now == new[kind]
        points[kill_point(before, after, code == 0)] += 1

        started = time.perf_counter()
        code, _, err = finish(raci(cfg, "sync", "--full", "-q"))  # the next run
        walls.append(time.perf_counter() - started)
        assert code == 0, f"round {rounds}: the run after the kill failed ({code}): {err}"
        assert "Traceback" not in err
        before = inspect(store_path)
        assert before.integrity == "ok" and before.current == new
        good = new

    ended = ("starting up (before the run began)", "after the sync had ended (nothing to kill)")
    in_sync = sum(n for point, n in points.items() if point not in ended)
    figures = {
        "rounds (a run SIGKILLed)": rounds,
        "kills that landed inside a running sync": in_sync,
        "runs after a kill that succeeded (exit 0)": rounds,
        "stores intact (integrity_check ok, no partial snapshot)": rounds,
        "source snapshots kept (last good)": kept,
        "source snapshots renewed (complete new)": renewed,
        "kill delays (s)": f"{min(delays):.2f} … {max(delays):.2f}",
        "full sync wall (s)": f"{min(walls):.2f} … {max(walls):.2f}",
        "kill points": dict(points.most_common()),
        "faults injected": dict(faults),
        "seed": SEED,
        "loop seconds": round(time.perf_counter() - loop_started, 1),
    }
    print(json.dumps(figures, ensure_ascii=False, indent=1))
    assert rounds >= MIN_ROUNDS
    assert in_sync >= 2, points  # else the delays miss the sync


def test_two_runs_at_once_one_runs_one_exits_4(
    ws: Workspace, server: FakeServer, tmp_path: Path
) -> None:
    store_path = tmp_path / "raci.sqlite"
    cfg = write_config(tmp_path / "raci.toml", server, ws, store_path)
    code, _, err = finish(raci(cfg, "sync", "--full", "-q"))
    assert code == 0, err
    with Store(store_path) as store:
        counts_before = store.counts()
    delete_one_task_per_tool(ws, random.Random(SEED))  # so each source writes a new snapshot
    server.latency = 2 * LATENCY  # the first run is surely still running when the second starts
    first = raci(cfg, "run", "--full", "-q", "-f", "json")
    second = raci(cfg, "run", "--full", "-q", "-f", "json")
    results = [finish(first), finish(second)]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 4], [(c, e[-300:]) for c, _, e in results]
    winner = next(r for r in results if r[0] == 0)
    loser = next(r for r in results if r[0] == 4)
    assert "another raci run is using the store" in loser[2] and "Traceback" not in loser[2]
    assert loser[1] == ""  # no report from the run that did not run
    report = json.loads(winner[1])
    assert {s["name"]: s["status"] for s in report["sources"]} == dict.fromkeys(NAME.values(), "ok")
    with Store(store_path) as store:
        after = store.counts()
        for kind in KINDS:
            snap = store.current_snapshot(NAME[kind])
            assert snap is not None and {t.id for t in snap.tasks} == set(ws.expected(kind))
        per_source = dict(
            store.db.execute("SELECT source, count(*) FROM snapshots GROUP BY source").fetchall()
        )
    assert after["runs"] == counts_before["runs"] + 1  # one run, not two
    assert after["snapshots"] == counts_before["snapshots"] + len(KINDS)  # one new per source
    assert per_source == dict.fromkeys(NAME.values(), 2)
    assert sum(server.counts.values()) > 0
