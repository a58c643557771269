"""Toy: lists of tasks and the people who own them, over the toy API (tests/fakes/toy.py).

A full read (``fetch()``) of L lists holding N_l tasks each makes

    GET /lists                       the lists, to resolve the configured names
    GET /people                      the directory
    GET /lists/{id}/tasks?page=N     per list: ceil(N_l / 10) pages (at least one)

An incremental read (``fetch(since, previous)``) asks ``GET /lists`` only and reads again, in
full, the lists whose ``updated`` is after ``since`` less a minute of overlap (so a deleted task
goes too); the others keep their tasks from ``previous``. An unchanged workspace costs one
request; the directory is read again only when a re-read task names an unknown owner.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any, ClassVar, TypeVar

from raci_sync.config import SourceConfig
from raci_sync.connectors.http import HttpClient
from raci_sync.connectors.parallel import in_order
from raci_sync.errors import AuthError, NotFoundError, SourceError
from raci_sync.model import Account, Snapshot, Task
from tests.toy.convert import ToyList, account_from_toy, list_from_toy, shape, task_from_toy
from tests.toy.incremental import (
    OVERLAP,
    from_state,
    kept_tasks,
    list_changed,
    to_state,
)
from tests.toy.queries import PAGE_SIZE, task_params

T = TypeVar("T")


class ToyConnector:
    """Reads the configured lists (by name) of the toy API, ``max_workers`` lists at a time."""

    kind: ClassVar[str] = "toy"

    def __init__(self, source: SourceConfig, http: HttpClient, *, max_workers: int = 4) -> None:
        self.source = source
        self.http = http
        self.max_workers = max(1, max_workers)
        self.base_url = (source.base_url or "https://toy.invalid/api").rstrip("/")
        token = source.token.reveal() if source.token is not None else ""
        http.headers = {"Authorization": f"Bearer {token}"}

    @property
    def describe(self) -> str:
        """How messages name this source: ``source 'x' (toy)``."""
        return f"source {self.source.name!r} ({self.kind})"

    def check(self) -> str:
        """Who the token belongs to."""
        raw = self.request("/me", {}, what="read the token's own person")
        s = shape(self.source.name, "the answer to GET /me")
        return s.text(s.obj(raw), "name") or "?"

    def fetch(self, since: datetime | None = None, previous: Snapshot | None = None) -> Snapshot:
        """Every task of the configured lists; only the changed lists with ``since`` and a
        ``previous`` snapshot of this config."""
        started, before = datetime.now(UTC), self.http.requests_made
        cached = self.cached_scope(previous) if since is not None and previous else None
        if since is None or previous is None or cached is None:
            lists, tasks, accounts = self.read_all()
        else:
            cutoff = (since if since.tzinfo else since.replace(tzinfo=UTC)) - OVERLAP
            lists, tasks, accounts = self.read_changes(cutoff, previous, cached)
        return Snapshot(
            source=self.source.name,
            kind=self.kind,
            tasks=tuple(tasks),
            accounts=tuple(accounts),
            containers=tuple(t.name for t in lists),
            fetched_at=started,
            requests=self.http.requests_made - before,
            state=to_state(self.config_key(), lists),
        )

    def read_all(self) -> tuple[list[ToyList], list[Task], list[Account]]:
        """The full read: the lists, the directory, every list's tasks."""
        lists = self.resolve_scope()
        accounts = self.read_people()
        tasks = [t for ts in self.parallel([partial(self.read_list, t) for t in lists]) for t in ts]
        return lists, tasks, accounts

    def read_changes(
        self, cutoff: datetime, previous: Snapshot, cached: dict[str, str]
    ) -> tuple[list[ToyList], list[Task], list[Account]]:
        """The incremental read: the lists changed after ``cutoff`` again, the others kept."""
        lists = self.resolve_scope()
        changed = [t for t in lists if list_changed(t, cached, cutoff)]
        fresh = dict(
            zip(
                [t.id for t in changed],
                self.parallel([partial(self.read_list, t) for t in changed]),
                strict=True,
            )
        )
        tasks = [t for lst in lists for t in fresh.get(lst.id, kept_tasks(previous, lst.id))]
        accounts = list(previous.accounts)
        known = {a.id for a in accounts}
        if any(a not in known for t in tasks for f in t.fields for a in f.accounts):
            accounts = self.read_people()
        return lists, tasks, accounts

    def cached_scope(self, previous: Snapshot) -> dict[str, str] | None:
        """The lists the previous snapshot kept for this config, if any."""
        return from_state(previous.state, self.config_key())

    def config_key(self) -> str:
        """What the cached lists depend on: the server and the configured list names."""
        return json.dumps([self.base_url, list(self.source.boards or ())], ensure_ascii=False)

    def resolve_scope(self) -> list[ToyList]:
        """The configured lists by name (case-insensitive), in config order; all when none."""
        raw = self.request("/lists", {}, what="list the lists")
        s = shape(self.source.name, "the answer to list the lists")
        lists = [
            list_from_toy(r, self.source.name) for r in s.array(s.obj(raw).get("lists"), "lists")
        ]
        wanted = self.source.boards
        if not wanted:
            return lists
        by_name = {t.name.casefold(): t for t in lists}
        missing = [w for w in wanted if w.strip().casefold() not in by_name]
        if missing:
            raise NotFoundError(
                f"{self.describe}: no list named {missing[0]!r}; the token's person sees "
                f"{', '.join(repr(t.name) for t in lists) or 'none'}. Fix `boards` in the config",
                source=self.source.name,
            )
        return list(
            {
                by_name[w.strip().casefold()].id: by_name[w.strip().casefold()] for w in wanted
            }.values()
        )

    def read_people(self) -> list[Account]:
        """The directory: every person, with an email."""
        raw = self.request("/people", {}, what="list the people")
        s = shape(self.source.name, "the answer to list the people")
        return [
            account_from_toy(p, self.source.name)
            for p in s.array(s.obj(raw).get("people"), "people")
        ]

    def read_list(self, toy_list: ToyList) -> list[Task]:
        """Every task of one list, page by page."""
        tasks: list[Task] = []
        page: int | None = 1
        while page is not None:
            what = f"list tasks of list {toy_list.name!r} (page {page})"
            raw = self.request(f"/lists/{toy_list.id}/tasks", task_params(page), what=what)
            s = shape(self.source.name, f"the answer to {what}")
            body = s.obj(raw)
            items = s.array(body.get("tasks"), "tasks")
            tasks.extend(task_from_toy(t, self.source.name, toy_list) for t in items)
            page = s.field(body, "next_page", (int,), "a page number")
            if page is not None and len(items) < PAGE_SIZE:
                raise s.error("with a next page after a page that is not full")
        return tasks

    def request(self, path: str, params: dict[str, str], *, what: str) -> Any:
        """One GET; a refused token says which one to replace."""
        try:
            return self.http.request_json("GET", self.base_url + path, params=params, what=what)
        except AuthError:
            raise AuthError(
                f"{self.describe}: the toy API refused the token to {what}; put a valid one in "
                "the environment variable this source's token refers to",
                source=self.source.name,
            ) from None
        except SourceError as exc:
            exc.source = exc.source or self.source.name
            raise

    def parallel(self, calls: Sequence[Callable[[], T]]) -> list[T]:
        """Every call's result in call order, ``max_workers`` at a time (``parallel.in_order``)."""
        return in_order(calls, self.max_workers, name=self.kind)
