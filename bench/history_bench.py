"""History benchmark: what an Asana workspace with years of completed tasks costs to sync.

For each count of old tasks (``--old``, default 0 and 2,000) it ages the same generated
workspace (``--tasks`` tasks over ``--containers`` projects) with that many tasks completed one
to two years ago, ``--old-subtask-share`` of them (default 40 %) with 1–3 completed subtasks
(``tests.fakes.workspace.add_history``), and syncs it from the spec-built fake Asana with
``--latency-ms`` added to every request:

1. a full sync into a fresh store, with the default history cutoff (``[sync] history_days``,
   90: only open tasks and tasks completed since are listed, and no subtasks below a task
   completed before the cutoff);
2. an incremental sync of the unchanged workspace;
3. a full sync with the cutoff widened past every task (``history_days = 36500``): what a read
   of the whole history costs, as every full read did before the cutoff.

It prints requests and wall time side by side, and the ratio of the aged full read's requests
to the fresh one's (target: within 1.2x).

    .venv/bin/python bench/history_bench.py                       # --old 0,2000; 100 ms
    .venv/bin/python bench/history_bench.py --old 0,2000,10000 --latency-ms 50

The fake runs in this process (on its own threads): its CPU shares the GIL with the client,
which the latency dwarfs at these sizes. The client-side rate limiter is off (the fake has
none); the "budget floor" column is the least time Asana's free-plan budget (150 requests a
minute) would add to that many requests, and "paid" the same at 1,500 a minute.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
WIDE = 36_500  # history_days that reaches past every generated task
TARGET = 1.2  # the aged full read within this many times the fresh one's requests


@dataclass
class Measure:
    """One sync: what it kept and what it cost."""

    tasks: int
    requests: int
    wall: float


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if str(REPO) not in sys.path:  # run as a script: make `tests.fakes` importable
        sys.path.insert(0, str(REPO))
    olds = [int(s.replace("_", "")) for s in args.old.split(",") if s.strip()]
    print(
        f"raci-sync history benchmark (Asana): {args.tasks:,} tasks over {args.containers} "
        f"projects, +{args.latency_ms:g} ms per request, max_workers {args.workers}; old tasks "
        f"completed 1–2 years ago, {args.old_subtask_share:.0%} of them with completed "
        "subtasks",
        flush=True,
    )
    rows = [(old, measure(old, args)) for old in olds]
    print_table(rows)
    fresh = rows[0][1]["full"].requests
    worst = max(m["full"].requests / fresh for _, m in rows)
    verdict = "met" if worst <= TARGET else "MISSED"
    print(f"\naged full read / fresh full read, requests: at most {worst:.2f}x (target "
          f"{TARGET}x: {verdict})")  # fmt: skip
    return 0 if worst <= TARGET else 1


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tasks", type=int, default=1000, help="top-level tasks of the workspace")
    p.add_argument("--old", default="0,2000", help="old completed tasks to add, comma-separated")
    p.add_argument("--old-subtask-share", type=float, default=0.4)
    p.add_argument("--subtask-share", type=float, default=0.05, help="of the workspace's tasks")
    p.add_argument("--containers", type=int, default=4, help="projects")
    p.add_argument("--people", type=int, default=50)
    p.add_argument("--latency-ms", type=float, default=100.0, help="added to every request")
    p.add_argument("--workers", type=int, default=4, help="[sync] max_workers")
    p.add_argument("--seed", type=int, default=1)
    return p.parse_args(argv)


def measure(old: int, args: argparse.Namespace) -> dict[str, Measure]:
    """Full (cutoff), incremental (unchanged) and full (no cutoff) syncs of one workspace."""
    from tests.fakes.server import FakeServer
    from tests.fakes.workspace import add_history, generate

    ws = generate(
        {"asana": args.tasks},
        containers=args.containers,
        people=args.people,
        seed=args.seed,
        subtask_share=args.subtask_share,
    )
    add_history(ws, old, subtask_share=args.old_subtask_share)
    out: dict[str, Measure] = {}
    with FakeServer(ws, latency=args.latency_ms / 1000) as server:
        with tempfile.TemporaryDirectory() as tmp:
            from raci_sync.store import Store

            with Store(Path(tmp) / "bench.sqlite") as store:
                out["full"] = one_sync(server, ws, store, args, full=True)
                out["incremental"] = one_sync(server, ws, store, args, full=False)
            with Store(Path(tmp) / "wide.sqlite") as store:
                out["no cutoff"] = one_sync(server, ws, store, args, full=True, days=WIDE)
        if server.errors:
            raise SystemExit(f"the fake Asana API failed:\n{server.errors[0]}")
        gaps = server.violations["asana"]
        if gaps:
            raise SystemExit(f"requests the Asana spec does not allow: {gaps}")
    print(f"  done: {old:,} old tasks", file=sys.stderr, flush=True)
    return out


def one_sync(
    server: Any, ws: Any, store: Any, args: argparse.Namespace, *, full: bool, days: int = 90
) -> Measure:
    from tests.fakes import asana

    from raci_sync.config import Config, Secret, SourceConfig, SyncConfig
    from raci_sync.sync import SyncOptions, sync

    source = SourceConfig(
        name="asana",
        kind="asana",
        token=Secret(asana.TOKEN),
        base_url=server.base_urls["asana"],
        projects=tuple(c.name for c in ws.asana.containers),
        history_days=days,
    )
    config = Config(path=None, sources=(source,), sync=SyncConfig(max_workers=args.workers))
    server.reset()
    started = time.perf_counter()
    run = sync(config, store, SyncOptions(full=full, rate_limits=False))
    wall = time.perf_counter() - started
    outcome = run.sources[0]
    if outcome.status != "ok":
        raise SystemExit(f"the sync failed: {outcome.error}")
    expected = len(ws.expected("asana", history_days=days))
    if outcome.tasks != expected:
        raise SystemExit(f"read {outcome.tasks} tasks, the workspace holds {expected}")
    return Measure(outcome.tasks, server.counts["asana"], wall)


def floor_s(requests: int, per_minute: int) -> int:
    """The least seconds Asana's sliding budget adds to that many requests."""
    return math.floor(max(requests - 1, 0) / per_minute) * 60


def print_table(rows: list[tuple[int, dict[str, Measure]]]) -> None:
    fresh = rows[0][1]
    head = (
        f"{'old tasks':>9}  {'read':<26} {'tasks':>7} {'requests':>8} {'× fresh':>7} "
        f"{'wall s':>7} {'budget floor s':>14} {'paid':>5}"
    )
    print()
    print(head)
    print("-" * len(head))
    labels = {
        "full": "full (cutoff 90 days)",
        "incremental": "incremental, unchanged",
        "no cutoff": "full, no cutoff (36,500 d)",
    }
    for old, m in rows:
        for key, label in labels.items():
            r = m[key]
            ratio = r.requests / fresh[key].requests
            print(
                f"{old:>9,}  {label:<26} {r.tasks:>7,} {r.requests:>8,} {ratio:>6.2f}x "
                f"{r.wall:>7.2f} {floor_s(r.requests, 150):>14} {floor_s(r.requests, 1500):>5}"
            )


if __name__ == "__main__":
    raise SystemExit(main())
