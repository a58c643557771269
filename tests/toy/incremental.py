"""What an incremental toy read keeps between syncs (pure, no I/O).

``Snapshot.state`` keeps the config the snapshot was read with and each list's id and name; a
list whose ``updated`` is not after the last read keeps its tasks from the previous snapshot.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from raci_sync.model import Snapshot, Task
from tests.toy.convert import ToyList

OVERLAP = timedelta(seconds=60)  # taken off `since`: clock skew between us and the API
STATE_CONFIG = "toy.config"
STATE_LISTS = "toy.lists"


def to_state(config: str, lists: Sequence[ToyList]) -> dict[str, str]:
    """The connector's part of ``Snapshot.state`` (strings only)."""
    names = {t.id: t.name for t in lists}
    return {STATE_CONFIG: config, STATE_LISTS: json.dumps(names, ensure_ascii=False)}


def from_state(state: Mapping[str, str], config: str) -> dict[str, str] | None:
    """List id → name from a previous snapshot of this config; None when missing or damaged."""
    if state.get(STATE_CONFIG) != config:
        return None
    try:
        raw = json.loads(state[STATE_LISTS])
        return {str(i): str(n) for i, n in raw.items()}
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def list_changed(toy_list: ToyList, cached: Mapping[str, str], cutoff: datetime) -> bool:
    """Whether a list must be read again: new, renamed, changed after ``cutoff`` or unknown."""
    if toy_list.id not in cached or cached[toy_list.id] != toy_list.name:
        return True
    return toy_list.updated is None or toy_list.updated > cutoff


def kept_tasks(previous: Snapshot, list_id: str) -> list[Task]:
    """The tasks of an unchanged list, as the previous snapshot has them."""
    return [t for t in previous.tasks if t.container_id == list_id]
