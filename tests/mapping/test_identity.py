"""Identity: roster accounts, emails, names; unmatched accounts and free-text names."""

from __future__ import annotations

from raci_sync.config import PersonConfig
from raci_sync.mapping.identity import Directory, normalise_name, unmatched_accounts
from raci_sync.model import Account, Assignment, UnmatchedAccount
from tests.mapping import ROSTER, TRELLO_ACCOUNTS

KINDS = {"indhold": "trello", "kampagne": "asana", "planer": "monday"}


def directory(accounts=TRELLO_ACCOUNTS, roster=ROSTER, default_capacity=10.0) -> Directory:
    return Directory(roster, accounts, KINDS, default_capacity)


def test_roster_account_by_username_case_insensitive() -> None:
    d = directory(accounts=(Account("indhold", "t1", "M. S.", "MetteSorensen"),))
    person = d.for_account("indhold", "t1")
    assert person.key == "roster:Mette Sørensen"
    assert person.matched


def test_roster_account_by_id() -> None:
    roster = (PersonConfig("Sofie Lund", accounts=("asana:1204567890123456",)),)
    d = directory(accounts=(Account("kampagne", "1204567890123456", "S"),), roster=roster)
    assert d.for_account("kampagne", "1204567890123456").name == "Sofie Lund"


def test_roster_account_needs_the_sources_kind() -> None:
    """``trello:jonaskr`` says nothing about an Asana account that happens to be 'jonaskr'."""
    d = directory(accounts=(Account("kampagne", "jonaskr", "J"),))
    assert not d.for_account("kampagne", "jonaskr").matched


def test_email_matches_case_insensitively() -> None:
    d = directory(accounts=(Account("kampagne", "99", "S. Lund", email="Sofie@NordlysKaffe.DK"),))
    assert d.for_account("kampagne", "99").name == "Sofie Lund"


def test_explicit_account_wins_over_email() -> None:
    d = directory(accounts=(Account("indhold", "t9", None, "frejan", "jonas@nordlyskaffe.dk"),))
    assert d.for_account("indhold", "t9").name == "Freja Nørgaard"


def test_exact_display_name_with_whitespace_and_case_folded() -> None:
    d = directory(accounts=(Account("planer", "5", "  anders   HOLM "),))
    assert d.for_account("planer", "5").key == "roster:Anders Holm"


def test_partial_name_is_not_guessed() -> None:
    d = directory(accounts=(Account("planer", "6", "Anders"),))
    person = d.for_account("planer", "6")
    assert not person.matched
    assert person.key == "planer:6"


def test_unmatched_account_stands_for_itself() -> None:
    d = directory()
    person = d.for_account("indhold", "t-kasper")
    assert person.key == "indhold:t-kasper"
    assert person.name == "Kasper Vinther"
    assert person.matched is False
    assert person.capacity == 10.0
    assert d.origin(person).account == "kasperfoto"


def test_unknown_account_id_gets_a_bare_person() -> None:
    person = directory().for_account("indhold", "t-ghost")
    assert (person.key, person.name, person.matched) == ("indhold:t-ghost", "t-ghost", False)


def test_unmatched_name_falls_back_to_username() -> None:
    d = directory(accounts=(Account("indhold", "t7", None, "kasperfoto"),))
    assert d.for_account("indhold", "t7").name == "kasperfoto"


def test_no_roster_makes_everyone_unmatched() -> None:
    d = directory(roster=())
    person = d.for_account("indhold", "t-mette")
    assert not d.has_roster
    assert person.key == "indhold:t-mette"
    assert person.name == "Mette Sørensen"
    assert not person.matched


def test_free_text_name_matches_roster_by_name() -> None:
    assert directory().for_name("indhold", "Sofie  Lund").key == "roster:Sofie Lund"


def test_free_text_name_goes_through_an_account() -> None:
    d = directory()
    # "Freja N" is the Trello display name of the account frejan → roster Freja.
    assert d.for_name("indhold", "Freja N").key == "roster:Freja Nørgaard"
    # Kasper's account name → the same unmatched person as his account.
    assert d.for_name("indhold", "Kasper Vinther").key == "indhold:t-kasper"
    assert d.for_name("indhold", "@kasperfoto").key == "indhold:t-kasper"


def test_free_text_name_with_no_match_is_an_unmatched_name() -> None:
    d = directory()
    person = d.for_name("indhold", "Line Bech")
    assert person.key == "indhold:name:Line Bech"
    assert not person.matched
    assert d.for_name("indhold", "line bech") is person


def test_free_text_name_ambiguous_between_accounts_is_not_guessed() -> None:
    accounts = (Account("indhold", "a", "Lars Hansen"), Account("indhold", "b", "Lars Hansen"))
    assert directory(accounts=accounts).for_name("indhold", "Lars Hansen").key == (
        "indhold:name:Lars Hansen"
    )


def test_capacity_from_roster_else_default() -> None:
    roster = (PersonConfig("A", capacity=6), PersonConfig("B"))
    assert [p.capacity for p in directory(roster=roster, default_capacity=8).roster] == [6, 8]
    assert directory(roster=roster, default_capacity=None).roster[1].capacity is None


def test_wearing_a_hat() -> None:
    names = [p.name for p in directory().wearing("Content-Producer")]
    assert names == ["Anders Holm", "Freja Nørgaard"]


def test_normalise_name_folds_unicode_forms() -> None:
    assert normalise_name("Nørgaard") == normalise_name("NØRGAARD")
    assert normalise_name("Se\u0301bastien") == normalise_name("Sébastien")


def _assign(person: str, task_id: str, letter: str = "R") -> Assignment:
    return Assignment("indhold", task_id, person, person, letter, "members")


def test_unmatched_accounts_counts_tasks() -> None:
    d = directory()
    kasper = d.for_account("indhold", "t-kasper")
    line = d.for_name("indhold", "Line Bech")
    mette = d.for_account("indhold", "t-mette")
    assignments = [
        _assign(kasper.key, "1"),
        _assign(kasper.key, "1", "C"),
        _assign(kasper.key, "2"),
        _assign(line.key, "3", "C"),
        _assign(mette.key, "3", "A"),
    ]
    assert unmatched_accounts(assignments, d) == (
        UnmatchedAccount("indhold", "kasperfoto", "Kasper Vinther", 2),
        UnmatchedAccount("indhold", "Line Bech", "Line Bech", 1),
    )


def test_unmatched_accounts_empty_without_roster() -> None:
    d = directory(roster=())
    kasper = d.for_account("indhold", "t-kasper")
    assert unmatched_accounts([_assign(kasper.key, "1")], d) == ()
