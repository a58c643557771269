"""Toy JSON → Task, Account and list: pure, no I/O; a wrong shape is a ResponseError."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from raci_sync.connectors.shape import Shape
from raci_sync.model import Account, FieldValue, State, Task

KIND = "toy"


@dataclass(frozen=True)
class ToyList:
    """A list: the toy's container of tasks, and when one of its tasks last changed."""

    id: str
    name: str
    updated: datetime | None = None


def shape(source_name: str, what: str) -> Shape:
    """The reader of one object of a toy answer."""
    return Shape(source_name, KIND, what)


def list_from_toy(raw: Any, source_name: str) -> ToyList:
    """``{"id", "name", "updated"}`` → ToyList."""
    s = shape(source_name, "a list")
    obj = s.obj(raw)
    s = s.about(f"list {obj.get('id')!r}")
    return ToyList(s.ident(obj), s.text(obj, "name") or "", s.moment(obj, "updated"))


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
    """A task ``{"id", "title", "done", "owner", "updated"}`` of ``toy_list`` → Task; the owner
    is the people field ``owner`` (always present, empty when nobody owns the task)."""
    s = shape(source_name, f"a task of list {toy_list.name!r}")
    obj = s.obj(raw)
    s = s.about(f"task {obj.get('id')!r}")
    owner = s.text(obj, "owner")
    return Task(
        source=source_name,
        id=s.ident(obj),
        title=s.text(obj, "title") or "",
        container=toy_list.name,
        container_id=toy_list.id,
        state=State.DONE if s.flag(obj, "done") else State.OPEN,
        updated=s.moment(obj, "updated"),
        fields=(FieldValue(key="owner", kind="people", accounts=(owner,) if owner else ()),),
    )
