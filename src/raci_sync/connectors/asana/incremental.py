"""What an incremental Asana read keeps between syncs and how it merges (pure, no I/O).

``Snapshot.state`` carries the resolved workspace and projects (``Scope``), so an unchanged
workspace costs one request per project; the tasks a read lists are assembled into a
``Tree`` (each top-level task followed by its subtasks) and merged into the previous
snapshot's tasks by gid.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from raci_sync.connectors.asana.convert import (
    Ref,
    completed_before,
    ref_at,
    task_from_asana,
    task_shape,
    users_in_task,
)
from raci_sync.connectors.references import FieldDef
from raci_sync.model import Task

OVERLAP = timedelta(seconds=60)  # subtracted from ``since`` against clock skew
NO_CUTOFF = datetime.min.replace(tzinfo=UTC)  # no history cutoff: nothing was completed before
STATE_CONFIG = "asana.config"  # Snapshot.state keys: the scope cached for incremental reads
STATE_WORKSPACE = "asana.workspace"
STATE_PROJECTS = "asana.projects"
STATE_FIELDS = "asana.fields"  # each project's custom field definitions, from the last full read


@dataclass(frozen=True)
class Scope:
    """The resolved workspace and projects of a read, and each project's custom field
    definitions (by project gid), kept in ``Snapshot.state`` between syncs.

    ``config`` fingerprints the configured scope: when the config changes, the cache is stale
    and the next fetch is a full read. An incremental read checks the config's references
    against the cached ``fields`` (PRODUCT §12): no request for that.
    """

    config: str
    workspace: Ref
    projects: tuple[Ref, ...]
    fields: Mapping[str, tuple[FieldDef, ...]] = field(default_factory=dict)

    def to_state(self) -> dict[str, str]:
        defs = {gid: [[d.name, d.id, d.type] for d in fs] for gid, fs in self.fields.items()}
        return {
            STATE_CONFIG: self.config,
            STATE_WORKSPACE: json.dumps([self.workspace.gid, self.workspace.name]),
            STATE_PROJECTS: json.dumps(
                [[p.gid, p.name] for p in self.projects], ensure_ascii=False
            ),
            STATE_FIELDS: json.dumps(defs, ensure_ascii=False),
        }

    def by_name(self) -> dict[str, tuple[FieldDef, ...]]:
        """Each project's fields under its name (as problems name it)."""
        return {p.name or p.gid: tuple(self.fields.get(p.gid, ())) for p in self.projects}

    @classmethod
    def from_state(cls, state: Mapping[str, str], config: str) -> Scope | None:
        """The cached scope, or None when it is missing, unreadable or for another config."""
        if state.get(STATE_CONFIG) != config:
            return None
        try:
            workspace = _ref_of(json.loads(state[STATE_WORKSPACE]))
            projects = tuple(_ref_of(p) for p in json.loads(state[STATE_PROJECTS]))
            fields = _fields_of(json.loads(state[STATE_FIELDS]), {p.gid for p in projects})
        except (KeyError, TypeError, ValueError):
            return None  # missing (made before definitions were kept) or damaged: a full read
        return cls(config, workspace, projects, fields)


def _fields_of(raw: Any, projects: set[str]) -> dict[str, tuple[FieldDef, ...]]:
    """The cached definitions of every project, or ValueError."""
    if not isinstance(raw, dict) or set(raw) != projects:
        raise ValueError("not the definitions of these projects")
    out: dict[str, tuple[FieldDef, ...]] = {}
    for gid, defs in raw.items():
        out[gid] = tuple(FieldDef(*_strings(d, 3)) for d in defs)
    return out


def _strings(value: Any, n: int) -> list[str]:
    if not isinstance(value, list) or len(value) != n or not all(isinstance(v, str) for v in value):
        raise ValueError(f"not {n} strings: {value!r}")
    return value


def _ref_of(pair: Any) -> Ref:
    gid, name = pair
    if not isinstance(gid, str) or not (name is None or isinstance(name, str)):
        raise ValueError(f"not a (gid, name) pair: {pair!r}")
    return Ref(gid, name)


