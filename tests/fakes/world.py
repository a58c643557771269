"""The fakes as the connector contract (tests/connectors/contract.py) drives them: one World per
tool.

A :class:`World` is a fake API running on a :class:`~tests.fakes.server.FakeServer` over a small
workspace that it can describe — what a complete read must return, what a read costs as the
connector's module docstring documents it, how the API signals a rate limit, how it answers a
revoked token — and change. :class:`ToolWorld` is that of Asana, Trello and monday.com over a
generated :class:`~tests.fakes.workspace.Workspace`; another connector brings its own (the toy
connector's is in tests/fakes/toy.py).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Protocol

from raci_sync.config import Bounds, Config, FieldsConfig, Secret, SourceConfig, SyncConfig
from raci_sync.connectors import KINDS
from raci_sync.model import SourceRun, Task
from raci_sync.store import Store
from raci_sync.sync import SyncOptions, sync
from tests.fakes import asana as fake_asana
from tests.fakes import monday as fake_monday
from tests.fakes import trello as fake_trello
from tests.fakes.faults import RATE_LIMITS, revoked
from tests.fakes.server import FakeServer, Reply, ServedWorld
from tests.fakes.workspace import Expected, Workspace, completed_before, generate

CHANGED_TITLE = "Omdøbt opgave"


class World(Protocol):
    """One fake API and its workspace, as the connector contract needs them."""

    kind: str
    server: FakeServer
    page_size: int  # items of one listing page: a container holding more needs several
    known_gaps: frozenset[str]  # requests the spec does not have, known and reported

    def __enter__(self) -> World: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def source(self, **changes: Any) -> SourceConfig:
        """A source over the fake, scoped by container *names*, its waits not slept."""
        ...

    def expected(self) -> Mapping[str, Expected]:
        """What a complete read must return, by task id."""
        ...

    def accounts(self) -> Mapping[str, Mapping[str, str]]:
        """Account id → the attributes a complete read must give that account."""
        ...

    def me(self) -> str:
        """The name of the token's user (``check()`` names them)."""
        ...

    def responsible(self, task: Task) -> frozenset[str]: ...

    def accountable(self, task: Task) -> str | None: ...

    def effort(self, task: Task) -> float | None: ...

    def largest_container(self) -> int:
        """Top-level tasks of the fullest container."""
        ...

    def change(self) -> str:
        """Give one top-level task the title CHANGED_TITLE (and mark it done) now; its id."""
        ...

    def minimum_cost(self) -> int:
        """Listing pages a full read cannot do without (no look-ups of scope or people)."""
        ...

    def full_cost(self) -> int:
        """Requests of a full read, as the connector's module docstring counts them."""
        ...

    def unchanged_cost(self) -> int:
        """Requests of an incremental read of the unchanged workspace."""
        ...

    def rate_limited(self) -> tuple[Reply, float]:
        """A 429 as the API sends it, and the wait its signal asks for."""
        ...

    def revoked(self) -> Reply:
        """The API's answer to a token that is no longer valid."""
        ...

    # Hooks of the trust contract (PRODUCT §9). Every world implements all of them: one it
    # lacks (or that raises NotImplementedError) fails the contract test that needs it.

    def repeat_pages(self, on: bool) -> None:
        """With ``on``, task listings stop advancing: each next page is the first again (under
        a new cursor where the API hands one out); with ``on`` False they page as documented."""
        ...

    def bounded(self, max_pages: int) -> dict[str, Any]:
        """Source changes that stop every listing after ``max_pages`` pages."""
        ...

    def misreferenced(self) -> tuple[dict[str, Any], tuple[str, ...]]:
        """Source changes that *write* field references the workspace does not have — a
        misspelt role field, a field of the wrong type for its role, a misspelt effort field —
        and the names the problems must quote."""
        ...


NAMES = {"asana": "a", "trello": "t", "monday": "m"}
HISTORY_DAYS = 90  # a source's default [sync] history_days
PAGE_SIZES = {"asana": 100, "trello": 1000, "monday": 500}
KNOWN_GAPS = {  # requests the connectors make that the specs do not have (bench/README.md)
    "asana": frozenset(),
    "trello": frozenset(),  # the departures PRODUCT §12 allows are the fake's own (DEPARTURES)
    "monday": frozenset(),
}
RATE_LIMIT_CASES = {
    "asana": "asana-429-retry-after",
    "trello": "trello-429-token-limit-no-header",
    "monday": "monday-429-retry-after",
}


