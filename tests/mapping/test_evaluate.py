"""evaluate(): the whole mapping layer over three sources, as the rest of the app calls it."""

from __future__ import annotations

from datetime import date

from raci_sync.config import FieldsConfig, RuleConfig, SourceConfig
from raci_sync.mapping import evaluate
from raci_sync.model import Account, Evaluation, State, UnmatchedAccount
from tests.mapping import (
    TODAY,
    TRELLO_ACCOUNTS,
    config,
    number,
    people,
    task,
    trello_source,
    trello_task,
)

METTE = "Mette Sørensen"
ASANA_ACCOUNTS = (
    Account("kampagne", "1201", "Mette Sørensen", email="METTE@nordlyskaffe.dk"),
    Account("kampagne", "1202", "Jonas Kristensen", email="jonas@nordlyskaffe.dk"),
    Account("kampagne", "1205", "Freja Nørgaard", email="freja@nordlyskaffe.dk"),
)
MONDAY_ACCOUNTS = (
    Account("planer", "31", "Freja Nørgaard", email="freja@nordlyskaffe.dk"),
    Account("planer", "32", "Line Bech", email="line@pr-bureau.dk"),
)
ACCOUNTS = TRELLO_ACCOUNTS + ASANA_ACCOUNTS + MONDAY_ACCOUNTS
SOURCES = (
    trello_source(),
    SourceConfig(name="kampagne", kind="asana", fields=FieldsConfig(effort="Timer")),
    SourceConfig(name="planer", kind="monday", fields=FieldsConfig(effort="Timer")),
)
RULES = (
    RuleConfig({"group": "Strategi"}, {"A": "hat:strategist"}, "fill"),
    RuleConfig({"container": "Indhold & SoMe"}, {"A": "hat:project-manager"}, "suggest"),
)
DUE = date(2026, 12, 11)

TASKS = [
    trello_task(
        "c1",
        r=("t-freja",),
        a=(METTE,),
        c=("Sofie Lund",),
        effort=6,
        due=DUE,
        container="Indhold & SoMe",
        title="Skriv nyhedsbrev",
    ),
    trello_task(
        "c2",
        r=("t-freja", "t-kasper"),
        effort=4,
        due=DUE,
        container="Indhold & SoMe",
        title="Fotos til julekampagne",
    ),
    trello_task("c3", r=("t-anders",), group="Strategi", title="Årsplan 2027"),
    trello_task("c4", r=("t-sofie",), a=(METTE,), state=State.DONE, title="Analyse Q3"),
    task(
        "a1",
        people("1205", key="assignee"),
        people("1201", title="Accountable"),
        people("1201", "1202", key="followers"),
        number("Timer", 5),
        source="kampagne",
        due=date(2026, 12, 1),
        title="Kampagnebrief",
    ),
    task(
        "m1",
        people("31", title="Person"),
        people("32", title="Consulted"),
        people("99", title="Accountable"),
        number("timer", 3),
        source="planer",
        due=DUE,
        title="Pressemeddelelse",
    ),
]


def run(**kw) -> Evaluation:
    kw.setdefault("sources", SOURCES)
    kw.setdefault("rules", RULES)
    return evaluate(TASKS, ACCOUNTS, config(**kw), TODAY)


def test_people_are_the_roster_then_unmatched_holders() -> None:
    result = run()
    assert [(p.name, p.matched) for p in result.people] == [
        ("Mette Sørensen", True),
        ("Jonas Kristensen", True),
        ("Anders Holm", True),
        ("Sofie Lund", True),
        ("Freja Nørgaard", True),
        ("99", False),
        ("Kasper Vinther", False),
        ("Line Bech", False),
        ("Sofie L.", False),  # Trello display name is not the roster name: never guessed
    ]


def test_one_person_across_tools() -> None:
    result = run()
    freja = {(a.source, a.task_id) for a in result.assignments if a.person_name == "Freja Nørgaard"}
    assert freja == {("indhold", "c1"), ("indhold", "c2"), ("kampagne", "a1"), ("planer", "m1")}
    assert {a.person for a in result.assignments if a.person_name == "Freja Nørgaard"} == {
        "roster:Freja Nørgaard"
    }


