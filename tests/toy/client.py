"""Toy: lists of tasks and the people who own them, over the toy API (tests/fakes/toy.py).

A full read (``fetch()``) of L lists holding N_l tasks each makes

    GET /lists                       the lists, to resolve the configured names
    GET /people                      the directory
    GET /lists/{id}/tasks?page=N     per list: ceil(N_l / 10) pages (at least one)

An incremental read (``fetch(since, previous)``) asks ``GET /lists`` only and reads again, in
full, the lists whose ``updated`` is after ``since`` less a minute of overlap (so a deleted task
goes too); the others keep their tasks from ``previous``. An unchanged workspace costs one
request; the directory is read again only when a re-read task names an unknown person.

A read is complete or it fails: a task listing whose next page brings no task not listed before,
or that still says more follow after ``[sync] max_pages`` pages, fails the source. Every
reference the config wrote (each ``field:`` role, ``[source.fields]``) must resolve on every
list, type included, against the fields ``GET /lists`` brings (``connectors.references``); a
list name that matches nothing is a problem too; a read raises ``UnresolvedReferences`` with
all of them before any task is asked for. ``check_scope()`` lists them without raising.
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
from raci_sync.connectors.references import (
    ScopeReport,
    UnresolvedReferences,
    check_fields,
    default_references,
    written_references,
)
from raci_sync.errors import AuthError, SourceError
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
        """The configured lists, every reference checked on them: UnresolvedReferences with
        every list name and field reference that matches nothing."""
        lists, problems = self.survey_scope()
        problems += self.reference_problems(lists)
        if problems:
            raise UnresolvedReferences(self.source.name, problems)
        return lists

    def survey_scope(self) -> tuple[list[ToyList], list[str]]:
        """The configured lists by name (case-insensitive), in config order (all when none),
        and a problem for every name that matches no list."""
        raw = self.request("/lists", {}, what="list the lists")
        s = shape(self.source.name, "the answer to list the lists")
        lists = [
            list_from_toy(r, self.source.name) for r in s.array(s.obj(raw).get("lists"), "lists")
        ]
        if not self.source.boards:
            return lists, []
        by_name = {t.name.casefold(): t for t in lists}
        seen = ", ".join(repr(t.name) for t in lists) or "none"
        found: dict[str, ToyList] = {}
        problems = []
        for wanted in self.source.boards:
            hit = by_name.get(wanted.strip().casefold())
            if hit is None:
                problems.append(f"boards: no list named {wanted!r}; the token's person sees {seen}")
            else:
                found.setdefault(hit.id, hit)
        return list(found.values()), problems

    def reference_problems(self, lists: Sequence[ToyList]) -> list[str]:
        """Every field reference the config wrote that a list lacks, or has with another type."""
        fields = {t.name: t.fields for t in lists}
        return check_fields(written_references(self.source), fields, container="list")

    def check_scope(self) -> ScopeReport:
        """Whose token; the lists resolved, with their fields; every problem at once; what a
        full read costs."""
        who = self.check()
        lists, problems = self.survey_scope()
        fields = {t.name: t.fields for t in lists}
        defaults = check_fields(default_references(self.source), fields, container="list")
        return ScopeReport(
            who=who,
            containers=tuple(fields),
            fields={n: tuple(f"{d.name} ({d.type})" for d in fs) for n, fs in fields.items()},
            problems=tuple(problems + self.reference_problems(lists)),
            warnings=tuple(f"{w} (a default role: only a warning)" for w in defaults),
            notes=(
                f"a full read: at least {2 + len(lists)} requests (the lists, the people, and "
                f"per list a page of {PAGE_SIZE} tasks; one more per {PAGE_SIZE} beyond that)",
            ),
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
        """Every task of one list, page by page; a listing that does not end fails."""
        tasks: dict[str, Task] = {}
        page, limit = 1, self.source.bounds.max_pages
        for n in range(1, limit + 1):
            what = f"list tasks of list {toy_list.name!r} (page {page})"
            raw = self.request(f"/lists/{toy_list.id}/tasks", task_params(page), what=what)
            s = shape(self.source.name, f"the answer to {what}")
            body = s.obj(raw)
            items = s.array(body.get("tasks"), "tasks")
            new = {
                t.id: t
                for t in (task_from_toy(i, self.source.name, toy_list) for i in items)
                if t.id not in tasks
            }
            tasks.update(new)
            following = s.field(body, "next_page", (int,), "a page number")
            if following is None:
                return list(tasks.values())
            if len(items) < PAGE_SIZE:
                raise s.error("with a next page after a page that is not full")
            if not new:  # a server whose paging does not advance: never "the end"
                raise self.endless(toy_list, f"page {n} brought no task not listed before")
            page = following
        raise self.endless(
            toy_list,
            f"it still says more follow after {limit} pages, the most [sync] max_pages allows",
        )

    def endless(self, toy_list: ToyList, why: str) -> SourceError:
        """A listing that does not end is not complete: the read fails (PRODUCT §9)."""
        return SourceError(
            f"{self.describe}: the tasks of list {toy_list.name!r} do not end: {why}; the last "
            "good data of this source is kept",
            source=self.source.name,
        )

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
