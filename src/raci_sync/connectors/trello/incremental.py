"""What an incremental Trello read keeps between syncs and how it merges (pure, no I/O).

``Snapshot.state["boards"]`` keeps each board's name and account ids, ``["trello.definitions"]``
its custom fields and list names (what the config's references must resolve on), and
``["done_lists"]`` the done lists the kept tasks were converted with: a board whose
``dateLastActivity`` is older than the last read keeps its tasks and accounts from the previous
snapshot (:func:`kept_board`).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from raci_sync.connectors.references import FieldDef
from raci_sync.connectors.trello.convert import BoardSummary
from raci_sync.model import Account, Snapshot, Task

OVERLAP = timedelta(seconds=60)  # taken off `since`: clock skew between us and Trello
STATE_KEY = "boards"  # Snapshot.state key: board id → name and account ids (JSON)
# Snapshot.state key: board id → its custom fields and list names (JSON), from its last read:
# an incremental read checks the config's references of a kept board against them
DEFINITIONS_KEY = "trello.definitions"
SETTINGS_KEY = "done_lists"  # Snapshot.state key: the done lists the kept tasks were made with

Cached = tuple[str, frozenset[str]]  # a board's name and account ids, as the state keeps them


@dataclass(frozen=True)
class Definitions:
    """What a board defines that the config's references name: custom fields, list names."""

    fields: tuple[FieldDef, ...] = ()
    lists: tuple[str, ...] = ()


@dataclass(frozen=True)
class BoardRead:
    """What one board contributes to a snapshot: read now, or kept from the previous one."""

    id: str
    name: str
    tasks: tuple[Task, ...]
    accounts: tuple[Account, ...]
    definitions: Definitions | None = None  # None: not known (a kept board of an old snapshot)


def settings_key(done_lists: Iterable[str]) -> str:
    """The config that shapes converted tasks: when it changes, every board is read again."""
    return json.dumps(sorted({d.strip().casefold() for d in done_lists}))


def to_state(reads: Iterable[BoardRead]) -> dict[str, str]:
    """The connector's part of ``Snapshot.state``: each board's name and account ids, and its
    definitions where known."""
    reads = list(reads)
    boards = {r.id: {"name": r.name, "accounts": [a.id for a in r.accounts]} for r in reads}
    defs = {
        r.id: {
            "fields": [[f.name, f.id, f.type] for f in r.definitions.fields],
            "lists": list(r.definitions.lists),
        }
        for r in reads
        if r.definitions is not None
    }
    return {STATE_KEY: _compact(boards), DEFINITIONS_KEY: _compact(defs)}


def _compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def definitions_from_state(state: Mapping[str, str]) -> dict[str, Definitions]:
    """Board id → its cached definitions; {} when missing or unreadable (those boards are then
    read again, so their references are checked against what they define now)."""
    try:
        raw = json.loads(state.get(DEFINITIONS_KEY) or "{}")
        out = {}
        for board_id, d in raw.items():
            fields = tuple(FieldDef(*_strings(f, 3)) for f in d["fields"])
            out[str(board_id)] = Definitions(fields, tuple(_strings(d["lists"], None)))
        return out
    except (ValueError, TypeError, KeyError, AttributeError):
        return {}


def _strings(value: object, n: int | None) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"not a list of strings: {value!r}")
    if n is not None and len(value) != n:
        raise ValueError(f"not {n} strings: {value!r}")
    return value


def from_state(state: Mapping[str, str]) -> dict[str, Cached]:
    """Board id → (name, account ids) from a previous snapshot's state; {} when unreadable
    (an older snapshot, or a damaged store: every board is then read again)."""
    try:
        raw = json.loads(state.get(STATE_KEY) or "{}")
        return {
            str(i): (str(b["name"]), frozenset(str(a) for a in b["accounts"]))
            for i, b in raw.items()
        }
    except (ValueError, TypeError, KeyError, AttributeError):
        return {}


def board_changed(summary: BoardSummary | None, cached: Cached | None, cutoff: datetime) -> bool:
    """Whether a board must be read again: new to the snapshot, renamed, active after
    ``cutoff``, or of unknown activity."""
    if cached is None or summary is None or summary.last_activity is None:
        return True
    return summary.name != cached[0] or summary.last_activity > cutoff


def kept_board(
    board_id: str,
    cached: Cached,
    previous: Snapshot,
    moved: Collection[str] = (),
    definitions: Definitions | None = None,
) -> BoardRead:
    """An unchanged board as the previous snapshot had it (less cards now read elsewhere)."""
    name, account_ids = cached
    wanted = board_id.lower()
    tasks = tuple(
        t for t in previous.tasks if (t.container_id or "").lower() == wanted and t.id not in moved
    )
    accounts = tuple(a for a in previous.accounts if a.id in account_ids)
    return BoardRead(board_id, name, tasks, accounts, definitions)


def merge_accounts(reads: Iterable[BoardRead]) -> tuple[Account, ...]:
    """Every board's accounts once; a named account wins over an id-only one."""
    accounts: dict[str, Account] = {}
    for read in reads:
        for account in read.accounts:
            if account.id not in accounts or accounts[account.id].name is None:
                accounts[account.id] = account
    return tuple(accounts.values())
