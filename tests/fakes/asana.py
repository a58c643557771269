"""A fake Asana REST API over a generated workspace, checked against Asana's OpenAPI spec
(the extract ``specs/asana.openapi.json``).

Every request is first matched against the spec: the path and method must exist, every query
parameter must be one the operation declares, every ``opt_fields`` entry must be in the
operation's enum, integers and booleans must parse and lie within the declared bounds (``limit``
1–100). A request that breaks the spec is recorded in ``violations`` and answered ``400`` (or
``404`` for an unknown path) with Asana's error body, as the real API rejects bad parameters.

Served (all others in the spec answer ``501`` and are recorded as not implemented)::

    PUT /tasks/{gid}   (raci fix: ``assignee`` and ``custom_fields`` of the workspace's people
                       and text fields; the task changes, and its answer is the task after it)

    GET /users/{user_gid}  (me too)    GET /users?workspace=         GET /workspaces
    GET /workspaces/{gid}             GET /workspaces/{gid}/users   GET /workspaces/{gid}/projects
    GET /projects?workspace=          GET /projects/{gid}           GET /projects/{gid}/sections
    GET /projects/{gid}/tasks         GET /tasks?project=|section=  GET /tasks/{gid}
    GET /tasks/{gid}/subtasks         GET /projects/{gid}/custom_field_settings
    GET /projects/{gid}/task_counts

Lists page as documented: with ``limit`` the answer holds ``next_page {offset, path, uri}`` (null
on the last page) and ``offset`` must be a token from a previous page of the same request;
without ``limit`` everything comes in one answer without ``next_page``. Objects come in their
compact form (the operation's response schema) unless ``opt_fields`` asks for more; a dotted
entry (``assignee.name``) selects inside a nested object, an undotted one naming an object gives
its ``{gid, resource_type}``. ``GET /tasks`` honours ``modified_since`` and ``completed_since``.
``repeat_pages = True`` makes task listings page without advancing: each next page is the first
again under a new offset.

A write's body is checked against the operation's request schema (``{"data": TaskUpdateRequest}``):
every key of ``data`` must be a property of the schema and not read-only, ``assignee`` a string
or null, ``custom_fields`` an object whose values are what the spec's description of it allows
("an enum GID, string, number, object, or array"). ``read_only = True`` stands for a token
without write access: every write answers 403 with Asana's error body.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from typing import Any
from urllib.parse import urlencode

from tests.fakes import Answer, day, iso, parse_moment, spec_file
from tests.fakes.workspace import Container, Person, Task, Workspace

BASE_URL = "https://app.asana.com/api/1.0"
TOKEN = "fake-asana-token"
HELP = (
    "For more information on API status codes and how to handle them, read the docs on errors: "
    "https://developers.asana.com/docs/errors"
)
CUSTOM_FIELD_NAMES = {
    "accountable": "Accountable",
    "consulted": "Consulted",
    "effort": "Timer",
    "priority": "Prioritet",
}
FIELD_TYPES = {
    "accountable": "people",
    "consulted": "people",
    "effort": "number",
    "priority": "enum",
}


class AsanaSpec:
    """The parts of the OpenAPI document the fake needs: paths, parameters, compact fields."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.templates = sorted(
            ((re.compile("^" + re.sub(r"\{[^/]+\}", "([^/]+)", p) + "$"), p) for p in doc["paths"]),
            key=lambda t: t[1].count("{"),  # literal segments win over parameters
        )

    def resolve(self, node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            obj: Any = self.doc
            for part in node["$ref"].lstrip("#/").split("/"):
                obj = obj[part]
            node = obj
        return node

    def match(self, path: str) -> tuple[str, tuple[str, ...]] | None:
        for rx, template in self.templates:
            m = rx.match(path)
            if m:
                return template, m.groups()
        return None

    def template(self, path: str) -> str | None:
        """The path template a concrete path matches, or None."""
        found = self.match(path)
        return found[0] if found else None

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
        """(template, path item, operation) for a concrete request path (asserts it exists)."""
        template = self.template(path)
        assert template, f"{method} {path}: no such path in the Asana spec"
        item = self.doc["paths"][template]
        assert method.lower() in item, f"{method} {template}: method not in the Asana spec"
        return template, item, item[method.lower()]

    @cache  # noqa: B019 - one spec object per process
    def query_params(self, template: str, method: str) -> dict[str, dict[str, Any]]:
        item = self.doc["paths"][template]
        op = item[method.lower()]
        params = [self.resolve(p) for p in item.get("parameters", []) + op.get("parameters", [])]
        return {p["name"]: p for p in params if p["in"] == "query"}

    @cache  # noqa: B019
    def body_properties(self, template: str, method: str) -> dict[str, dict[str, Any]]:
        """The properties of the request body's ``data`` schema (``allOf`` flattened)."""
        op = self.doc["paths"][template][method.lower()]
        schema = self.resolve(op["requestBody"]["content"]["application/json"]["schema"])
        return self._properties(schema["properties"]["data"])

    def _properties(self, schema: Any) -> dict[str, dict[str, Any]]:
        schema = self.resolve(schema)
        out: dict[str, dict[str, Any]] = {}
        for part in schema.get("allOf", [schema]):
            part = self.resolve(part)
            if "allOf" in part:
                out.update(self._properties(part))
            else:
                out.update(part.get("properties", {}))
        return out

    @cache  # noqa: B019
    def compact_fields(self, template: str, method: str) -> tuple[str, ...]:
        """Properties of the schema the operation's 200 answer holds in ``data``."""
        op = self.doc["paths"][template][method.lower()]
        schema = self.resolve(op["responses"]["200"]["content"]["application/json"]["schema"])
        data = self.resolve(schema["properties"]["data"])
        if data.get("type") == "array":
            data = data["items"]
        return tuple(dict.fromkeys(self._props(data)))

    def _props(self, schema: Any) -> list[str]:
        schema = self.resolve(schema)
        out: list[str] = []
        for part in schema.get("allOf", [schema]):
            part = self.resolve(part)
            if "allOf" in part:
                out += self._props(part)
            else:
                out += list(part.get("properties", {}))
        return out


@cache
def asana_spec() -> AsanaSpec:
    """The Asana spec extract, loaded once per process."""
    with spec_file("asana.openapi.json").open(encoding="utf-8") as f:
        return AsanaSpec(json.load(f))


class BadRequest(Exception):
    """Answered as Asana's 400 error body."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class AsanaFake:
    """Answers Asana API requests from a :class:`Workspace`."""

    api = "asana"

    def __init__(
        self,
        ws: Workspace,
        *,
        token: str = TOKEN,
        base_url: str = BASE_URL,
        offset_ttl: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ws = ws
        self.token = token
        self.base_url = base_url.rstrip("/")
        self.offset_ttl = offset_ttl  # seconds an offset token lives (None: forever)
        self.clock = clock
        self.spec = asana_spec()
        self.violations: list[str] = []
        # a server whose paging does not advance: every page of a task listing is the first
        # again, under an offset never handed out before (the loop that ran until killed)
        self.repeat_pages = False
        self.field_names: dict[str, str] = {}  # a custom field renamed in Asana (key → name)
        self.read_only = False  # a token without write access: every write answers 403
        self._writing = threading.Lock()
        self._issued = itertools.count()
        self._lock = threading.Lock()
        self.routes: dict[str, Callable[..., Any]] = {
            "/users/{user_gid}": self.get_user,
            "/users": self.get_users,
            "/workspaces": self.get_workspaces,
            "/workspaces/{workspace_gid}": self.get_workspace,
            "/workspaces/{workspace_gid}/users": self.get_workspace_users,
            "/workspaces/{workspace_gid}/projects": self.get_workspace_projects,
            "/projects": self.get_projects,
            "/projects/{project_gid}": self.get_project,
            "/projects/{project_gid}/sections": self.get_sections,
            "/projects/{project_gid}/custom_field_settings": self.get_field_settings,
            "/projects/{project_gid}/task_counts": self.get_task_counts,
            "/projects/{project_gid}/tasks": self.get_project_tasks,
            "/tasks": self.get_tasks,
            "/tasks/{task_gid}": self.get_task,
            "/tasks/{task_gid}/subtasks": self.get_subtasks,
        }
        self.writes: dict[tuple[str, str], Callable[..., Any]] = {
            ("PUT", "/tasks/{task_gid}"): self.put_task,
        }

    # -- the entry point ----------------------------------------------------------------------

    def handle(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        """One request (``path`` below ``/api/1.0``) → (status, headers, body).

        ``headers=None`` (a direct call from a test) skips the token check.
        """
        if headers is not None:
            auth = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
            if auth != f"Bearer {self.token}":
                return error(401, "Not Authorized")
        found = self.spec.match(path)
        if found is None:
            return self.reject(
                f"{method} {path}: no such path in the Asana spec",
                404,
                "No matching route for request",
            )
        template, args = found
        if method.lower() not in self.spec.doc["paths"][template]:
            return self.reject(
                f"{method} {template}: method not in the Asana spec",
                404,
                "No matching route for request",
            )
        try:
            fields = self.check_query(method, template, query)
            if method != "GET":
                return self.write(method, template, args, body, fields)
            route = self.routes.get(template)
            if route is None:
                self.record(f"{method} {template}: in the spec but not implemented by the fake")
                return error(501, f"the fake Asana API does not implement {method} {template}")
            return 200, {}, route(*args, query=query, fields=fields, template=template)
        except BadRequest as exc:
            return error(exc.status, str(exc))

    def write(
        self, method: str, template: str, args: tuple[str, ...], body: Any, fields: Any
    ) -> Answer:
        """A write: its body checked against the operation's request schema, then applied."""
        route = self.writes.get((method, template))
        if route is None:
            self.record(f"{method} {template}: in the spec but not implemented by the fake")
            return error(501, f"the fake Asana API does not implement {method} {template}")
        data = self.check_body(method, template, body)
        if self.read_only:
            return error(
                403,
                "Forbidden: this token has no permission to change this object; the app needs "
                "the tasks:write scope",
            )
        with self._writing:
            return 200, {}, route(*args, data=data, fields=fields, template=template)

    def check_body(self, method: str, template: str, body: Any) -> dict[str, Any]:
        """``{"data": {...}}`` with only writable properties of the operation's schema."""
        where = f"{method} {template}"
        if (
            not isinstance(body, dict)
            or set(body) != {"data"}
            or not isinstance(body["data"], dict)
        ):
            self.record(f"{where}: the body is not {{'data': {{...}}}}")
            raise BadRequest("data: Missing input")
        props = self.spec.body_properties(template, method)
        for name, value in body["data"].items():
            prop = self.spec.resolve(props.get(name, {}))
            if name not in props or prop.get("readOnly"):
                self.record(f"{where}: data.{name} is not a writable property of the request")
                raise BadRequest(f"data.{name}: Unknown or read-only property")
            if prop.get("type") == "string" and not (
                isinstance(value, str) or (value is None and prop.get("nullable"))
            ):
                self.record(f"{where}: data.{name} = {value!r} is not a string")
                raise BadRequest(f"data.{name}: Not a string")
            if name == "custom_fields" and not (
                isinstance(value, dict)
                and all(isinstance(v, str | int | float | list | dict) for v in value.values())
            ):
                self.record(f"{where}: data.custom_fields = {value!r} is not {{gid: value}}")
                raise BadRequest("data.custom_fields: Not an object of values")
        return dict(body["data"])

    def record(self, problem: str) -> None:
        with self._lock:
            if problem not in self.violations:  # each problem once
                self.violations.append(problem)

    def reject(self, problem: str, status: int, message: str) -> Answer:
        self.record(problem)
        return error(status, message)

    def check_query(self, method: str, template: str, query: Mapping[str, str]) -> list[str] | None:
        """Every query parameter against the operation's; the ``opt_fields`` asked for."""
        allowed = self.spec.query_params(template, method)
        where = f"{method} {template}"
        for name, value in query.items():
            param = allowed.get(name)
            if param is None:
                self.record(f"{where}: query parameter {name!r} is not in the spec")
                raise BadRequest(f"{name}: Unknown parameter for {where}")
            schema = self.spec.resolve(param.get("schema", {}))
            if name == "opt_fields":
                continue
            if schema.get("type") == "integer":
                lo, hi = schema.get("minimum"), schema.get("maximum")
                if not re.fullmatch(r"-?\d+", value):
                    raise BadRequest(f"{name}: Not a valid integer: {value!r}")
                if (lo is not None and int(value) < lo) or (hi is not None and int(value) > hi):
                    raise BadRequest(f"{name}: Value {value} is not between {lo} and {hi}")
            elif schema.get("type") == "boolean" and value not in ("true", "false"):
                raise BadRequest(f"{name}: Not a boolean: {value!r}")
            elif schema.get("format") == "date-time" and parse_moment(value) is None:
                raise BadRequest(f"{name}: Not a valid date-time: {value!r}")
        for name, param in allowed.items():
            if param.get("required") and name not in query:
                raise BadRequest(f"{name}: Missing input")
        if "opt_fields" not in query:
            return None
        enum = set(self.spec.resolve(allowed["opt_fields"]["schema"])["items"]["enum"])
        fields = [f for f in query["opt_fields"].split(",") if f]
        unknown = [f for f in fields if f not in enum]
        if unknown:
            self.record(f"{where}: opt_fields {unknown} not in the operation's enum")
            raise BadRequest(f"opt_fields: Unknown field(s) {', '.join(unknown)} for {where}")
        return fields

    # -- routes -------------------------------------------------------------------------------

    def get_user(self, user_gid: str, *, query: Any, fields: Any, template: str) -> Any:
        person = self.ws.people[self.ws.me] if user_gid == "me" else self._person(user_gid)
        return {"data": select(self.user(person), fields, self._compact(template))}

    def get_users(self, *, query: Mapping[str, str], fields: Any, template: str) -> Any:
        workspace = query.get("workspace")
        if workspace is not None:
            self._workspace(workspace)
        people = sorted(self.ws.people, key=lambda p: int(p.asana_gid))
        return self.page(people, self.user, query, fields, template, "/users")

    def get_workspace_users(self, gid: str, *, query: Any, fields: Any, template: str) -> Any:
        self._workspace(gid)
        people = sorted(self.ws.people, key=lambda p: p.name.casefold())[:2000]
        return {"data": [select(self.user(p), fields, self._compact(template)) for p in people]}

    def get_workspaces(self, *, query: Mapping[str, str], fields: Any, template: str) -> Any:
        return self.page([self.ws], self.workspace, query, fields, template, "/workspaces")

    def get_workspace(self, gid: str, *, query: Any, fields: Any, template: str) -> Any:
        self._workspace(gid)
        return {"data": select(self.workspace(self.ws), fields, self._compact(template))}

    def get_projects(self, *, query: Mapping[str, str], fields: Any, template: str) -> Any:
        if "workspace" not in query and "team" not in query:
            raise BadRequest("workspace: Missing input")
        if "workspace" in query:
            self._workspace(query["workspace"])
        projects = [] if query.get("archived") == "true" else self.ws.asana.containers
        return self.page(projects, self.project, query, fields, template, "/projects")

    def get_workspace_projects(
        self, gid: str, *, query: Mapping[str, str], fields: Any, template: str
    ) -> Any:
        self._workspace(gid)
        projects = [] if query.get("archived") == "true" else self.ws.asana.containers
        path = f"/workspaces/{gid}/projects"
        return self.page(projects, self.project, query, fields, template, path)

    def get_project(self, gid: str, *, query: Any, fields: Any, template: str) -> Any:
        return {"data": select(self.project(self._project(gid)), fields, self._compact(template))}

    def get_sections(
        self, gid: str, *, query: Mapping[str, str], fields: Any, template: str
    ) -> Any:
        project = self._project(gid)
        sections = [self.section(g.id, g.name) for g in project.groups]
        path = f"/projects/{gid}/sections"
        return self.page(sections, lambda s: s, query, fields, template, path)

    def get_field_settings(
        self, gid: str, *, query: Mapping[str, str], fields: Any, template: str
    ) -> Any:
        project = self._project(gid)
        settings = [self.field_setting(project, key) for key in self.ws.asana.field_ids]
        path = f"/projects/{gid}/custom_field_settings"
        return self.page(settings, lambda s: s, query, fields, template, path)

    def get_task_counts(self, gid: str, *, query: Any, fields: Any, template: str) -> Any:
        tasks = self.ws.asana.top_level(self._project(gid))
        done = sum(t.state == "done" for t in tasks)
        counts = {
            "num_tasks": len(tasks),
            "num_incomplete_tasks": len(tasks) - done,
            "num_completed_tasks": done,
            "num_milestones": 0,
            "num_incomplete_milestones": 0,
            "num_completed_milestones": 0,
        }
        return {"data": select(counts, fields, self._compact(template))}

    def get_project_tasks(
        self, gid: str, *, query: Mapping[str, str], fields: Any, template: str
    ) -> Any:
        tasks = self.ws.asana.top_level(self._project(gid))
        tasks = completed_since(tasks, query.get("completed_since"))
        return self.page(tasks, self.task, query, fields, template, f"/projects/{gid}/tasks")

    def get_tasks(self, *, query: Mapping[str, str], fields: Any, template: str) -> Any:
        if "project" in query:
            tasks = self.ws.asana.top_level(self._project(query["project"]))
        elif "section" in query:
            tasks = [
                t
                for t in self.ws.asana.live()
                if t.parent is None and t.group.id == query["section"]
            ]
        elif "assignee" in query and "workspace" in query:
            self._workspace(query["workspace"])
            who = (
                self.ws.people[self.ws.me].asana_gid
                if query["assignee"] == "me"
                else query["assignee"]
            )
            tasks = [
                t
                for t in self.ws.asana.live()
                if t.responsible and self.ws.people[t.responsible[0]].asana_gid == who
            ]
        else:
            raise BadRequest(
                "Must specify exactly one of project, tag, section, user task list, or assignee + "
                "workspace"
            )
        tasks = completed_since(tasks, query.get("completed_since"))
        if "modified_since" in query:
            since = parse_moment(query["modified_since"])
            tasks = [t for t in tasks if since is not None and t.updated > since]
        return self.page(tasks, self.task, query, fields, template, "/tasks")

    def get_task(self, gid: str, *, query: Any, fields: Any, template: str) -> Any:
        return {"data": select(self.task(self._task(gid)), fields, self._compact(template))}

    def get_subtasks(
        self, gid: str, *, query: Mapping[str, str], fields: Any, template: str
    ) -> Any:
        subtasks = [s for s in self._task(gid).subtasks if not s.deleted]
        return self.page(subtasks, self.task, query, fields, template, f"/tasks/{gid}/subtasks")

    def put_task(self, gid: str, *, data: Mapping[str, Any], fields: Any, template: str) -> Any:
        """Change a task's assignee and its people and text fields, as Asana would."""
        t = self._task(gid)
        changes: dict[str, Any] = {}
        if "assignee" in data:
            who = data["assignee"]
            changes["responsible"] = () if who is None else (self._person(who).index,)
        for field_gid, value in (data.get("custom_fields") or {}).items():
            key = next((k for k, g in self.ws.asana.field_ids.items() if g == field_gid), None)
            if key is None or t.parent is not None:  # subtasks outside the project have none
                raise BadRequest(f"custom_fields: Custom field {field_gid} is not on this task")
            changes.update(self._field_change(key, value))
        self.ws.touch("asana", gid, **changes)
        return {"data": select(self.task(t), fields, self.spec.compact_fields(template, "PUT"))}

    def _field_change(self, key: str, value: Any) -> dict[str, Any]:
        if FIELD_TYPES[key] != "people":
            raise BadRequest(f"custom_fields: the fake does not write {FIELD_TYPES[key]} fields")
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise BadRequest("custom_fields: a people field takes an array of user gids")
        people = tuple(self._person(v).index for v in value)
        if key == "accountable":
            if len(people) > 1:
                raise BadRequest("custom_fields: the fake keeps one Accountable")
            return {"accountable": people[0] if people else None}
        return {"consulted": people}

    # -- paging -------------------------------------------------------------------------------

    def page(
        self,
        items: list[Any],
        render: Callable[[Any], dict[str, Any]],
        query: Mapping[str, str],
        fields: list[str] | None,
        template: str,
        path: str,
    ) -> dict[str, Any]:
        compact = self._compact(template)
        if "limit" not in query:
            if "offset" in query:
                self._offset(query)  # still validated
            return {"data": [select(render(i), fields, compact) for i in items]}
        limit = int(query["limit"])
        start = self._offset(query) if "offset" in query else 0
        if self.repeat_pages and "/tasks" in template:
            start = 0
        chunk = items[start : start + limit]
        out: dict[str, Any] = {"data": [select(render(i), fields, compact) for i in chunk]}
        if start + limit < len(items):
            token = self._token(query, start + limit)
            rest = {k: v for k, v in query.items() if k != "offset"}
            rel = f"{path}?{urlencode({**rest, 'offset': token})}"
            out["next_page"] = {"offset": token, "path": rel, "uri": self.base_url + rel}
        else:
            out["next_page"] = None
        return out

    def _token(self, query: Mapping[str, str], position: int) -> str:
        issued = next(self._issued)  # no two tokens alike, as Asana's are opaque and new
        raw = json.dumps({"i": position, "q": _query_key(query), "t": self.clock(), "n": issued})
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    def _offset(self, query: Mapping[str, str]) -> int:
        token = query["offset"]
        try:
            raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            position, key, issued = int(raw["i"]), raw["q"], float(raw["t"])
        except (ValueError, KeyError, TypeError):
            raise BadRequest("offset: Your pagination token is invalid.") from None
        if key != _query_key(query):
            raise BadRequest("offset: Your pagination token does not belong to this request.")
        if self.offset_ttl is not None and self.clock() - issued > self.offset_ttl:
            raise BadRequest("offset: Your pagination token has expired.")
        return position

    def _compact(self, template: str) -> tuple[str, ...]:
        return self.spec.compact_fields(template, "GET")

    # -- lookups (404 like Asana) ---------------------------------------------------------------

    def _workspace(self, gid: str) -> None:
        if gid != self.ws.workspace_gid:
            raise BadRequest(f"workspace: Not a recognized ID: {gid}", 404)

    def _project(self, gid: str) -> Container:
        project = self.ws.asana.container(gid)
        if project is None:
            raise BadRequest(f"project: Not a recognized ID: {gid}", 404)
        return project

    def _task(self, gid: str) -> Task:
        try:
            task = self.ws.asana.task(gid)
        except KeyError:
            task = None
        if task is None or task.deleted:
            raise BadRequest(f"task: Not a recognized ID: {gid}", 404)
        return task

    def _person(self, gid: str) -> Person:
        person = self.ws.person("asana", gid)
        if person is None:
            raise BadRequest(f"user: Not a recognized ID: {gid}", 404)
        return person

    # -- full representations (selected down by ``select``) -------------------------------------

    def workspace(self, ws: Workspace) -> dict[str, Any]:
        return {
            "gid": ws.workspace_gid,
            "resource_type": "workspace",
            "name": ws.workspace_name,
            "email_domains": ["nordlys.example"],
            "is_organization": True,
        }

    def user_compact(self, person: Person) -> dict[str, Any]:
        return {"gid": person.asana_gid, "resource_type": "user", "name": person.name}

    def user(self, person: Person) -> dict[str, Any]:
        ws = self.workspace(self.ws)
        return {
            **self.user_compact(person),
            "email": person.email,
            "photo": None,
            "workspaces": [{k: ws[k] for k in ("gid", "resource_type", "name")}],
        }

    def project_compact(self, project: Container) -> dict[str, Any]:
        return {"gid": project.id, "resource_type": "project", "name": project.name}

    def project(self, project: Container) -> dict[str, Any]:
        return {
            **self.project_compact(project),
            "archived": False,
            "color": "light-green",
            "created_at": iso(project.created),
            "modified_at": iso(project.created),
            "notes": "",
            "public": True,
            "completed": False,
            "completed_at": None,
            "owner": self.user_compact(self.ws.people[self.ws.me]),
            "permalink_url": f"https://app.asana.com/0/{project.id}/{project.id}",
            "workspace": {
                "gid": self.ws.workspace_gid,
                "resource_type": "workspace",
                "name": self.ws.workspace_name,
            },
        }

    def field_setting(self, project: Container, key: str) -> dict[str, Any]:
        """One custom field setting of a project (``CustomFieldSettingResponse``)."""
        field_gid = self.ws.asana.field_ids[key]
        subtype = FIELD_TYPES[key]
        return {
            "gid": str(int(project.id) + int(field_gid) % 1000),
            "resource_type": "custom_field_setting",
            "project": self.project_compact(project),
            "parent": self.project_compact(project),
            "is_important": key in ("accountable", "effort"),
            "custom_field": {
                "gid": field_gid,
                "resource_type": "custom_field",
                "name": self.field_names.get(key, CUSTOM_FIELD_NAMES[key]),
                "resource_subtype": subtype,
                "type": subtype,
                "enabled": True,
                "is_formula_field": False,
            },
        }

    @staticmethod
    def section(gid: str, name: str) -> dict[str, Any]:
        return {"gid": gid, "resource_type": "section", "name": name}

    def task(self, t: Task) -> dict[str, Any]:
        people = self.ws.people
        project = self.project_compact(t.container)
        top = t.parent is None
        ids = self.ws.asana.field_ids
        done = t.state == "done"
        return {
            "gid": t.id,
            "resource_type": "task",
            "name": t.title,
            "resource_subtype": "default_task",
            "created_by": {"gid": people[self.ws.me].asana_gid, "resource_type": "user"},
            "created_at": iso(t.created),
            "modified_at": iso(t.updated),
            "completed": done,
            "completed_at": iso(t.completed_at) if done else None,
            "completed_by": None,
            "due_on": day(t.due or (t.due_at.date() if t.due_at else None)),
            "due_at": iso(t.due_at),
            "start_on": day(t.start),
            "start_at": None,
            "notes": "",
            "html_notes": "<body></body>",
            "assignee": self.user_compact(people[t.responsible[0]]) if t.responsible else None,
            "assignee_status": "upcoming",
            "followers": [self.user_compact(people[p]) for p in t.followers],
            "memberships": [{"project": project, "section": self.section(t.group.id, t.group.name)}]
            if top
            else [],
            "projects": [project] if top else [],
            "parent": None
            if t.parent is None
            else {
                "gid": t.parent.id,
                "resource_type": "task",
                "name": t.parent.title,
                "resource_subtype": "default_task",
            },
            "num_subtasks": sum(1 for s in t.subtasks if not s.deleted),
            "tags": [
                {"gid": self.ws.asana.tag_ids[label], "resource_type": "tag", "name": label}
                for label in t.labels
            ],
            "custom_fields": self.custom_fields(t, ids) if top else [],
            "permalink_url": f"https://app.asana.com/0/{t.container.id}/{t.id}",
            "workspace": {
                "gid": self.ws.workspace_gid,
                "resource_type": "workspace",
                "name": self.ws.workspace_name,
            },
            "dependencies": [],
            "dependents": [],
            "hearted": False,
            "hearts": [],
            "liked": False,
            "likes": [],
            "num_hearts": 0,
            "num_likes": 0,
            "is_rendered_as_separator": False,
        }

    def custom_fields(self, t: Task, ids: Mapping[str, str]) -> list[dict[str, Any]]:
        people = self.ws.people

        def field(key: str, subtype: str, display: str | None, **value: Any) -> dict[str, Any]:
            return {
                "gid": ids[key],
                "resource_type": "custom_field",
                "name": self.field_names.get(key, CUSTOM_FIELD_NAMES[key]),
                "resource_subtype": subtype,
                "type": subtype,
                "enabled": True,
                "is_formula_field": False,
                "display_value": display,
                **value,
            }

        accountable = [] if t.accountable is None else [self.user_compact(people[t.accountable])]
        consulted = [self.user_compact(people[p]) for p in t.consulted]
        option = None
        if t.priority:
            option = {
                "gid": self.ws.asana.enum_ids[t.priority],
                "resource_type": "enum_option",
                "name": t.priority,
                "enabled": True,
                "color": "blue",
            }
        return [
            field("accountable", "people", _names(accountable), people_value=accountable),
            field("consulted", "people", _names(consulted), people_value=consulted),
            field(
                "effort",
                "number",
                None if t.effort is None else f"{t.effort:g}",
                number_value=t.effort,
                precision=1,
            ),
            field("priority", "enum", t.priority, enum_value=option),
        ]


def select(
    obj: Mapping[str, Any], fields: list[str] | None, compact: Iterable[str]
) -> dict[str, Any]:
    """The object as Asana answers it: the compact fields, or ``gid`` plus ``opt_fields``."""
    if fields is None:
        return {k: obj[k] for k in compact if k in obj}
    return _pick(obj, fields)


def _pick(obj: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    tree: dict[str, list[str]] = {}
    for f in fields:
        head, _, rest = f.partition(".")
        tree.setdefault(head, [])
        if rest:
            tree[head].append(rest)
    out: dict[str, Any] = {"gid": obj["gid"]} if "gid" in obj else {}
    for head, rest in tree.items():
        if head in obj:
            out[head] = _nested(obj[head], rest)
    return out


def _nested(value: Any, rest: list[str]) -> Any:
    if isinstance(value, list):
        return [_nested(v, rest) for v in value]
    if isinstance(value, dict):
        if rest:
            return _pick(value, rest)
        if "gid" in value:  # an object named without sub-fields: a reference
            return {k: value[k] for k in ("gid", "resource_type") if k in value}
    return value


def completed_since(tasks: list[Task], value: str | None) -> list[Task]:
    """Incomplete tasks and those completed since ``value`` (a date-time or ``now``)."""
    if value is None:
        return tasks
    since = None if value == "now" else parse_moment(value)
    return [
        t
        for t in tasks
        if t.state != "done"
        or (since is not None and t.completed_at is not None and t.completed_at > since)
    ]


def error(status: int, message: str) -> Answer:
    """Asana's error body (``ErrorResponse``)."""
    entry: dict[str, Any] = {"message": message, "help": HELP}
    if status >= 500:
        entry["phrase"] = "6 sad squid snuggle softly"
    return status, {}, {"errors": [entry]}


def _names(users: list[dict[str, Any]]) -> str | None:
    return ", ".join(u["name"] for u in users) or None


def _query_key(query: Mapping[str, str]) -> str:
    rest = sorted((k, v) for k, v in query.items() if k not in ("offset",))
    return hashlib.sha256(repr(rest).encode()).hexdigest()[:16]
