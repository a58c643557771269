"""Report benchmark: one synthetic ReportData of N tasks × P people, rendered in every format.

It builds the data in memory (no store, no sync): N tasks over 3 sources and 30 boards/projects,
80 % open; per open task 1–2 R, usually one A, 0–4 C and sometimes an I, drawn from P people
(the last 15 % of them unmatched accounts); findings as the checks would give them (no-owner,
no-accountable, multiple-accountable, too-many-consulted, …) and one workload line per person,
with the tasks behind it as the mapping lists them (every open task in the window the person
holds a letter on: about 4,000 per person, 200k in all) and the load per source.
Then, per format, it prints the wall and CPU time of one render (CPU time is the steadier figure
on a busy machine), the size of the output, and the peak memory of the render, measured in a
second, separate run with ``tracemalloc`` (the peak of Python-level allocations above what was
allocated before, numpy/pandas buffers included; not the process RSS).

    .venv/bin/python bench/report_bench.py                        # 100k tasks × 50 people
    .venv/bin/python bench/report_bench.py --tasks 10000 --formats json,html
    .venv/bin/python bench/report_bench.py --no-memory            # timings only (faster)
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from raci_sync.model import (
    Assignment,
    Finding,
    LoadItem,
    Person,
    ReportData,
    Severity,
    SourceStatus,
    State,
    Task,
    Trends,
    UnmatchedAccount,
    WeekPoint,
    WorkloadLine,
)

SOURCES = (("indhold", "trello"), ("kampagner", "asana"), ("events", "monday"))
GROUPS = ("Idéer", "I gang", "Til godkendelse", "Planlagt", "Strategi", "Udgivet")
HATS = ("strategist", "project-manager", "content-producer", "analyst", "social-media")
TODAY = date(2026, 12, 7)


def synthetic_report(tasks: int, people: int, seed: int = 7) -> ReportData:
    """A ReportData of ``tasks`` tasks and ``people`` people, the same for the same seed."""
    rng = random.Random(seed)
    roster_size = max(1, round(people * 0.85))
    persons = [
        Person(
            f"roster:Person {n:03d}",
            f"Person {n:03d} Sørensen",
            hats=tuple(rng.sample(HATS, rng.choice((1, 1, 2)))),
            capacity=30.0,
        )
        for n in range(roster_size)
    ] + [
        Person(f"indhold:acct{n:03d}", f"Freelancer {n:03d}", matched=False)
        for n in range(people - roster_size)
    ]
    task_list: list[Task] = []
    assignments: list[Assignment] = []
    findings: list[Finding] = []
    for n in range(tasks):
        task = _task(rng, n)
        task_list.append(task)
        held = _letters(rng, persons) if task.is_open or rng.random() < 0.5 else []
        assignments += [
            Assignment(task.source, task.id, p.key, p.name, letter, "field") for p, letter in held
        ]
        if task.is_open:
            findings += _findings(task, held)
    behind = _load_items(task_list, assignments)
    workload = [
        WorkloadLine(
            p.key,
            load := rng.uniform(2, 60),
            30.0,
            load / 30,
            _status(load / 30),
            len(behind.get(p.key, ())),
            _by_source(behind.get(p.key, ())),
            tuple(behind.get(p.key, ())),
        )
        for p in persons
    ]
    findings += [
        Finding("overloaded", Severity.WARNING, f"{p.name} is over capacity.", person=p.key)
        for p, line in zip(persons, workload, strict=True)
        if line.status != "ok"
    ]
    return ReportData(
        generated_at=datetime(2026, 12, 7, 6, 0, tzinfo=UTC),
        window_start=TODAY,
        window_end=TODAY + timedelta(days=13),
        sources=tuple(
            SourceStatus(name, kind, "ok", datetime(2026, 12, 7, 5, 55, tzinfo=UTC), tasks // 3)
            for name, kind in SOURCES
        ),
        tasks=tuple(task_list),
        assignments=tuple(assignments),
        findings=tuple(findings),
        workload=tuple(workload),
        unmatched=tuple(
            UnmatchedAccount("indhold", p.key.split(":")[1], p.name, 10)
            for p in persons
            if not p.matched
        ),
        people=tuple(persons),
        trends=_trends(persons),
    )


def _task(rng: random.Random, n: int) -> Task:
    source = SOURCES[n % len(SOURCES)][0]
    roll = rng.random()
    state = State.OPEN if roll < 0.8 else State.DONE if roll < 0.95 else State.ARCHIVED
    return Task(
        source=source,
        id=f"{n:012d}",
        title=f"Opgave {n}: {rng.choice(('Kampagne', 'Nyhedsbrev', 'Reels', 'Pressemeddelelse'))}"
        f" om {rng.choice(('julekaffe', 'ny høst', 'filterkaffe', 'events'))}",
        url=f"https://example.com/{source}/{n}",
        container=f"Board {n % 30:02d}",
        group=rng.choice(GROUPS),
        state=state,
        due=TODAY + timedelta(days=rng.randint(-10, 40)) if rng.random() < 0.8 else None,
    )


def _letters(rng: random.Random, persons: list[Person]) -> list[tuple[Person, str]]:
    held = [(p, "R") for p in rng.sample(persons, rng.choice((0, 1, 1, 1, 2, 4)))]
    held += [(p, "A") for p in rng.sample(persons, rng.choice((0, 1, 1, 1, 1, 2)))]
    held += [(p, "C") for p in rng.sample(persons, rng.choice((0, 0, 1, 2, 4)))]
    held += [(p, "I") for p in rng.sample(persons, rng.choice((0, 0, 0, 1)))]
    return held


def _findings(task: Task, held: list[tuple[Person, str]]) -> list[Finding]:
    count = {letter: sum(1 for _, held_letter in held if held_letter == letter) for letter in "RAC"}
    checks = []
    if not count["R"] and not count["A"]:
        checks.append(("no-owner", Severity.ERROR))
    else:
        checks += [("no-accountable", Severity.ERROR)] if not count["A"] else []
        checks += [("no-responsible", Severity.ERROR)] if not count["R"] else []
    checks += [("multiple-accountable", Severity.ERROR)] if count["A"] > 1 else []
    checks += [("too-many-responsible", Severity.WARNING)] if count["R"] > 3 else []
    checks += [("too-many-consulted", Severity.WARNING)] if count["C"] > 3 else []
    return [
        Finding(check, severity, f"{check} on {task.title}", task.source, task.id, task.title)
        for check, severity in checks
    ]


def _load_items(tasks: list[Task], assignments: list[Assignment]) -> dict[str, list[LoadItem]]:
    """Per person, the open tasks in the window they hold a letter on, with the share the
    mapping would give (heaviest letter, R split), largest first. Loads are not summed into
    the lines: those stay the random figures above, so the findings do not change."""
    weights = {"R": 1.0, "A": 0.25, "C": 0.1, "I": 0.0}
    end = TODAY + timedelta(days=13)
    counted = {t.key: t for t in tasks if t.is_open and (t.due is None or t.due <= end)}
    held: dict[tuple[str, str], dict[str, str]] = {}
    for a in assignments:
        if (a.source, a.task_id) in counted:
            letters = held.setdefault((a.source, a.task_id), {})
            if weights[a.letter] >= weights.get(letters.get(a.person, "I"), 0.0):
                letters[a.person] = a.letter
    items: dict[str, list[LoadItem]] = {}
    for key, letters in held.items():
        task = counted[key]
        effort = float(1 + int(task.id) % 5)
        r_count = max(sum(1 for letter in letters.values() if letter == "R"), 1)
        for person, letter in letters.items():
            share = effort * weights[letter] / (r_count if letter == "R" else 1)
            item = LoadItem(task.source, task.id, task.title, letter, effort, share, task.due)
            items.setdefault(person, []).append(item)
    for person_items in items.values():
        person_items.sort(key=lambda i: (-i.load, i.due or date.max, i.title.casefold(), i.task_id))
    return items


def _by_source(items: list[LoadItem]) -> dict[str, float]:
    loads: dict[str, float] = {}
    for item in items:
        loads[item.source] = loads.get(item.source, 0.0) + item.load
    return {source: round(load, 2) for source, load in sorted(loads.items())}


def _status(utilisation: float) -> str:
    return "ok" if utilisation <= 1 else "over" if utilisation < 1.2 else "critical"


def _trends(persons: list[Person]) -> Trends:
    weeks = []
    for back in range(5, 0, -1):
        day = TODAY - timedelta(weeks=back)
        year, week, _ = day.isocalendar()
        util = {p.name: 0.5 + (back + n) % 7 / 5 for n, p in enumerate(persons)}
        weeks.append(WeekPoint(f"{year}-W{week:02d}", day, 1000 + back, {"no-owner": 900}, util))
    return Trends(tuple(weeks))


def formats() -> dict[str, Callable[[ReportData], str | bytes | object]]:
    """Every renderer by name (imported here so the import cost is not in the first timing)."""
    from raci_sync.reports.html import render_html, render_matrix_page
    from raci_sync.reports.json import render_json
    from raci_sync.reports.matrix import build_matrix
    from raci_sync.reports.spreadsheet import matrix_csv, matrix_xlsx, report_csv, report_xlsx

    return {
        "json": render_json,
        "html": render_html,
        "csv": report_csv,
        "xlsx": report_xlsx,
        "matrix-frame": build_matrix,
        "matrix-csv": matrix_csv,
        "matrix-xlsx": matrix_xlsx,
        "matrix-html": render_matrix_page,
    }


def _size(output: object) -> str:
    if isinstance(output, str):
        return _mib(len(output.encode("utf-8")))
    if isinstance(output, bytes):
        return _mib(len(output))
    shape = getattr(output, "shape", None)
    return f"{shape[0]}×{shape[1]}" if shape else "—"


def _mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--formats", default=",".join(formats()))
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc runs")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    data = synthetic_report(args.tasks, args.people)
    print(
        f"data: {len(data.tasks)} tasks ({sum(t.is_open for t in data.tasks)} open), "
        f"{len(data.people)} people, {len(data.assignments)} assignments, "
        f"{len(data.findings)} findings — built in {time.perf_counter() - start:.1f} s"
    )
    renderers = formats()
    print(f"{'format':<14}{'wall s':>8}{'CPU s':>8}{'output':>13}{'peak MiB':>10}")
    for name in args.formats.split(","):
        render = renderers[name]
        gc.collect()
        start, cpu = time.perf_counter(), time.process_time()
        output = render(data)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        size = _size(output)
        del output
        peak = "—" if args.no_memory else f"{_peak(render, data) / 2**20:.0f}"
        print(f"{name:<14}{seconds:>8.2f}{cpu:>8.2f}{size:>13}{peak:>10}", flush=True)
    return 0


def _peak(render: Callable[[ReportData], object], data: ReportData) -> int:
    """Peak bytes traced while rendering once (tracemalloc slows the run; not timed)."""
    gc.collect()
    tracemalloc.start()
    try:
        output = render(data)
        del output
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


if __name__ == "__main__":
    sys.exit(main())
