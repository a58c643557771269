"""evaluate() on random small workspaces: it never raises, every open task without R and A gets
exactly one no-owner finding, loads are never negative, and a task's R shares add up to its
effort × weight(R)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, timedelta

from hypothesis import example, given
from hypothesis import strategies as st

from raci_sync.config import (
    ChecksConfig,
    Config,
    FieldsConfig,
    PersonConfig,
    RuleConfig,
    SourceConfig,
    WorkloadConfig,
)
from raci_sync.mapping import evaluate, map_tasks
from raci_sync.mapping.identity import Directory
from raci_sync.mapping.workload import Window, task_effort, task_loads
from raci_sync.model import CHECK_IDS, Account, FieldValue, State, Task
from tests.properties.junk import budget, tried

AS_OF = date(2026, 12, 7)
NAMES = ("Mette Sørensen", "Jonas Kristensen", "Anders Holm", "Sofie Lund", "Freja Nørgaard")
STRANGERS = ("Kasper Vinther", "Line Bech", "  ", "mette sørensen")
EMAILS = ("mette@nordlyskaffe.dk", "FREJA@nordlyskaffe.dk", "line@pr-bureau.dk")
IDS = ("u1", "u2", "u3", "u4", "u5", "u6")
SOURCES = (("t", "trello"), ("a", "asana"), ("m", "monday"))
BUILTIN = {"trello": ("members",), "asana": ("assignee", "followers"), "monday": ("subscribers",)}
HATS = ("strategist", "project-manager", "content-producer")

days = st.dates(min_value=AS_OF - timedelta(days=30), max_value=AS_OF + timedelta(days=40))
account_ids = st.lists(st.sampled_from(IDS), max_size=4).map(tuple)
# hours as the tools hold them: a number field may be negative (a typo, or "-" meaning "less")
efforts = st.none() | st.floats(min_value=-10, max_value=100)


@st.composite
def spans(draw: st.DrawFn) -> tuple[date, date]:
    a, b = draw(days), draw(days)
    return (min(a, b), max(a, b))


roster = st.lists(
    st.builds(
        PersonConfig,
        name=st.sampled_from(NAMES),
        emails=st.lists(st.sampled_from(EMAILS), max_size=1).map(tuple),
        accounts=st.lists(
            st.sampled_from(["trello:u1", "asana:u2", "monday:u3", "trello:frejan", "asana:u1"]),
            max_size=2,
        ).map(tuple),
        hats=st.lists(st.sampled_from(HATS), max_size=2).map(tuple),
        capacity=st.none() | st.floats(min_value=0, max_value=60),
        away=st.lists(spans(), max_size=2).map(tuple),
    ),
    max_size=5,
    unique_by=lambda p: p.name,
)
accounts = st.lists(
    st.builds(
        Account,
        source=st.sampled_from([s for s, _ in SOURCES]),
        id=st.sampled_from(IDS),
        name=st.none() | st.sampled_from(NAMES + STRANGERS),
        username=st.none() | st.sampled_from(["frejan", "kasperfoto"]),
        email=st.none() | st.sampled_from(EMAILS),
    ),
    max_size=6,
)
custom_fields = st.builds(
    FieldValue,
    key=st.just("field"),
    id=st.sampled_from(["f1", "f2", "f3", "f4"]),
    title=st.sampled_from(["Accountable", "Consulted", "Timer", "Owner", "accountable "])
    | st.none(),
    kind=st.sampled_from(["people", "text", "number", "enum"]),
    accounts=account_ids,
    names=st.lists(st.sampled_from(NAMES + STRANGERS), max_size=3).map(tuple),
    number=efforts,
)


@st.composite
def tasks(draw: st.DrawFn, index: int) -> Task:
    source, kind = draw(st.sampled_from(SOURCES))
    builtin = [FieldValue(key=k, kind="people", accounts=draw(account_ids)) for k in BUILTIN[kind]]
    return Task(
        source=source,
        id=f"{source}-{index}",
        title=draw(st.sampled_from(["Kampagneplan", "Nyhedsbrev", "", "=SUM(A1)"])),
        container=draw(st.sampled_from(["Kampagner", "Indhold & SoMe", None])),
        group=draw(st.sampled_from(["Strategi", "Backlog", None])),
        state=draw(st.sampled_from(State)),
        due=draw(st.none() | days),
        labels=tuple(draw(st.lists(st.sampled_from(["Q1", "web"]), max_size=2))),
        fields=(*builtin, *draw(st.lists(custom_fields, max_size=3))),
    )


@st.composite
def workspaces(draw: st.DrawFn) -> tuple[list[Task], list[Account], Config]:
    items = [draw(tasks(i)) for i in range(draw(st.integers(0, 8)))]
    role_refs = st.sampled_from(["field:Accountable", "field:f2", "first_people_column"])
    configured = [
        SourceConfig(
            name=name,
            kind=kind,
            fields=FieldsConfig(effort=draw(st.sampled_from(["Timer", "f3", None]))),
            roles=draw(st.dictionaries(st.sampled_from("RACI"), st.lists(role_refs).map(tuple))),
        )
        for name, kind in SOURCES
        if draw(st.booleans())
    ]
    rule_values = st.sampled_from([f"hat:{h}" for h in HATS] + list(NAMES) + ["Nobody"])
    rules = st.builds(
        RuleConfig,
        match=st.dictionaries(
            st.sampled_from(["group", "container", "label", "title", "source"]),
            st.sampled_from(["Strategi", "kampagner", "Q1", "plan", "t", ".*"]),
            min_size=1,
        ),
        letters=st.dictionaries(st.sampled_from("RACI"), rule_values, min_size=1),
        mode=st.sampled_from(["fill", "suggest"]),
    )
    weight = st.floats(min_value=0, max_value=2)
    r_only = draw(st.booleans())
    config = Config(
        path=None,
        sources=tuple(configured),
        people=tuple(draw(roster)),
        rules=tuple(draw(st.lists(rules, max_size=3))),
        checks=ChecksConfig(
            max_responsible=draw(st.integers(1, 4)),
            max_consulted=draw(st.integers(0, 4)),
            implied_responsible=draw(st.booleans()),
            disable=tuple(draw(st.lists(st.sampled_from(CHECK_IDS), max_size=3, unique=True))),
            bottleneck_share=draw(st.floats(0, 1)),
            bottleneck_min_tasks=draw(st.integers(0, 5)),
            overload_error=draw(st.floats(1, 2)),
        ),
        workload=WorkloadConfig(
            horizon_days=draw(st.integers(1, 30)),
            count_undated=draw(st.booleans()),
            default_effort=draw(st.floats(0, 10)),
            default_capacity=draw(st.none() | st.floats(0, 40)),
            weights={
                "R": draw(weight),
                **{L: 0.0 if r_only else draw(weight) for L in "ACI"},
            },
        ),
    )
    return items, draw(accounts), config


kinds_arg = st.none() | st.just({"t": "trello", "a": "asana", "m": "monday"})


NEGATIVE_EFFORT = (
    [
        Task(
            source="t",
            id="t-0",
            title="Kampagneplan",
            fields=(
                FieldValue(key="members", kind="people", accounts=("u1",)),
                FieldValue(key="field", id="f3", title="Timer", kind="number", number=-4.0),
            ),
        )
    ],
    [],
    Config(path=None, sources=(SourceConfig("t", "trello", fields=FieldsConfig(effort="Timer")),)),
)


@budget(150)
@given(workspace=workspaces(), kinds=kinds_arg)
# a Timer field of -4 hours (Asana number_value, monday numbers and Trello number fields all
# pass negative numbers through): task_effort returns -4, then task_loads' max(..., 0.0) clips
# u1's R share to 0, so the shares add up to 0, not effort × weight(R) = -4
@example(workspace=NEGATIVE_EFFORT, kinds=None)
def test_evaluate(
    workspace: tuple[list[Task], list[Account], Config], kinds: Mapping[str, str] | None
) -> None:
    items, accounts_, config = workspace
    evaluation = evaluate(items, accounts_, config, AS_OF, kinds=kinds)
    tried("mapping.evaluate")

    disabled = set(config.checks.disable)
    assert {f.check for f in evaluation.findings} <= set(CHECK_IDS) - disabled
    for task in items:
        letters = {a.letter for a in evaluation.assignments if (a.source, a.task_id) == task.key}
        no_owner = [
            f
            for f in evaluation.findings
            if f.check == "no-owner" and (f.source, f.task_id) == task.key
        ]
        expected = task.is_open and "no-owner" not in disabled and not letters & {"R", "A"}
        assert len(no_owner) == (1 if expected else 0), (task, letters)

    for line in evaluation.workload:
        assert line.load >= 0 and line.open_tasks >= 0
        assert line.capacity is None or line.capacity >= 0
        assert line.utilisation is None or line.utilisation >= 0

    kinds_all = {s.name: s.kind for s in config.sources} | dict(kinds or {})
    directory = Directory(config.people, accounts_, kinds_all, config.workload.default_capacity)
    effort_fields = {s.name: s.fields.effort for s in config.sources}
    window = Window.starting(AS_OF, config.workload.horizon_days)
    weight_r = config.workload.weights["R"]
    expected_total = 0.0
    for roles in map_tasks(items, config, directory, kinds_all):
        effort = task_effort(
            roles.task, effort_fields.get(roles.task.source), config.workload.default_effort
        )
        shares = task_loads(roles, effort, {"R": weight_r, "A": 0.0, "C": 0.0, "I": 0.0})
        r_total = effort * weight_r if roles.holders("R") else 0.0
        assert math.isclose(sum(shares.values()), r_total, rel_tol=1e-9, abs_tol=1e-9)
        if window.counts(roles.task, config.workload.count_undated):
            expected_total += r_total
    if all(config.workload.weights[L] == 0 for L in "ACI"):
        # only R weighs: the window's load is the sum of its tasks' R shares (lines round to 0.01)
        total = sum(line.load for line in evaluation.workload)
        assert math.isclose(total, expected_total, abs_tol=0.006 * len(evaluation.workload) + 1e-9)
