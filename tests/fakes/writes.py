"""`raci fix`'s writes driven through a connector against its spec-built fake: what the
spec-contract tests check the write requests of, and the config the fix tests run with
(:func:`fix_config`).

:func:`write_scenario` reads a small workspace, then on one open task without R or A (and, in
Asana and monday.com, one subtask without R): reads it again, gives it an A and an R, puts both
back, and tries one write with a token that may only read. Every request the fake saw is
returned with its body (the key and token left out), with what the fake recorded as breaking
its spec.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from raci_sync.connectors.base import make_connector, make_http
from raci_sync.connectors.writes import Who, Writer
from raci_sync.errors import AuthError
from raci_sync.model import Snapshot, Task
from tests.fakes.config import sources_toml
from tests.fakes.server import FakeServer, Request
from tests.fakes.workspace import Workspace, generate
from tests.fakes.world import ToolWorld

ACCOUNTABLE = "Accountable"
TOOLS = ("trello", "asana", "monday")
NAMES = {"trello": "indhold", "asana": "kampagner", "monday": "events"}  # the sources
FREE = 1000  # the capacity of the people fix_config's rules suggest: plenty to give
RESPONSIBLE = {"asana": "assignee", "trello": "members", "monday": "Ansvarlig"}


@dataclass(frozen=True)
class Sent:
    """One request the fake received: method, path below the API's base, query, JSON body."""

    method: str
    path: str
    query: dict[str, str]
    body: Any


@dataclass
class Scenario:
    """What :func:`write_scenario` did and saw."""

    sent: list[Sent]
    violations: dict[str, list[str]]
    refusal: str  # the message of the write a read-only token was refused


def small_workspace(seed: int = 12) -> Workspace:
    """A workspace quick to read: 3 boards/projects of ~40 tasks each, a few subtasks."""
    return generate(120, containers=3, people=6, seed=seed, subtask_share=0.2)


def holds(task: Task, kind: str, what: str) -> bool:
    """Whether the task's R (``what="R"``) or Accountable field names anyone."""
    for f in task.fields:
        named = RESPONSIBLE[kind] in (f.key, f.title)
        if what == "R" and named and f.accounts:
            return True
        if what == "A" and f.title == ACCOUNTABLE and (f.accounts or f.names):
            return True
    return False


def ownerless(snapshot: Snapshot, kind: str, *, subtask: bool = False) -> Task:
    """An open task (or subtask) with neither R nor A."""
    return next(
        t
        for t in snapshot.tasks
        if t.is_open
        and (t.parent_id is not None) == subtask
        and not holds(t, kind, "R")
        and not holds(t, kind, "A")
    )


@contextmanager
def recording(server: FakeServer, api: str) -> Iterator[list[Sent]]:
    """Every request of ``api`` the server receives while the block runs."""
    sent: list[Sent] = []

    def hook(req: Request) -> None:
        if req.api == api:
            query = {k: v for k, v in req.query.items() if k not in ("key", "token")}
            sent.append(Sent(req.method, req.path, query, req.body))

    server.fault = hook
    try:
        yield sent
    finally:
        server.fault = None


def writer(world: ToolWorld) -> Any:
    """The connector of the world's source, over a client without rate limits or sleeps."""
    source = world.source()
    http = make_http(source, rate_limits=False, sleep=lambda s: None)
    connector = make_connector(source, http)
    assert isinstance(connector, Writer)
    return connector


def who(world: ToolWorld, index: int) -> Who:
    person = world.ws.people[index]
    return Who(person.account(world.kind), (person.name, person.username))


def write_scenario(kind: str, **fake_options: Any) -> Scenario:
    """Read, set A and R, put them back, and be refused once (see the module docstring)."""
    options = {kind: fake_options} if fake_options else {}
    with ToolWorld(kind, small_workspace(), **options) as world:
        conn = writer(world)
        snapshot = conn.fetch()
        tasks = [ownerless(snapshot, kind)]
        if kind != "trello":
            tasks.append(ownerless(snapshot, kind, subtask=True))
        with recording(world.server, kind) as sent:
            for task in tasks:
                fresh = conn.read_task(task, snapshot)
                done = []
                for letter in ("A", "R") if task.parent_id is None else ("R",):
                    written = conn.set_role(fresh, letter, who(world, 1))
                    done.append(written)
                    fresh = written.task
                for w in reversed(done):
                    fresh = conn.restore_role(fresh, w.target, w.before, w.after).task
            world.server.fakes[kind].read_only = True
            try:
                conn.set_role(conn.read_task(tasks[0], snapshot), "R", who(world, 2))
                refusal = ""
            except AuthError as exc:
                refusal = str(exc)
        return Scenario(list(sent), world.server.violations, refusal)


def fix_config(server: FakeServer, ws: Workspace, store: Path) -> str:
    """Every person of the workspace on the roster; person 1 and 2 produce content, person 3
    is the strategist (plenty of capacity); rules suggest them on the first board or project
    of each tool."""
    lines = [f'store = "{store.as_posix()}"', sources_toml(server, ws, names=NAMES)]
    hats = {1: "content-producer", 2: "content-producer", 3: "strategist"}
    for p in ws.people:
        lines += ["[[person]]", f'name = "{p.name}"', f'emails = ["{p.email}"]']
        if p.index in hats:
            lines += [f'hats = ["{hats[p.index]}"]', f"capacity = {FREE}"]
    for kind in TOOLS:
        first = ws.tools[kind].containers[0].name
        lines += [
            "[[rule]]",
            f'match = {{ source = "{NAMES[kind]}", container = "{first}" }}',
            'R = "hat:content-producer"',
            'A = "hat:strategist"',
            'mode = "suggest"',
        ]
    return "\n".join(lines) + "\n"
