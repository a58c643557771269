"""Roles: fields → letters per kind, I minus R/A/C, hat rules (fill, suggest, never override)."""

from __future__ import annotations

import pytest

from raci_sync.config import RuleConfig
from raci_sync.mapping.identity import Directory
from raci_sync.mapping.roles import TaskRoles, map_task, roles_for, rule_matches
from raci_sync.model import Account, FieldValue, Task
from tests.mapping import ROSTER, TRELLO_ACCOUNTS, named, people, task, trello_task

ASANA = (
    Account("kampagne", "101", "Mette Sørensen", email="mette@nordlyskaffe.dk"),
    Account("kampagne", "102", "Jonas Kristensen", email="jonas@nordlyskaffe.dk"),
    Account("kampagne", "103", "Anders Holm", email="anders@nordlyskaffe.dk"),
    Account("kampagne", "104", "Sofie Lund", email="sofie@nordlyskaffe.dk"),
)
MONDAY = (
    Account("planer", "201", "Freja Nørgaard", email="freja@nordlyskaffe.dk"),
    Account("planer", "202", "Line Bech", email="line@pr-bureau.dk"),
    Account("planer", "203", "Mette Sørensen", email="mette@nordlyskaffe.dk"),
)
KINDS = {"indhold": "trello", "kampagne": "asana", "planer": "monday"}


def directory() -> Directory:
    return Directory(ROSTER, TRELLO_ACCOUNTS + ASANA + MONDAY, KINDS, 10.0)


def mapped(t: Task, roles=None, rules=(), kind=None) -> TaskRoles:
    kind = kind or KINDS[t.source]
    return map_task(t, roles_for(kind, roles), rules, directory())


def letters(m: TaskRoles) -> set[tuple[str, str, str]]:
    return {(a.letter, a.person_name, a.via) for a in m.assignments}


def test_asana_defaults() -> None:
    t = task(
        "1",
        people("102", key="assignee"),
        people("104", key="followers"),
        people("101", title="Accountable"),
        people("103", "104", title="Consulted"),
        source="kampagne",
    )
    assert letters(mapped(t)) == {
        ("R", "Jonas Kristensen", "assignee"),
        ("A", "Mette Sørensen", "custom_field:Accountable"),
        ("C", "Anders Holm", "custom_field:Consulted"),
        ("C", "Sofie Lund", "custom_field:Consulted"),
    }  # followers give no I by default


def test_trello_defaults_read_names_from_text_fields() -> None:
    t = trello_task("1", r=("t-freja", "t-kasper"), a=("Mette Sørensen",), c=("Sofie Lund",))
    assert letters(mapped(t)) == {
        ("R", "Freja Nørgaard", "members"),
        ("R", "Kasper Vinther", "members"),
        ("A", "Mette Sørensen", "custom_field:Accountable"),
        ("C", "Sofie Lund", "custom_field:Consulted"),
    }


def test_monday_first_people_column_skips_columns_named_by_other_letters() -> None:
    t = task(
        "1",
        people("203", title="Accountable", id="person4"),
        people("202", title="consulted", id="person3"),
        people("201", title="Person", id="person"),
        people("203", title="Owner", id="person2"),
        people("202", key="subscribers"),
        source="planer",
    )
    assert letters(mapped(t)) == {
        ("R", "Freja Nørgaard", "custom_field:Person"),
        ("A", "Mette Sørensen", "custom_field:Accountable"),
        ("C", "Line Bech", "custom_field:consulted"),
    }  # subscribers give no I by default; "Owner" is not the first people column


def test_monday_first_people_column_ignores_non_people_columns() -> None:
    t = task(
        "1",
        FieldValue("field", "numbers", "Timer", "number", number=3),
        people("201", title="Person"),
        source="planer",
    )
    assert letters(mapped(t)) == {("R", "Freja Nørgaard", "custom_field:Person")}


def test_field_by_id_and_title_case_insensitive() -> None:
    t = task(
        "1",
        people("101", title="Godkender", id="1209999999999999"),
        people("103", title="RÅDGIVES"),
        source="kampagne",
    )
    roles = {"A": ("field:1209999999999999",), "C": ("field:rådgives",)}
    assert letters(mapped(t, roles)) == {
        ("A", "Mette Sørensen", "custom_field:Godkender"),
        ("C", "Anders Holm", "custom_field:RÅDGIVES"),
    }


def test_informed_is_followers_minus_r_a_c() -> None:
    t = task(
        "1",
        people("102", key="assignee"),
        people("101", title="Accountable"),
        people("101", "102", "103", "104", key="followers"),
        people("104", title="Consulted"),
        source="kampagne",
    )
    got = letters(mapped(t, {"I": ("followers",)}))
    assert {(letter, n) for letter, n, _ in got if letter == "I"} == {("I", "Anders Holm")}


