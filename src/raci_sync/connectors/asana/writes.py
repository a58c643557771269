"""What `raci fix` writes into an Asana task, and where (pure, no I/O).

One request per write, ``PUT /tasks/{task_gid}`` (updateTask) with a ``TaskUpdateRequest`` in
``data``: ``assignee`` (a user gid, or null) for R, ``custom_fields`` ``{field gid: value}`` for
a letter kept in a custom field — a people field takes an array of user gids, a text field the
person's name (the spec's description of ``custom_fields``: "either an enum GID, string,
number, object, or array (depending on the custom field type)"). A custom field is on a task
only through a project that has it: a subtask outside every project has none, so its
Accountable cannot be set in Asana (:class:`NotWritable`, said, never guessed).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from raci_sync.connectors.asana.convert import shape
from raci_sync.connectors.writes import PEOPLE, TEXT, NotWritable, Target
from raci_sync.model import Task

FIELD_TYPES = {"people": PEOPLE, "text": TEXT}  # resource_subtype → how a value is written


def write_target(raw: Any, refs: Sequence[str], letter: str, task: Task, where: str) -> Target:
    """The first of the letter's role references that this task can take a value in;
    NotWritable with every reason when none can (``where`` names the source)."""
    reasons = []
    for ref in refs:
        if ref == "assignee":
            return Target(ref, "assignee")
        if not ref.startswith("field:"):
            reasons.append(f"{ref} (raci fix does not write it)")
            continue
        target, reason = _field_target(raw, ref, task, where)
        if target is not None:
            return target
        reasons.append(reason)
    said = "; ".join(reasons) or "no field is configured for it"
    raise NotWritable(
        f"{where}: {letter} of task {task.id} ({task.title!r}) cannot be written in Asana: {said}",
        source=task.source,
    )


def _field_target(raw: Any, ref: str, task: Task, where: str) -> tuple[Target | None, str]:
    name = ref[len("field:") :].strip()
    task_raw = shape(task.source, f"task {task.id!r}").obj(raw)
    s = shape(task.source, f"task {task.id!r}: a custom field")
    for cf in s.children(task_raw, "custom_fields"):
        gid, title = s.ident(cf, "gid"), s.text(cf, "name") or ""
        if gid != name and title.strip().casefold() != name.casefold():
            continue
        subtype = s.text(cf, "resource_subtype") or ""
        if subtype in FIELD_TYPES:
            return Target(ref, "field", gid, title, FIELD_TYPES[subtype]), ""
        return (
            None,
            f"field {title!r} is a {subtype} field (raci fix writes people and text fields)",
        )
    if task.parent_id is not None:
        return None, (
            f"the task has no field {name!r}: it is a subtask, and a subtask outside the project "
            "has none of the project's custom fields"
        )
    return None, f"the task has no field {name!r} (its project does not have it)"


def write_body(target: Target, values: tuple[str, ...]) -> dict[str, Any]:
    """The ``data`` of ``PUT /tasks/{task_gid}`` that makes ``target`` hold ``values`` (account
    gids for people, names for text; () empties it)."""
    if target.key == "assignee":
        return {"assignee": values[0] if values else None}
    assert target.id is not None
    value: Any = list(values) if target.type == PEOPLE else ", ".join(values)
    return {"custom_fields": {target.id: value}}
