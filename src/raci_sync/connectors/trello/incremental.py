"""What an incremental Trello read keeps between syncs and how it merges (pure, no I/O).

``Snapshot.state["boards"]`` keeps each board's name and account ids, and ``["done_lists"]`` the
done lists the kept tasks were converted with: a board whose ``dateLastActivity`` is older than
the last read keeps its tasks and accounts from the previous snapshot (:func:`kept_board`).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from raci_sync.connectors.trello.convert import BoardSummary
from raci_sync.model import Account, Snapshot, Task

OVERLAP = timedelta(seconds=60)  # taken off `since`: clock skew between us and Trello
STATE_KEY = "boards"  # Snapshot.state key: board id → name and account ids (JSON)
SETTINGS_KEY = "done_lists"  # Snapshot.state key: the done lists the kept tasks were made with

Cached = tuple[str, frozenset[str]]  # a board's name and account ids, as the state keeps them


@dataclass(frozen=True)
class BoardRead:
    """What one board contributes to a snapshot: read now, or kept from the previous one."""

    id: str
    name: str
    tasks: tuple[Task, ...]
    accounts: tuple[Account, ...]


def settings_key(done_lists: Iterable[str]) -> str:
    """The config that shapes converted tasks: when it changes, every board is read again."""
    return json.dumps(sorted({d.strip().casefold() for d in done_lists}))


def to_state(reads: Iterable[BoardRead]) -> dict[str, str]:
    """The connector's part of ``Snapshot.state``: each board's name and account ids."""
    boards = {r.id: {"name": r.name, "accounts": [a.id for a in r.accounts]} for r in reads}
    return {STATE_KEY: json.dumps(boards, ensure_ascii=False, separators=(",", ":"))}


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
) -> BoardRead:
    """An unchanged board as the previous snapshot had it (less cards now read elsewhere)."""
    name, account_ids = cached
    wanted = board_id.lower()
    tasks = tuple(
        t for t in previous.tasks if (t.container_id or "").lower() == wanted and t.id not in moved
    )
    accounts = tuple(a for a in previous.accounts if a.id in account_ids)
    return BoardRead(board_id, name, tasks, accounts)


def merge_accounts(reads: Iterable[BoardRead]) -> tuple[Account, ...]:
    """Every board's accounts once; a named account wins over an id-only one."""
    accounts: dict[str, Account] = {}
    for read in reads:
        for account in read.accounts:
            if account.id not in accounts or accounts[account.id].name is None:
                accounts[account.id] = account
    return tuple(accounts.values())
