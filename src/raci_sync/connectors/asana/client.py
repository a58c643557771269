"""Asana: one workspace, its projects, their tasks and subtasks, and one user directory.

A full read (``fetch()``) makes these requests, all with ``limit=100`` (the API maximum) and
paged by ``next_page.offset``:

    GET /workspaces                                  only when the workspace is a name or omitted
    GET /projects?workspace=W&opt_fields=name,archived   (+ archived=false when scope is omitted)
    GET /users?workspace=W&opt_fields=name,email     the people directory, once per workspace
    GET /projects/{P}/tasks?opt_fields=TASK_FIELDS   per project
    GET /tasks/{T}/subtasks?opt_fields=TASK_FIELDS   only for tasks with num_subtasks > 0

so P projects of N tasks each, U users and S tasks that have subtasks cost
``[1] + ceil(projects/100) + ceil(U/100) + P·ceil(N/100) + S`` requests (S counts a page per
100 subtasks): the documented minimum of one page per 100 tasks per project, plus a constant
per workspace and one listing per task that has subtasks.

An incremental read (``fetch(since, previous)``) reuses the workspace and project gids that the
previous snapshot keeps in ``state`` and asks each project only for what changed:

    GET /tasks?project=P&modified_since=<since - 60 s>&limit=100&opt_fields=TASK_FIELDS

An unchanged workspace therefore costs exactly one request per project (no /workspaces,
/projects or /users). Changed tasks replace their previous version by gid (a completed one
stays, as done); a changed task with ``num_subtasks > 0`` has its whole subtree re-read; the
user directory is read again only when a changed task names a user the previous snapshot did
not know. ``modified_since`` also counts association changes (a task added to a project), so a
task moved between configured projects is seen. Without a cached scope, or when the configured
scope changed since, the read is full. What only the periodic full read
(``[sync] full_every_hours``) notices:

- deleted tasks, which no listing returns any more;
- subtask-only changes: Asana does not count a change to a subtask as a change to its parent
  (spec, ``modified_since``), and subtasks are not in the project's list;
- a task moved out of every configured project, which the project filter no longer returns (if
  Asana still lists it, its ``memberships`` name no configured project and it is dropped);
- renamed projects, and projects added to the workspace when ``projects`` is omitted.

Projects (and each level of subtask listings) are read concurrently on up to ``max_workers``
threads; the output keeps the configured project order whatever order the answers come in.

``completed_since`` is never sent: the spec says it restricts the list to tasks that are
"incomplete or completed since" that time, so leaving it out returns completed tasks too, which
the report needs (they are done, not missing).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any, ClassVar, TypeVar

from raci_sync.config import SourceConfig
from raci_sync.connectors.http import HttpClient
from raci_sync.connectors.parallel import in_order
from raci_sync.errors import AuthError, NotFoundError, ResponseError, SourceError
from raci_sync.model import Account, FieldValue, Snapshot, State, Task

DEFAULT_BASE_URL = "https://app.asana.com/api/1.0"
PAGE_SIZE = 100  # the API maximum
PAT_URL = "https://app.asana.com/0/my-apps"

# Every entry is in the opt_fields enum of getTasksForProject, getTasks and getSubtasksForTask.
TASK_FIELDS = (
    "name",
    "completed",
    "due_on",
    "due_at",
    "start_on",
    "start_at",
    "modified_at",
    "permalink_url",
    "assignee",
    "assignee.name",
    "followers",
    "followers.name",
    "memberships.project.name",
    "memberships.section.name",
    "tags.name",
    "parent",
    "num_subtasks",
    "custom_fields.name",
    "custom_fields.resource_subtype",
    "custom_fields.display_value",
    "custom_fields.people_value.name",
    "custom_fields.number_value",
    "custom_fields.enum_value.name",
    "custom_fields.multi_enum_values.name",
    "custom_fields.text_value",
    "custom_fields.date_value",
)
USER_FIELDS = ("name", "email")
PROJECT_FIELDS = ("name", "archived")
OVERLAP = timedelta(seconds=60)  # subtracted from ``since`` against clock skew
STATE_CONFIG = "asana.config"  # Snapshot.state keys: the scope cached for incremental reads
STATE_WORKSPACE = "asana.workspace"
STATE_PROJECTS = "asana.projects"

_In = TypeVar("_In")
_Out = TypeVar("_Out")


@dataclass(frozen=True)
class Ref:
    """An Asana object we resolved: its gid and (when known) its name."""

    gid: str
    name: str | None = None

    @property
    def label(self) -> str:
        return repr(self.name) if self.name else self.gid


# -- pure conversion ----------------------------------------------------------------------------


def account_from_asana(raw: Any, source_name: str) -> Account:
    """A user object (``UserCompact`` or ``UserResponse``) → Account."""
    user = _Shape(source_name, "a user").obj(raw)
    shape = _Shape(source_name, f"user {user.get('gid')!r}")
    return Account(
        source=source_name,
        id=shape.gid(user),
        name=shape.text(user, "name"),
        email=shape.text(user, "email"),
    )


def task_from_asana(
    raw: Any,
    source_name: str,
    *,
    project: Ref | None = None,
    parent: Task | None = None,
) -> Task:
    """A task object (``TaskResponse`` with TASK_FIELDS) → Task.

    ``project`` is the project whose task list held it (container, and the section of that
    project is the group); a subtask outside any project inherits container and group from
    ``parent``, so hat rules about the parent's section apply to its subtasks too.
    """
    task = _Shape(source_name, "a task").obj(raw)
    shape = _Shape(source_name, f"task {task.get('gid')!r}")
    gid = shape.gid(task)
    container, container_id, group = _placement(task, shape, project, parent)
    parent_ref = shape.ref(task, "parent")
    return Task(
        source=source_name,
        id=gid,
        title=shape.text(task, "name") or "",
        url=shape.text(task, "permalink_url"),
        container=container,
        container_id=container_id,
        group=group,
        state=State.DONE if shape.flag(task, "completed") else State.OPEN,
        due=shape.day(task, "due_on") or shape.day_of(task, "due_at"),
        start=shape.day(task, "start_on") or shape.day_of(task, "start_at"),
        updated=shape.moment(task, "modified_at"),
        parent_id=parent_ref.gid if parent_ref else (parent.id if parent else None),
        labels=tuple(n for t in shape.objs(task, "tags") if (n := shape.text(t, "name"))),
        fields=(
            FieldValue(
                key="assignee", kind="people", accounts=_gids([shape.ref(task, "assignee")])
            ),
            FieldValue(
                key="followers",
                kind="people",
                accounts=_gids(shape.ref(f, None) for f in shape.objs(task, "followers")),
            ),
            *(
                fv
                for cf in shape.objs(task, "custom_fields")
                if (fv := _custom_field(cf, source_name, gid)) is not None
            ),
        ),
    )


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


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _placement(
    task: dict[str, Any], shape: _Shape, project: Ref | None, parent: Task | None
) -> tuple[str | None, str | None, str | None]:
    """(container, container_id, group): the membership in ``project``, else the parent's."""
    memberships = shape.objs(task, "memberships")
    want = project.gid if project else (parent.container_id if parent else None)
    chosen = None
    for m in memberships:
        ref = shape.ref(m, "project")
        if ref and ref.gid == want:
            chosen = m
            break
    if chosen is None and parent is not None:
        return parent.container, parent.container_id, parent.group
    if chosen is None and memberships:
        chosen = memberships[0]
    if chosen is None:
        return (project.name, project.gid, None) if project else (None, None, None)
    ref = shape.ref(chosen, "project")
    section = shape.ref(chosen, "section")
    name = ref.name if ref and ref.name else (project.name if project else None)
    return name, ref.gid if ref else None, section.name if section else None