# The workspaces of the contract: "paged" pages in every tool (Trello past 1000 cards a board);
# "small" is quick to read and to change (3 projects/boards, a few subtasks).
SIZES: dict[str, dict[str, Any]] = {
    "paged": {
        "tasks": {"asana": 450, "trello": 2100, "monday": 1100},
        "containers": 2,
        "people": 12,
        "seed": 7,
        "subtask_share": 0.02,
    },
    "small": {"tasks": 300, "containers": 3, "people": 6, "seed": 12, "subtask_share": 0.05},
}


def tool_world(kind: str, size: str) -> ToolWorld:
    """The world of one of the three tools, of a size of SIZES."""
    options = {"monday": {"fast": True}} if size == "small" else {}
    return ToolWorld(kind, generate(**SIZES[size]), **options)


def sync_outcome(world: World, store: Store, *, full: bool, **changes: Any) -> SourceRun:
    """One sync of the world's source (with ``changes``) into ``store``; how the source fared."""
    config = Config(path=None, sources=(world.source(**changes),))
    world.server.reset()
    run = sync(config, store, SyncOptions(full=full, rate_limits=False, sleep=lambda s: None))
    return run.sources[0]


def sync_once(world: World, store: Store, *, full: bool, workers: int = 4) -> int:
    """One sync of the world's source into ``store``; the requests the fake served for it."""
    config = Config(path=None, sources=(world.source(),), sync=SyncConfig(max_workers=workers))
    world.server.reset()
    run = sync(config, store, SyncOptions(full=full, rate_limits=False, sleep=lambda s: None))
    assert run.sources[0].status == "ok", run.sources[0].error
    assert run.sources[0].requests == world.server.counts[world.kind]
    return world.server.counts[world.kind]


