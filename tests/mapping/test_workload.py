"""Workload arithmetic with exact numbers (PRODUCT §4)."""

from __future__ import annotations

from datetime import date

import pytest

from raci_sync.config import PersonConfig, WorkloadConfig
from raci_sync.mapping.identity import Directory
from raci_sync.mapping.roles import TaskRoles, map_task, roles_for
from raci_sync.mapping.workload import (
    Window,
    compute_workload,
    effective_capacity,
    rate,
    task_effort,
)
from raci_sync.model import Account, Person, State, Task, WorkloadLine
from tests.mapping import TODAY, number, people, task, trello_task

ACCOUNTS = tuple(Account("indhold", x, x.upper()) for x in ("x", "y", "z", "v", "w", "u"))
ROSTER = tuple(PersonConfig(x.upper(), accounts=(f"trello:{x}",)) for x in ("x", "y", "z"))
IN_WINDOW = date(2026, 12, 10)


def workload(
    tasks: list[Task],
    roster: tuple[PersonConfig, ...] = ROSTER,
    cfg: WorkloadConfig | None = None,
    effort_field: str | None = "Timer",
) -> dict[str, WorkloadLine]:
    cfg = cfg or WorkloadConfig()
    d = Directory(roster, ACCOUNTS, {"indhold": "trello"}, cfg.default_capacity)
    mapped = [map_task(t, roles_for("trello", None), (), d) for t in tasks]
    everyone = (*d.roster, *_unmatched(d, mapped))
    lines = compute_workload(mapped, everyone, cfg, TODAY, {"indhold": effort_field})
    return {line.person: line for line in lines}


def _unmatched(d: Directory, mapped: list[TaskRoles]) -> list[Person]:
    keys = dict.fromkeys(a.person for m in mapped for a in m.assignments)
    return [p for k in keys if not (p := d.person(k)).matched]


def test_window_is_horizon_days_from_as_of() -> None:
    w = Window.starting(TODAY, 14)
    assert (w.start, w.end, w.days) == (date(2026, 12, 7), date(2026, 12, 20), 14)


def test_r_effort_is_split_among_r_holders_and_a_weighs_a_quarter() -> None:
    lines = workload([trello_task("1", r=("x", "y"), a=("Z",), effort=6, due=IN_WINDOW)])
    assert (lines["X"].load, lines["Y"].load, lines["Z"].load) == (3.0, 3.0, 1.5)


def test_consulted_weighs_a_tenth() -> None:
    lines = workload([trello_task("1", r=("y",), c=("X",), effort=5, due=IN_WINDOW)])
    assert lines["X"].load == 0.5


def test_several_letters_count_once_at_the_heaviest() -> None:
    lines = workload([trello_task("1", r=("x",), a=("X",), c=("X",), effort=4, due=IN_WINDOW)])
    assert lines["X"].load == 4.0
    assert lines["X"].open_tasks == 1


def test_heaviest_letter_still_uses_the_r_split() -> None:
    lines = workload([trello_task("1", r=("x", "y"), a=("X",), effort=4, due=IN_WINDOW)])
    assert (lines["X"].load, lines["Y"].load) == (2.0, 2.0)


def test_heaviest_is_what_weighs_most_for_the_person() -> None:
    """With 5 R holders an R share (10 / 5 = 2) weighs less than A (10 × 0.25 = 2.5)."""
    t = trello_task("1", r=("x", "y", "z", "v", "w"), a=("X",), effort=10, due=IN_WINDOW)
    lines = workload([t])
    assert (lines["X"].load, lines["Y"].load) == (2.5, 2.0)


def test_loads_add_up_over_tasks_and_round_to_two_decimals() -> None:
    tasks = [
        trello_task("1", r=("x", "y", "z"), effort=10, due=IN_WINDOW),
        trello_task("2", r=("x",), effort=1.5, due=IN_WINDOW),
    ]
    lines = workload(tasks)
    assert lines["X"].load == 4.83  # 10/3 + 1.5
    assert lines["X"].open_tasks == 2


