"""A tiny "toy" tasks API, the fake the fourth connector of the tests (tests/toy/) reads.

Its whole spec (``SPEC``): a bearer token on every request, and

    GET /me                          {"id", "name"}
    GET /people                      {"people": [{"id", "name", "email"}]}
    GET /lists                       {"lists": [{"id", "name", "updated",
                                                 "fields": [{"id", "name", "type"}]}]}
    GET /lists/{id}/tasks?page=N     {"tasks": [{"id", "title", "done", "owner", "updated",
                                                 "values": {field id: person id or number}}],
                                      "next_page": N + 1 or null}      10 tasks a page, N ≥ 1

A list's ``updated`` is the last time one of its tasks changed; its fields are a people field
"Accountable" and a number field "Timer". A request the spec does not have is answered 404 or
400 and recorded in ``violations``; a wrong token is answered 401. ``repeat_pages = True`` makes
task listings page without advancing: every page is the first again, still saying more follow.
:class:`ToyWorld` serves it on a :class:`~tests.fakes.server.FakeServer` as the connector
contract (tests/connectors/contract.py) drives it.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from raci_sync.config import Bounds, FieldsConfig, Secret, SourceConfig
from raci_sync.model import Task
from tests.fakes import Answer, iso
from tests.fakes.server import FakeServer, Reply, ServedWorld
from tests.fakes.workspace import Expected
from tests.fakes.world import CHANGED_TITLE
from tests.toy import KIND

TOKEN = "fake-toy-token"
PAGE_SIZE = 10
EPOCH = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # every generated change is older than any read
SPEC: dict[str, frozenset[str]] = {  # path pattern → its query parameters
    r"/me": frozenset(),
    r"/people": frozenset(),
    r"/lists": frozenset(),
    r"/lists/(?P<list>[^/]+)/tasks": frozenset({"page"}),
}
NAMES = ("Ida Holm", "Emil Dahl", "Sara Bak", "Oliver Friis", "Maja Skov", "Lucas Kjær")
LISTS = ("Indkøb", "Ferie", "Haven")
FIELDS = (
    {"id": "f1", "name": "Accountable", "type": "people"},
    {"id": "f2", "name": "Timer", "type": "number"},
)


@dataclass
class ToyTask:
    id: str
    title: str
    list_id: str
    done: bool
    owner: str | None
    updated: datetime
    accountable: str | None = None
    hours: float | None = None


class ToyFake:
    """The toy API over a :class:`ToyWorld`'s data, checked against ``SPEC``."""

    def __init__(self, world: ToyWorld) -> None:
        self.world = world
        self.violations: list[str] = []
        self.repeat_pages = False  # every page is the first again (a paging loop)
        self._lock = threading.Lock()

    def handle(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        """One request (``path`` below the API's root) → (status, headers, body)."""
        match = next((m for p in SPEC if method == "GET" and (m := re.fullmatch(p, path))), None)
        if match is None:
            return self.reject(f"{method} {path}: no such operation", 404)
        unknown = sorted(set(query) - SPEC[match.re.pattern])
        if unknown:
            return self.reject(f"GET {match.re.pattern}: unknown parameter(s) {unknown}", 400)
        if (headers or {}).get("Authorization") != f"Bearer {TOKEN}":
            return 401, {}, {"error": "invalid token"}
        w = self.world
        if path == "/me":
            return 200, {}, {"id": w.people[0][0], "name": w.people[0][1]}
        if path == "/people":
            people = [{"id": i, "name": n, "email": e} for i, n, e in w.people]
            return 200, {}, {"people": people}
        if path == "/lists":
            lists = [
                {"id": i, "name": n, "updated": iso(w.updated(i)), "fields": list(FIELDS)}
                for i, n in w.lists
            ]
            return 200, {}, {"lists": lists}
        return self.tasks(match["list"], query.get("page", "1"))

    def tasks(self, list_id: str, page: str) -> Answer:
        if not page.isdigit() or int(page) < 1:
            return self.reject(f"GET /lists/{{id}}/tasks: page={page!r} is not a page", 400)
        if list_id not in dict(self.world.lists):
            return 404, {}, {"error": f"no list {list_id}"}
        tasks = [t for t in self.world.tasks if t.list_id == list_id]
        start = 0 if self.repeat_pages else (int(page) - 1) * PAGE_SIZE
        more = start + PAGE_SIZE < len(tasks)
        return (
            200,
            {},
            {
                "tasks": [_task(t) for t in tasks[start : start + PAGE_SIZE]],
                "next_page": int(page) + 1 if more else None,
            },
        )

    def reject(self, problem: str, status: int) -> Answer:
        with self._lock:
            self.violations.append(problem)
        return status, {}, {"error": problem}


def _task(t: ToyTask) -> dict[str, Any]:
    return {
        "id": t.id,
        "title": t.title,
        "done": t.done,
        "owner": t.owner,
        "updated": iso(t.updated),
        "values": {"f1": t.accountable, "f2": t.hours},
    }


class ToyWorld(ServedWorld):
    """The toy API and its data: ``lists`` lists sharing ``tasks`` tasks, ``people`` people."""

    kind = "toy"
    page_size = PAGE_SIZE
    known_gaps: frozenset[str] = frozenset()

    def __init__(self, tasks: int = 12, lists: int = 2, people: int = 4) -> None:
        self.people = [
            (f"p{i + 1}", name, name.split()[0].lower() + "@toy.example")
            for i, name in enumerate(NAMES[:people])
        ]
        self.lists = [(f"l{i + 1}", name) for i, name in enumerate(LISTS[:lists])]
        self.tasks = [
            ToyTask(
                id=f"t{i + 1}",
                title=f"Opgave {i + 1}",
                list_id=self.lists[i % lists][0],
                done=i % 4 == 3,
                owner=self.people[i % people][0] if i % 5 else None,
                updated=EPOCH + timedelta(hours=i),
                accountable=self.people[(i + 1) % people][0] if i % 3 else None,
                hours=float(i % 7) if i % 2 else None,
            )
            for i in range(tasks)
        ]
        self.fake = ToyFake(self)
        self.server = FakeServer(None, extra={"toy": self.fake})

    def updated(self, list_id: str) -> datetime:
        return max((t.updated for t in self.tasks if t.list_id == list_id), default=EPOCH)

    def source(self, **changes: Any) -> SourceConfig:
        src = SourceConfig(
            name="legetoej",
            kind="toy",
            token=Secret(TOKEN),
            base_url=self.server.base_urls["toy"],
            boards=tuple(name for _, name in self.lists),
        )
        return replace(src, **changes)

    def expected(self) -> Mapping[str, Expected]:
        return {
            t.id: Expected(
                id=t.id,
                state="done" if t.done else "open",
                parent_id=None,
                container_id=t.list_id,
                responsible=frozenset({t.owner} if t.owner else ()),
                accountable=t.accountable,
                effort=t.hours,
            )
            for t in self.tasks
        }

    def accounts(self) -> Mapping[str, Mapping[str, str]]:
        return {i: {"name": name, "email": email} for i, name, email in self.people}

    def me(self) -> str:
        return self.people[0][1]

    def responsible(self, task: Task) -> frozenset[str]:
        return next((frozenset(f.accounts) for f in task.fields if f.key == "owner"), frozenset())

    def accountable(self, task: Task) -> str | None:
        field = next((f for f in task.fields if f.title == "Accountable"), None)
        return field.accounts[0] if field and field.accounts else None

    def effort(self, task: Task) -> float | None:
        return next((f.number for f in task.fields if f.title == "Timer"), None)

    def largest_container(self) -> int:
        return max(sum(t.list_id == i for t in self.tasks) for i, _ in self.lists)

    def change(self) -> str:
        victim = self.tasks[5]
        victim.title, victim.done, victim.updated = CHANGED_TITLE, True, datetime.now(UTC)
        return victim.id

    def minimum_cost(self) -> int:
        return sum(self._pages(i) for i, _ in self.lists)

    def full_cost(self) -> int:
        return 2 + self.minimum_cost()  # the lists and the people, then the task pages

    def unchanged_cost(self) -> int:
        return 1  # the lists, whose `updated` says none changed

    def rate_limited(self) -> tuple[Reply, float]:
        return Reply(429, {"error": "slow down"}, {"Retry-After": "3"}), 3.0

    def revoked(self) -> Reply:
        return Reply(401, {"error": "invalid token"})

    def repeat_pages(self, on: bool) -> None:
        self.fake.repeat_pages = on

    def bounded(self, max_pages: int) -> dict[str, Any]:
        return {"bounds": Bounds(max_pages=max_pages)}

    def misreferenced(self) -> tuple[dict[str, Any], tuple[str, ...]]:
        written = {"C": ("field:Consultd",), "A": ("field:Timer",)}  # Timer: a number field
        roles = {**KIND.default_roles, **written}
        changes = {"roles": roles, "written_roles": written, "fields": FieldsConfig(effort="Timr")}
        return changes, ("Consultd", "Timer", "Timr")

    def _pages(self, list_id: str) -> int:
        return max(1, math.ceil(sum(t.list_id == list_id for t in self.tasks) / PAGE_SIZE))
