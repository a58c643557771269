"""What `raci fix` asks of a connector: read one task again, write one role on it, and put
back what was there (PRODUCT §11, §12 "Suggestions and fixes").

A connector that can write fills :class:`Writer` beside its :class:`~.base.Connector` methods.
Every write goes through the source's :class:`~.http.HttpClient` (its rate limiter, deadline and
error mapping), is shaped by the vendor's spec, and is followed by reading the task back: the
:class:`Written` it returns holds the task as the tool has it after the write, so the store can
keep exactly that. A connector never writes into a field that holds someone (:class:`Occupied`),
and puts a value back only where the field still holds what raci wrote (:class:`Changed`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from raci_sync.config import SourceConfig
from raci_sync.connectors import KINDS
from raci_sync.errors import ResponseError, SourceError
from raci_sync.model import Snapshot, Task

# How a field takes a value: account ids (people fields, assignee, card members, people
# columns), a dropdown option that names the person, or their name as text.
PEOPLE, DROPDOWN, TEXT = "people", "dropdown", "text"


@dataclass(frozen=True)
class Target:
    """The field a letter is written into on one task."""

    ref: str  # the role reference of the config: assignee, members, field:Accountable, …
    key: str  # the FieldValue.key the field reads back as: assignee, members or field
    id: str | None = None  # the custom field or column id (key "field")
    title: str | None = None  # its name in the tool
    type: str = PEOPLE  # PEOPLE, DROPDOWN or TEXT

    def values(self, task: Task) -> tuple[str, ...]:
        """What the field holds on ``task``: account ids, or the names a dropdown or text
        field gives; () when it is empty."""
        for f in task.fields:
            if f.key == self.key and (self.key != "field" or f.id == self.id):
                return f.accounts if self.type == PEOPLE else f.names
        return ()

    def held(self, task: Task) -> tuple[str, ...]:
        """What the field holds as a person would see it: :meth:`values`, else its text when
        it has any (a monday team nobody is in yet, an agent: a column that holds no account
        but is not empty); () only when it is empty."""
        values = self.values(task)
        if values:
            return values
        for f in task.fields:
            if f.key == self.key and (self.key != "field" or f.id == self.id):
                return (f.text.strip(),) if f.text and f.text.strip() else ()
        return ()

    @property
    def label(self) -> str:
        """``the assignee``, ``field 'Accountable'``: the field, as messages name it."""
        if self.key == "field":
            return f"field {self.title or self.id!r}"
        return f"the {self.key}"


@dataclass(frozen=True)
class Who:
    """The person a role is given to, as one tool knows them."""

    account: str  # their account id in the source
    names: tuple[str, ...]  # roster name first, then the account's name and username


@dataclass(frozen=True)
class Written:
    """One write done: the task read back after it, the field, and its values before and
    after (account ids, or names for a dropdown or text field). A write the tool took is a
    Written even when reading the task back failed (``unread``): it must be recorded, so that
    an undo can put it back."""

    task: Task
    target: Target
    before: tuple[str, ...]
    after: tuple[str, ...]
    # Why the task could not be read back after the write, which the tool took: then ``task``
    # is the version read before it and ``after`` what was written (not to be stored as read).
    unread: str = ""


class NotWritable(SourceError):
    """The role cannot be written on this task (no writable field for the letter, a field of a
    type raci does not write, a subtask without the project's fields, a dropdown with no
    option naming the person). Nothing was sent."""


class Occupied(SourceError):
    """The field holds someone already: raci never overwrites what a person set."""


class Changed(SourceError):
    """The field no longer holds what raci wrote: somebody changed it since, so it is left."""


@runtime_checkable
class Writer(Protocol):
    """The write side of a connector (``raci fix``)."""

    def read_task(self, task: Task, previous: Snapshot | None = None) -> Task:
        """The task as the tool has it now, converted as a read of its container converts it.

        ``task`` is the stored version (its container, group and parent place it);
        ``previous`` the source's current snapshot, for what a read keeps between syncs.
        """
        ...

    def set_role(self, task: Task, letter: str, who: Who) -> Written:
        """Give ``who`` the letter on ``task`` (as just read by :meth:`read_task`): in the first
        field of the letter's role references this tool can write. :class:`Occupied` when
        that field holds anyone, :class:`NotWritable` when there is no such field."""
        ...

    def restore_role(
        self, task: Task, target: Target, before: tuple[str, ...], after: tuple[str, ...]
    ) -> Written:
        """Put ``before`` back into ``target`` on ``task`` (as just read), where the field holds
        exactly ``after`` (what raci wrote); :class:`Changed` otherwise."""
        ...


def role_refs(source: SourceConfig, letter: str) -> tuple[str, ...]:
    """The role references of one letter: the source's configured ones, else its kind's."""
    configured = source.roles.get(letter)
    if configured is not None:
        return tuple(configured)
    return tuple(KINDS[source.kind].default_roles.get(letter, ()))


def same_values(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether two field values hold the same people (order and case aside)."""
    return sorted(v.strip().casefold() for v in a) == sorted(v.strip().casefold() for v in b)


def empty_before(task: Task, target: Target, where: str, source: str) -> tuple[str, ...]:
    """The values of ``target`` on ``task``, which must be none: :class:`Occupied` otherwise.
    ``where`` names the task as its tool does (``card 5f…``, ``item 12``, ``task 12``)."""
    before = target.values(task)
    if held := target.held(task):
        raise Occupied(
            f"{where} ({task.title!r}) already has {', '.join(held)} in {target.label}; "
            "raci never overwrites what a person set",
            source=source,
        )
    return before


def unchanged_since(
    task: Task, target: Target, after: tuple[str, ...], where: str, source: str
) -> tuple[str, ...]:
    """The values of ``target`` on ``task``, which must be ``after`` (what raci wrote):
    :class:`Changed` otherwise."""
    now = target.values(task)
    if not same_values(now, after):
        raise Changed(
            f"{where} ({task.title!r}) has {', '.join(now) or 'nobody'} in {target.label} "
            f"now, not what raci wrote ({', '.join(after)}): somebody changed it since, so it "
            "is left as it is",
            source=source,
        )
    return now


def written_or_read_back(
    write: Callable[[], Task],
    read_again: Callable[[], Task],
    target: Target,
    values: tuple[str, ...],
) -> Task:
    """The task after ``write``. An answer that cannot be read (cut off, not JSON, not a task)
    does not say whether the tool took the write: the task is read again, and holds ``values``
    in ``target`` (written) or not (the answer's error is raised)."""
    try:
        return write()
    except ResponseError as exc:
        fresh = read_again()
        if same_values(target.values(fresh), values):
            return fresh
        raise exc from None
