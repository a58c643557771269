"""Sync benchmark: full and unchanged-incremental syncs against the local fake APIs.

For each size N (tasks per tool, spread over ``--containers`` projects/boards) and each API, it
runs ``raci_sync.sync.sync`` twice per mode — a full sync into a fresh temporary store, then an
incremental sync of the unchanged workspace — once sequentially (``[sync] max_workers = 1``)
and once concurrently (``--workers``, default 4), against ``tests/fakes`` with ``--latency-ms``
added to every request. It prints, per API: tasks read, requests made against the documented
minimum, wall time sequential vs concurrent, and what the vendor's request budget would add.

    .venv/bin/python bench/sync_bench.py                       # sizes 1000,10000; 100 ms
    .venv/bin/python bench/sync_bench.py --sizes 1000,10000,50000 --apis asana

Rate limits: by default the client-side limiter is off (``SyncOptions(rate_limits=False)``)
because the fake has no limits; the "budget" column then gives the least wall time the
documented budget imposes on that many requests (Asana free plan 150/min, Trello 100 per 10 s
per token, monday 10M complexity points per minute). ``--rate-limits`` keeps the real limiter
and reports the seconds it waited instead.

The fake monday API runs with its fast executor (``MondayFake(fast=True)``, checked against
graphql-core in tests/test_fakes.py) so that the fake's own CPU stays small next to the latency;
the "fake CPU" column shows what is left.
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
APIS = ("asana", "trello", "monday")
BUDGETS = {  # requests (or complexity points) per window in seconds, as documented
    "asana": (150, 60.0),
    "trello": (100, 10.0),
    "monday": (10_000_000, 60.0),
}


@dataclass
class Result:
    """One sync of one API in one mode."""

    tasks: int
    expected: int
    requests: int
    wall: float  # the whole sync() call: HTTP, conversion, store, evaluation
    http: float  # first request in → last answer out, at the server
    fake_cpu: float
    complexity: int  # monday only
    limiter_wait: float | None  # seconds the real limiter waited (--rate-limits)
    violations: tuple[str, ...] = ()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if str(REPO) not in sys.path:  # run as a script: make `tests.fakes` importable
        sys.path.insert(0, str(REPO))
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    apis = [a.strip() for a in args.apis.split(",") if a.strip()]
    limits = "real limiter on" if args.rate_limits else "client rate limits off (the fake has none)"
    print(
        f"raci-sync benchmark: +{args.latency_ms:g} ms per request, {args.containers} "
        f"boards/projects per tool, sequential = 1 worker vs concurrent = {args.workers}; "
        f"{limits}",
        flush=True,
    )
    results: dict[tuple[str, int, str, str], Result] = {}
    minimums: dict[tuple[str, int, str], int] = {}
    violations: dict[str, set[str]] = {a: set() for a in apis}
    for n in sizes:
        ws = workspace(n, args)  # the same seed as the server's: the same workspace
        server = ServerProcess(n, args)
        try:
            for api in apis:
                for phase in ("full", "incremental"):
                    minimums[(api, n, phase)] = documented_minimum(api, ws, phase)
                for workers in (1, args.workers):
                    full, incremental = run_pair(api, ws, server, workers, args)
                    results[(api, n, "full", mode(workers))] = full
                    results[(api, n, "incremental", mode(workers))] = incremental
                    violations[api] |= set(full.violations) | set(incremental.violations)
                print(f"  done: {api}, N={n:,}", file=sys.stderr, flush=True)
        finally:
            server.stop()
    for api in apis:
        print_table(api, sizes, results, minimums, args)
    print()
    print(
        "sync s: the whole sync() call (HTTP, conversion, store, evaluation); HTTP s: first "
        "request in to last answer out, at the server; fake CPU: the fake's own work in the seq "
        "run; minimum: the documented minimum of requests (see bench/README.md)"
    )
    for api in apis:
        for v in sorted(violations[api]):
            print(f"spec gap ({api}): {v}")
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="1000,10000", help="tasks per tool, comma-separated")
    p.add_argument("--latency-ms", type=float, default=100.0, help="added to every request")
    p.add_argument("--workers", type=int, default=4, help="max_workers of the concurrent runs")
    p.add_argument("--containers", type=int, default=4, help="boards/projects per tool")
    p.add_argument("--people", type=int, default=50)
    p.add_argument(
        "--subtask-share",
        type=float,
        default=0.0,
        help="share of Asana tasks / monday items with subtasks (default 0)",
    )
    p.add_argument("--apis", default=",".join(APIS))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--rate-limits", action="store_true", help="keep the real client limiter")
    return p.parse_args(argv)


def mode(workers: int) -> str:
    return "seq" if workers == 1 else "conc"


def workspace(n: int, args: argparse.Namespace) -> Any:
    from tests.fakes.workspace import generate

    return generate(
        n,
        containers=args.containers,
        people=args.people,
        seed=args.seed,
        subtask_share=args.subtask_share,
    )


class ServerProcess:
    """The fake APIs in a child process (``python -m tests.fakes.server``), so that the fake's
    CPU does not compete with the client for one GIL; its counters come over HTTP."""

    def __init__(self, n: int, args: argparse.Namespace) -> None:
        cmd = [
            sys.executable,
            "-m",
            "tests.fakes.server",
            "--tasks",
            str(n),
            "--containers",
            str(args.containers),
            "--people",
            str(args.people),
            "--seed",
            str(args.seed),
            "--subtask-share",
            str(args.subtask_share),
            "--latency-ms",
            str(args.latency_ms),
            "--monday-fast",
        ]
        self.proc = subprocess.Popen(
            cmd, cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().split()
        if len(line) != 2 or line[0] != "READY":
            self.stop()
            raise SystemExit(f"the fake API server did not start (said {line!r})")
        self.url = line[1]
        from tests.fakes.server import PREFIXES

        self.base_urls = {api: self.url + prefix for api, prefix in PREFIXES.items()}

    def stats(self) -> dict[str, Any]:
        import requests

        body: dict[str, Any] = requests.get(self.url + "/_fake/stats", timeout=30).json()
        return body

    def reset(self) -> None:
        import requests

        requests.post(self.url + "/_fake/reset", timeout=30).raise_for_status()

    def stop(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()  # the server exits when its stdin closes
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()  # our own child, by its handle
            self.proc.wait()


def run_pair(
    api: str, ws: Any, server: ServerProcess, workers: int, args: argparse.Namespace
) -> tuple[Result, Result]:
    """A full sync into a fresh store, then an incremental sync of the unchanged workspace."""
    from raci_sync.store import Store

    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "bench.sqlite") as store:
        full = one_sync(api, ws, server, store, workers, args, full=True)
        incremental = one_sync(api, ws, server, store, workers, args, full=False)
        return full, incremental


def one_sync(
    api: str,
    ws: Any,
    server: ServerProcess,
    store: Any,
    workers: int,
    args: argparse.Namespace,
    *,
    full: bool,
) -> Result:
    from raci_sync.config import Config, SyncConfig
    from raci_sync.connectors import limits
    from raci_sync.connectors.base import default_limiter
    from raci_sync.sync import SyncOptions, sync

    source = source_config(api, ws, server)
    config = Config(path=None, sources=(source,), sync=SyncConfig(max_workers=workers))
    limiter = None
    if args.rate_limits:
        limits._REGISTRY.clear()  # a fresh budget per run, as if the token had been idle
        limiter = default_limiter(source)  # the instance the sync's HTTP client will share
    server.reset()
    started = time.perf_counter()
    run = sync(config, store, SyncOptions(full=full, rate_limits=args.rate_limits))
    wall = time.perf_counter() - started
    stats = server.stats()
    outcome = run.sources[0]
    if outcome.status != "ok":
        raise SystemExit(f"{api} {'full' if full else 'incremental'} sync failed: {outcome.error}")
    if stats["errors"]:
        raise SystemExit(f"the fake {api} API failed:\n{stats['errors'][0]}")
    return Result(
        tasks=outcome.tasks,
        expected=len(ws.expected(api)),
        requests=stats["counts"][api],
        wall=wall,
        http=stats["http_span"].get(api, 0.0),
        fake_cpu=stats["cpu"][api],
        complexity=stats["complexity"] if api == "monday" else 0,
        limiter_wait=limiter.waited if limiter else None,
        violations=tuple(stats["violations"][api]),
    )


def source_config(api: str, ws: Any, server: ServerProcess) -> Any:
    """The source over the fake, its boards/projects named as a user would (by name)."""
    from tests.fakes import asana, monday, trello

    from raci_sync.config import Secret, SourceConfig

    token = {"asana": asana.TOKEN, "trello": trello.TOKEN, "monday": monday.TOKEN}[api]
    names = tuple(c.name for c in ws.tools[api].containers)
    base = server.base_urls[api]
    if api == "asana":
        return SourceConfig(name=api, kind=api, token=Secret(token), base_url=base, projects=names)
    if api == "trello":
        return SourceConfig(
            name=api,
            kind=api,
            token=Secret(token),
            key=Secret(trello.KEY),
            base_url=base,
            boards=names,
            done_lists=("Udgivet",),
        )
    return SourceConfig(name=api, kind=api, token=Secret(token), base_url=base, boards=names)


def documented_minimum(api: str, ws: Any, phase: str) -> int:
    """Full: Asana ceil(N/100) per project for its N open and recently completed tasks (the
    history cutoff leaves out the rest, PRODUCT §7) +1 per such task with subtasks, Trello
    1 + ceil(N/1000) per board, monday ceil(N/500) per board. Incremental, unchanged: one per
    project/board (Trello: the one board listing whose dateLastActivity says nothing changed)."""
    data = ws.tools[api]
    tops = [len(data.top_level(c)) for c in data.containers]
    if phase == "incremental":
        return 1 if api == "trello" else len(tops)
    if api == "asana":
        from tests.fakes.workspace import completed_before

        read = ws.expected("asana")
        cutoff = datetime.now(UTC) - timedelta(days=90)
        listed = [sum(t.id in read for t in data.top_level(c)) for c in data.containers]
        parents = sum(
            1
            for t in data.live()
            if t.id in read
            and any(not s.deleted for s in t.subtasks)
            and not completed_before(t, cutoff)
        )
        return sum(math.ceil(n / 100) for n in listed) + parents
    if api == "trello":
        return sum(1 + math.ceil(n / 1000) for n in tops)
    return sum(max(1, math.ceil(n / 500)) for n in tops)


def budget_floor(api: str, r: Result) -> float:
    """The least wall time the documented budget allows for this many requests (or points)."""
    limit, window = BUDGETS[api]
    spent = r.complexity if api == "monday" else r.requests
    return math.floor(max(spent - 1, 0) / limit) * window


def print_table(
    api: str,
    sizes: list[int],
    results: dict[tuple[str, int, str, str], Result],
    minimums: dict[tuple[str, int, str], int],
    args: Any,
) -> None:
    """One table per API: sync() wall time and the HTTP span, sequential vs concurrent."""
    last = "limiter wait s" if args.rate_limits else "budget floor s"
    extra = "  complexity" if api == "monday" else ""
    print()
    print(
        f"{api}: {args.containers} {'projects' if api == 'asana' else 'boards'}, "
        f"+{args.latency_ms:g} ms/request; seq = 1 worker, conc = {args.workers}"
    )
    head = (
        f"{'N':>7}  {'phase':<11} {'tasks':>7} {'requests':>8} {'minimum':>7}  "
        f"{'sync s seq':>10} {'conc':>6} {'ratio':>5}  {'HTTP s seq':>10} {'conc':>6} "
        f"{'ratio':>5}  {'fake CPU':>8} {last:>15}{extra}"
    )
    print(head)
    print("-" * len(head))
    for n in sizes:
        for phase in ("full", "incremental"):
            seq = results[(api, n, phase, "seq")]
            conc = results[(api, n, phase, "conc")]
            requests = (
                f"{seq.requests}"
                if seq.requests == conc.requests
                else f"{seq.requests}/{conc.requests}"
            )
            tasks = f"{seq.tasks}" + ("" if seq.tasks == seq.expected == conc.tasks else " (!)")
            if args.rate_limits:
                tail = f"{seq.limiter_wait or 0:.1f}/{conc.limiter_wait or 0:.1f}"
            else:
                tail = f"{budget_floor(api, seq):.0f}"
            cplx = f"  {seq.complexity:>10,}" if api == "monday" else ""
            print(
                f"{n:>7,}  {phase:<11} {tasks:>7} {requests:>8} {minimums[(api, n, phase)]:>7}  "
                f"{seq.wall:>10.2f} {conc.wall:>6.2f} {_ratio(seq.wall, conc.wall):>5}  "
                f"{seq.http:>10.2f} {conc.http:>6.2f} {_ratio(seq.http, conc.http):>5}  "
                f"{seq.fake_cpu:>8.2f} {tail:>15}{cplx}"
            )


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}x" if b > 0 else "-"


if __name__ == "__main__":
    raise SystemExit(main())
