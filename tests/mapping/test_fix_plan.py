"""The plan of `raci fix` (PRODUCT §12 "Suggestions and fixes"): which ownership findings it
resolves, with whom — capacity-aware, counting its own planned changes — and why not."""

from __future__ import annotations

from raci_sync.config import IgnoreConfig, RuleConfig, SourceConfig, WorkloadConfig
from raci_sync.mapping.fixes import FixPlan, plan_fixes
from raci_sync.model import Account, Task
from tests.mapping import TODAY, TRELLO_ACCOUNTS, config, people, task, trello_task

R_RULE = RuleConfig({"group": "Idéer"}, {"R": "hat:content-producer"}, "suggest")
A_RULE = RuleConfig({"group": "Idéer"}, {"A": "hat:project-manager"}, "suggest")
METTE = "Mette Sørensen"


def plan(tasks: list[Task], **kw: object) -> FixPlan:
    sources = kw.pop("sources", ())
    accounts = kw.pop("accounts", TRELLO_ACCOUNTS)
    return plan_fixes(tasks, accounts, config(**kw), TODAY, sources=sources)  # type: ignore[arg-type]


def idea(id: str, **kw: object) -> Task:
    """An ownerless card in the list the rules match."""
    return trello_task(id, group="Idéer", **kw)  # type: ignore[arg-type]


def test_no_owner_gets_an_r_and_an_a_in_the_fields_the_tool_writes() -> None:
    p = plan([idea("1")], rules=(R_RULE, A_RULE))
    got = [
        (f.task.id, f.letter, f.person.name, f.account.id, f.hat, f.ref, f.check) for f in p.fixes
    ]
    assert got == [
        ("1", "R", "Anders Holm", "t-anders", "content-producer", "members", "no-owner"),
        (
            "1",
            "A",
            "Jonas Kristensen",
            "t-jonas",
            "project-manager",
            "field:Accountable",
            "no-owner",
        ),
    ]
    assert p.unfixable == ()


def test_the_plan_counts_its_own_changes_when_choosing() -> None:
    """Five cards of effort 6 that each need an R from two content producers with 10 free: the
    second goes to Freja (Anders has 4 left), the third to Anders (4 and 4: the first of
    equals), the fourth to Freja; nobody is left for the fifth — never over capacity."""
    cards = [idea(str(i), a=(METTE,), effort=6) for i in range(1, 6)]
    p = plan(cards, rules=(R_RULE,))
    assert [(f.task.id, f.person.name, f.free, f.load) for f in p.fixes] == [
        ("1", "Anders Holm", 10, 6),
        ("2", "Freja Nørgaard", 10, 6),
        ("3", "Anders Holm", 4, 6),
        ("4", "Freja Nørgaard", 4, 6),
    ]
    [no] = p.unfixable
    assert (no.task.id, no.letter, no.check) == ("5", "R", "no-responsible")
    assert no.reason == (
        "nobody suggested has free capacity: Anders Holm (content-producer) has 0 left; "
        "Freja Nørgaard (content-producer) has 0 left"
    )


def test_a_person_counts_once_per_task_at_the_heaviest_letter() -> None:
    rules = (RuleConfig({"group": "Idéer"}, {"R": "Anders Holm", "A": "Anders Holm"}, "suggest"),)
    p = plan([idea("1", effort=4)], rules=rules)
    assert [(f.letter, f.person.name, f.load) for f in p.fixes] == [
        ("R", "Anders Holm", 4.0),
        ("A", "Anders Holm", 0.0),  # A weighs 0.25: the R already counts the task in full
    ]


def test_nobody_with_no_capacity_set_is_chosen() -> None:
    p = plan(
        [idea("1", a=(METTE,))], rules=(R_RULE,), workload=WorkloadConfig(default_capacity=None)
    )
    assert p.fixes == ()
    assert p.unfixable[0].reason == (
        "nobody suggested has free capacity: Anders Holm (content-producer) has no capacity "
        "set; Freja Nørgaard (content-producer) has no capacity set"
    )


def test_someone_without_an_account_in_the_tool_is_passed_over() -> None:
    without_anders = tuple(a for a in TRELLO_ACCOUNTS if a.id != "t-anders")
    p = plan([idea("1", a=(METTE,))], rules=(R_RULE,), accounts=without_anders)
    assert [f.person.name for f in p.fixes] == ["Freja Nørgaard"]
    alone = (RuleConfig({"group": "Idéer"}, {"R": "Anders Holm"}, "suggest"),)
    p = plan([idea("1", a=(METTE,))], rules=alone, accounts=without_anders)
    assert p.unfixable[0].reason == "Anders Holm has no account in source 'indhold'"


def test_what_no_rule_suggests_is_said() -> None:
    p = plan([trello_task("1", a=(METTE,))], rules=(R_RULE,))  # not in the rule's list
    assert p.fixes == ()
    assert [(n.letter, n.reason) for n in p.unfixable] == [
        ("R", "no [[rule]] suggests anyone as Responsible")
    ]


def test_ignored_findings_are_not_fixed() -> None:
    ignore = IgnoreConfig(task="1", checks=("no-owner",))
    assert plan([idea("1")], rules=(R_RULE, A_RULE), ignores=(ignore,)) == FixPlan(TODAY)


def test_a_letter_only_read_from_followers_cannot_be_written() -> None:
    source = SourceConfig(name="kampagner", kind="asana", roles={"R": ("followers",)})
    t = task("9", people(key="followers"), source="kampagner", group="Idéer")
    accounts = (Account("kampagner", "a-1", "Anders Holm"),)
    p = plan_fixes([t], accounts, config(sources=(source,), rules=(R_RULE,)), TODAY)
    assert [f.letter for f in p.fixes] == []
    [no] = [n for n in p.unfixable if n.letter == "R"]
    assert no.reason == (
        "its Responsible comes from followers in this source, which raci fix does not write"
    )


def test_only_the_sources_asked_for_are_planned_but_capacity_counts_all() -> None:
    other = SourceConfig(name="andet", kind="trello")
    accounts = (*TRELLO_ACCOUNTS, Account("andet", "x-anders", "Anders Holm"))
    busy = trello_task("b", r=("x-anders",), a=(METTE,), source="andet", effort=9)
    cards = [idea("1", a=(METTE,)), idea("2", a=(METTE,), source="andet"), busy]
    cfg = config(sources=(config().sources[0], other), rules=(R_RULE,))
    p = plan_fixes(cards, accounts, cfg, TODAY, sources=("indhold",))
    assert [(f.task.source, f.person.name) for f in p.fixes] == [("indhold", "Freja Nørgaard")]
    assert {f.task.source for f in plan_fixes(cards, accounts, cfg, TODAY).fixes} == {
        "indhold",
        "andet",
    }