def _custom_field(raw: Any, source_name: str, task_gid: str) -> FieldValue | None:
    """One custom field value → FieldValue, or None when the field is empty on this task."""
    shape = _Shape(source_name, f"task {task_gid!r}: a custom field")
    cf = shape.obj(raw)
    shape = _Shape(source_name, f"task {task_gid!r}: custom field {cf.get('name')!r}")
    base = FieldValue(
        key="field",
        id=shape.gid(cf),
        title=shape.text(cf, "name"),
        kind=shape.text(cf, "resource_subtype"),
    )
    kind = base.kind
    if kind == "people":
        accounts = _gids(shape.ref(p, None) for p in shape.objs(cf, "people_value"))
        return replace(base, accounts=accounts) if accounts else None
    if kind == "number":
        number = shape.number(cf, "number_value")
        return None if number is None else replace(base, number=number)
    if kind == "enum":
        option = shape.ref(cf, "enum_value")
        return (
            replace(base, text=option.name, names=(option.name,))
            if option and option.name
            else None
        )
    if kind == "multi_enum":
        names = tuple(
            n for o in shape.objs(cf, "multi_enum_values") if (n := shape.text(o, "name"))
        )
        return replace(base, text=", ".join(names), names=names) if names else None
    if kind == "text":
        text = shape.text(cf, "text_value")
        return replace(base, text=text, names=split_names(text)) if text else None
    if kind == "date":
        value = cf.get("date_value")
        if value is None:
            return None
        value = shape.obj(value, "date_value")
        text = shape.text(value, "date") or shape.text(value, "date_time")
        return replace(base, text=text) if text else None
    text = shape.text(cf, "display_value")  # formula, reference, and types added later
    return replace(base, text=text) if text else None


