"""Toy JSON → Task, Account and list: pure, no I/O; a wrong shape is a ResponseError."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from raci_sync.connectors.references import FieldDef
from raci_sync.connectors.shape import Shape
from raci_sync.model import Account, FieldValue, State, Task

KIND = "toy"


@dataclass(frozen=True)
class ToyList:
    """A list: the toy's container of tasks, when one of its tasks last changed, its fields."""

    id: str
    name: str
    updated: datetime | None = None
    fields: tuple[FieldDef, ...] = ()


def shape(source_name: str, what: str) -> Shape:
    """The reader of one object of a toy answer."""
    return Shape(source_name, KIND, what)


def list_from_toy(raw: Any, source_name: str) -> ToyList:
    """``{"id", "name", "updated", "fields": [{"id", "name", "type"}]}`` → ToyList."""
    s = shape(source_name, "a list")
    obj = s.obj(raw)
    s = s.about(f"list {obj.get('id')!r}")
    fields = tuple(
        FieldDef(name=s.text(f, "name") or "", id=s.ident(f), type=s.text(f, "type") or "")
        for f in s.children(obj, "fields")
    )
    return ToyList(s.ident(obj), s.text(obj, "name") or "", s.moment(obj, "updated"), fields)


def account_from_toy(raw: Any, source_name: str) -> Account:
    """A person ``{"id", "name", "email"}`` → Account."""
    s = shape(source_name, "a person")
    obj = s.obj(raw)
    s = s.about(f"person {obj.get('id')!r}")
    return Account(
        source=source_name,
        id=s.ident(obj),
        name=s.text(obj, "name"),
        email=s.text(obj, "email"),
    )


def task_from_toy(raw: Any, source_name: str, toy_list: ToyList) -> Task:
    """A task ``{"id", "title", "done", "owner", "updated", "values"}`` of ``toy_list`` → Task;
    the owner is the people field ``owner`` (always present, empty when nobody owns the task),
    ``values`` holds a person id or a number per field of the list."""
    s = shape(source_name, f"a task of list {toy_list.name!r}")
    obj = s.obj(raw)
    s = s.about(f"task {obj.get('id')!r}")
    owner = s.text(obj, "owner")
    values = s.obj(obj.get("values") or {}, "values")
    return Task(
        source=source_name,
        id=s.ident(obj),
        title=s.text(obj, "title") or "",
        container=toy_list.name,
        container_id=toy_list.id,
        state=State.DONE if s.flag(obj, "done") else State.OPEN,
        updated=s.moment(obj, "updated"),
        fields=(
            FieldValue(key="owner", kind="people", accounts=(owner,) if owner else ()),
            *(field_value(d, values, s) for d in toy_list.fields),
        ),
    )


def field_value(field: FieldDef, values: dict[str, Any], s: Shape) -> FieldValue:
    """One field of a task: a person id (``people``) or a number."""
    value = FieldValue(key="field", id=field.id, title=field.name, kind=field.type)
    if field.type == "people":
        person = s.text(values, field.id)
        return replace(value, accounts=(person,) if person else ())
    return replace(value, number=s.number(values, field.id))
