"""Each check of PRODUCT §4: one case that fires, one that must not."""

from __future__ import annotations

from datetime import date

from raci_sync.config import ChecksConfig, PersonConfig, RuleConfig, WorkloadConfig
from raci_sync.mapping import evaluate
from raci_sync.model import Finding, Severity, State, Task
from tests.mapping import ROSTER, TODAY, TRELLO_ACCOUNTS, config, trello_task

METTE, SOFIE = "Mette Sørensen", "Sofie Lund"
OWNED = {"r": ("t-anders",), "a": (METTE,)}


def findings(tasks: list[Task], check: str, **kw) -> list[Finding]:
    result = evaluate(tasks, TRELLO_ACCOUNTS, config(**kw), TODAY)
    return [f for f in result.findings if f.check == check]


def test_no_owner_fires_and_replaces_the_two_others() -> None:
    t = trello_task("1", c=(SOFIE,), title="Skriv nyhedsbrev")
    result = evaluate([t], TRELLO_ACCOUNTS, config(), TODAY)
    task_checks = [f.check for f in result.findings if f.task_id == "1"]
    assert task_checks == ["no-owner"]
    f = result.findings[0]
    assert (f.severity, f.source, f.task, f.person) == (Severity.ERROR, "indhold", t.title, None)
    assert (
        f.message
        == "'Skriv nyhedsbrev' (indhold) has no owner: neither Responsible nor Accountable"
    )


def test_no_owner_does_not_fire_with_an_r() -> None:
    assert findings([trello_task("1", r=("t-kasper",))], "no-owner") == []


def test_no_owner_disabled_falls_back_to_the_two_others() -> None:
    cfg = ChecksConfig(disable=("no-owner",))
    checks = {f.check for f in findings_all([trello_task("1")], checks=cfg)}
    assert {"no-accountable", "no-responsible"} <= checks
    assert "no-owner" not in checks


def findings_all(tasks: list[Task], **kw) -> tuple[Finding, ...]:
    return evaluate(tasks, TRELLO_ACCOUNTS, config(**kw), TODAY).findings


def test_no_accountable() -> None:
    [f] = findings([trello_task("1", r=("t-anders",), title="Skriv nyhedsbrev")], "no-accountable")
    assert f.message == "'Skriv nyhedsbrev' (indhold) has no Accountable"
    assert f.severity is Severity.ERROR
    assert findings([trello_task("1", **OWNED)], "no-accountable") == []


def test_multiple_accountable_counts_distinct_people() -> None:
    [f] = findings(
        [trello_task("1", r=("t-anders",), a=(METTE, "Jonas Kristensen"))], "multiple-accountable"
    )
    assert f.message.endswith("has 2 Accountable: Mette Sørensen, Jonas Kristensen")
    # The same person named twice (by name and by username) is one A.
    same = trello_task("1", r=("t-anders",), a=(METTE, "@mettesorensen"))
    assert findings([same], "multiple-accountable") == []


def test_no_responsible_is_an_error_by_default() -> None:
    [f] = findings([trello_task("1", a=(METTE,))], "no-responsible")
    assert f.severity is Severity.ERROR
    assert findings([trello_task("1", **OWNED)], "no-responsible") == []


def test_no_responsible_is_a_warning_when_implied_by_a() -> None:
    cfg = ChecksConfig(implied_responsible=True)
    [f] = findings([trello_task("1", a=(METTE,))], "no-responsible", checks=cfg)
    assert f.severity is Severity.WARNING
    assert "Mette Sørensen" in f.message


def test_an_unmatched_r_still_owns_the_task() -> None:
    t = trello_task("1", r=("t-kasper",), a=(METTE,))
    assert [f.check for f in findings_all([t]) if f.task_id == "1"] == []


def test_too_many_responsible() -> None:
    four = trello_task("1", r=("t-anders", "t-freja", "t-jonas", "t-kasper"), a=(METTE,))
    [f] = findings([four], "too-many-responsible")
    assert f.severity is Severity.WARNING
    assert "has 4 Responsible (more than 3)" in f.message
    three = trello_task("1", r=("t-anders", "t-freja", "t-jonas"), a=(METTE,))
    assert findings([three], "too-many-responsible") == []
    assert findings([three], "too-many-responsible", checks=ChecksConfig(max_responsible=2))