class ToolWorld(ServedWorld):
    """Asana, Trello or monday.com: their spec-built fake over a generated workspace."""

    def __init__(self, kind: str, ws: Workspace, **server_options: Any) -> None:
        self.kind = kind
        self.ws = ws
        self.server = FakeServer(ws, **server_options)
        self.page_size = PAGE_SIZES[kind]
        self.known_gaps = KNOWN_GAPS[kind]

    def source(self, **changes: Any) -> SourceConfig:
        names = tuple(c.name for c in self.ws.tools[self.kind].containers)
        base = self.server.base_urls[self.kind]
        name = NAMES[self.kind]
        if self.kind == "asana":
            src = SourceConfig(
                name=name,
                kind="asana",
                token=Secret(fake_asana.TOKEN),
                base_url=base,
                projects=names,
            )
        elif self.kind == "trello":
            src = SourceConfig(
                name=name,
                kind="trello",
                token=Secret(fake_trello.TOKEN),
                key=Secret(fake_trello.KEY),
                base_url=base,
                boards=names,
                done_lists=("Udgivet",),
            )
        else:
            src = SourceConfig(
                name=name,
                kind="monday",
                token=Secret(fake_monday.TOKEN),
                base_url=base,
                boards=names,
            )
        return replace(src, **changes)

    def expected(self) -> Mapping[str, Expected]:
        return self.ws.expected(self.kind)

    def accounts(self) -> Mapping[str, Mapping[str, str]]:
        other = "username" if self.kind == "trello" else "email"
        return {
            p.account(self.kind): {"name": p.name, other: getattr(p, other)} for p in self.ws.people
        }

    def me(self) -> str:
        return self.ws.people[self.ws.me].name

    def responsible(self, task: Task) -> frozenset[str]:
        for f in task.fields:
            if (self.kind, f.key) in (("asana", "assignee"), ("trello", "members")) or (
                self.kind == "monday" and f.title == "Ansvarlig"
            ):
                return frozenset(f.accounts)
        return frozenset()

    def accountable(self, task: Task) -> str | None:
        for f in task.fields:
            if f.title == "Accountable":
                if self.kind == "trello":
                    return f.text
                return f.accounts[0] if f.accounts else None
        return None

    def effort(self, task: Task) -> float | None:
        return next((f.number for f in task.fields if f.title == "Timer"), None)

    def largest_container(self) -> int:
        data = self.ws.tools[self.kind]
        return max(len(data.top_level(c)) for c in data.containers)

    def change(self) -> str:
        data = self.ws.tools[self.kind]
        victim = next(t for t in data.tasks[5:] if t.parent is None and not t.deleted and t.is_work)
        # done as each tool says it: Asana's flag, Trello's due checkbox, monday's status label
        done: dict[str, Any] = {"trello": {"due_complete": True}, "monday": {"status": "Færdig"}}
        self.ws.touch(
            self.kind, victim.id, title=CHANGED_TITLE, state="done", **done.get(self.kind, {})
        )
        return victim.id

    def listed(self) -> list[int]:
        """Top-level tasks each container's listing serves: in Asana only the open ones and
        those completed since the history cutoff; in Trello templates and role cards too."""
        data = self.ws.tools[self.kind]
        read = self.expected() if self.kind == "asana" else None
        return [
            sum(1 for t in data.top_level(c) if read is None or t.id in read)
            for c in data.containers
        ]

    def minimum_cost(self) -> int:
        """Asana 100 tasks (+1 field listing), Trello 1000 cards (+1 board call), monday 500
        items per request, per board/project; Asana one subtask listing per parent."""
        tops = self.listed()
        if self.kind == "asana":  # and the field definitions of each project (its references)
            return sum(1 + math.ceil(n / 100) for n in tops) + len(self._parents())
        if self.kind == "trello":
            return sum(1 + math.ceil(n / 1000) for n in tops)
        return sum(max(1, math.ceil(n / 500)) for n in tops)

    def full_cost(self) -> int:
        data = self.ws.tools[self.kind]
        tops = self.listed()
        people = len(self.ws.people)
        if self.kind == "asana":  # workspaces, projects, users; per project its field listing
            pages = sum(1 + max(1, math.ceil(n / 100)) for n in tops)  # and task pages; subtasks
            return 2 + max(1, math.ceil(people / 100)) + pages + len(self._parents())
        if self.kind == "trello":  # the listing (boards by name); per board: board + card pages
            return 1 + sum(1 + _trello_card_pages(n) for n in tops)
        # monday: the listing (boards by name), the directory, items pages per board
        boards = 2 * len(data.containers)  # and their subitems boards
        listing = boards // 500 + 1
        return listing + people // 1000 + 1 + sum(max(1, math.ceil(n / 500)) for n in tops)

    def unchanged_cost(self) -> int:
        """One request per project (Asana) or board (monday); one board listing (Trello)."""
        return 1 if self.kind == "trello" else len(self.ws.tools[self.kind].containers)

    def rate_limited(self) -> tuple[Reply, float]:
        _, answer, wait = RATE_LIMITS[RATE_LIMIT_CASES[self.kind]]
        return answer, wait

    def revoked(self) -> Reply:
        return revoked(self.server, self.kind)

    def repeat_pages(self, on: bool) -> None:
        if self.kind == "trello":
            self.server.fakes["trello"].ignore_before = on
        else:
            self.server.fakes[self.kind].repeat_pages = on

    def bounded(self, max_pages: int) -> dict[str, Any]:
        return {"bounds": Bounds(max_pages=max_pages)}

    def misreferenced(self) -> tuple[dict[str, Any], tuple[str, ...]]:
        written = {"C": ("field:Consultd",), "A": ("field:Timer",)}  # Timer: a number field
        roles = {**KINDS[self.kind].default_roles, **written}
        changes = {"roles": roles, "written_roles": written, "fields": FieldsConfig(effort="Timr")}
        return changes, ("Consultd", "Timer", "Timr")

    def _parents(self) -> list[Any]:
        """Tasks whose subtasks a read lists: read, with subtasks, and not history."""
        read = self.expected()
        cutoff = datetime.now(UTC) - timedelta(days=HISTORY_DAYS)
        return [
            t
            for t in self.ws.tools[self.kind].live()
            if t.id in read
            and any(not s.deleted for s in t.subtasks)
            and not completed_before(t, cutoff)
        ]


def _trello_card_pages(cards: int) -> int:
    """Card pages of one board: 1000 a page, each next page asked from the oldest card's second
    (so it reads that card again), until a page is not full."""
    pages, size, left = 1, min(cards, 1000), cards - min(cards, 1000)
    while size == 1000:
        pages += 1
        size = min(left + 1, 1000)
        left -= size - 1
    return pages
