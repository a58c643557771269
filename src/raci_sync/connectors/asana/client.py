"""Asana: one workspace, its projects, their tasks and subtasks, and one user directory.

A full read (``fetch()``) makes these requests, all with ``limit=100`` (the API maximum) and
paged by ``next_page.offset``:

    GET /workspaces                                  only when the workspace is a name or omitted
    GET /projects?workspace=W&opt_fields=name,archived   (+ archived=false when scope is omitted)
    GET /projects/{P}/custom_field_settings?opt_fields=custom_field.name,…   per project
    GET /users?workspace=W&opt_fields=name,email     the people directory, once per workspace
    GET /projects/{P}/tasks?completed_since=C&opt_fields=TASK_FIELDS   per project
    GET /tasks/{T}/subtasks?opt_fields=TASK_FIELDS   only for tasks with num_subtasks > 0 that
                                                     are open or completed since C

so P projects of N open or recently completed tasks each, U users and S such tasks that have
subtasks cost ``[1] + ceil(projects/100) + ceil(U/100) + P·(1 + ceil(N/100)) + S`` requests
(S counts a page per 100 subtasks): the documented minimum of one page per 100 tasks per
project, plus a constant per workspace, one field listing per project and one listing per task
that has subtasks.

Every reference the config wrote resolves or the read fails (PRODUCT §9): the workspace and
every project name, and each ``field:`` role and ``[source.fields]`` entry on every project
(by name or gid, of a fitting type: a people, text or enum field for a role, a number field
for the effort). A full read checks them against the custom field settings it reads, before
any task; an incremental read against those the snapshot keeps (``asana.fields``), with no
request. Every problem is raised at once (``references.UnresolvedReferences``). ``check_scope``
(``raci check-config --online``) reports the same, with each project's fields and what a full
read costs at the request budget (``GET /projects/{P}/task_counts`` per project).

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

History the report cannot use is never read (PRODUCT §7): the full read lists only open tasks
and tasks completed since the cutoff ``C`` = now − ``[sync] history_days`` (90 by default;
``completed_since``), and never lists the subtasks of a task completed before it, so a
workspace with years of completed tasks costs about what a fresh one does. What that leaves
out: a task completed before the cutoff and everything below it, even an open subtask under
a parent completed long ago (widen ``history_days`` to read it). The incremental read sends
no ``completed_since`` (with ``modified_since`` it would drop a task completed before the
watermark and then edited); a changed task completed before the cutoff leaves the snapshot,
as a full read would leave it out. Due and start *times* (``due_at``, ``start_at``) are dates in
the source's ``timezone``.

What is asked for is in ``queries.py``, the pure conversion in ``convert.py``, the cached scope
and the merge of an incremental read in ``incremental.py``.
"""

from __future__ import annotations

import difflib
import itertools
import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, ClassVar, TypeVar
from zoneinfo import ZoneInfo

from raci_sync.config import SourceConfig
from raci_sync.connectors.asana import KIND
from raci_sync.connectors.asana.convert import (
    Ref,
    account_from_asana,
    completed_before,
    field_def_from_asana,
    ref_from_asana,
    shape,
    task_from_asana,
    task_shape,
)
from raci_sync.connectors.asana.incremental import (
    Scope,
    Tree,
    departed,
    merge_tasks,
    referenced_accounts,
    since_param,
)
from raci_sync.connectors.asana.queries import (
    COUNT_FIELDS,
    PAGE_SIZE,
    USER_FIELDS,
    WRITE_SCOPE,
    field_setting_params,
    one_task_params,
    project_params,
    task_params,
    user_params,
)
from raci_sync.connectors.asana.writes import write_body, write_target
from raci_sync.connectors.discovery import (
    Container,
    Details,
    Discovery,
    Space,
    unique_names,
)
from raci_sync.connectors.http import HttpClient
from raci_sync.connectors.parallel import in_order
from raci_sync.connectors.references import (
    FieldDef,
    ScopeReport,
    UnresolvedReferences,
    check_fields,
    default_references,
    written_references,
)
from raci_sync.connectors.writes import (
    PEOPLE,
    Target,
    Who,
    Written,
    empty_before,
    role_refs,
    unchanged_since,
    written_or_read_back,
)
from raci_sync.errors import AuthError, NotFoundError, SourceError
from raci_sync.model import Account, Snapshot, Task

