"""What an incremental monday read keeps and how it merges (package-private, pure).

``Snapshot.state`` carries the board ids, names and subitems boards, each board's columns and
the team members of the last read, so an unchanged incremental read costs one query per board
and checks the config's references against the columns without asking for them; the re-read
items are then merged into the previous snapshot's tasks by id.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from raci_sync.config import FieldsConfig
from raci_sync.connectors.monday.convert import id_or_none
from raci_sync.connectors.references import FieldDef
from raci_sync.model import Task

OVERLAP = timedelta(seconds=60)  # taken off `since`: clock skew between monday and us


def since_value(watermark: datetime) -> list[str]:
    """The ``compare_value`` of the server-side "updated since" rule for ``watermark``.

    monday compares ``__last_updated__`` by day in the token owner's profile time zone, which
    the connector does not know; a zone is at most a day from UTC, so the UTC day before the
    watermark's covers every zone. The read then keeps only items updated at or after the
    watermark (``updated_at`` is an instant).
    """
    day = watermark.astimezone(UTC).date() - timedelta(days=1)
    return ["EXACT", day.isoformat()]


# -- merging an incremental read ----------------------------------------------------------------


def merge_items(
    previous: Sequence[Task], board_ids: Sequence[str], changed: Mapping[str, list[list[Task]]]
) -> list[Task]:
    """The previous tasks of these boards with re-read items put in, board by board.

    ``changed`` maps a board id to re-read items, each ``[item, *its subitems]``. A re-read item
    replaces its old self and all its old subitems where it stood; a new one goes to the end of
    its board; one that moved here from another board leaves the old board.
    """
    moved = {group[0].id for groups in changed.values() for group in groups}
    out: list[Task] = []
    for board_id in board_ids:
        here = {group[0].id: group for group in changed.get(board_id, [])}
        for t in previous:
            if t.container_id != board_id:
                continue
            if t.parent_id is None and t.id in here:
                out.extend(here.pop(t.id))
            elif t.id not in moved and t.parent_id not in moved:
                out.append(t)
        for group in here.values():
            out.extend(group)
    return out


def merge_subitems(tasks: Sequence[Task], subitems: Iterable[Task]) -> list[Task]:
    """Tasks with re-read subitems put in: in place of their old selves, or (new ones) after
    their parent's last subitem."""
    out = list(tasks)
    index = {t.id: i for i, t in enumerate(out)}
    for sub in subitems:
        if sub.id in index:
            out[index[sub.id]] = sub
            continue
        last = max(
            (i for i, t in enumerate(out) if sub.parent_id in (t.id, t.parent_id)), default=None
        )
        if last is None:
            continue  # its parent is not known yet: the next full read brings both
        out.insert(last + 1, sub)
        index = {t.id: i for i, t in enumerate(out)}
    return out


# -- what an incremental read keeps in Snapshot.state --------------------------------------------

STATE_SCOPE = "monday.scope"  # the configured boards and fields the cache was made for
STATE_BOARDS = "monday.boards"  # [[board id, name, subitems board id or ""], ...]
STATE_TEAMS = "monday.teams"  # {team id: [member user ids]}
STATE_COLUMNS = "monday.columns"  # {board id: [[column id, title, type], ...]}


@dataclass(frozen=True)
class BoardRef:
    """A board the connector reads: its id, name and (if it has subitems) subitems board."""

    id: str
    name: str
    subitems_board: str | None = None


@dataclass(frozen=True)
class Cache:
    """Board ids and team members from the last read, so an incremental read needs neither a
    board listing nor a directory query."""

    boards: tuple[BoardRef, ...]
    teams: dict[str, tuple[str, ...]]
    columns: Mapping[str, tuple[FieldDef, ...]] = field(default_factory=dict)  # by board id


def scope_key(boards: Sequence[str] | None, fields: FieldsConfig) -> str:
    """What the cache depends on: another config means another (full) read."""
    return json.dumps(
        {"boards": list(boards) if boards else None, "fields": [fields.due, fields.status]}
    )


def to_state(scope: str, cache: Cache) -> dict[str, str]:
    """The cache as Snapshot.state entries (string values only)."""
    return {
        STATE_SCOPE: scope,
        STATE_BOARDS: json.dumps([[b.id, b.name, b.subitems_board or ""] for b in cache.boards]),
        STATE_TEAMS: json.dumps({k: list(v) for k, v in cache.teams.items()}, sort_keys=True),
        STATE_COLUMNS: json.dumps(
            {b: [[c.id, c.name, c.type] for c in cols] for b, cols in cache.columns.items()},
            ensure_ascii=False,
        ),
    }


def from_state(state: Mapping[str, str], scope: str) -> Cache | None:
    """The cache kept in a snapshot's state, or None when missing, stale or unreadable."""
    if state.get(STATE_SCOPE) != scope:
        return None
    try:
        boards = tuple(
            BoardRef(str(i), str(n), str(s) or None) for i, n, s in json.loads(state[STATE_BOARDS])
        )
        raw_teams = json.loads(state[STATE_TEAMS])
        teams = {str(k): tuple(str(u) for u in v) for k, v in raw_teams.items()}
        columns = {
            str(b): tuple(FieldDef(name=str(n), id=str(i), type=str(t)) for i, n, t in cols)
            for b, cols in json.loads(state[STATE_COLUMNS]).items()
        }
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    if not boards or any(b.id not in columns for b in boards):
        return None  # made before columns were kept: a full read
    return Cache(boards, teams, columns)


def subitems_board_of(raw_items: Iterable[dict[str, Any]]) -> str | None:
    """The subitems board id that the items' subitems name (``subitems { board { id } }``).

    Runs on raw items before their conversion, so malformed parts are skipped here (the
    conversion reports them)."""
    for item in raw_items:
        subs = item.get("subitems") if isinstance(item, dict) else None
        for sub in subs if isinstance(subs, list) else []:
            board = sub.get("board") if isinstance(sub, dict) else None
            board_id = id_or_none(board) if isinstance(board, dict) else None
            if board_id is not None:
                return board_id
    return None


def rename_container(tasks: Iterable[Task], board: BoardRef) -> list[Task]:
    """Tasks of a board that was renamed carry its new name."""
    return [
        replace(t, container=board.name)
        if t.container_id == board.id and t.container != board.name
        else t
        for t in tasks
    ]
