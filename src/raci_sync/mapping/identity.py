"""Who is who: one Person per human across tools, built from the roster and the accounts.

Matching order for an account (PRODUCT §2): an explicit roster account ``kind:id-or-username``
→ an email of the roster (case-insensitive) → the exact display name (whitespace and case
normalised). Anything else is *unmatched*: it stands for itself as
``Person(key="<source>:<account id>", matched=False)`` and is reported, never guessed.

Free-text names (Trello text/dropdown fields that name people) resolve to a roster person by
exact name, else to the one account of that source whose name or username equals the text,
else to an unmatched ``Person(key="<source>:name:<name>")``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from raci_sync.config import PersonConfig
from raci_sync.model import Account, Assignment, Person, UnmatchedAccount


def normalise_name(text: str) -> str:
    """Fold a display name for comparison: NFC, collapsed whitespace, case-insensitive."""
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


def roster_person(entry: PersonConfig, default_capacity: float | None) -> Person:
    """The Person of one roster entry; capacity falls back to ``default_capacity``."""
    capacity = entry.capacity if entry.capacity is not None else default_capacity
    return Person(
        key=f"roster:{entry.name}",
        name=entry.name,
        emails=entry.emails,
        accounts=entry.accounts,
        hats=entry.hats,
        capacity=capacity,
        away=entry.away,
    )


@dataclass(frozen=True)
class UnmatchedIdentity:
    """Where an unmatched Person came from: its source and the account or name it stands for."""

    source: str
    account: str  # username if the tool has one, else the account id; the text for names
    name: str | None
    email: str | None = None
    from_text: bool = False  # a free-text name in a field, not an account


class Directory:
    """Resolves source accounts and free-text names to People (roster first, never guessed)."""

    def __init__(
        self,
        people: Sequence[PersonConfig],
        accounts: Iterable[Account],
        kinds: Mapping[str, str],
        default_capacity: float | None = None,
    ) -> None:
        self.roster: tuple[Person, ...] = tuple(roster_person(p, default_capacity) for p in people)
        self.kinds = dict(kinds)
        self.default_capacity = default_capacity
        self._accounts: dict[tuple[str, str], Account] = {}
        for account in accounts:
            self._accounts.setdefault((account.source, account.id), account)
        self._by_name = {normalise_name(p.name): p for p in self.roster}
        self._resolved: dict[tuple[str, str], Person] = {}
        self._unmatched: dict[str, UnmatchedIdentity] = {}
        self._people: dict[str, Person] = {p.key: p for p in self.roster}

    @property
    def has_roster(self) -> bool:
        """True when the config has at least one ``[[person]]``."""
        return bool(self.roster)

    def account(self, source: str, account_id: str) -> Account:
        """The Account with this id, or a bare one when the source did not list it."""
        return self._accounts.get((source, account_id)) or Account(source=source, id=account_id)

    def for_account(self, source: str, account_id: str) -> Person:
        """The Person an account of ``source`` stands for."""
        cache_key = (source, account_id)
        if cache_key not in self._resolved:
            account = self.account(source, account_id)
            person = self.match_account(account)
            if person is None:
                person = self._unmatched_person(
                    key=f"{source}:{account_id}",
                    name=account.name or account.username or account_id,
                    origin=UnmatchedIdentity(
                        source, account.username or account_id, account.name, account.email
                    ),
                )
            self._resolved[cache_key] = person
        return self._resolved[cache_key]

    def for_name(self, source: str, name: str) -> Person:
        """The Person a free-text name in a field of ``source`` stands for."""
        text = " ".join(name.split())
        cache_key = (source, "name:" + normalise_name(text))
        if cache_key not in self._resolved:
            person = self.roster_by_name(text)
            if person is None:
                account = self._account_named(source, text)
                if account is not None:
                    person = self.for_account(source, account.id)
            if person is None:
                person = self._unmatched_person(
                    key=f"{source}:name:{text}",
                    name=text,
                    origin=UnmatchedIdentity(source, text, text, from_text=True),
                )
            self._resolved[cache_key] = person
        return self._resolved[cache_key]

    def match_account(self, account: Account) -> Person | None:
        """The roster person for an account: explicit account → email → display name."""
        return (
            self._match_roster_account(account)
            or self._match_email(account.email)
            or (self.roster_by_name(account.name) if account.name else None)
        )

    def roster_by_name(self, name: str) -> Person | None:
        """The roster person with exactly this display name (whitespace and case folded)."""
        return self._by_name.get(normalise_name(name))

    def wearing(self, hat: str) -> tuple[Person, ...]:
        """Roster people who wear ``hat`` (case-insensitive), in roster order."""
        wanted = hat.strip().casefold()
        return tuple(p for p in self.roster if any(h.casefold() == wanted for h in p.hats))

    def origin(self, person: Person) -> UnmatchedIdentity | None:
        """Where an unmatched Person came from; None for roster people."""
        return self.origin_of(person.key)

    def origin_of(self, key: str) -> UnmatchedIdentity | None:
        """Where the unmatched Person with this key came from; None for roster people."""
        return self._unmatched.get(key)

    def person(self, key: str) -> Person | None:
        """The Person with this key, if it is on the roster or has been resolved."""
        return self._people.get(key)

    def _unmatched_person(self, key: str, name: str, origin: UnmatchedIdentity) -> Person:
        if key not in self._people:
            self._unmatched[key] = origin
            self._people[key] = Person(
                key=key, name=name, capacity=self.default_capacity, matched=False
            )
        return self._people[key]

    def _match_roster_account(self, account: Account) -> Person | None:
        kind = self.kinds.get(account.source)
        if kind is None:
            return None
        idents = {account.id.casefold()}
        if account.username:
            idents.add(account.username.casefold())
        for person in self.roster:
            for ref in person.accounts:
                ref_kind, _, ident = ref.partition(":")
                if ref_kind == kind and ident.strip().casefold() in idents:
                    return person
        return None

    def _match_email(self, email: str | None) -> Person | None:
        if not email:
            return None
        wanted = email.strip().casefold()
        for person in self.roster:
            if any(e.strip().casefold() == wanted for e in person.emails):
                return person
        return None

    def _account_named(self, source: str, text: str) -> Account | None:
        """The one account of ``source`` whose name or username is ``text``; None if 0 or 2+."""
        wanted = normalise_name(text)
        handle = wanted.removeprefix("@")
        found = [
            a
            for (src, _), a in self._accounts.items()
            if src == source
            and (
                (a.name and normalise_name(a.name) == wanted)
                or (a.username and a.username.casefold() == handle)
            )
        ]
        return found[0] if len(found) == 1 else None


def unmatched_accounts(
    assignments: Iterable[Assignment], directory: Directory
) -> tuple[UnmatchedAccount, ...]:
    """Unmatched accounts and names holding a letter, with their task counts (roster only).

    Without a roster everyone is unmatched, so nobody is listed.
    """
    if not directory.has_roster:
        return ()
    tasks: dict[str, set[tuple[str, str]]] = {}
    for a in assignments:
        tasks.setdefault(a.person, set()).add((a.source, a.task_id))
    out = []
    for key, held in tasks.items():
        origin = directory.origin_of(key)
        if origin is not None:
            out.append(UnmatchedAccount(origin.source, origin.account, origin.name, len(held)))
    return tuple(sorted(out, key=lambda u: (u.source, -u.tasks, (u.name or u.account).casefold())))