@dataclass
class Tree:
    """Listed tasks converted in order, each followed by its subtasks (depth first).

    ``children`` holds the raw subtask lists by parent gid. A task met twice (two projects, or
    a subtask that is also in a project) is kept where it was met first. ``groups`` maps every
    top-level task to the gids of itself and its subtasks, in output order.
    """

    source_name: str
    children: Mapping[str, list[Any]]
    tz: tzinfo = UTC  # the team's time zone: due and start times are dates there
    tasks: dict[str, Task] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)
    mentioned: dict[str, str | None] = field(default_factory=dict)

    def add(self, raw: Any, project: Ref) -> None:
        group: list[str] = []
        self._add(raw, project, None, group)
        if group:
            self.groups[group[0]] = group

    def _add(self, raw: Any, project: Ref | None, parent: Task | None, group: list[str]) -> None:
        task = task_from_asana(raw, self.source_name, project=project, parent=parent, tz=self.tz)
        if task.id in self.tasks:
            return
        self.tasks[task.id] = task
        group.append(task.id)
        for gid, name in users_in_task(raw):
            self.mentioned.setdefault(gid, name)
        for sub in self.children.get(task.id, ()):
            self._add(sub, None, task, group)


def merge_tasks(previous: Sequence[Task], fresh: Tree, gone: set[str]) -> list[Task]:
    """The previous tasks updated with what changed, in a stable order.

    A changed task replaces its previous version in place, followed by its re-read subtasks
    (its old subtasks are dropped: the re-read is the whole subtree); new tasks come last;
    ``gone`` tasks (no longer in any configured project) and their subtasks are dropped.
    """
    stale = gone | _descendants(previous, set(fresh.groups) | gone)
    out: list[Task] = []
    emitted: set[str] = set()

    def emit(gids: Iterable[str]) -> None:
        for gid in gids:
            if gid not in emitted:
                emitted.add(gid)
                out.append(fresh.tasks[gid])

    for task in previous:
        if task.id in fresh.groups:
            emit(fresh.groups[task.id])
        elif task.id not in stale and task.id not in fresh.tasks and task.id not in emitted:
            emitted.add(task.id)
            out.append(task)
    for group in fresh.groups.values():
        emit(group)
    return out


def _descendants(tasks: Sequence[Task], roots: set[str]) -> set[str]:
    """Gids of every task below ``roots`` by ``parent_id``, at any depth."""
    children: dict[str, list[str]] = {}
    for t in tasks:
        if t.parent_id:
            children.setdefault(t.parent_id, []).append(t.id)
    found: set[str] = set()
    todo = [c for r in roots for c in children.get(r, ())]
    while todo:
        gid = todo.pop()
        if gid not in found:
            found.add(gid)
            todo.extend(children.get(gid, ()))
    return found


def departed(
    listed: Sequence[list[Any]],
    source_name: str,
    projects: set[str],
    cutoff: datetime = NO_CUTOFF,
) -> tuple[list[list[Any]], set[str]]:
    """The listed tasks that stay, and the gids of those that leave the snapshot: tasks whose
    ``memberships`` name none of ``projects`` (moved out of every configured project), and
    tasks completed before the history ``cutoff`` (a full read would not list them either).

    A subtask in no configured project is in scope through its parent: it is neither kept as a
    top-level task nor gone; its parent's next change or the next full read refreshes it.
    """
    kept: list[list[Any]] = []
    gone: set[str] = set()
    for raws in listed:
        kept.append([])
        for raw in raws:
            task, s = task_shape(raw, source_name)
            homes = {
                r.gid for m in s.children(task, "memberships") if (r := ref_at(s, m, "project"))
            }
            if homes & projects and not completed_before(raw, source_name, cutoff):
                kept[-1].append(raw)
            elif ref_at(s, task, "parent") is None:
                gone.add(s.ident(task, "gid"))
    return kept, gone


def referenced_accounts(tasks: Iterable[Task]) -> Iterator[str]:
    """Every account id the tasks' people fields name."""
    for task in tasks:
        for fv in task.fields:
            yield from fv.accounts


def since_param(since: datetime) -> str:
    """``modified_since`` for a read that started at ``since``: UTC, minus the safety overlap."""
    moment = since if since.tzinfo else since.replace(tzinfo=UTC)
    start = (moment - OVERLAP).astimezone(UTC)
    return start.isoformat(timespec="milliseconds").replace("+00:00", "Z")
