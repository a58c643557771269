"""The drafting of ``raci init`` without any API: field names → letters (PRODUCT §12), the roster
merged across tools, and the TOML it writes — every string escaped, read back by
``load_config`` as drafted, no secret in it."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path

import pytest

from raci_sync.config import load_config
from raci_sync.connectors import KINDS
from raci_sync.connectors.discovery import Container, Space
from raci_sync.connectors.references import FieldDef
from raci_sync.init.draft import Draft, draft_sources, render
from raci_sync.init.roles import AMBIGUOUS, draft_roles
from raci_sync.init.roster import merge_people
from raci_sync.init.toml import comment, quote
from raci_sync.init.tools import parse_numbers
from raci_sync.model import Account

TRELLO, ASANA, MONDAY = KINDS["trello"], KINDS["asana"], KINDS["monday"]
ENV = {v: "x-secret-value" for kind in KINDS.values() for v in kind.env.values()}
HOSTILE = (
    'Say "hi"',
    "back\\slash \\n not a newline",
    "Æblegrød på Ærø",
    "Kaffe ☕ og 🚀",
    "tab\there",
    "line\nbreak",
    "bell\x07 and del\x7f",
    "'single' and '''triple'''",
    "# not a comment",
    "[[not a table]]",
)


def boxes(*names: str) -> list[Container]:
    return [Container(f"id{i}", n, n) for i, n in enumerate(names)]


def people_field(name: str, kind: str = "people", ident: str = "") -> FieldDef:
    return FieldDef(name, ident or f"f-{name}", kind)


def roles_of(kind: str, fields: Sequence[FieldDef], containers: int = 2) -> tuple[dict, str]:
    chosen = boxes(*(f"Board {i}" for i in range(containers)))
    draft = draft_roles(KINDS[kind], chosen, {c.id: tuple(fields) for c in chosen})
    notes = "\n".join(draft.notes + draft.effort_notes)
    return {**draft.letters, "effort": draft.effort}, notes


# -- field names → letters -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "letter"),
    [
        ("Responsible", "R"),
        ("Udførende", "R"),
        ("Accountable", "A"),
        ("Godkender", "A"),
        ("Consulted", "C"),
        ("Konsulteret", "C"),
        ("Rådført", "C"),
        ("Informed", "I"),
        ("Informeret", "I"),
        ("  GODKENDER ", "A"),  # names match as the roster matches them: case and spaces folded
    ],
)
def test_the_danish_and_english_names_map_to_their_letter(name: str, letter: str) -> None:
    letters, _ = roles_of("asana", [people_field(name)])
    assert letters[letter] == [f"field:{name.strip()}"]
    others = {k: v for k, v in letters.items() if k not in (letter, "R", "effort")}
    assert all(v == [] for v in others.values())


def test_an_r_field_replaces_the_tools_default_r() -> None:
    letters, _ = roles_of("trello", [people_field("Udførende", "list")])
    assert letters["R"] == ["field:Udførende"]
    letters, _ = roles_of("trello", [people_field("Godkender", "list")])
    assert letters["R"] == list(TRELLO.default_roles["R"])


@pytest.mark.parametrize("name", AMBIGUOUS)
@pytest.mark.parametrize("kind", ["trello", "asana", "monday"])
def test_ambiguous_names_get_a_comment_and_no_letter(name: str, kind: str) -> None:
    letters, notes = roles_of(kind, [people_field(name), people_field("Accountable")])
    assert letters["R"] == list(KINDS[kind].default_roles["R"])  # the tool's default
    assert letters["A"] == ["field:Accountable"]
    assert all(f"field:{name}" not in refs for refs in letters.values() if refs)
    assert f'CHECK: field "{name}" (people) may mean Responsible or Accountable' in notes
    assert f'put "field:{name}" in R or in A below' in notes


def test_a_field_missing_on_one_container_is_not_written_and_says_where() -> None:
    chosen = boxes("Indhold", "Events")
    fields = {"id0": (people_field("Godkender"),), "id1": (people_field("Consulted"),)}
    draft = draft_roles(ASANA, chosen, fields)
    assert draft.letters["A"] == [] and draft.letters["C"] == []
    notes = "\n".join(draft.notes)
    assert 'field "Godkender" is not on every project of this source (not on "Events")' in notes
    assert 'field "Consulted" is not on every project of this source (not on "Indhold")' in notes
    assert "CHECK: no field gives A" in notes


def test_a_field_of_the_wrong_type_is_not_used() -> None:
    letters, notes = roles_of("asana", [FieldDef("Accountable", "1", "number")])
    assert letters["A"] == []
    assert 'field "Accountable" is a number field, not a people field' in notes


def test_a_people_field_of_another_name_is_pointed_out() -> None:
    letters, notes = roles_of("monday", [people_field("Reviewer")])
    assert "field:Reviewer" not in str(letters)
    assert 'CHECK: people field "Reviewer" gives no letter' in notes


@pytest.mark.parametrize("name", ["Timer", "Estimat", "Effort (h)", "Estimated hours", "HOURS"])
def test_one_number_field_named_like_the_effort_is_the_effort(name: str) -> None:
    letters, _ = roles_of(
        "trello", [FieldDef(name, "n1", "number"), FieldDef("Budget", "n2", "number")]
    )
    assert letters["effort"] == name


def test_two_effort_fields_are_left_to_a_human() -> None:
    letters, notes = roles_of(
        "monday", [FieldDef("Timer", "n1", "numbers"), FieldDef("Estimat", "n2", "numbers")]
    )
    assert letters["effort"] is None
    assert 'CHECK: several number fields could be the effort ("Timer", "Estimat")' in notes
    letters, notes = roles_of("monday", [FieldDef("Timer", "t", "text")])
    assert letters["effort"] is None and "No number field named like the effort" in notes


# -- the roster -----------------------------------------------------------------------------------


def account(
    source: str, ident: str, name: str | None, email: str | None = None, **kw: str
) -> Account:
    return Account(source=source, id=ident, name=name, email=email, **kw)


def test_the_same_email_is_one_person_across_tools_without_a_comment() -> None:
    people = merge_people(
        [
            (ASANA, account("asana", "11", "Mette Sørensen", "Mette@Nordlys.dk")),
            (MONDAY, account("monday", "22", "Mette S.", "mette@nordlys.dk")),
        ]
    )
    assert len(people) == 1
    mette = people[0]
    assert mette.name == "Mette Sørensen" and mette.emails == ["Mette@Nordlys.dk"]
    assert mette.accounts == ["asana:11", "monday:22"]
    assert not any(n.startswith("CHECK") for n in mette.notes)
    assert 'monday:22 is called "Mette S." in monday.com.' in mette.notes


def test_a_member_without_email_joins_by_exact_name_with_a_comment() -> None:
    people = merge_people(
        [
            (TRELLO, account("trello", "t1", "freja  nørgaard", username="frejan")),
            (ASANA, account("asana", "11", "Freja Nørgaard", "freja@nordlys.dk")),
            (TRELLO, account("trello", "t2", "Kasper Foto", username="kasperfoto")),
        ]
    )
    freja, kasper = people
    assert freja.accounts == ["asana:11", "trello:frejan"]  # the roster's form: trello:username
    assert freja.by_name
    assert freja.notes == [
        'CHECK: trello:frejan ("freja nørgaard" in Trello, which gives no email) was matched by '
        "name only: confirm it is this person, or move it to a [[person]] of its own."
    ]
    assert kasper.name == "Kasper Foto" and kasper.accounts == ["trello:kasperfoto"]
    assert kasper.emails == [] and kasper.notes == []


def test_a_name_two_people_share_matches_neither_and_both_stay_apart() -> None:
    people = merge_people(
        [
            (ASANA, account("asana", "1", "Anna Holm", "anna@a.dk")),
            (MONDAY, account("monday", "2", "Anna Holm", "anna.holm@b.dk")),
            (TRELLO, account("trello", "t", "Anna Holm", username="annah")),
        ]
    )
    names = [p.name for p in people]
    assert names == ["Anna Holm", "Anna Holm (anna.holm@b.dk)", "Anna Holm (trello:annah)"]
    assert "CHECK: another person is also named" in people[1].notes[0]
    assert any("2 people are named" in n and "was not matched" in n for n in people[2].notes)


# -- the TOML ------------------------------------------------------------------------------------


def hostile_draft() -> Draft:
    space = Space("77", 'Work "space" ☕', "workspace", 'Work "space" ☕')
    projects = [Container(f"p{i}", n, n, space) for i, n in enumerate(HOSTILE)]
    defs = (
        people_field("Godkender"),
        people_field('Rådført "C"'),
        FieldDef("Timer ⏱", "n", "number"),
    )
    fields = {c.id: defs for c in projects}
    sources = draft_sources(ASANA, 'Who "me" <me@x.dk>', "projects", projects, fields, seen=20)
    boards = [Container(f"b{i}", n, n) for i, n in enumerate(HOSTILE)]
    sources += draft_sources(
        TRELLO, "me\n(@me)", "boards", boards, {}, base_url="http://127.0.0.1:9/trello/1"
    )
    people = merge_people(
        [(ASANA, account("asana", str(i), n, f"p{i}@x.dk")) for i, n in enumerate(HOSTILE)]
        + [(TRELLO, account("trello", "t", "Ævar ${HOME}", username="aevar"))]
    )
    return Draft(tuple(sources), tuple(people), timezone="Europe/Copenhagen")


def test_every_string_is_escaped_and_reads_back_with_load_config(tmp_path: Path) -> None:
    text = render(hostile_draft())
    path = tmp_path / "raci.toml"
    path.write_text(text, encoding="utf-8")
    cfg = load_config(path, env=ENV, all_secrets=True)
    asana, trello = cfg.sources
    assert asana.projects == HOSTILE and trello.boards == HOSTILE
    assert asana.workspace == 'Work "space" ☕'
    assert asana.written_roles["A"] == ("field:Godkender",)
    assert asana.written_roles["C"] == ()  # 'Rådført "C"' is not "Rådført": only a comment
    assert '# CHECK: people field "Rådført "C"" gives no letter' in text
    assert asana.fields.effort == "Timer ⏱"
    assert trello.base_url == "http://127.0.0.1:9/trello/1"
    assert [p.name for p in cfg.people][: len(HOSTILE)] == list(HOSTILE)
    assert cfg.people[-1].name == "Ævar $ {HOME}"  # ${…} would be read from the environment
    assert cfg.people[-1].accounts == ("trello:aevar",)
    assert cfg.warnings == () and cfg.literal_secrets == ()


def test_comments_stay_comments_whatever_a_name_holds() -> None:
    text = render(hostile_draft())
    for line in text.splitlines():
        assert line.isprintable(), repr(line)
    assert "# Trello, token of me (@me)" in text  # a line break in a name is no new line


def test_no_secret_only_references_to_the_variables(tmp_path: Path) -> None:
    text = render(hostile_draft())
    assert "x-secret-value" not in text
    parsed = tomllib.loads(text)
    for source in parsed["source"]:
        kind = KINDS[source["kind"]]
        for secret in kind.secrets:
            assert source[secret] == "${" + kind.env[secret] + "}"


@pytest.mark.parametrize("code", [*range(0x20), 0x7F, 0xE6, 0x1F680, 0xFEFF, 0x202E])
def test_quote_round_trips_every_control_character_and_beyond(code: int) -> None:
    text = f'a{chr(code)}b\\"c'
    assert tomllib.loads(f"k = {quote(text)}")["k"] == text


def test_a_lone_surrogate_is_written_as_the_replacement_character() -> None:
    quoted = quote("a\udcff")
    assert tomllib.loads(f"k = {quoted}")["k"] == "a\ufffd"


def test_a_comment_is_one_wrapped_line_per_line() -> None:
    lines = comment("x\ny\x1b[31m " + "word " * 40)
    assert all(line.startswith("# ") and len(line) <= 96 for line in lines)
    assert "\x1b" not in "".join(lines)


# -- choosing by number ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "picked"),
    [
        ("1,3-4", [0, 2, 3]),
        ("all", [0, 1, 2, 3, 4]),
        ("none", []),
        (" 2 5 ", [1, 4]),
        ("4-4,4", [3]),
    ],
)
def test_numbers_pick_entries(answer: str, picked: list[int]) -> None:
    assert parse_numbers(answer, 5) == picked


@pytest.mark.parametrize(
    ("answer", "why"), [("6", "not within 1-5"), ("x", "not a number"), ("3-1", "not within")]
)
def test_a_wrong_answer_says_what_is_wrong(answer: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_numbers(answer, 5)


def test_projects_of_two_workspaces_make_a_source_each(tmp_path: Path) -> None:
    home = Space("1", "Nordlys Kaffe", "workspace", "Nordlys Kaffe")
    other = Space("2", "Nordlys Kaffe", "workspace", "2")  # a name two workspaces share: by id
    chosen = [
        Container("p1", "Kampagner", "Kampagner", home),
        Container("p2", "Events", "Events", other),
        Container("p3", "Webshop", "Webshop", home),
    ]
    sources = draft_sources(ASANA, "me", "projects", chosen, {}, seen=3)
    assert [(s.name, [c.id for c in s.containers]) for s in sources] == [
        ("asana-nordlys-kaffe", ["p1", "p3"]),
        ("asana-nordlys-kaffe", ["p2"]),
    ]
    path = tmp_path / "raci.toml"
    path.write_text(render(Draft(tuple(sources))), encoding="utf-8")
    cfg = load_config(path, env=ENV, all_secrets=True)
    assert [(s.name, s.workspace, s.projects) for s in cfg.sources] == [
        ("asana-nordlys-kaffe", "Nordlys Kaffe", ("Kampagner", "Webshop")),
        ("asana-nordlys-kaffe-2", "2", ("Events",)),
    ]
    assert '"Nordlys Kaffe": by id, its name would not find it alone' in path.read_text("utf-8")
