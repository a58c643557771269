"""What `raci fix` writes into a Trello card, and where (pure, no I/O).

R goes into the card's members, ``POST /cards/{id}/idMembers?value=<member id>`` (``DELETE
/cards/{id}/idMembers/{idMember}`` takes one off again). A letter kept in a custom field goes
through ``PUT /cards/{idCard}/customField/{idCustomField}/item``: a dropdown takes the id of the
option that names the person (``{"idValue": …}``), a text field their name (``{"value":
{"text": …}}``), as the spec's request body has them. Emptying a field uses the form
Atlassian's *Custom Fields* guide gives (``{"idValue": ""}``, ``{"value": ""}``), which the
spec's request schema has no shape for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from raci_sync.connectors.trello.convert import Board, CustomFieldDef
from raci_sync.connectors.trello.queries import CARD_FIELDS
from raci_sync.connectors.writes import DROPDOWN, PEOPLE, TEXT, NotWritable, Target
from raci_sync.model import Task

FIELD_TYPES = {"list": DROPDOWN, "text": TEXT}  # a custom field's type → how it is written
# A token made for reading only: Trello answers a write with 401 and this text.
READ_ONLY_ANSWER = "unauthorized permission requested"
WRITE_SCOPE = "read,write"  # the `scope` a token must be authorized with to write


def one_card_params() -> dict[str, str]:
    """``GET /cards/{id}``: the card as the board's card listing reads it."""
    return {"fields": ",".join(CARD_FIELDS), "customFieldItems": "true"}


def write_target(board: Board, refs: Sequence[str], letter: str, task: Task, where: str) -> Target:
    """The first of the letter's role references that can take a value on this board; a
    NotWritable with every reason when none can."""
    reasons = []
    for ref in refs:
        if ref == "members":
            return Target(ref, "members", type=PEOPLE)
        if not ref.startswith("field:"):
            reasons.append(f"{ref} (raci fix does not write it)")
            continue
        name = ref[len("field:") :].strip()
        found = _field(board, name)
        if found is None:
            reasons.append(f"board {board.name!r} has no custom field {name!r}")
        elif found.type not in FIELD_TYPES:
            reasons.append(f"field {found.name!r} is a {found.type} field (raci fix writes "
                           "dropdown and text fields)")  # fmt: skip
        else:
            return Target(ref, "field", found.id, found.name, FIELD_TYPES[found.type])
    said = "; ".join(reasons) or "no field is configured for it"
    raise NotWritable(
        f"{where}: {letter} of card {task.id} ({task.title!r}) cannot be written in Trello: {said}",
        source=task.source,
    )


def field_body(board: Board, target: Target, names: tuple[str, ...], where: str) -> dict[str, Any]:
    """The body of ``PUT /cards/{idCard}/customField/{idCustomField}/item`` that makes the
    field hold ``names`` (() empties it); NotWritable when no dropdown option names them."""
    if target.type == TEXT:
        return {"value": {"text": ", ".join(names)}} if names else {"value": ""}
    if not names:
        return {"idValue": ""}
    field = board.fields[target.id or ""]
    wanted = {_folded(n) for n in names}
    option = next((oid for oid, text in field.options.items() if _folded(text) in wanted), None)
    if option is None:
        raise NotWritable(
            f"{where}: dropdown {field.name!r} on board {board.name!r} has no option naming "
            f"{' or '.join(repr(n) for n in names)}; add one in Trello, or set it by hand"
        )
    return {"idValue": option}


def _field(board: Board, name: str) -> CustomFieldDef | None:
    for f in board.fields.values():
        if f.id == name or _folded(f.name or "") == _folded(name):
            return f
    return None


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold()
