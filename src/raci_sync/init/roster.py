"""The roster drafted from the people each tool lists, merged across tools (PRODUCT §2, §11).

- The same email (case-insensitive) is one person, whichever tools it comes from.
- An account without an email (Trello gives none) joins the one person of exactly its display
  name (whitespace and case folded, as the roster matches names), with a ``# CHECK:`` comment
  for a human to confirm: a name is not proof. Two people of that name: it joins neither, and
  the comment says so.
- Every account is written in the roster's account form (each Kind's ``account_hint``:
  ``kind:username`` where the hint names the username, else ``kind:<id>``), so a sync matches
  it explicitly, before any email or name.

Nothing is guessed silently: every match that is not by email, every name changed to be
written at all, and every pair of people that share a name is said in a comment.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields

from raci_sync.config.settings import normalise_name
from raci_sync.connectors import Kind
from raci_sync.init.toml import ENV_REF, shown
from raci_sync.model import Account

ACCOUNT_ATTRIBUTES = frozenset(f.name for f in fields(Account))


@dataclass
class PersonDraft:
    """One ``[[person]]`` of the drafted roster."""

    name: str
    emails: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # CHECK: comments for a human
    by_name: bool = False  # an account joined it by name only


def account_ref(kind: Kind, account: Account) -> str:
    """``trello:frejan`` / ``asana:1208…``: the account in the roster's form for its kind."""
    form = kind.account_hint.partition(":")[2]
    value = getattr(account, form, None) if form in ACCOUNT_ATTRIBUTES else None
    return f"{kind.name}:{value if isinstance(value, str) and value else account.id}"


def merge_people(found: Iterable[tuple[Kind, Account]]) -> list[PersonDraft]:
    """One draft per person: accounts with an email first (the same email is one person), then
    those without one, each joined to the one person of its exact name or standing alone."""
    accounts = _unique(found)
    people: list[PersonDraft] = []
    by_email: dict[str, PersonDraft] = {}
    for kind, account in accounts:
        email = _email(account)
        if email is None:
            continue
        ref = account_ref(kind, account)
        person = by_email.get(email.casefold())
        if person is None:
            person = PersonDraft(_name(account, kind), emails=[email])
            by_email[email.casefold()] = person
            people.append(person)
        elif account.name and normalise_name(account.name) != normalise_name(person.name):
            person.notes.append(f"{ref} is called {shown(account.name)} in {kind.title}.")
        person.accounts.append(ref)
    for kind, account in accounts:
        if _email(account) is None:
            _join_by_name(people, kind, account)
    _distinct_names(people)
    for person in people:
        person.accounts.sort()
    return people


def _unique(found: Iterable[tuple[Kind, Account]]) -> list[tuple[Kind, Account]]:
    """Each account once (a member of two boards is listed by both)."""
    seen: dict[tuple[str, str], tuple[Kind, Account]] = {}
    for kind, account in found:
        seen.setdefault((kind.name, account.id), (kind, account))
    return list(seen.values())


def _email(account: Account) -> str | None:
    """The account's email, if it is one the config can hold."""
    email = (account.email or "").strip()
    if "@" not in email or ENV_REF.search(email) or any(c.isspace() for c in email):
        return None
    return email


def _name(account: Account, kind: Kind) -> str:
    """The name to write for an account: its display name, else its username, else its id."""
    return (account.name or "").strip() or account.username or f"{kind.name}:{account.id}"


def _join_by_name(people: list[PersonDraft], kind: Kind, account: Account) -> None:
    """An account without an email: joined to the one person of its exact name, or alone."""
    ref = account_ref(kind, account)
    name = _name(account, kind)
    same = [p for p in people if normalise_name(p.name) == normalise_name(name)]
    if len(same) == 1:
        person = same[0]
        person.accounts.append(ref)
        person.by_name = True
        person.notes.append(
            f"CHECK: {ref} ({shown(name)} in {kind.title}, which gives no email) was matched "
            "by name only: confirm it is this person, or move it to a [[person]] of its own."
        )
        return
    alone = PersonDraft(name, accounts=[ref])
    if not account.name:
        alone.notes.append(f"CHECK: {kind.title} gives {ref} no name: write the person's name.")
    if same:
        alone.notes.append(
            f"CHECK: {len(same)} people are named {shown(name)}, so {ref} ({kind.title} gives no "
            "email) was not matched to any: move it to the right [[person]]."
        )
    people.append(alone)


def _distinct_names(people: Sequence[PersonDraft]) -> None:
    """Names the config can hold: unique (two people of one name get their email or account
    added) and without ``${…}``, which the config reader would take for a variable."""
    seen: set[str] = set()
    for person in people:
        original = person.name
        if ENV_REF.search(person.name):
            person.name = ENV_REF.sub(lambda m: "$ {" + m.group(1) + "}", person.name)
            person.notes.append(
                f"CHECK: the name {shown(original)} was written as {shown(person.name)}: the "
                "config reads ${…} as an environment variable."
            )
        if normalise_name(person.name) in seen:
            tag = (person.emails or person.accounts or ["2"])[0]
            person.name = f"{person.name} ({tag})"
            person.notes.append(
                f"CHECK: another person is also named {shown(original)}; this one was written as "
                f"{shown(person.name)} to tell them apart: rename, or merge them if they are one."
            )
        seen.add(normalise_name(person.name))