DEFAULT_BASE_URL = "https://app.asana.com/api/1.0"
PAID_PER_MINUTE = 1500  # Asana's paid plans; free plans allow the Kind's budget (150)
PAT_URL = "https://app.asana.com/0/my-apps"

T = TypeVar("T")


class AsanaConnector:
    """Reads one Asana workspace: the configured projects (or all), their tasks and subtasks."""

    kind: ClassVar[str] = "asana"

    def __init__(self, source: SourceConfig, http: HttpClient, *, max_workers: int = 4) -> None:
        self.source = source
        self.http = http
        self.max_workers = max(1, max_workers)
        self.base_url = (source.base_url or DEFAULT_BASE_URL).rstrip("/")
        self.tz = ZoneInfo(source.timezone)  # due and start times are dates in the team's zone
        # history the report cannot use: tasks completed before this (set by each fetch)
        self.cutoff = datetime.now(UTC) - timedelta(days=source.history_days)
        token = source.token.reveal() if source.token is not None else ""
        http.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self._fresh: dict[str, Any] = {}  # raci fix: each task's last answer, by gid

    @property
    def describe(self) -> str:
        """How messages name this source: ``source 'kampagner' (asana)``."""
        return f"source {self.source.name!r} ({self.kind})"

    def check(self) -> str:
        """Who the token belongs to, as ``Name <email>``."""
        body = self.request(
            "/users/me", {"opt_fields": ",".join(USER_FIELDS)}, what="read the token's own user"
        )
        data = shape(self.source.name, "GET /users/me").obj(body).get("data")
        me = account_from_asana(data, self.source.name)
        return f"{me.name or me.id} <{me.email}>" if me.email else (me.name or me.id)

    def fetch(self, since: datetime | None = None, previous: Snapshot | None = None) -> Snapshot:
        """Every task (open and completed, with subtasks) of the configured projects.

        With ``since`` and a ``previous`` snapshot whose ``state`` holds this config's resolved
        scope, only tasks modified since then are read and merged into ``previous`` (see the
        module docstring for what that cannot see); otherwise everything is read.
        """
        started = datetime.now(UTC)
        self.cutoff = started - timedelta(days=self.source.history_days)
        requests_before = self.http.requests_made  # a check() on the same client is not counted
        scope = self.cached_scope(previous) if since is not None else None
        if scope is None or since is None or previous is None:
            scope, tasks, accounts = self.read_all()
        else:
            tasks, accounts = self.read_changes(scope, since, previous)
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

    def read_all(self) -> tuple[Scope, list[Task], dict[str, Account]]:
        """The full read: scope and field definitions (every reference of the config checked
        against them before any task is read), directory, every project's tasks and their
        subtasks."""
        scope, problems = self.survey_scope()
        self.require(problems + self.reference_problems(scope))
        accounts = {a.id: a for a in self.read_people(scope.workspace)}
        listed = self.parallel([partial(self.list_tasks, p) for p in scope.projects])
        tree = self.gather(scope.projects, listed)
        tasks = list(tree.tasks.values())
        self.add_missing_accounts(accounts, tasks, tree.mentioned, {})
        return scope, tasks, accounts

    def read_changes(
        self, scope: Scope, since: datetime, previous: Snapshot
    ) -> tuple[list[Task], dict[str, Account]]:
        """The incremental read: what changed since ``since``, merged into ``previous``; the
        config's references are checked first, against the definitions cached at the last
        full read (no request for that)."""
        self.require(self.reference_problems(scope), cached=True)
        after = since_param(since)
        listed = self.parallel([partial(self.list_changed, p, after) for p in scope.projects])
        projects = {p.gid for p in scope.projects}
        kept, gone = departed(listed, self.source.name, projects, self.cutoff)
        tree = self.gather(scope.projects, kept)
        tasks = merge_tasks(previous.tasks, tree, gone)
        accounts = self.refresh_accounts(scope.workspace, previous.accounts, tasks, tree.mentioned)
        return tasks, accounts

    def cached_scope(self, previous: Snapshot | None) -> Scope | None:
        """The scope the previous snapshot kept for this config, if any."""
        return Scope.from_state(previous.state, self.config_key()) if previous else None

    def config_key(self) -> str:
        """What the cached scope depends on: the server and the configured scope."""
        scope = {
            "base_url": self.base_url,
            "workspace": self.source.workspace,
            "projects": list(self.source.projects or ()),
        }
        return json.dumps(scope, ensure_ascii=False, sort_keys=True)

    # -- scope and references ------------------------------------------------------------------

    def resolve_scope(self) -> Scope:
        """The configured workspace and projects, resolved to gids, with their field
        definitions; UnresolvedReferences with every name that does not resolve."""
        scope, problems = self.survey_scope()
        self.require(problems)
        assert scope is not None  # no problems: everything resolved
        return scope

    def survey_scope(self) -> tuple[Scope, list[str]]:
        """The configured scope resolved as far as it goes (with each project's custom field
        definitions), and one problem for every name that does not resolve — all of them."""
        workspace, problems = self.find_workspace()
        if workspace is None:
            return Scope(self.config_key(), Ref(""), ()), problems
        try:
            projects, problems = self.find_projects(workspace)
        except NotFoundError:  # a workspace gid from the config that is not there
            return Scope(self.config_key(), workspace, ()), [
                f"[source] workspace: no workspace numbered {workspace.gid} is visible to the "
                "token's user (Asana answered 404); fix the gid, or use the workspace's name"
            ]
        defs = self.parallel([partial(self.read_fields, p) for p in projects])
        fields = {p.gid: d for p, d in zip(projects, defs, strict=True)}
        return Scope(self.config_key(), workspace, tuple(projects), fields), problems

    def reference_problems(self, scope: Scope) -> list[str]:
        """Every field reference the config wrote that a project of ``scope`` lacks, or has with
        the wrong type (PRODUCT §9): a reference must resolve on every project."""
        refs = written_references(self.source)
        return check_fields(refs, scope.by_name(), container="project")

    def require(self, problems: list[str], *, cached: bool = False) -> None:
        """Raise UnresolvedReferences with every problem, if there are any."""
        if problems:
            hint = (
                "checked against the field definitions kept from the last full read; if a field "
                "was added in Asana since, run `raci sync --full`"
                if cached
                else None
            )
            raise UnresolvedReferences(self.source.name, problems, hint=hint)

    def resolve_workspace(self) -> Ref:
        """The configured workspace (gid as given, or a name looked up), or the only one."""
        workspace, problems = self.find_workspace()
        self.require(problems)
        assert workspace is not None
        return workspace

    def find_workspace(self) -> tuple[Ref | None, list[str]]:
        """The configured workspace, or None and the problem that says why not."""
        wanted = self.source.workspace
        if wanted and wanted.isdigit():
            return Ref(wanted), []
        seen = [
            ref_from_asana(w, self.source.name, "workspace")
            for w in self.paged("/workspaces", {"limit": PAGE_SIZE}, what="list workspaces")
        ]
        names = [w.name or w.gid for w in seen]
        if not wanted:
            if len(seen) == 1:
                return seen[0], []
            if not seen:
                return None, ["[source] workspace: the token's user is in no workspace"]
            return None, [
                f"[source] workspace: the token's user is in {len(seen)} workspaces "
                f'({_listed(names)}); set workspace = "<name or gid>" for this source'
            ]
        key = "[source] workspace"
        return self.pick(wanted, _matching(wanted, seen), "workspace", key, names)

    def resolve_projects(self, workspace: Ref) -> list[Ref]:
        """The configured projects by gid or name (case-insensitive), or every unarchived one."""
        projects, problems = self.find_projects(workspace)
        self.require(problems)
        return projects

    def find_projects(self, workspace: Ref) -> tuple[list[Ref], list[str]]:
        """The configured projects that resolve, and a problem for each one that does not."""
        wanted = self.source.projects
        params = project_params(workspace.gid, every_active=not wanted)
        listed = list(
            self.paged("/projects", params, what=f"list projects of workspace {workspace.label}")
        )
        seen = [ref_from_asana(p, self.source.name, "project") for p in listed]
        if not wanted:
            return seen, []
        archived = {r.gid for r, p in zip(seen, listed, strict=True) if p.get("archived") is True}
        names = [p.name or p.gid for p in seen if p.gid not in archived]
        out: list[Ref] = []
        problems: list[str] = []
        for entry in wanted:
            matches = _matching(entry, seen)
            if len(matches) > 1:  # an active project wins over archived namesakes
                matches = [p for p in matches if p.gid not in archived] or matches
            what = f"project in workspace {workspace.label}"
            project, problem = self.pick(entry, matches, what, "[source] projects", names)
            problems += problem
            if project is not None and project not in out:
                out.append(project)
        return out, problems

    def pick(
        self, wanted: str, matches: list[Ref], what: str, key: str, names: list[str]
    ) -> tuple[Ref | None, list[str]]:
        """The one match for ``wanted``, or None and the problem (none, or several)."""
        if len(matches) == 1:
            return matches[0], []
        if not matches:
            close = difflib.get_close_matches(wanted, names, n=1, cutoff=0.6)
            near = f"; did you mean {close[0]!r}?" if close else ""
            return None, [
                f"{key}: no {what} is named or numbered {wanted!r} among those the token's user "
                f"can see ({_listed(names)}){near} Fix the name in the config, or share it "
                "with that user"
            ]
        gids = ", ".join(m.gid for m in matches)
        return None, [
            f"{key}: {len(matches)} {what.split(' ')[0]}s are named {wanted!r} (gids {gids}); "
            "put the gid in the config instead"
        ]

    def read_fields(self, project: Ref) -> tuple[FieldDef, ...]:
        """``GET /projects/{gid}/custom_field_settings``: the project's custom fields."""
        settings = self.paged(
            f"/projects/{project.gid}/custom_field_settings",
            field_setting_params(),
            what=f"list the custom fields of project {project.label}",
        )
        return tuple(field_def_from_asana(s, self.source.name, project) for s in settings)

    def check_scope(self) -> ScopeReport:
        """Whose token; the workspace and projects resolved, with their fields; every reference
        of the config that matches nothing, all at once; what a full read will cost."""
        who = self.check()
        scope, problems = self.survey_scope()
        defs = scope.by_name()
        problems += self.reference_problems(scope)
        defaults = check_fields(default_references(self.source), defs, container="project")
        return ScopeReport(
            who=who,
            containers=tuple(defs),
            fields={name: tuple(f"{d.name} ({d.type})" for d in ds) for name, ds in defs.items()},
            problems=tuple(problems),
            warnings=tuple(f"{w} (a default role: only a warning)" for w in defaults),
            notes=(self.cost_note(scope),) if scope.projects else (),
        )

    def cost_note(self, scope: Scope) -> str:
        """What a full read will cost: requests, and the time the request budget needs."""
        counts = self.parallel([partial(self.count_tasks, p) for p in scope.projects])
        open_tasks = sum(c[0] for c in counts)
        pages = sum(max(1, math.ceil(c[0] / PAGE_SIZE)) for c in counts)
        lookups = (0 if (self.source.workspace or "").isdigit() else 1) + 2  # projects, users
        total = lookups + len(scope.projects) + pages
        budget = KIND.budget
        assert budget is not None
        rpm = self.source.requests_per_minute or round(budget.limit * 60 / budget.window)
        wait = math.floor((total - 1) / rpm) if total > rpm else 0
        note = (
            f"a full read: at least {total} requests ({pages} task pages for {open_tasks} open "
            f"tasks in {len(scope.projects)} project(s), a field listing per project, "
            f"{lookups} look-ups), plus a page per {PAGE_SIZE} tasks completed in the last "
            f"{self.source.history_days} days and a listing per task with subtasks; at "
            f"{rpm} requests/min the budget alone makes that "
            + (f"at least {wait} min" if wait else "fit in one minute")
        )
        if rpm < PAID_PER_MINUTE:
            note += (
                f". Paid Asana plans allow {PAID_PER_MINUTE:,} requests/min: set "
                f"requests_per_minute = {PAID_PER_MINUTE} for this source if yours is one"
            )
        return note

    def count_tasks(self, project: Ref) -> tuple[int, int]:
        """``GET /projects/{gid}/task_counts``: (open, completed) tasks of the project."""
        body = self.request(
            f"/projects/{project.gid}/task_counts",
            {"opt_fields": ",".join(COUNT_FIELDS)},
            what=f"count the tasks of project {project.label}",
        )
        s = shape(self.source.name, f"the task counts of project {project.label}")
        data = s.obj(s.obj(body).get("data"), "data")
        return (
            int(s.number(data, "num_incomplete_tasks") or 0),
            int(s.number(data, "num_completed_tasks") or 0),
        )

    # -- discovery (raci init) -----------------------------------------------------------------

    def discover(self) -> Discovery:
        """Whose token; every workspace of its user and the unarchived projects of each:
        ``GET /users/me``, ``GET /workspaces`` and per workspace ``GET /projects?workspace=W
        &archived=false`` (paged). A workspace or project is named by its name in the config,
        or by its gid where the name would not find it alone (two of one name, a name of
        digits only, which reads as a gid)."""
        who = self.check()
        workspaces = [
            ref_from_asana(w, self.source.name, "workspace")
            for w in self.paged("/workspaces", {"limit": PAGE_SIZE}, what="list workspaces")
        ]
        listed = self.parallel([partial(self.list_projects, w) for w in workspaces])
        spaces = unique_names([w.name or "" for w in workspaces])
        containers: list[Container] = []
        for workspace, projects in zip(workspaces, listed, strict=True):
            space = Space(
                workspace.gid, workspace.name or workspace.gid, "workspace", _ref(workspace, spaces)
            )
            names = unique_names([p.name or "" for p in projects])
            containers += [
                Container(p.gid, p.name or p.gid, _ref(p, names), space) for p in projects
            ]
        return Discovery(who, "projects", tuple(containers))

    def list_projects(self, workspace: Ref) -> list[Ref]:
        """The unarchived projects of a workspace (paged)."""
        params = project_params(workspace.gid, every_active=True)
        what = f"list projects of workspace {workspace.label}"
        return [
            ref_from_asana(p, self.source.name, "project")
            for p in self.paged("/projects", params, what=what)
        ]

    def discover_details(self, chosen: Sequence[Container]) -> Details:
        """Each chosen project's custom fields (``GET /projects/{P}/custom_field_settings``) and
        the user directory, with emails, of each workspace they are in (``GET /users``)."""
        defs = self.parallel([partial(self.read_fields, Ref(c.id, c.name)) for c in chosen])
        spaces = {c.space.id: Ref(c.space.id, c.space.name) for c in chosen if c.space}
        directories = self.parallel([partial(self.read_people, w) for w in spaces.values()])
        people = {a.id: a for users in directories for a in users}
        fields = {c.id: d for c, d in zip(chosen, defs, strict=True)}
        return Details(fields, tuple(people.values()))

    # -- people and tasks ----------------------------------------------------------------------

    def read_people(self, workspace: Ref) -> list[Account]:
        """The workspace's user directory with emails: one listing, never one call per user."""
        return [
            account_from_asana(u, self.source.name)
            for u in self.paged(
                "/users",
                user_params(workspace.gid),
                what=f"list users of workspace {workspace.label}",
            )
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
        accounts = {a.id: a for a in self.read_people(workspace)}
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
        """The open tasks of a project, and those completed since the history cutoff (raw)."""
        return list(
            self.paged(
                f"/projects/{project.gid}/tasks",
                task_params(completed_since=self.cutoff),
                what=f"list tasks of project {project.label}",
            )
        )

    def list_changed(self, project: Ref, after: str) -> list[Any]:
        """The tasks of a project modified since ``after`` (raw)."""
        params = {"project": project.gid, "modified_since": after, **task_params()}
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
                task_params(),
                what=f"list subtasks of task {gid} ({name!r})",
            )
        )

    def gather(self, projects: Sequence[Ref], listed: Sequence[list[Any]]) -> Tree:
        """Convert listed tasks project by project (first project wins), with their subtasks."""
        children = self.read_subtasks([r for raws in listed for r in raws])
        tree = Tree(self.source.name, children, self.tz)
        for project, raws in zip(projects, listed, strict=True):
            for raw in raws:
                tree.add(raw, project)
        return tree

    def read_subtasks(self, raws: list[Any]) -> dict[str, list[Any]]:
        """Raw subtasks by parent gid, all levels down: one listing per task that has some.

        Each level's listings run concurrently; tasks with ``num_subtasks`` 0 cost nothing.
        """
        children: dict[str, list[Any]] = {}
        level = self.parents(raws, children)
        while level:
            lists = self.parallel([partial(self.list_subtasks, p) for p in level])
            children.update((gid, subs) for (gid, _), subs in zip(level, lists, strict=True))
            level = self.parents([s for subs in lists for s in subs], children)
        return children

    def parents(
        self, raws: Iterable[Any], listed: Mapping[str, Any]
    ) -> list[tuple[str, str | None]]:
        """(gid, name) of each task among ``raws`` with subtasks not listed yet, once each —
        never one completed before the history cutoff: what lies below it is history."""
        out: dict[str, str | None] = {}
        for raw in raws:
            task, s = task_shape(raw, self.source.name)
            gid = s.ident(task, "gid")
            count = s.number(task, "num_subtasks")
            old = completed_before(raw, self.source.name, self.cutoff)
            if count and count > 0 and gid not in listed and not old:
                out.setdefault(gid, s.text(task, "name"))
        return list(out.items())

    # -- writes (raci fix: connectors/writes.py) ------------------------------------------------

    def read_task(self, task: Task, previous: Snapshot | None = None) -> Task:
        """``GET /tasks/{task_gid}`` with the listing's fields: the task as Asana has it now,
        placed in its project (a subtask under its parent) as a read places it."""
        what = f"read task {task.id} ({task.title!r}) again"
        try:
            body = self.request(f"/tasks/{task.id}", one_task_params(), what=what)
        except NotFoundError:
            raise self._gone(task, what) from None
        return self._remember(task, body, what)

    def set_role(self, task: Task, letter: str, who: Who) -> Written:
        """Give ``who`` the letter on ``task``: the assignee, or a people or text custom field
        (``PUT /tasks/{task_gid}``, one request; its answer is the task after the write)."""
        raw = self._fresh.get(task.id)
        if raw is None:
            task = self.read_task(task)
            raw = self._fresh[task.id]
        target = write_target(raw, role_refs(self.source, letter), letter, task, self.describe)
        where = f"{self.describe}: task {task.id}"
        before = empty_before(task, target, where, self.source.name)
        value = (who.account,) if target.type == PEOPLE else who.names[:1]
        fresh = self._write(task, target, value, f"set {target.label} of task {task.id}")
        return Written(fresh, target, before, target.values(fresh))

    def restore_role(
        self, task: Task, target: Target, before: tuple[str, ...], after: tuple[str, ...]
    ) -> Written:
        """Put ``before`` back into ``target`` where it still holds ``after``."""
        where = f"{self.describe}: task {task.id}"
        now = unchanged_since(task, target, after, where, self.source.name)
        what = f"restore {target.label} of task {task.id}"
        fresh = self._write(task, target, before, what)
        return Written(fresh, target, now, target.values(fresh))

    def _write(self, task: Task, target: Target, values: tuple[str, ...], what: str) -> Task:
        """``target`` made to hold ``values``; the task after it. An answer that cannot be read
        (cut off, not JSON, not a task) does not say whether Asana took the write: the task is
        read again, and holds the values (written) or not (the answer's error)."""
        return written_or_read_back(
            lambda: self._put(task, write_body(target, values), what),
            lambda: self.read_task(task),
            target,
            values,
        )

    def _put(self, task: Task, data: dict[str, Any], what: str) -> Task:
        """``PUT /tasks/{task_gid}``; a refusal says which scope or access is missing."""
        try:
            body = self.http.request_json(
                "PUT",
                f"{self.base_url}/tasks/{task.id}",
                params=one_task_params(),
                json_body={"data": data},
                what=what,
            )
        except AuthError as exc:
            if "answered 401" in str(exc):
                raise
            raise AuthError(
                f"{self.describe}: Asana answered 403 Forbidden to {what} ({task.title!r}): the "
                f"token may read this task but not change it. A token of an OAuth app needs the "
                f"{WRITE_SCOPE!r} scope; a personal access token needs its user to have edit "
                "access to the task (a comment-only project member has none). Nothing was changed",
                source=self.source.name,
            ) from None
        except NotFoundError:
            raise self._gone(task, what) from None
        return self._remember(task, body, what)

    def _remember(self, task: Task, body: Any, what: str) -> Task:
        """The task of a ``{data: task}`` answer, converted in its place; its raw form kept."""
        raw = shape(self.source.name, f"the answer to {what}").obj(body).get("data")
        self._fresh[task.id] = raw
        if task.parent_id is not None:  # a subtask is placed under its parent, as a read does
            parent = Task(
                self.source.name,
                task.parent_id,
                "",
                container=task.container,
                container_id=task.container_id,
                group=task.group,
            )
            return task_from_asana(raw, self.source.name, parent=parent, tz=self.tz)
        project = Ref(task.container_id, task.container) if task.container_id else None
        return task_from_asana(raw, self.source.name, project=project, tz=self.tz)

    def _gone(self, task: Task, what: str) -> NotFoundError:
        return NotFoundError(
            f"{self.describe}: Asana answered 404 to {what}: task {task.id} ({task.title!r}) "
            "is deleted, or moved where the token's user cannot see it",
            source=self.source.name,
        )

    # -- HTTP ----------------------------------------------------------------------------------

    def paged(self, path: str, params: Mapping[str, Any], *, what: str) -> Iterator[Any]:
        """Every item of a paginated list once, following ``next_page.offset``.

        A listing is complete or it fails: an offset that comes back, a page that promises more
        but brings no item not seen before (an offset new on every page over the same tasks),
        a ``next_page`` without an offset, or more than ``[sync] max_pages`` pages (Asana gives
        no total) raise a SourceError naming the listing, never end it quietly.
        """
        params = dict(params)
        offsets: set[str] = set()
        seen: set[str] = set()
        limit = self.source.bounds.max_pages
        for number in itertools.count(1):
            body = self.request(path, params, what=what)
            s = shape(self.source.name, f"the answer to {what}")
            page = s.obj(body)
            data = page.get("data")
            if not isinstance(data, list):
                raise s.error("without a 'data' list")
            fresh = [item for item in data if _new_item(item, seen)]
            yield from fresh
            nxt = page.get("next_page")
            if nxt is None:
                return
            offset = s.text(s.obj(nxt, "next_page"), "offset")
            if not offset:
                raise s.error("with a next_page that has no offset, so the rest cannot be read")
            if offset in offsets:
                raise s.error(f"with next_page.offset {offset!r} repeated (a paging loop)")
            if not fresh:
                raise s.error(
                    f"with page {number} holding nothing not seen before ({len(data)} items) "
                    "while promising another page (a paging loop)"
                )
            if number >= limit:
                raise SourceError(
                    f"{self.describe}: {what} still had more after {limit} pages of "
                    f"{PAGE_SIZE} ([sync] max_pages); the read was stopped as incomplete. "
                    "Raise max_pages if the listing really is that long",
                    source=self.source.name,
                )
            offsets.add(offset)
            params["offset"] = offset
        raise AssertionError("unreachable")  # pragma: no cover

    def request(self, path: str, params: Mapping[str, Any], *, what: str) -> Any:
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

    def parallel(self, calls: Sequence[Callable[[], T]]) -> list[T]:
        """Every call's result in call order, up to ``max_workers`` at once.

        The first failure is raised and no new call starts (``parallel.in_order``): a failed
        project fails the read, never shrinks it.
        """
        return in_order(calls, self.max_workers, name=self.kind)


def _ref(obj: Ref, unique: set[str]) -> str:
    """An object's name when it names this object alone, else its gid."""
    name = (obj.name or "").strip()
    if name and name.casefold() in unique and not name.isdigit():
        return obj.name or obj.gid
    return obj.gid


def _listed(names: Sequence[str], limit: int = 10) -> str:
    """``'A', 'B' and 3 more`` (or ``none``)."""
    if not names:
        return "none"
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _new_item(item: Any, seen: set[str]) -> bool:
    """Whether a listed object is new to this listing (by gid; one without a gid always is)."""
    gid = item.get("gid") if isinstance(item, dict) else None
    if not isinstance(gid, str):
        return True
    if gid in seen:
        return False
    seen.add(gid)
    return True


def _matching(wanted: str, seen: list[Ref]) -> list[Ref]:
    """Objects whose gid is ``wanted``, else those whose name is it (case-insensitive)."""
    key = wanted.strip().casefold()
    return [s for s in seen if s.gid == wanted] or [
        s for s in seen if (s.name or "").strip().casefold() == key
    ]
