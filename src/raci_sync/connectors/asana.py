"""Asana: one workspace, its projects, their tasks and subtasks, and one user directory.

A full fetch makes these requests (all with ``limit=100``, paged by ``next_page.offset``):

    GET /workspaces                                  only when the workspace is a name or omitted
    GET /projects?workspace=W&opt_fields=name,archived   (+ archived=false when scope is omitted)
    GET /users?workspace=W&opt_fields=name,email     the people directory, once per workspace
    GET /projects/{P}/tasks?opt_fields=TASK_FIELDS   per project
    GET /tasks/{T}/subtasks?opt_fields=TASK_FIELDS   only for tasks with num_subtasks > 0

``completed_since`` is never sent: the spec says it restricts the list to tasks that are
"incomplete or completed since" that time, so leaving it out returns completed tasks too, which
the report needs (they are done, not missing).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from raci_sync.config import SourceConfig
from raci_sync.connectors.http import HttpClient
from raci_sync.errors import AuthError, NotFoundError, ResponseError, SourceError
from raci_sync.model import Account, FieldValue, Snapshot, State, Task

DEFAULT_BASE_URL = "https://app.asana.com/api/1.0"
PAGE_SIZE = 100  # the API maximum
PAT_URL = "https://app.asana.com/0/my-apps"

# Every entry is in the opt_fields enum of getTasksForProject and getSubtasksForTask.
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
    people: list[Any] = [raw.get("assignee"), *(raw.get("followers") or [])]
    for cf in raw.get("custom_fields") or []:
        people.extend(cf.get("people_value") or [])
    for p in people:
        if isinstance(p, dict) and isinstance(p.get("gid"), str):
            name = p.get("name")
            yield p["gid"], name if isinstance(name, str) else None


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
        value = self.get(raw, key, (int, float), "a number")
        return None if value is None else float(value)

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


# -- the connector ------------------------------------------------------------------------------


class AsanaConnector:
    """Reads one Asana workspace: the configured projects (or all), their tasks and subtasks."""

    kind: ClassVar[str] = "asana"

    def __init__(self, source: SourceConfig, http: HttpClient) -> None:
        self.source = source
        self.http = http
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

        ``since`` is accepted for the incremental sync to come; every fetch is full for now.
        """
        started = datetime.now(UTC)
        requests_before = self.http.requests_made  # a check() on the same client is not counted
        workspace = self.resolve_workspace()
        projects = self.resolve_projects(workspace)
        accounts = {a.id: a for a in self.fetch_users(workspace)}
        tasks: dict[str, Task] = {}
        mentioned: dict[str, str | None] = {}
        expanded: set[str] = set()
        for project in projects:
            for raw in self.paged(
                f"/projects/{project.gid}/tasks",
                _task_params(),
                what=f"list tasks of project {project.label}",
            ):
                self.add_task(raw, tasks, mentioned, expanded, project=project)
        for gid, name in mentioned.items():
            if gid not in accounts:  # e.g. a user removed from the workspace, still assigned
                accounts[gid] = Account(source=self.source.name, id=gid, name=name)
        return Snapshot(
            source=self.source.name,
            kind=self.kind,
            tasks=tuple(tasks.values()),
            accounts=tuple(accounts.values()),
            containers=tuple(p.name or p.gid for p in projects),
            fetched_at=started,
            requests=self.http.requests_made - requests_before,
        )

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

    def add_task(
        self,
        raw: Any,
        tasks: dict[str, Task],
        mentioned: dict[str, str | None],
        expanded: set[str],
        *,
        project: Ref | None = None,
        parent: Task | None = None,
    ) -> None:
        """Convert one task (once, however many projects hold it) and then its subtasks."""
        task = task_from_asana(raw, self.source.name, project=project, parent=parent)
        if task.id not in tasks:
            tasks[task.id] = task
            for gid, name in users_in_task(raw):
                mentioned.setdefault(gid, name)
        count = _Shape(self.source.name, f"task {task.id!r}").number(raw, "num_subtasks")
        if count and count > 0 and task.id not in expanded:
            expanded.add(task.id)
            holder = tasks[task.id]
            for sub in self.paged(
                f"/tasks/{task.id}/subtasks",
                _task_params(),
                what=f"list subtasks of task {task.id} ({task.title!r})",
            ):
                self.add_task(sub, tasks, mentioned, expanded, parent=holder)

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
        except AuthError as exc:
            if "answered 401" not in str(exc):
                raise
            raise AuthError(
                f"{self.describe}: Asana answered 401 Not Authorized to {what}: the token of "
                f"source {self.source.name!r} is invalid, expired or revoked. Create a personal "
                f"access token at {PAT_URL} and put it in the environment variable that this "
                "source's token refers to",
                source=self.source.name,
            ) from None


def _matching(wanted: str, seen: list[Ref]) -> list[Ref]:
    """Objects whose gid is ``wanted``, else those whose name is it (case-insensitive)."""
    key = wanted.strip().casefold()
    return [s for s in seen if s.gid == wanted] or [
        s for s in seen if (s.name or "").strip().casefold() == key
    ]


def _task_params() -> dict[str, Any]:
    return {"limit": PAGE_SIZE, "opt_fields": ",".join(TASK_FIELDS)}