def test_too_many_consulted() -> None:
    c4 = ("Sofie Lund", "Anders Holm", "Jonas Kristensen", "Kasper Vinther")
    [f] = findings([trello_task("1", **OWNED, c=c4)], "too-many-consulted")
    assert f.severity is Severity.WARNING
    assert findings([trello_task("1", **OWNED, c=c4[:3])], "too-many-consulted") == []


def test_overloaded_warning_and_error() -> None:
    wl = WorkloadConfig(default_capacity=10)
    over = trello_task("1", r=("t-freja",), a=(METTE,), effort=11, due=date(2026, 12, 9))
    [f] = findings([over], "overloaded", workload=wl)
    assert (f.severity, f.person) == (Severity.WARNING, "Freja Nørgaard")
    assert f.message == (
        "Freja Nørgaard is at 110 % of capacity in 2026-12-07 … 2026-12-20: load 11 against 10"
    )
    critical = trello_task("1", r=("t-freja",), a=(METTE,), effort=12, due=date(2026, 12, 9))
    [f] = findings([critical], "overloaded", workload=wl)
    assert f.severity is Severity.ERROR
    fine = trello_task("1", r=("t-freja",), a=(METTE,), effort=10, due=date(2026, 12, 9))
    assert findings([fine], "overloaded", workload=wl) == []


def test_overloaded_respects_the_configured_error_threshold() -> None:
    t = trello_task("1", r=("t-freja",), a=(METTE,), effort=13, due=date(2026, 12, 9))
    [f] = findings([t], "overloaded", checks=ChecksConfig(overload_error=1.5))
    assert f.severity is Severity.WARNING


def test_unmatched_person_only_with_a_roster() -> None:
    t = trello_task("1", r=("t-kasper",), a=(METTE,), c=("Line Bech",))
    got = findings([t], "unmatched-person")
    assert [(f.person, f.severity, f.source) for f in got] == [
        ("Kasper Vinther", Severity.WARNING, "indhold"),
        ("Line Bech", Severity.WARNING, "indhold"),
    ]
    assert got[0].message == (
        "'Kasper Vinther' (account kasperfoto) in source 'indhold' matches nobody in the "
        "roster; it holds letters on 1 open task"
    )
    assert got[1].message.startswith("The name 'Line Bech' in source 'indhold'")
    assert (
        got[0].suggestion == 'add "trello:kasperfoto" to the accounts of a [[person]] in the config'
    )
    assert findings([t], "unmatched-person", people=()) == []


def test_unmatched_person_not_reported_for_matched_accounts_or_closed_tasks() -> None:
    done = trello_task("1", r=("t-kasper",), state=State.DONE)
    assert findings([done, trello_task("2", **OWNED)], "unmatched-person") == []


def test_accountability_bottleneck() -> None:
    mine = [trello_task(str(i), r=("t-anders",), a=(METTE,)) for i in range(8)]
    others = [trello_task(f"o{i}", r=("t-anders",), a=("Jonas Kristensen",)) for i in range(7)]
    [f] = findings(mine + others, "accountability-bottleneck")
    assert (f.severity, f.person) == (Severity.INFO, METTE)
    assert "Accountable on 8 of 15 open tasks (53 %)" in f.message
    # 7 of 10: over half but fewer than 8 tasks; 8 of 16: not over half.
    assert findings(mine[:7] + others[:3], "accountability-bottleneck") == []
    extra = trello_task("x", r=("t-anders",), a=("Jonas Kristensen",))
    assert findings([*mine, *others, extra], "accountability-bottleneck") == []


def test_person_without_role() -> None:
    tasks = [
        trello_task("1", r=("t-anders", "t-freja", "t-jonas"), a=(METTE,), c=(SOFIE,)),
        trello_task("2", r=("t-sofie",), a=(METTE,), state=State.DONE),
    ]
    got = findings(tasks, "person-without-role")
    assert [(f.person, f.severity, f.message) for f in got] == [
        (SOFIE, Severity.INFO, "Sofie Lund has no R or A on any open task")
    ]
    assert findings(tasks, "person-without-role", people=()) == []


def test_closed_tasks_are_not_checked() -> None:
    tasks = [trello_task("1", state=State.DONE), trello_task("2", state=State.ARCHIVED)]
    assert [f for f in findings_all(tasks) if f.task_id] == []


