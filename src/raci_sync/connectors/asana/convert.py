"""Asana JSON → Task and Account: pure, no I/O; tested against recorded JSON.

A body of the wrong shape raises ResponseError (through :class:`~raci_sync.connectors.shape.Shape`)
naming the source, the object and the field.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from raci_sync.connectors.references import FieldDef
from raci_sync.connectors.shape import Shape
from raci_sync.model import Account, FieldValue, State, Task

KIND = "asana"


@dataclass(frozen=True)
class Ref:
    """An Asana object we resolved: its gid and (when known) its name."""

    gid: str
    name: str | None = None

    @property
    def label(self) -> str:
        return repr(self.name) if self.name else self.gid


def shape(source_name: str, what: str) -> Shape:
    """The reader of one object of an Asana answer."""
    return Shape(source_name, KIND, what)


def task_shape(raw: Any, source_name: str) -> tuple[dict[str, Any], Shape]:
    """A task object and the reader that names it by its gid."""
    task = shape(source_name, "a task").obj(raw)
    return task, shape(source_name, f"task {task.get('gid')!r}")


def account_from_asana(raw: Any, source_name: str) -> Account:
    """A user object (``UserCompact`` or ``UserResponse``) → Account."""
    user = shape(source_name, "a user").obj(raw)
    s = shape(source_name, f"user {user.get('gid')!r}")
    return Account(
        source=source_name,
        id=s.ident(user, "gid"),
        name=s.text(user, "name"),
        email=s.text(user, "email"),
    )


def ref_from_asana(raw: Any, source_name: str, what: str) -> Ref:
    """A compact object (a workspace, a project) → Ref."""
    s = shape(source_name, f"a {what}")
    obj = s.obj(raw)
    return Ref(s.ident(obj, "gid"), s.text(obj, "name"))


def field_def_from_asana(raw: Any, source_name: str, project: Ref) -> FieldDef:
    """A custom field setting of a project (``CustomFieldSettingResponse`` with its
    ``custom_field.name`` and ``.resource_subtype``) → the field's definition."""
    s = shape(source_name, f"a custom field setting of project {project.label}")
    setting = s.obj(raw)
    cf = s.obj(setting.get("custom_field"), "custom_field")
    fs = s.about(f"custom field {cf.get('gid')!r} of project {project.label}")
    return FieldDef(
        name=fs.text(cf, "name") or "",
        id=fs.ident(cf, "gid"),
        type=fs.text(cf, "resource_subtype") or "",
    )


def task_from_asana(
    raw: Any,
    source_name: str,
    *,
    project: Ref | None = None,
    parent: Task | None = None,
    tz: tzinfo = UTC,
) -> Task:
    """A task object (``TaskResponse`` with TASK_FIELDS) → Task.

    ``project`` is the project whose task list held it (container, and the section of that
    project is the group); a subtask outside any project inherits container and group from
    ``parent``, so hat rules about the parent's section apply to its subtasks too. A due or
    start *time* (``due_at``, ``start_at``: UTC instants) is a date in ``tz``, the team's
    zone; a due or start *date* (``due_on``, ``start_on``) is taken as it is.
    """
    task, s = task_shape(raw, source_name)
    gid = s.ident(task, "gid")
    container, container_id, group = _placement(task, s, project, parent)
    parent_ref = ref_at(s, task, "parent")
    return Task(
        source=source_name,
        id=gid,
        title=s.text(task, "name") or "",
        url=s.text(task, "permalink_url"),
        container=container,
        container_id=container_id,
        group=group,
        state=State.DONE if s.flag(task, "completed") else State.OPEN,
        due=_day_of(s, task, "due_at", tz) or _day(s, task, "due_on"),
        start=_day_of(s, task, "start_at", tz) or _day(s, task, "start_on"),
        updated=_moment(s, task, "modified_at"),
        parent_id=parent_ref.gid if parent_ref else (parent.id if parent else None),
        labels=tuple(n for t in s.children(task, "tags") if (n := s.text(t, "name"))),
        fields=(
            FieldValue(
                key="assignee", kind="people", accounts=_gids([ref_at(s, task, "assignee")])
            ),
            FieldValue(
                key="followers",
                kind="people",
                accounts=_gids(ref_at(s, f, None) for f in s.children(task, "followers")),
            ),
            *(
                fv
                for cf in s.children(task, "custom_fields")
                if (fv := _custom_field(cf, source_name, gid)) is not None
            ),
        ),
    )


def ref_at(s: Shape, raw: dict[str, Any], key: str | None) -> Ref | None:
    """A compact object (``{gid, name}``) at ``raw[key]`` (or ``raw`` itself), or None."""
    value = raw if key is None else raw.get(key)
    if value is None:
        return None
    value = s.obj(value, key)
    return Ref(s.ident(value, "gid"), s.text(value, "name"))