def test_overdue_counts_and_after_the_window_does_not() -> None:
    tasks = [
        trello_task("1", r=("x",), effort=2, due=date(2026, 11, 2)),  # overdue
        trello_task("2", r=("x",), effort=3, due=date(2026, 12, 20)),  # last day
        trello_task("3", r=("x",), effort=5, due=date(2026, 12, 21)),  # after the window
    ]
    assert (workload(tasks)["X"].load, workload(tasks)["X"].open_tasks) == (5.0, 2)


def test_done_and_archived_tasks_do_not_count() -> None:
    tasks = [
        trello_task("1", r=("x",), effort=2, due=IN_WINDOW, state=State.DONE),
        trello_task("2", r=("x",), effort=3, due=IN_WINDOW, state=State.ARCHIVED),
    ]
    assert workload(tasks)["X"].load == 0.0


@pytest.mark.parametrize(("count_undated", "load"), [(True, 4.0), (False, 0.0)])
def test_undated_tasks_count_unless_switched_off(count_undated: bool, load: float) -> None:
    cfg = WorkloadConfig(count_undated=count_undated)
    assert workload([trello_task("1", r=("x",), effort=4)], cfg=cfg)["X"].load == load


def test_default_effort_when_the_field_is_missing_or_not_configured() -> None:
    cfg = WorkloadConfig(default_effort=2)
    tasks = [trello_task("1", r=("x",), due=IN_WINDOW), trello_task("2", r=("y",), effort=7)]
    assert workload(tasks, cfg=cfg)["X"].load == 2.0
    assert workload(tasks, cfg=cfg, effort_field=None)["Y"].load == 2.0


def test_effort_field_by_title_case_insensitive_or_id() -> None:
    t = task("1", number("Timer", 3, id="numbers7"), number("Andet", 9))
    assert task_effort(t, "timer", 1) == 3.0
    assert task_effort(t, "numbers7", 1) == 3.0
    assert task_effort(t, "Mangler", 1) == 1.0
    assert task_effort(task("2", people("x", title="Timer")), "Timer", 1) == 1.0


def test_capacity_is_reduced_pro_rata_by_time_away() -> None:
    w = Window.starting(TODAY, 14)
    away = ((date(2026, 12, 14), date(2027, 1, 3)), (date(2026, 12, 16), date(2026, 12, 18)))
    assert effective_capacity(Person("k", "K", capacity=10, away=away), w) == 5.0
    before = ((date(2026, 11, 1), date(2026, 12, 6)),)
    assert effective_capacity(Person("k", "K", capacity=10, away=before), w) == 10.0
    assert effective_capacity(Person("k", "K", capacity=None, away=away), w) is None


def test_utilisation_uses_the_reduced_capacity() -> None:
    roster = (
        PersonConfig(
            "X",
            accounts=("trello:x",),
            capacity=8,
            away=((date(2026, 12, 14), date(2026, 12, 20)),),
        ),
    )
    line = workload([trello_task("1", r=("x",), effort=3, due=IN_WINDOW)], roster=roster)["X"]
    assert (line.capacity, line.utilisation, line.status) == (4.0, 0.75, "ok")


@pytest.mark.parametrize(
    ("load", "capacity", "expected"),
    [
        (10, 10, (1.0, "ok")),
        (11, 10, (1.1, "over")),
        (12, 10, (1.2, "critical")),
        (14.5, 10, (1.45, "critical")),
        (3, None, (None, "unmonitored")),
        (3, 0, (None, "critical")),
        (0, 0, (0.0, "ok")),
    ],
)
def test_rate(load: float, capacity: float | None, expected: tuple) -> None:
    assert rate(load, capacity, 1.2) == expected


def test_away_the_whole_window_with_load_is_critical() -> None:
    roster = (
        PersonConfig("X", accounts=("trello:x",), away=((date(2026, 12, 1), date(2027, 1, 1)),)),
    )
    line = workload([trello_task("1", r=("x",), effort=1, due=IN_WINDOW)], roster=roster)["X"]
    assert (line.capacity, line.utilisation, line.status) == (0.0, None, "critical")


