"""The small Asana of the per-tool tests: the workspace recorded in ``tests/fixtures/asana/``.

Two projects (a task in both), subtasks two levels deep, a user who left the workspace. Served
two ways:

- :class:`AsanaStub` answers at the HTTP edge (``responses``) from routes to the recorded pages;
  :func:`full_workspace` routes everything a full read asks for.
- :class:`FakeAsana` answers on a real local server (pytest-httpserver) like the real API: lists
  per project, by ``modified_since``, subtasks per parent, users, pages of at most
  ``page_size``, 404 for unknown objects. It keeps every request it saw, and can change, move
  and create tasks and answer a path with queued faults (statuses, truncated bodies, reset
  connections) before its normal answer.
"""

from __future__ import annotations

import copy
import json
import os
import re
import socket
import struct
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
import responses
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from raci_sync.config import Secret, SourceConfig
from raci_sync.connectors.asana.client import DEFAULT_BASE_URL, AsanaConnector
from raci_sync.connectors.base import make_http

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "asana"
TOKEN = "2/1201987650000012/1208999999999999:0123456789abcdef0123456789abcdef"
WS, WS2 = "1204558760925811", "1207760012345678"
P1, P2 = "1206112233445501", "1206112233445502"
T1, T2, T3, T4, T5, T6 = (f"120842190731550{i}" for i in range(1, 7))
S1, S2 = "1208421907315511", "1208421907315512"
METTE, JONAS, ANDERS, SOFIE, FREJA = (f"12019876500000{i}" for i in range(11, 16))
LARS = "1201987650000099"  # left the workspace, still assignee of T5
OFFSET_TASKS = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.dGFza3My"
OFFSET_USERS = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.dXNlcnMy"
API = "/api/1.0"
SINCE = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)  # after every fixture's modified_at
CHANGED = "2026-12-06T09:30:00.000Z"  # when FakeAsana.change() changes a task
Fault = Callable[[Request], Response]


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


# -- at the HTTP edge -----------------------------------------------------------------------------