def users_in_task(raw: Mapping[str, Any]) -> Iterator[tuple[str, str | None]]:
    """(gid, name) of every user a converted task object refers to (assignee, followers, people
    fields), so accounts missing from the directory can still be listed by name."""
    people: list[Any] = [raw.get("assignee"), *_list(raw.get("followers"))]
    for cf in _list(raw.get("custom_fields")):
        if isinstance(cf, dict):  # only lists of objects: the conversion reports the rest
            people.extend(_list(cf.get("people_value")))
    for p in people:
        if isinstance(p, dict) and isinstance(p.get("gid"), str) and p["gid"]:
            name = p.get("name")
            yield p["gid"], name if isinstance(name, str) else None


def split_names(text: str) -> tuple[str, ...]:
    """``"Mette, Jonas ,"`` → ``("Mette", "Jonas")``."""
    return tuple(n.strip() for n in text.split(",") if n.strip())


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _placement(
    task: dict[str, Any], s: Shape, project: Ref | None, parent: Task | None
) -> tuple[str | None, str | None, str | None]:
    """(container, container_id, group): the membership in ``project``, else the parent's."""
    memberships = s.children(task, "memberships")
    want = project.gid if project else (parent.container_id if parent else None)
    chosen = None
    for m in memberships:
        ref = ref_at(s, m, "project")
        if ref and ref.gid == want:
            chosen = m
            break
    if chosen is None and parent is not None:
        return parent.container, parent.container_id, parent.group
    if chosen is None and memberships:
        chosen = memberships[0]
    if chosen is None:
        return (project.name, project.gid, None) if project else (None, None, None)
    ref = ref_at(s, chosen, "project")
    section = ref_at(s, chosen, "section")
    name = ref.name if ref and ref.name else (project.name if project else None)
    return name, ref.gid if ref else None, section.name if section else None


def _custom_field(raw: Any, source_name: str, task_gid: str) -> FieldValue | None:
    """One custom field value → FieldValue, or None when the field is empty on this task."""
    cf = shape(source_name, f"task {task_gid!r}: a custom field").obj(raw)
    s = shape(source_name, f"task {task_gid!r}: custom field {cf.get('name')!r}")
    base = FieldValue(
        key="field",
        id=s.ident(cf, "gid"),
        title=s.text(cf, "name"),
        kind=s.text(cf, "resource_subtype"),
    )
    kind = base.kind
    if kind == "people":
        accounts = _gids(ref_at(s, p, None) for p in s.children(cf, "people_value"))
        return replace(base, accounts=accounts) if accounts else None
    if kind == "number":
        number = s.number(cf, "number_value")
        return None if number is None else replace(base, number=number)
    if kind == "enum":
        option = ref_at(s, cf, "enum_value")
        return (
            replace(base, text=option.name, names=(option.name,))
            if option and option.name
            else None
        )
    if kind == "multi_enum":
        names = tuple(n for o in s.children(cf, "multi_enum_values") if (n := s.text(o, "name")))
        return replace(base, text=", ".join(names), names=names) if names else None
    if kind == "text":
        text = s.text(cf, "text_value")
        return replace(base, text=text, names=split_names(text)) if text else None
    if kind == "date":
        value = cf.get("date_value")
        if value is None:
            return None
        value = s.obj(value, "date_value")
        text = s.text(value, "date") or s.text(value, "date_time")
        return replace(base, text=text) if text else None
    text = s.text(cf, "display_value")  # formula, reference, and types added later
    return replace(base, text=text) if text else None


def _day(s: Shape, raw: dict[str, Any], key: str) -> date | None:
    return s.day_value(s.text(raw, key), key)


def _moment(s: Shape, raw: dict[str, Any], key: str) -> datetime | None:
    return s.moment_value(s.text(raw, key), key)  # Asana times are UTC when they name no zone


def _day_of(s: Shape, raw: dict[str, Any], key: str, tz: tzinfo) -> date | None:
    """The date of an instant in ``tz`` (at the calendar's edge, its first or last day)."""
    moment = _moment(s, raw, key)
    if moment is None:
        return None
    try:
        return moment.astimezone(tz).date()
    except OverflowError:
        return date.min if moment.year == 1 else date.max


def completed_before(raw: Any, source_name: str, cutoff: datetime) -> bool:
    """Whether a task was completed before ``cutoff`` (the history cutoff, PRODUCT §7): history
    the report cannot use. A completed task without ``completed_at`` is not."""
    task, s = task_shape(raw, source_name)
    if not s.flag(task, "completed"):
        return False
    at = _moment(s, task, "completed_at")
    return at is not None and at < cutoff


def _gids(refs: Iterable[Ref | None]) -> tuple[str, ...]:
    out: list[str] = []
    for r in refs:
        if r is not None and r.gid not in out:
            out.append(r.gid)
    return tuple(out)