def test_no_capacity_anywhere_is_unmonitored_and_listed_last() -> None:
    roster = (*ROSTER[:2], PersonConfig("Z", accounts=("trello:z",), capacity=4))
    cfg = WorkloadConfig(default_capacity=None)
    tasks = [trello_task("1", r=("x", "z"), effort=4, due=IN_WINDOW)]
    lines = compute_order(tasks, roster, cfg)
    assert lines == [("Z", 0.5, "ok"), ("X", None, "unmonitored"), ("Y", None, "unmonitored")]


def compute_order(tasks, roster, cfg) -> list[tuple[str, float | None, str]]:
    return [
        (line.person, line.utilisation, line.status)
        for line in workload(tasks, roster, cfg).values()
    ]


def test_sorted_by_utilisation_descending() -> None:
    tasks = [
        trello_task("1", r=("y",), effort=12, due=IN_WINDOW),
        trello_task("2", r=("z",), effort=5, due=IN_WINDOW),
    ]
    assert [name for name, _, _ in compute_order(tasks, ROSTER, None)] == ["Y", "Z", "X"]


def test_unmatched_people_appear_only_with_tasks_in_the_window() -> None:
    tasks = [
        trello_task("1", r=("v",), effort=2, due=IN_WINDOW),
        trello_task("2", r=("w",), effort=2, due=date(2027, 2, 1)),
    ]
    lines = workload(tasks)
    assert lines["V"].load == 2.0
    assert lines["V"].capacity == 10.0
    assert "W" not in lines
    assert lines["X"].open_tasks == 0  # roster people always have a line


def test_negative_or_non_finite_effort_counts_as_the_default() -> None:
    from raci_sync.mapping.workload import task_effort
    from raci_sync.model import FieldValue, Task

    for bad in (-4.0, float("nan"), float("inf")):
        task = Task(
            source="s",
            id="1",
            title="t",
            fields=(FieldValue("field", id="f", title="Timer", kind="number", number=bad),),
        )
        assert task_effort(task, "Timer", 1.0) == 1.0
    ok = Task(
        source="s",
        id="1",
        title="t",
        fields=(FieldValue("field", id="f", title="Timer", kind="number", number=0.0),),
    )
    assert task_effort(ok, "timer", 1.0) == 0.0


def test_the_tasks_behind_a_load_and_its_split_per_source() -> None:
    """Why someone is overloaded (PRODUCT §10): the tasks in the window that make up the load,
    largest first, each with the letter it counts with, and the load per source."""
    asana = task(
        "a1", people("x", key="assignee"), source="kampagner", title="Kampagneplan", due=IN_WINDOW
    )
    tasks = [
        trello_task("1", r=("x", "y"), effort=6, due=IN_WINDOW, title="Delt opgave"),
        trello_task("2", r=("y",), a=("X",), effort=8, due=IN_WINDOW, title="Godkend"),
        trello_task("3", r=("x",), c=("X",), effort=2, title="Udateret"),  # R outweighs C
        trello_task("4", r=("x",), effort=9, due=date(2027, 3, 1), title="Senere"),  # outside
    ]
    d = Directory(ROSTER, (*ACCOUNTS, Account("kampagner", "x", "X")), {"indhold": "trello"}, 10.0)
    mapped = [map_task(t, roles_for("trello", None), (), d) for t in tasks]
    mapped.append(map_task(asana, roles_for("asana", None), (), d))
    lines = compute_workload(
        mapped, d.roster, WorkloadConfig(), TODAY, {"indhold": "Timer", "kampagner": None}
    )
    x = next(line for line in lines if line.person == "X")
    assert [(i.task_id, i.role, i.effort, i.load) for i in x.tasks] == [
        ("1", "R", 6.0, 3.0),
        ("2", "A", 8.0, 2.0),
        ("3", "R", 2.0, 2.0),
        ("a1", "R", 1.0, 1.0),
    ]
    assert x.by_source == {"indhold": 7.0, "kampagner": 1.0}
    assert x.load == sum(x.by_source.values()) == 8.0 and x.open_tasks == len(x.tasks)
    assert x.tasks[0].title == "Delt opgave" and x.tasks[0].due == IN_WINDOW