def test_assignments_explain_themselves() -> None:
    got = {(a.task_id, a.letter, a.person_name, a.via) for a in run().assignments}
    assert ("c3", "A", METTE, "rule:0 (group=Strategi)") in got
    assert ("a1", "R", "Freja Nørgaard", "assignee") in got
    assert ("m1", "R", "Freja Nørgaard", "custom_field:Person") in got
    assert ("m1", "C", "Line Bech", "custom_field:Consulted") in got
    assert not any(t == "a1" and letter == "I" for t, letter, _, _ in got)  # I is off by default


def test_unmatched_list() -> None:
    assert run().unmatched == (
        UnmatchedAccount("indhold", "kasperfoto", "Kasper Vinther", 1),
        UnmatchedAccount("indhold", "sofiel", "Sofie L.", 1),  # on a done task only
        UnmatchedAccount("planer", "99", None, 1),
        UnmatchedAccount("planer", "32", "Line Bech", 1),
    )


def test_unmatched_person_findings_only_for_open_tasks() -> None:
    got = {f.person for f in run().findings if f.check == "unmatched-person"}
    assert got == {"Kasper Vinther", "Line Bech", "99"}


def test_findings_carry_task_details_and_suggestions() -> None:
    by_check = {(f.check, f.task_id): f for f in run().findings}
    f = by_check[("no-accountable", "c2")]
    assert f.message == "'Fotos til julekampagne' (indhold) has no Accountable"
    assert f.suggestion == "suggested A: Jonas Kristensen (project-manager)"
    assert ("no-accountable", "c3") not in by_check  # filled by the Strategi rule
    assert ("no-responsible", "c3") not in by_check
    assert {c for c, _ in by_check} >= {"unmatched-person", "person-without-role"}
    assert by_check[("person-without-role", None)].person == "Sofie Lund"


def test_workload_across_sources() -> None:
    lines = {line.person: line for line in run().workload}
    # Freja: c1 R 6 + c2 R 4/2 + a1 R 5 (overdue) + m1 R 3 = 16 of 10.
    assert (lines["Freja Nørgaard"].load, lines["Freja Nørgaard"].status) == (16.0, "critical")
    assert lines["Freja Nørgaard"].open_tasks == 4
    # Mette: c1 A 6×0.25 + c3 A 1×0.25 + a1 A 5×0.25 = 3.
    assert lines["Mette Sørensen"].load == 3.0
    assert run().workload[0].person == "Freja Nørgaard"
    assert "Sofie Lund" in lines and lines["Sofie Lund"].load == 0.6  # C on c1


def test_source_missing_from_config_uses_the_kinds_mapping() -> None:
    extra = task("x1", people("1202", key="assignee"), source="gammel", title="Gammel opgave")
    cfg = config(sources=SOURCES)
    accounts = (*ACCOUNTS, Account("gammel", "1202", "Jonas Kristensen"))
    with_kind = evaluate([extra], accounts, cfg, TODAY, kinds={"gammel": "asana"})
    assert [(a.letter, a.person_name) for a in with_kind.assignments] == [("R", "Jonas Kristensen")]
    without = evaluate([extra], accounts, cfg, TODAY)
    assert without.assignments == ()
    assert [f.check for f in without.findings if f.task_id == "x1"] == ["no-owner"]


def test_no_roster_everyone_owns_as_themselves() -> None:
    result = run(people=())
    assert all(not p.matched for p in result.people)
    assert result.unmatched == ()
    checks = {f.check for f in result.findings}
    assert checks.isdisjoint({"unmatched-person", "person-without-role"})
    assert "no-owner" not in {f.check for f in result.findings if f.task_id == "c2"}
    names = [line.person for line in result.workload]
    assert "Kasper Vinther" in names and "Freja N" in names  # Trello display name


def test_result_is_immutable_tuples() -> None:
    result = run()
    assert all(
        isinstance(getattr(result, name), tuple)
        for name in ("people", "assignments", "findings", "workload", "unmatched")
    )