class AsanaStub:
    """Answers GETs under the Asana base URL from routes ``(path, offset) → [answers]``.

    Each answer is ``(status, headers, body)``; a route with several answers gives them in turn
    and then repeats the last. Unknown routes get Asana's 404 body.
    """

    def __init__(self, rsps: responses.RequestsMock, base: str = DEFAULT_BASE_URL) -> None:
        self.base = base
        self.routes: dict[tuple[str, str | None], list[tuple[int, dict[str, str], Any]]] = {}
        self.seen: list[tuple[str, dict[str, str]]] = []
        rsps.add_callback(responses.GET, re.compile(re.escape(base) + r"/.*"), callback=self)

    def on(self, path: str, *answers: Any, offset: str | None = None) -> AsanaStub:
        """Route ``path`` (and page ``offset``) to fixture names, bodies or (status, body[, h])."""
        out = []
        for a in answers:
            if isinstance(a, tuple):
                out.append((a[0], a[2] if len(a) > 2 else {}, _body(a[1])))
            else:
                out.append((200, {}, _body(a)))
        self.routes[(path, offset)] = out
        return self

    def __call__(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        parts = urlsplit(request.url or "")
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        path = parts.path.removeprefix(urlsplit(self.base).path)
        self.seen.append((path, query))
        answers = self.routes.get((path, query.get("offset")))
        if not answers:
            return 404, {}, json.dumps(load("error_404.json"))
        status, headers, body = answers.pop(0) if len(answers) > 1 else answers[0]
        return status, headers, body if isinstance(body, str) else json.dumps(body)

    @property
    def paths(self) -> list[str]:
        return [p for p, _ in self.seen]


def _body(a: Any) -> Any:
    return load(a) if isinstance(a, str) and a.endswith(".json") else a


def full_workspace(stub: AsanaStub) -> AsanaStub:
    """Routes for a whole fetch of the fixture workspace (two projects, paging, subtasks, the
    projects' custom field settings) and for check_scope (task counts)."""
    return (
        stub.on("/users/me", "user_me.json")
        .on("/workspaces", "workspaces.json")
        .on("/projects", "projects.json")
        .on("/users", "users_page1.json")
        .on("/users", "users_page2.json", offset=OFFSET_USERS)
        .on(f"/projects/{P1}/tasks", "tasks_kampagne_page1.json")
        .on(f"/projects/{P1}/tasks", "tasks_kampagne_page2.json", offset=OFFSET_TASKS)
        .on(f"/projects/{P2}/tasks", "tasks_analyse.json")
        .on(f"/tasks/{T2}/subtasks", "subtasks_video.json")
        .on(f"/tasks/{S1}/subtasks", "subtasks_manuskript.json")
        .on(f"/projects/{P1}/custom_field_settings", "field_settings_kampagne.json")
        .on(f"/projects/{P2}/custom_field_settings", "field_settings_analyse.json")
        .on(f"/projects/{P1}/task_counts", "task_counts_kampagne.json")
        .on(f"/projects/{P2}/task_counts", "task_counts_analyse.json")
    )


def source(**kw: Any) -> SourceConfig:
    base: dict[str, Any] = {
        "name": "kampagner",
        "kind": "asana",
        "token": Secret(TOKEN),
        "workspace": "Nordlys Kaffe",
    }
    return SourceConfig(**{**base, **kw})


def connector(*, max_workers: int = 4, **kw: Any) -> AsanaConnector:
    """A connector over a client that records its waits instead of sleeping.

    The client-side rate limiter is off: it is shared per token across the whole test run, and
    Asana's 150 requests a minute would make the suite wait once the tests add up to more.
    """
    src = source(**kw)
    sleeps: list[float] = []
    http = make_http(src, sleep=sleeps.append, rate_limits=False)
    conn = AsanaConnector(src, http, max_workers=max_workers)
    conn.sleeps = sleeps  # type: ignore[attr-defined]
    return conn


# -- on a local server ---------------------------------------------------------------------------


def answer(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    text = body if isinstance(body, str) else json.dumps(body)
    return Response(text, status=status, headers=headers, content_type="application/json")


def fail(status: int, body: Any, headers: dict[str, str] | None = None) -> Fault:
    return lambda _request: answer(status, body, headers)


def reset(request: Request) -> Response:
    """Drop the connection with a TCP reset before answering (the client sees ECONNRESET)."""
    sock = request.environ["werkzeug.socket"]
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    dummy = socket.socket()
    os.dup2(dummy.fileno(), sock.fileno())  # closes the connection's descriptor: RST
    dummy.close()
    return Response("never sent")


class FakeAsana:
    """A small Asana answering like the real one: lists of tasks per project, by modified_since,
    subtasks per parent, users, the projects' custom field settings (``fields``, to change)
    and task counts, the token's user; pages of at most ``page_size``; 404 for unknown
    objects."""

    def __init__(self, server: HTTPServer, page_size: int = 100) -> None:
        self.base = server.url_for(API)
        self.page_size = page_size
        self.users = load("users_page1.json")["data"] + load("users_page2.json")["data"]
        self.tasks: dict[str, dict[str, Any]] = {}
        for name in ("tasks_kampagne_page1", "tasks_kampagne_page2", "tasks_analyse"):
            for raw in load(f"{name}.json")["data"]:
                self.tasks.setdefault(raw["gid"], raw)
        self.subtasks: dict[str, list[str]] = {}
        for parent, name in ((T2, "subtasks_video"), (S1, "subtasks_manuskript")):
            for raw in load(f"{name}.json")["data"]:
                self.tasks[raw["gid"]] = raw
                self.subtasks.setdefault(parent, []).append(raw["gid"])
        self.lagging: dict[str, list[str]] = {}  # project → tasks still listed after leaving it
        self.fields = {  # project → its custom field settings
            P1: load("field_settings_kampagne.json")["data"],
            P2: load("field_settings_analyse.json")["data"],
        }
        self.faults: dict[str, list[Fault]] = {}
        self.seen: list[tuple[str, dict[str, str]]] = []
        self.stuck = False  # answer every page as the first, each with a new offset (a loop)
        server.expect_request(re.compile(f"^{API}/")).respond_with_handler(self)

    # -- changing the workspace ----------------------------------------------------------------

    def change(self, gid: str, **fields: Any) -> dict[str, Any]:
        task = self.tasks[gid]
        task.update(fields, modified_at=CHANGED)
        return task

    def move(self, gid: str, project: str, section: str = "Backlog") -> None:
        home = {
            "project": {"gid": project, "name": "Andet projekt"},
            "section": {"gid": "1207000000000001", "name": section},
        }
        self.change(gid, memberships=[home])

    def create(self, gid: str, like: str, **fields: Any) -> None:
        self.tasks[gid] = {**copy.deepcopy(self.tasks[like]), "gid": gid, **fields}
        self.tasks[gid]["modified_at"] = CHANGED

    def on(self, path: str, *faults: Fault) -> None:
        self.faults.setdefault(path, []).extend(faults)

    # -- answering -----------------------------------------------------------------------------

    def __call__(self, request: Request) -> Response:
        path = request.path.removeprefix(API)
        query = dict(request.args)
        self.seen.append((path, query))
        if self.faults.get(path):
            return self.faults[path].pop(0)(request)
        if path == "/users/me":
            return answer(200, load("user_me.json"))
        if m := re.fullmatch(r"/projects/(\d+)/task_counts", path):
            listed = self.in_project(m[1])
            done = sum(t["completed"] for t in listed)
            counts = {"num_incomplete_tasks": len(listed) - done, "num_completed_tasks": done}
            return answer(200, {"data": counts})
        items = self.collection(path, query)
        if items is None:
            return answer(404, load("error_404.json"))
        return answer(200, self.page(items, query))

    def collection(self, path: str, query: dict[str, str]) -> list[Any] | None:
        if path == "/workspaces":
            return load("workspaces.json")["data"]  # type: ignore[no-any-return]
        if path == "/projects":
            return load("projects.json")["data"]  # type: ignore[no-any-return]
        if path == "/users":
            return self.users
        if m := re.fullmatch(r"/projects/(\d+)/tasks", path):
            return self.in_project(m[1])
        if path == "/tasks":
            after = datetime.fromisoformat(query["modified_since"])
            listed = self.in_project(query["project"]) + [
                self.shown(g) for g in self.lagging.get(query["project"], [])
            ]
            return [t for t in listed if datetime.fromisoformat(t["modified_at"]) >= after]
        if m := re.fullmatch(r"/tasks/(\d+)/subtasks", path):
            return [self.shown(g) for g in self.subtasks.get(m[1], [])]
        if m := re.fullmatch(r"/projects/(\d+)/custom_field_settings", path):
            return self.fields.get(m[1])
        return None

    def in_project(self, project: str) -> list[dict[str, Any]]:
        return [
            self.shown(gid)
            for gid, t in self.tasks.items()
            if any(m["project"]["gid"] == project for m in t["memberships"])
        ]

    def shown(self, gid: str) -> dict[str, Any]:
        return {**self.tasks[gid], "num_subtasks": len(self.subtasks.get(gid, []))}

    def page(self, items: list[Any], query: dict[str, str]) -> dict[str, Any]:
        size = min(int(query["limit"]), self.page_size)
        start = 0 if self.stuck else int(query.get("offset", "o0")[1:])
        more = start + size < len(items)
        # stuck: the first page again, under an offset never given before
        offset = f"o{len(self.seen) * 1000 + size}" if self.stuck else f"o{start + size}"
        nxt = {"offset": offset, "path": "/x", "uri": "https://x"} if more else None
        return {"data": items[start : start + size], "next_page": nxt}

    # -- what was asked ------------------------------------------------------------------------

    @property
    def paths(self) -> list[str]:
        return [p for p, _ in self.seen]

    def count(self, path: str) -> int:
        return sum(p == path for p in self.paths)


def server_connector(fake: FakeAsana, *, max_workers: int = 4, **kw: Any) -> AsanaConnector:
    """A connector over ``fake``'s local server; its waits are recorded in ``conn.sleeps``."""
    src = source(base_url=fake.base, **kw)
    sleeps: list[float] = []
    http = make_http(src, sleep=sleeps.append, rate_limits=False)
    conn = AsanaConnector(src, http, max_workers=max_workers)
    conn.sleeps = sleeps  # type: ignore[attr-defined]
    return conn