def test_disable_removes_checks() -> None:
    cfg = ChecksConfig(disable=("person-without-role", "no-accountable"))
    got = {f.check for f in findings_all([trello_task("1", r=("t-anders",))], checks=cfg)}
    assert got.isdisjoint({"person-without-role", "no-accountable"})


def test_suggestions_from_suggest_rules_and_ambiguous_fills() -> None:
    rules = (
        RuleConfig({"container": "Indhold & SoMe"}, {"A": "hat:project-manager"}, "suggest"),
        RuleConfig({"group": "Idéer"}, {"R": "hat:content-producer"}, "fill"),
    )
    t = trello_task("1", container="Indhold & SoMe", group="Idéer")
    [f] = findings([t], "no-owner", rules=rules)
    assert f.suggestion == (  # both content producers are free: the first of equals
        "suggested R: Anders Holm (content-producer); "
        "suggested A: Jonas Kristensen (project-manager)"
    )
    [f] = findings(
        [trello_task("2", r=("t-anders",), container="Indhold & SoMe")],
        "no-accountable",
        rules=rules,
    )
    assert f.suggestion == "suggested A: Jonas Kristensen (project-manager)"


def test_suggestions_respect_capacity() -> None:
    """A hat rule once suggested the most overloaded person on the team (163 %): now the one
    with the most free capacity, never anyone at or over capacity (PRODUCT §9)."""
    rules = (RuleConfig({"group": "Idéer"}, {"R": "hat:content-producer"}, "suggest"),)
    open_task = trello_task("1", container="Indhold & SoMe", group="Idéer", a=(METTE,))

    def busy(account: str, effort: float) -> Task:  # a task that loads one person
        return trello_task(f"load-{account}-{effort}", r=(account,), a=(METTE,), effort=effort)

    [f] = findings([open_task, busy("t-anders", 12)], "no-responsible", rules=rules)
    assert f.suggestion == "suggested R: Freja Nørgaard (content-producer)"  # Anders is at 120 %
    [f] = findings(
        [open_task, busy("t-anders", 4), busy("t-freja", 6)], "no-responsible", rules=rules
    )
    assert f.suggestion == "suggested R: Anders Holm (content-producer)"  # 6 free against 4
    [f] = findings(
        [open_task, busy("t-anders", 10), busy("t-freja", 11)], "no-responsible", rules=rules
    )
    assert f.suggestion == "no R to suggest: everyone with hat content-producer is over capacity"
    unmonitored = config(workload=WorkloadConfig(default_capacity=None), rules=rules)
    got = evaluate([open_task], TRELLO_ACCOUNTS, unmonitored, TODAY).findings
    [f] = [x for x in got if x.check == "no-responsible"]
    assert f.suggestion == "no R to suggest: everyone with hat content-producer has no capacity set"


def test_findings_are_sorted_by_severity_check_source_and_title() -> None:
    roster = (*ROSTER, PersonConfig("Ole Olsen"))
    tasks = [
        trello_task("1", r=("t-anders",), title="B-opgave"),
        trello_task("2", r=("t-anders",), title="a-opgave"),
        trello_task("3", title="Uden ejer"),
        trello_task("4", r=("t-kasper",), a=(METTE,), c=("A", "B", "C", "D")),
    ]
    got = [
        (f.severity.value, f.check, f.task or f.person) for f in findings_all(tasks, people=roster)
    ]
    assert got[:3] == [
        ("error", "no-owner", "Uden ejer"),
        ("error", "no-accountable", "a-opgave"),
        ("error", "no-accountable", "B-opgave"),
    ]
    severities = [Severity(s).rank for s, _, _ in got]
    assert severities == sorted(severities, reverse=True)
    assert ("info", "person-without-role", "Ole Olsen") in got


def test_overloaded_when_away_the_whole_window() -> None:
    away = PersonConfig(
        "Freja Nørgaard", accounts=("trello:frejan",), away=((date(2026, 12, 1), date(2027, 1, 3)),)
    )
    roster = (*[p for p in ROSTER if p.name != "Freja Nørgaard"], away)
    t = trello_task("1", r=("t-freja",), a=(METTE,), effort=1, due=date(2026, 12, 9))
    [f] = findings([t], "overloaded", people=roster)
    assert f.severity is Severity.ERROR
    assert f.message == (
        "Freja Nørgaard has a load of 1 but no capacity in 2026-12-07 … 2026-12-20 "
        "(away the whole window, or capacity 0)"
    )