def split_names(text: str) -> tuple[str, ...]:
    """``"Mette, Jonas ,"`` → ``("Mette", "Jonas")``."""
    return tuple(n.strip() for n in text.split(",") if n.strip())


def _gids(refs: Any) -> tuple[str, ...]:
    out: list[str] = []
    for r in refs:
        if r is not None and r.gid not in out:
            out.append(r.gid)
    return tuple(out)


class _Shape:
    """Reads fields of one API object, turning a wrong shape into a ResponseError."""

    def __init__(self, source_name: str, what: str) -> None:
        self.source_name = source_name
        self.what = what

    def fail(self, problem: str) -> ResponseError:
        return ResponseError(
            f"source {self.source_name!r} (asana): Asana sent {self.what} {problem}, which is not "
            "the shape the Asana API documents",
            source=self.source_name,
        )

    def obj(self, raw: Any, key: str | None = None) -> dict[str, Any]:
        if not isinstance(raw, dict):
            where = f"with {key!r} as" if key else "as"
            raise self.fail(f"{where} {type(raw).__name__} instead of an object")
        return raw

    def get(self, raw: dict[str, Any], key: str, types: tuple[type, ...], expected: str) -> Any:
        value = raw.get(key)
        # bool is an int in Python, but true is no number in JSON
        wrong = not isinstance(value, types) or (isinstance(value, bool) and bool not in types)
        if value is not None and wrong:
            raise self.fail(f"with {key!r} = {str(value)[:60]!r} instead of {expected}")
        return value

    def gid(self, raw: dict[str, Any]) -> str:
        value = self.get(raw, "gid", (str,), "a string gid")
        if not value:
            raise self.fail("without its 'gid'")
        return str(value)

    def text(self, raw: dict[str, Any], key: str) -> str | None:
        return self.get(raw, key, (str,), "a string")  # type: ignore[no-any-return]

    def flag(self, raw: dict[str, Any], key: str) -> bool:
        return bool(self.get(raw, key, (bool,), "true or false"))

    def number(self, raw: dict[str, Any], key: str) -> float | None:
        """A JSON number as a float; one beyond float's range (``1e400``) is a wrong shape."""
        value = self.get(raw, key, (int, float), "a number")
        if value is None:
            return None
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise self.fail(f"with {key!r} = {str(value)[:60]!r}, a number out of range")
        return number

    def objs(self, raw: dict[str, Any], key: str) -> list[dict[str, Any]]:
        items = self.get(raw, key, (list,), "a list") or []
        return [self.obj(i, key) for i in items]

    def ref(self, raw: dict[str, Any], key: str | None) -> Ref | None:
        """A compact object (``{gid, name}``) at ``raw[key]`` (or ``raw`` itself), or None."""
        value = raw if key is None else raw.get(key)
        if value is None:
            return None
        value = self.obj(value, key)
        return Ref(self.gid(value), self.text(value, "name"))

    def day(self, raw: dict[str, Any], key: str) -> date | None:
        value = self.text(raw, key)
        try:
            return date.fromisoformat(value) if value else None
        except ValueError:
            raise self.fail(f"with {key!r} = {value!r} instead of a date") from None

    def moment(self, raw: dict[str, Any], key: str) -> datetime | None:
        value = self.text(raw, key)
        try:
            parsed = datetime.fromisoformat(value) if value else None
        except ValueError:
            raise self.fail(f"with {key!r} = {value!r} instead of a date-time") from None
        if parsed is not None and parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)  # Asana times are UTC
        return parsed

    def day_of(self, raw: dict[str, Any], key: str) -> date | None:
        value = self.moment(raw, key)
        return value.date() if value else None


