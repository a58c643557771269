"""What `raci fix` writes into a monday item, and where (package-private, pure).

Every letter monday keeps is a people column: R the first people column no ``field:`` of the
source names (or one it names), A and C theirs. One mutation writes it,
``change_multiple_column_values(board_id, item_id, column_values)`` (``SetPeople`` in
``queries.py``), on the item's own board — a subitem's is its subitems board — with
``{column id: {"personsAndTeams": [{"id": <user id>, "kind": "person"}]}}`` as JSON text, or
``{column id: null}`` to empty the column. Its answer is the item after the write.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from raci_sync.connectors.monday.convert import PEOPLE_TYPES, shape
from raci_sync.connectors.writes import PEOPLE, NotWritable, Target
from raci_sync.model import Task

FIRST_PEOPLE_COLUMN = "first_people_column"
WRITE_SCOPE = "boards:write"  # what a monday app's token needs to change items


def write_target(
    raw: Any, refs: Sequence[str], named: Iterable[str], letter: str, task: Task, where: str
) -> Target:
    """The first of the letter's role references that names a people column of the item;
    ``named`` are the column names every ``field:`` of the source gives (the first people
    column is the first one none of them names). NotWritable when no reference fits."""
    columns = _columns(raw, task)
    taken = [n.strip().casefold() for n in named]
    reasons = []
    for ref in refs:
        if ref == FIRST_PEOPLE_COLUMN:
            found = next(
                (c for c in columns if c[2] in PEOPLE_TYPES and not _named(c, taken)), None
            )
            if found is not None:
                return Target(ref, "field", found[0], found[1], PEOPLE)
            reasons.append("the item has no people column (besides those named in the config)")
        elif ref.startswith("field:"):
            name = ref[len("field:") :].strip()
            hits = [c for c in columns if _named(c, [name.casefold()])]
            people = [c for c in hits if c[2] in PEOPLE_TYPES]
            if people:
                return Target(ref, "field", people[0][0], people[0][1], PEOPLE)
            reasons.append(
                f"column {name!r} is a {hits[0][2]} column (raci fix writes people columns)"
                if hits
                else f"the item has no column {name!r}"
                + (" (a subitem has the columns of its subitems board)" if task.parent_id else "")
            )
        else:
            reasons.append(f"{ref} (raci fix does not write it)")
    said = "; ".join(reasons) or "no field is configured for it"
    raise NotWritable(
        f"{where}: {letter} of item {task.id} ({task.title!r}) cannot be written in monday.com: "
        f"{said}",
        source=task.source,
    )


def board_of(raw: Any, task: Task) -> str:
    """The id of the board an item is on (a subitem's: its subitems board)."""
    s = shape(task.source, f"item {task.id}")
    return s.about(f"item {task.id}: its board").ident(s.obj(s.obj(raw).get("board")), "id",
                                                       integers=True)  # fmt: skip


def people_value(column: str, accounts: tuple[str, ...]) -> str:
    """``column_values`` that make a people column hold ``accounts`` (() empties it)."""
    value = (
        {"personsAndTeams": [{"id": int(a), "kind": "person"} for a in accounts]}
        if accounts
        else None
    )
    return json.dumps({column: value})


def _columns(raw: Any, task: Task) -> list[tuple[str, str, str]]:
    """(column id, title, type) of every column value of the item, in order."""
    s = shape(task.source, f"item {task.id}: a column value")
    out = []
    for v in s.objs(shape(task.source, f"item {task.id}").obj(raw).get("column_values") or []):
        column = v.get("column")
        title = s.text(column, "title") if isinstance(column, dict) else None
        out.append((s.ident(v, "id"), title or "", s.text(v, "type") or ""))
    return out


def _named(column: tuple[str, str, str], names: Sequence[str]) -> bool:
    cid, title, _ = column
    return cid.casefold() in names or title.strip().casefold() in names