def test_duplicate_person_letter_collapses_to_the_first_field() -> None:
    t = task("1", named("Consulted", "Sofie Lund"), named("Also consulted", "sofie lund"))
    m = mapped(t, {"C": ("field:Consulted", "field:Also consulted")})
    assert [(a.letter, a.person_name, a.via) for a in m.assignments] == [
        ("C", "Sofie Lund", "custom_field:Consulted")
    ]


def test_assignments_are_ordered_r_a_c_i() -> None:
    t = trello_task("1", r=("t-freja",), a=("Mette Sørensen",), c=("Sofie Lund",))
    assert [a.letter for a in mapped(t).assignments] == ["R", "A", "C"]


def test_roles_for_merges_configured_over_kind_defaults() -> None:
    roles = roles_for("asana", {"I": ("followers",)})
    assert roles == {
        "R": ("assignee",),
        "A": ("field:Accountable",),
        "C": ("field:Consulted",),
        "I": ("followers",),
    }
    assert roles_for(None, None) == {"R": (), "A": (), "C": (), "I": ()}


STRATEGI = RuleConfig({"group": "strategi"}, {"A": "hat:strategist"}, "fill")


def test_fill_rule_fills_an_empty_letter() -> None:
    t = trello_task("1", r=("t-anders",), group="Strategi")
    m = mapped(t, rules=(STRATEGI,))
    assert ("A", "Mette Sørensen", "rule:0 (group=strategi)") in letters(m)
    assert m.suggestions == ()


def test_fill_rule_never_overrides_the_tool() -> None:
    t = trello_task("1", r=("t-anders",), a=("Jonas Kristensen",), group="Strategi")
    m = mapped(t, rules=(STRATEGI,))
    assert [a.person_name for a in m.assignments if a.letter == "A"] == ["Jonas Kristensen"]
    assert m.suggestions == ()


def test_fill_rule_does_not_apply_where_it_does_not_match() -> None:
    t = trello_task("1", r=("t-anders",), group="Idéer")
    assert all(a.letter != "A" for a in mapped(t, rules=(STRATEGI,)).assignments)


def test_fill_rule_with_a_shared_hat_only_suggests() -> None:
    rule = RuleConfig({"group": "Strategi"}, {"R": "hat:content-producer"}, "fill")
    m = mapped(trello_task("1", a=("Mette Sørensen",), group="Strategi"), rules=(rule,))
    assert all(a.letter != "R" for a in m.assignments)
    assert [s.describe() for s in m.suggestions] == [
        "suggested R: Anders Holm (content-producer) or Freja Nørgaard (content-producer)"
    ]


def test_suggest_rule_never_assigns() -> None:
    rule = RuleConfig({"container": "Indhold & SoMe"}, {"A": "hat:project-manager"}, "suggest")
    m = mapped(trello_task("1", r=("t-freja",), container="indhold & some"), rules=(rule,))
    assert all(a.letter != "A" for a in m.assignments)
    assert [s.describe() for s in m.suggestions] == [
        "suggested A: Jonas Kristensen (project-manager)"
    ]


def test_first_fill_rule_wins() -> None:
    second = RuleConfig({"group": "Strategi"}, {"A": "Sofie Lund"}, "fill")
    m = mapped(trello_task("1", group="Strategi"), rules=(STRATEGI, second))
    assert [(a.person_name, a.via) for a in m.assignments] == [
        ("Mette Sørensen", "rule:0 (group=strategi)")
    ]


def test_rule_naming_a_person_directly() -> None:
    rule = RuleConfig({"label": "Analyse"}, {"R": "sofie lund"}, "fill")
    m = mapped(trello_task("1", labels=("Kampagne", "analyse")), rules=(rule,))
    assert letters(m) == {("R", "Sofie Lund", "rule:0 (label=Analyse)")}


def test_rule_for_a_hat_nobody_wears_does_nothing() -> None:
    rule = RuleConfig({"group": "Strategi"}, {"A": "hat:ceo"}, "fill")
    m = mapped(trello_task("1", group="Strategi"), rules=(rule,))
    assert (m.assignments, m.suggestions) == ((), ())


@pytest.mark.parametrize(
    ("match", "fits"),
    [
        ({"title": r"nyhedsbrev"}, True),
        ({"title": r"^skriv"}, True),
        ({"title": r"^nyhedsbrev"}, False),
        ({"source": "INDHOLD"}, True),
        ({"source": "kampagne"}, False),
        ({"container": "Indhold & SoMe"}, True),
        ({"container": "5f1b2c3d4e5f60718293a4b5"}, True),
        ({"group": "i gang", "label": "kampagne"}, True),
        ({"group": "i gang", "label": "analyse"}, False),
    ],
)
def test_rule_matching(match: dict[str, str], fits: bool) -> None:
    t = task(
        "1",
        title="Skriv nyhedsbrev",
        container="Indhold & SoMe",
        container_id="5f1b2c3d4e5f60718293a4b5",
        group="I gang",
        labels=("Kampagne",),
    )
    assert rule_matches(RuleConfig(match, {"A": "hat:strategist"}), t) is fits