# -- what a read keeps for the next one ---------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The resolved workspace and projects of a read, kept in ``Snapshot.state`` between syncs.

    ``config`` fingerprints the configured scope: when the config changes, the cache is stale
    and the next fetch is a full read.
    """

    config: str
    workspace: Ref
    projects: tuple[Ref, ...]

    def to_state(self) -> dict[str, str]:
        return {
            STATE_CONFIG: self.config,
            STATE_WORKSPACE: json.dumps([self.workspace.gid, self.workspace.name]),
            STATE_PROJECTS: json.dumps(
                [[p.gid, p.name] for p in self.projects], ensure_ascii=False
            ),
        }

    @classmethod
    def from_state(cls, state: Mapping[str, str], config: str) -> Scope | None:
        """The cached scope, or None when it is missing, unreadable or for another config."""
        if state.get(STATE_CONFIG) != config:
            return None
        try:
            workspace = _ref_of(json.loads(state[STATE_WORKSPACE]))
            projects = tuple(_ref_of(p) for p in json.loads(state[STATE_PROJECTS]))
        except (KeyError, TypeError, ValueError):
            return None
        return cls(config, workspace, projects)


def _ref_of(pair: Any) -> Ref:
    gid, name = pair
    if not isinstance(gid, str) or not (name is None or isinstance(name, str)):
        raise ValueError(f"not a (gid, name) pair: {pair!r}")
    return Ref(gid, name)


# -- assembling tasks ---------------------------------------------------------------------------


@dataclass
class Tree:
    """Listed tasks converted in order, each followed by its subtasks (depth first).

    ``children`` holds the raw subtask lists by parent gid. A task met twice (two projects, or
    a subtask that is also in a project) is kept where it was met first. ``groups`` maps every
    top-level task to the gids of itself and its subtasks, in output order.
    """

    source_name: str
    children: Mapping[str, list[Any]]
    tasks: dict[str, Task] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)
    mentioned: dict[str, str | None] = field(default_factory=dict)

    def add(self, raw: Any, project: Ref) -> None:
        group: list[str] = []
        self._add(raw, project, None, group)
        if group:
            self.groups[group[0]] = group

    def _add(self, raw: Any, project: Ref | None, parent: Task | None, group: list[str]) -> None:
        task = task_from_asana(raw, self.source_name, project=project, parent=parent)
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
    listed: Sequence[list[Any]], source_name: str, projects: set[str]
) -> tuple[list[list[Any]], set[str]]:
    """The listed tasks whose ``memberships`` still name one of ``projects``, and the gids of
    those that name none (moved out of every configured project).

    A subtask in no configured project is in scope through its parent: it is neither kept as a
    top-level task nor gone; its parent's next change or the next full read refreshes it.
    """
    kept: list[list[Any]] = []
    gone: set[str] = set()
    for raws in listed:
        kept.append([])
        for raw in raws:
            task = _Shape(source_name, "a task").obj(raw)
            shape = _Shape(source_name, f"task {task.get('gid')!r}")
            homes = {
                r.gid for m in shape.objs(task, "memberships") if (r := shape.ref(m, "project"))
            }
            if homes & projects:
                kept[-1].append(raw)
            elif shape.ref(task, "parent") is None:
                gone.add(shape.gid(task))
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


# -- the connector ------------------------------------------------------------------------------


class AsanaConnector:
    """Reads one Asana workspace: the configured projects (or all), their tasks and subtasks."""

    kind: ClassVar[str] = "asana"

    def __init__(self, source: SourceConfig, http: HttpClient, *, max_workers: int = 4) -> None:
        self.source = source
        self.http = http
        self.max_workers = max(1, max_workers)
        self.base_url = (source.base_url or DEFAULT_BASE_URL).rstrip("/")
        token = source.token.reveal() if source.token is not None else ""
        http.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    @property
    def describe(self) -> str:
        return f"source {self.source.name!r} (asana)"

    def check(self) -> str:
        """Who the token belongs to, as ``Name <email>``."""
        body = self.get(
            "/users/me", {"opt_fields": ",".join(USER_FIELDS)}, what="read the token's own user"
        )
        data = _Shape(self.source.name, "GET /users/me").obj(body).get("data")
        me = account_from_asana(data, self.source.name)
        return f"{me.name or me.id} <{me.email}>" if me.email else (me.name or me.id)

    def fetch(self, since: datetime | None = None, previous: Snapshot | None = None) -> Snapshot:
        """Every task (open and completed, with subtasks) of the configured projects.

        With ``since`` and a ``previous`` snapshot whose ``state`` holds this config's resolved
        scope, only tasks modified since then are read and merged into ``previous`` (see the
        module docstring for what that cannot see); otherwise everything is read.
        """
        started = datetime.now(UTC)
        requests_before = self.http.requests_made  # a check() on the same client is not counted
        scope = self.cached_scope(previous) if since is not None else None
        with ThreadPoolExecutor(self.max_workers, thread_name_prefix="asana") as pool:
            if scope is None or since is None or previous is None:
                scope, tasks, accounts = self.read_all(pool)
            else:
                tasks, accounts = self.read_changes(pool, scope, since, previous)
        return Snapshot(
            source=self.source.name,
            kind=self.kind,
            tasks=tuple(tasks),
            accounts=tuple(accounts.values()),
            containers=tuple(p.name or p.gid for p in scope.projects),
            fetched_at=started,
            requests=self.http.requests_made - requests_before,
            state=scope.to_state(),
        )

    def read_all(self, pool: Executor) -> tuple[Scope, list[Task], dict[str, Account]]:
        """The full read: scope, directory, every project's tasks and their subtasks."""
        workspace = self.resolve_workspace()
        scope = Scope(self.config_key(), workspace, tuple(self.resolve_projects(workspace)))
        accounts = {a.id: a for a in self.fetch_users(workspace)}
        listed = self.parallel(pool, self.list_tasks, scope.projects)
        tree = self.gather(pool, scope.projects, listed)
        tasks = list(tree.tasks.values())
        self.add_missing_accounts(accounts, tasks, tree.mentioned, {})
        return scope, tasks, accounts

    def read_changes(
        self, pool: Executor, scope: Scope, since: datetime, previous: Snapshot
    ) -> tuple[list[Task], dict[str, Account]]:
        """The incremental read: what changed since ``since``, merged into ``previous``."""
        after = since_param(since)
        listed = self.parallel(pool, lambda p: self.list_changed(p, after), scope.projects)
        kept, gone = departed(listed, self.source.name, {p.gid for p in scope.projects})
        tree = self.gather(pool, scope.projects, kept)
        tasks = merge_tasks(previous.tasks, tree, gone)
        accounts = self.refresh_accounts(scope.workspace, previous.accounts, tasks, tree.mentioned)
        return tasks, accounts

    def cached_scope(self, previous: Snapshot | None) -> Scope | None:
        return Scope.from_state(previous.state, self.config_key()) if previous else None

    def config_key(self) -> str:
        """What the cached scope depends on: the server and the configured scope."""
        scope = {
            "base_url": self.base_url,
            "workspace": self.source.workspace,
            "projects": list(self.source.projects or ()),
        }
        return json.dumps(scope, ensure_ascii=False, sort_keys=True)

    # -- scope -------------------------------------------------------------------------------

    def resolve_workspace(self) -> Ref:
        """The configured workspace (gid as given, or a name looked up), or the only one."""
        wanted = self.source.workspace
        if wanted and wanted.isdigit():
            return Ref(wanted)
        seen = [
            self.ref(w, "workspace")
            for w in self.paged("/workspaces", {"limit": PAGE_SIZE}, what="list workspaces")
        ]
        names = ", ".join(repr(w.name) for w in seen) or "none"
        if not wanted:
            if len(seen) == 1:
                return seen[0]
            if not seen:
                raise NotFoundError(
                    f"{self.describe}: the token's user is in no workspace", source=self.source.name
                )
            raise SourceError(
                f"{self.describe}: the token's user is in {len(seen)} workspaces "
                f'({names}); set workspace = "<name or gid>" for this source',
                source=self.source.name,
            )
        return self.pick(wanted, _matching(wanted, seen), "workspace", names)

    def resolve_projects(self, workspace: Ref) -> list[Ref]:
        """The configured projects by gid or name (case-insensitive), or every unarchived one."""
        wanted = self.source.projects
        params: dict[str, Any] = {
            "workspace": workspace.gid,
            "limit": PAGE_SIZE,
            "opt_fields": ",".join(PROJECT_FIELDS),
        }
        if not wanted:
            params["archived"] = "false"
        listed = list(
            self.paged("/projects", params, what=f"list projects of workspace {workspace.label}")
        )
        seen = [self.ref(p, "project") for p in listed]
        if not wanted:
            return seen
        archived = {r.gid for r, p in zip(seen, listed, strict=True) if p.get("archived") is True}
        names = ", ".join(repr(p.name) for p in seen if p.gid not in archived)
        out: list[Ref] = []
        for entry in wanted:
            matches = _matching(entry, seen)
            if len(matches) > 1:  # an active project wins over archived namesakes
                matches = [p for p in matches if p.gid not in archived] or matches
            project = self.pick(entry, matches, f"project in workspace {workspace.label}", names)
            if project not in out:
                out.append(project)
        return out

    def pick(self, wanted: str, matches: list[Ref], what: str, names: str) -> Ref:
        """The one match for ``wanted``; NotFoundError for none, SourceError for several."""
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise NotFoundError(
                f"{self.describe}: no {what} is named or numbered {wanted!r} among those the "
                f"token's user can see ({names or 'none'}); fix the name in the config or share "
                "it with that user",
                source=self.source.name,
            )
        gids = ", ".join(m.gid for m in matches)
        raise SourceError(
            f"{self.describe}: {len(matches)} {what.split(' ')[0]}s are named "
            f"{wanted!r} (gids {gids}); put the gid in the config instead",
            source=self.source.name,
        )

    def ref(self, raw: Any, what: str) -> Ref:
        shape = _Shape(self.source.name, f"a {what}")
        obj = shape.obj(raw)
        return Ref(shape.gid(obj), shape.text(obj, "name"))

    # -- people and tasks ----------------------------------------------------------------------

    def fetch_users(self, workspace: Ref) -> list[Account]:
        """The workspace's user directory with emails: one listing, never one call per user."""
        params = {
            "workspace": workspace.gid,
            "limit": PAGE_SIZE,
            "opt_fields": ",".join(USER_FIELDS),
        }
        return [
            account_from_asana(u, self.source.name)
            for u in self.paged("/users", params, what=f"list users of workspace {workspace.label}")
        ]

    def refresh_accounts(
        self,
        workspace: Ref,
        previous: Sequence[Account],
        tasks: Sequence[Task],
        mentioned: Mapping[str, str | None],
    ) -> dict[str, Account]:
        """The previous accounts, or the directory read again if a changed task names a stranger."""
        known = {a.id: a for a in previous}
        if all(gid in known for gid in mentioned):
            return known
        accounts = {a.id: a for a in self.fetch_users(workspace)}
        self.add_missing_accounts(accounts, tasks, mentioned, known)
        return accounts

    def add_missing_accounts(
        self,
        accounts: dict[str, Account],
        tasks: Iterable[Task],
        mentioned: Mapping[str, str | None],
        known: Mapping[str, Account],
    ) -> None:
        """Every account a task names, even one the directory lacks (a user who left the
        workspace but is still assigned): then with what the task or an earlier read told."""
        for gid in referenced_accounts(tasks):
            if gid not in accounts:
                accounts[gid] = known.get(gid) or Account(
                    source=self.source.name, id=gid, name=mentioned.get(gid)
                )

    def list_tasks(self, project: Ref) -> list[Any]:
        """Every task of a project (raw)."""
        return list(
            self.paged(
                f"/projects/{project.gid}/tasks",
                _task_params(),
                what=f"list tasks of project {project.label}",
            )
        )

    def list_changed(self, project: Ref, after: str) -> list[Any]:
        """The tasks of a project modified since ``after`` (raw)."""
        params = {"project": project.gid, "modified_since": after, **_task_params()}
        return list(
            self.paged(
                "/tasks",
                params,
                what=f"list tasks of project {project.label} changed since {after}",
            )
        )

    def list_subtasks(self, parent: tuple[str, str | None]) -> list[Any]:
        """The direct subtasks of one task (raw)."""
        gid, name = parent
        return list(
            self.paged(
                f"/tasks/{gid}/subtasks",
                _task_params(),
                what=f"list subtasks of task {gid} ({name!r})",
            )
        )

    def gather(self, pool: Executor, projects: Sequence[Ref], listed: Sequence[list[Any]]) -> Tree:
        """Convert listed tasks project by project (first project wins), with their subtasks."""
        tree = Tree(
            self.source.name, self.read_subtasks(pool, [r for raws in listed for r in raws])
        )
        for project, raws in zip(projects, listed, strict=True):
            for raw in raws:
                tree.add(raw, project)
        return tree

    def read_subtasks(self, pool: Executor, raws: list[Any]) -> dict[str, list[Any]]:
        """Raw subtasks by parent gid, all levels down: one listing per task that has some.

        Each level's listings run concurrently; tasks with ``num_subtasks`` 0 cost nothing.
        """
        children: dict[str, list[Any]] = {}
        level = self.parents(raws, children)
        while level:
            lists = self.parallel(pool, self.list_subtasks, level)
            children.update((gid, subs) for (gid, _), subs in zip(level, lists, strict=True))
            level = self.parents([s for subs in lists for s in subs], children)
        return children

    def parents(
        self, raws: Iterable[Any], listed: Mapping[str, Any]
    ) -> list[tuple[str, str | None]]:
        """(gid, name) of each task among ``raws`` with subtasks not listed yet, once each."""
        out: dict[str, str | None] = {}
        for raw in raws:
            task = _Shape(self.source.name, "a task").obj(raw)
            shape = _Shape(self.source.name, f"task {task.get('gid')!r}")
            gid = shape.gid(task)
            count = shape.number(task, "num_subtasks")
            if count and count > 0 and gid not in listed:
                out.setdefault(gid, shape.text(task, "name"))
        return list(out.items())

    # -- HTTP ----------------------------------------------------------------------------------

    def paged(self, path: str, params: Mapping[str, Any], *, what: str) -> Iterator[Any]:
        """Every item of a paginated list, following ``next_page.offset``."""
        params = dict(params)
        offsets: set[str] = set()
        while True:
            body = self.get(path, params, what=what)
            shape = _Shape(self.source.name, f"the answer to {what}")
            page = shape.obj(body)
            data = page.get("data")
            if not isinstance(data, list):
                raise shape.fail("without a 'data' list")
            yield from data
            nxt = page.get("next_page")
            if nxt is None:
                return
            offset = shape.text(shape.obj(nxt, "next_page"), "offset")
            if not offset:
                return
            if offset in offsets:
                raise shape.fail(f"with next_page.offset {offset!r} repeated (a paging loop)")
            offsets.add(offset)
            params["offset"] = offset

    def get(self, path: str, params: Mapping[str, Any], *, what: str) -> Any:
        """One GET; a 401 becomes an AuthError that says which token and where to get one."""
        try:
            return self.http.request_json("GET", self.base_url + path, params=params, what=what)
        except SourceError as exc:
            exc.source = exc.source or self.source.name
            if not (isinstance(exc, AuthError) and "answered 401" in str(exc)):
                raise
            raise AuthError(
                f"{self.describe}: Asana answered 401 Not Authorized to {what}: the token of "
                f"source {self.source.name!r} is invalid, expired or revoked. Create a personal "
                f"access token at {PAT_URL} and put it in the environment variable that this "
                "source's token refers to",
                source=self.source.name,
            ) from None

    def parallel(
        self, pool: Executor, work: Callable[[_In], _Out], items: Sequence[_In]
    ) -> list[_Out]:
        """``work`` on every item, up to ``max_workers`` at once; results in item order.

        The first failure is raised and no new work starts (``parallel.in_order``): a failed
        project fails the read, never shrinks it.
        """
        return in_order([partial(work, i) for i in items], self.max_workers, pool=pool)


def _matching(wanted: str, seen: list[Ref]) -> list[Ref]:
    """Objects whose gid is ``wanted``, else those whose name is it (case-insensitive)."""
    key = wanted.strip().casefold()
    return [s for s in seen if s.gid == wanted] or [
        s for s in seen if (s.name or "").strip().casefold() == key
    ]


def _task_params() -> dict[str, Any]:
    return {"limit": PAGE_SIZE, "opt_fields": ",".join(TASK_FIELDS)}
