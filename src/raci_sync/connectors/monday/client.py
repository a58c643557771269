"""monday.com: boards, items, subitems and users over the GraphQL API (API-Version pinned).

One POST per query to ``https://api.monday.com/v2`` with ``{"query", "variables"}``; the query
texts live in ``queries.py``, the pure conversion in ``convert.py``, the mapping of GraphQL
errors in 200 answers in ``errors.py`` and the incremental cache and merge in
``incremental.py``.

What a sync costs (B boards, N_b items on board b, U users):

- Full read: one board listing (only when the config names boards by name, or names none),
  ceil(U/1000) directory queries (users + teams), and per board ceil(N_b/500) queries (one
  ``boards(ids:) { items_page(limit: 500) }``, then root ``next_items_page``; at least one for an
  empty board). Subitems come inline with their parents. An expired cursor restarts that
  board's listing (items are kept by id: no duplicates, no gaps).
- Incremental read (``since`` and ``previous`` given): one query per board, with the items
  ordered by ``__last_updated__`` newest first, paging on only while items are newer than
  ``since`` minus a 60 s overlap. A board with subitems has its subitems board read in the same
  query (an alias), so a changed subitem whose parent did not change is seen too. Board ids and
  team members come from ``previous.state``; the directory is read again only when a changed
  item names a user or team the previous snapshot does not know. An unchanged workspace costs
  B requests.
- Deletions: ``items_page`` has no ``state`` argument and ``ItemsQuery`` no state field in the
  2026-07 SDL, so archived and deleted items are simply not listed. An incremental read cannot
  see them go; the periodic full read (``[sync] full_every_hours``, default 24) drops them, and
  refreshes team membership and the board list (new boards, when no boards are configured).

Boards are read concurrently (``max_workers`` threads, default 4); tasks come out in the
configured board order. Every query asks for ``complexity``: the connector keeps the last budget
monday reported and sleeps ``reset_in_x_seconds`` before a query whose last known cost exceeds
what is left. A ``ComplexityException`` or another rate-limit error is retried after its
``retry_in_seconds`` by the HTTP layer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, ClassVar, TypeVar

from raci_sync.config import SourceConfig
from raci_sync.connectors.http import HttpClient
from raci_sync.connectors.monday import KIND
from raci_sync.connectors.monday.convert import (
    account_from_monday,
    complete_accounts,
    moment_of,
    people_named,
    shape,
    task_from_monday,
    tasks_from_monday,
    teams_from_monday,
)
from raci_sync.connectors.monday.errors import CursorExpiredError, check_body
from raci_sync.connectors.monday.incremental import (
    OVERLAP,
    BoardRef,
    Cache,
    from_state,
    merge_items,
    merge_subitems,
    rename_container,
    scope_key,
    subitems_board_of,
    to_state,
)
from raci_sync.connectors.monday.queries import QUERIES
from raci_sync.connectors.parallel import in_order
from raci_sync.connectors.shape import Shape
from raci_sync.errors import NotFoundError, SourceError
from raci_sync.model import Account, Snapshot, Task

log = logging.getLogger("raci_sync.monday")

DEFAULT_BASE_URL = "https://api.monday.com/v2"
ITEM_PAGE_KINDS = frozenset(
    {"BoardItems", "NextItems", "ChangedItems", "ChangedItemsAndSubitems", "NextSubitems"}
)
T = TypeVar("T")


class ComplexityBudget:
    """The complexity budget monday last reported, shared by all threads of one connector.

    Before a query, :meth:`reserve` says how long to sleep first: a query kind's last cost is
    its expected cost (a kind of items page not sent yet is expected to cost like the dearest
    items page seen), and when that exceeds what is left (the last reported ``after`` minus
    what queries in flight have reserved), the wait is the reported ``reset_in_x_seconds``.
    """

    def __init__(self) -> None:
        self.costs: dict[str, int] = {}  # last cost per query kind
        self.after: int | None = None  # points left as last reported; None = unknown
        self.reset_in: float = 0.0
        self.in_flight = 0  # points reserved by queries sent but not answered
        self._lock = threading.Lock()

    def reserve(self, kind: str) -> tuple[float, int]:
        """(seconds to wait before sending, points reserved for the query)."""
        with self._lock:
            cost = self._expected(kind)
            if cost is None:
                return 0.0, 0
            if self.after is not None and cost > self.after - self.in_flight:
                return max(self.reset_in, 0.0), 0
            self.in_flight += cost
            return 0.0, cost

    def waited(self) -> None:
        """A wait for the reset is over: what is left is unknown until the next answer."""
        with self._lock:
            self.after = None

    def release(self, reserved: int) -> None:
        with self._lock:
            self.in_flight -= reserved

    def _expected(self, kind: str) -> int | None:
        if kind in self.costs or kind not in ITEM_PAGE_KINDS:
            return self.costs.get(kind)
        return max((c for k, c in self.costs.items() if k in ITEM_PAGE_KINDS), default=None)

    def record(self, kind: str, complexity: Any) -> bool:
        """Take a ``complexity`` answer; False when it is not the documented shape."""
        if not isinstance(complexity, dict):
            return False
        values = [complexity.get(k) for k in ("query", "after", "reset_in_x_seconds")]
        numbers = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
        if len(numbers) != len(values):
            return False
        with self._lock:
            self.costs[kind], self.after, self.reset_in = numbers[0], numbers[1], float(numbers[2])
        return True


@dataclass
class BoardRead:
    """What one board's read brought: raw items (all, or the changed ones) and subitems."""

    ref: BoardRef
    columns: dict[str, str]
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    subitems: dict[str, dict[str, Any]] = field(default_factory=dict)  # incremental only


class MondayConnector:
    """Reads the configured monday.com boards: items, subitems, people columns and users."""

    kind: ClassVar[str] = "monday"
    board_page_size: int = 500  # boards() page size
    user_page_size: int = 1000  # users() maximum
    item_page_size: int = 500  # items_page / next_items_page maximum
    # First page of an incremental read. The API maximum keeps a busy board to one request;
    # monday prices a page by its limit, so a smaller first page makes an unchanged board's
    # check cheaper in complexity (later pages are item_page_size).
    changed_page_size: int = 100
    max_cursor_restarts: int = 3

    def __init__(self, source: SourceConfig, http: HttpClient, *, max_workers: int = 4) -> None:
        self.source = source
        self.http = http
        self.max_workers = max(1, max_workers)
        self.base_url = (source.base_url or DEFAULT_BASE_URL).rstrip("/")
        token = source.token.reveal() if source.token is not None else ""
        http.headers = {
            "Authorization": token,
            "API-Version": source.api_version or KIND.defaults["api_version"],
            "Content-Type": "application/json",
        }
        if token and token not in http.secrets:
            http.secrets = (*http.secrets, token)
        self.budget = ComplexityBudget()
        self.complexity: list[dict[str, Any]] = []  # every query's answer, for logs and tests

    @property
    def describe(self) -> str:
        """How messages name this source: ``source 'events' (monday)``."""
        return f"source {self.source.name!r} ({self.kind})"

    def check(self) -> str:
        """Who the token belongs to: ``Name <email>``."""
        with self._naming_source():
            data = self.request("Me", {}, "who am I")
            me = shape(self.source.name, "the answer to who am I").obj(data.get("me"), "me")
        return f"{me.get('name') or me.get('id')} <{me.get('email') or 'no email'}>"

    def fetch(self, since: datetime | None = None, previous: Snapshot | None = None) -> Snapshot:
        """All items and subitems of the configured boards, and the account's users.

        With ``since`` and ``previous`` (whose state this connector filled for the same boards
        and fields), only items changed since then are read and merged into ``previous``;
        otherwise, or when that state is missing, everything is read.
        """
        started, before = datetime.now(UTC), self.http.requests_made
        with self._naming_source():
            cache = self.cached_scope(previous) if previous else None
            if since is not None and previous is not None and cache is not None:
                since = since if since.tzinfo else since.replace(tzinfo=UTC)
                tasks, accounts, cache = self.read_changes(since - OVERLAP, previous, cache)
            else:
                tasks, accounts, cache = self.read_all()
        return Snapshot(
            source=self.source.name,
            kind=self.kind,
            tasks=tuple(tasks),
            accounts=tuple(accounts),
            containers=tuple(b.name for b in cache.boards),
            fetched_at=started,
            requests=self.http.requests_made - before,  # this read only, not an earlier check()
            state=to_state(self.config_key(), cache),
        )

    def cached_scope(self, previous: Snapshot) -> Cache | None:
        """The boards and teams the previous snapshot kept for this config, if any."""
        return from_state(previous.state, self.config_key())

    def config_key(self) -> str:
        """What the cache depends on: another config means another (full) read."""
        return scope_key(self.source.boards, self.source.fields)

    @contextmanager
    def _naming_source(self) -> Iterator[None]:
        """Every SourceError that leaves the connector carries the source's name."""
        try:
            yield
        except SourceError as exc:
            if exc.source is None:
                exc.source = self.source.name
            raise

    # -- full read ------------------------------------------------------------------------------

    def read_all(self) -> tuple[list[Task], list[Account], Cache]:
        """The full read: the board listing if needed, the directory and every board."""
        board_ids = self.resolve_scope()
        calls: list[Callable[[], Any]] = [self.read_people]
        calls += [partial(self.read_board, b) for b in board_ids]
        directory, *reads = self.parallel(calls)
        users, teams = directory
        tasks = [
            t
            for r in reads
            for group in self._convert(r.ref, r.columns, r.items, teams)
            for t in group
        ]
        cache = Cache(tuple(r.ref for r in reads), teams)
        return tasks, complete_accounts(users, tasks, self.source.name), cache

    def resolve_scope(self) -> list[str]:
        """Board ids of the configured scope (ids as given; names and no scope need a listing)."""
        wanted = self.source.boards
        if wanted and all(w.strip().isdigit() for w in wanted):
            return list(dict.fromkeys(w.strip() for w in wanted))
        listed = self.list_boards()
        if not wanted:
            return [b["id"] for b in listed if b.get("type") in (None, "board")]
        return list(dict.fromkeys(self._match_board(w, listed) for w in wanted))

    def _match_board(self, wanted: str, listed: list[dict[str, Any]]) -> str:
        key = wanted.strip()
        if any(b["id"] == key for b in listed):
            return key
        hits = [b for b in listed if str(b.get("name", "")).casefold() == key.casefold()]
        if len(hits) > 1:
            ids = ", ".join(b["id"] for b in hits)
            raise SourceError(
                f"{self.describe}: {len(hits)} boards are named {wanted!r} "
                f"(ids {ids}); put the id of the one you mean in boards = [...]",
            )
        if hits:
            return str(hits[0]["id"])
        if key.isdigit():
            return key  # maybe not active; the items query will tell
        names = sorted(str(b.get("name")) for b in listed if b.get("type") in (None, "board"))
        shown = ", ".join(repr(n) for n in names[:10]) + (" …" if len(names) > 10 else "")
        raise NotFoundError(
            f"{self.describe}: no board named {wanted!r} among the "
            f"{len(names)} boards the token's user can see ({shown or 'none'}); "
            "fix the name in boards = [...] or share the board with that user",
        )

    def list_boards(self) -> list[dict[str, Any]]:
        """Every active board the token's user can see: ``{id, name, type}``."""
        out: list[dict[str, Any]] = []
        page = 1
        while True:
            what = f"list boards (page {page})"
            data = self.request("ListBoards", {"limit": self.board_page_size, "page": page}, what)
            answer = shape(self.source.name, f"the answer to {what}")
            boards = answer.objs(data.get("boards"), "boards")
            board = answer.about(f"{answer.what}: a board")
            out.extend(
                {"id": board.ident(b, integers=True), "name": b.get("name"), "type": b.get("type")}
                for b in boards
            )
            if len(boards) < self.board_page_size:
                return out
            page += 1

    def read_people(self) -> tuple[list[Account], dict[str, tuple[str, ...]]]:
        """All users (paged) and every team's member ids, in as few queries as possible."""
        users: list[Account] = []
        teams: dict[str, tuple[str, ...]] = {}
        page = 1
        while True:
            what = f"list users (page {page})"
            name = "Directory" if page == 1 else "Users"
            data = self.request(name, {"limit": self.user_page_size, "page": page}, what)
            answer = shape(self.source.name, f"the answer to {what}")
            raw_users = answer.objs(data.get("users"), "users")
            users.extend(account_from_monday(u, self.source.name) for u in raw_users)
            if page == 1:
                teams = teams_from_monday(data.get("teams"), answer)
            if len(raw_users) < self.user_page_size:
                return users, teams
            page += 1

    def read_board(self, board_id: str) -> BoardRead:
        """Every item of one board, restarting on an expired cursor, each item once."""
        items: dict[str, dict[str, Any]] = {}
        return self._with_restarts(board_id, lambda: self._read_board(board_id, items))

    def _read_board(self, board_id: str, items: dict[str, dict[str, Any]]) -> BoardRead:
        what = f"read board {board_id}"
        variables = {"boardId": board_id, "limit": self.item_page_size}
        raw = self._board(self.request("BoardItems", variables, what).get("boards"), board_id, what)
        ref, columns = self._board_head(raw, board_id, what)
        self._page_through(raw.get("items_page"), items, what, "NextItems", None)
        ref = BoardRef(ref.id, ref.name, subitems_board_of(items.values()))
        return BoardRead(ref, columns, items)

    # -- incremental read -----------------------------------------------------------------------

    def read_changes(
        self, watermark: datetime, previous: Snapshot, cache: Cache
    ) -> tuple[list[Task], list[Account], Cache]:
        """The incremental read: each board's items changed after ``watermark``, merged into
        ``previous``; the directory only when a changed item names someone unknown."""
        reads = self.parallel(
            [partial(self.read_board_changes, r, watermark) for r in cache.boards]
        )
        accounts, teams = self.refresh_accounts(reads, previous.accounts, cache.teams)
        changed = {r.ref.id: self._convert(r.ref, r.columns, r.items, teams) for r in reads}
        tasks = merge_items(previous.tasks, [r.ref.id for r in reads], changed)
        tasks = merge_subitems(tasks, self._changed_subitems(reads, tasks, changed, teams))
        refs = tuple(self._updated_ref(r) for r in reads)
        for ref in refs:
            tasks = rename_container(tasks, ref)
        log.info(
            "%s: incremental read: %d items changed since %s",
            self.describe,
            sum(len(r.items) + len(r.subitems) for r in reads),
            watermark.isoformat(),
        )
        return tasks, complete_accounts(accounts, tasks, self.source.name), Cache(refs, teams)

    def read_board_changes(self, ref: BoardRef, watermark: datetime) -> BoardRead:
        """Items (and subitems) of one board updated after ``watermark``, newest first."""
        read = BoardRead(ref, {})

        def attempt() -> BoardRead:
            return self._read_board_changes(read, watermark)

        return self._with_restarts(ref.id, attempt)

    def _read_board_changes(self, read: BoardRead, watermark: datetime) -> BoardRead:
        ref = read.ref
        what = f"read changes of board {ref.id}"
        variables: dict[str, Any] = {"boardId": ref.id, "limit": self.changed_page_size}
        name = "ChangedItems"
        if ref.subitems_board:
            name, variables["subitemsBoardId"] = "ChangedItemsAndSubitems", ref.subitems_board
        data = self.request(name, variables, what)
        raw = self._board(data.get("boards"), ref.id, what)
        head, read.columns = self._board_head(raw, ref.id, what)
        read.ref = BoardRef(head.id, head.name, ref.subitems_board)
        self._page_through(raw.get("items_page"), read.items, what, "NextItems", watermark)
        if ref.subitems_board:
            self._read_changed_subitems(data, read, watermark, what)
        return read

    def _read_changed_subitems(
        self, data: dict[str, Any], read: BoardRead, watermark: datetime, what: str
    ) -> None:
        answer = shape(self.source.name, f"the answer to {what}")
        boards = answer.objs(data.get("subitems_board") or [], "subitems_board")
        if not boards:
            log.info("%s: %s: the subitems board did not come back; skipped", self.describe, what)
            return
        what = f"{what}: subitems"
        self._page_through(
            boards[0].get("items_page"), read.subitems, what, "NextSubitems", watermark
        )

    def refresh_accounts(
        self,
        reads: Sequence[BoardRead],
        known: Iterable[Account],
        teams: dict[str, tuple[str, ...]],
    ) -> tuple[list[Account], dict[str, tuple[str, ...]]]:
        """The previous accounts and teams, or a fresh directory when changed items name a
        user or team that these do not know."""
        raw = [i for r in reads for i in (*r.items.values(), *r.subitems.values())]
        users, team_ids = people_named(raw)
        accounts = list(known)
        unknown = (users - {a.id for a in accounts}) | (team_ids - set(teams))
        if not unknown:
            return accounts, teams
        log.info(
            "%s: changed items name %d unknown people or teams; reading the directory",
            self.describe,
            len(unknown),
        )
        return self.read_people()

    def _changed_subitems(
        self,
        reads: Sequence[BoardRead],
        tasks: Sequence[Task],
        changed: Mapping[str, list[list[Task]]],
        teams: dict[str, tuple[str, ...]],
    ) -> list[Task]:
        """Subitems that changed on their own board, converted under their (unchanged) parent."""
        parents = {t.id: t for t in tasks if t.parent_id is None}
        reread = {g[0].id for groups in changed.values() for g in groups}
        out: list[Task] = []
        for r in reads:
            for raw in r.subitems.values():
                pid = _parent_id(raw)
                if pid in reread:
                    continue  # it came inline with its re-read parent
                if pid not in parents:
                    log.info(
                        "%s: subitem %s has no known parent; left to the next full read",
                        self.describe,
                        raw.get("id"),
                    )
                    continue
                kwargs = self._convert_kwargs(r.ref, {}, teams)
                out.append(task_from_monday(raw, **kwargs, parent=parents[pid]))
        return out

    @staticmethod
    def _updated_ref(read: BoardRead) -> BoardRef:
        """The board as this read saw it (a new name; a subitems board first seen now)."""
        found = read.ref.subitems_board or subitems_board_of(read.items.values())
        return BoardRef(read.ref.id, read.ref.name, found)

    # -- shared ---------------------------------------------------------------------------------

    def _with_restarts(self, board_id: str, attempt: Callable[[], BoardRead]) -> BoardRead:
        """Run a board's listing again from its first page when its cursor expires (what was
        read is kept by id, so nothing is doubled and nothing missed)."""
        restarts = 0
        while True:
            try:
                return attempt()
            except CursorExpiredError as exc:
                restarts += 1
                if restarts > self.max_cursor_restarts:
                    raise SourceError(
                        f"{exc} — gave up after {self.max_cursor_restarts} "
                        "restarts of this board's listing; try again later",
                    ) from None
                log.info(
                    "%s: board %s: cursor expired, restarting its listing (%d of %d)",
                    self.describe,
                    board_id,
                    restarts,
                    self.max_cursor_restarts,
                )

    def _board(self, boards: Any, board_id: str, what: str) -> dict[str, Any]:
        """The one board a ``boards(ids: [id])`` answer holds; monday leaves out a board the
        token cannot see instead of failing, so a missing board is NotFoundError."""
        listed = shape(self.source.name, f"the answer to {what}").objs(boards, "boards")
        if not listed:
            raise NotFoundError(
                f"{self.describe}: board {board_id} did not come back: it does not exist, "
                "is archived or deleted, or the token's user cannot see it (monday leaves such "
                "boards out without an error); check boards = [...] and the board's sharing",
            )
        return listed[0]

    def _board_head(
        self, raw: dict[str, Any], board_id: str, what: str
    ) -> tuple[BoardRef, dict[str, str]]:
        """(the board's id and name, column id → title) of a board answer."""
        answer = shape(self.source.name, f"the answer to {what}")
        column = answer.about(f"{answer.what}: a column")
        columns = {
            column.ident(c, integers=True): column.text(c, "title") or ""
            for c in answer.objs(raw.get("columns"), "columns")
        }
        board = answer.about(f"{answer.what}: the board")
        name = board.text(raw, "name") or board_id
        return BoardRef(board.ident(raw, integers=True), name), columns

    def _page_through(
        self,
        page: Any,
        sink: dict[str, dict[str, Any]],
        what: str,
        next_query: str,
        watermark: datetime | None,
    ) -> None:
        """Take this page and the following ones into ``sink`` (by id); with a watermark, stop
        at the first item not updated after it (pages are newest first)."""
        n = 1
        while True:
            answer = shape(self.source.name, f"the answer to {what} (page {n})")
            cursor, reached = self._take_page(page, sink, watermark, answer)
            if cursor is None or reached:
                return
            n += 1
            variables = {"cursor": cursor, "limit": self.item_page_size}
            page = self.request(next_query, variables, f"{what} (page {n})").get("next_items_page")

    @staticmethod
    def _take_page(
        page: Any, sink: dict[str, dict[str, Any]], watermark: datetime | None, answer: Shape
    ) -> tuple[str | None, bool]:
        """(next cursor, whether the watermark was reached)."""
        page = answer.about(f"{answer.what}: the items page").obj(page)
        item = answer.about(f"{answer.what}: an item")
        for it in answer.objs(page.get("items"), "items"):
            item_id = item.ident(it, integers=True)
            updated = moment_of(answer.about(f"{answer.what}: item {item_id}"), it, "updated_at")
            if watermark is not None and updated is not None and updated <= watermark:
                return None, True
            sink[item_id] = it
        cursor = answer.about(f"{answer.what}: the items page").text(page, "cursor")
        return cursor or None, False

    def _convert(
        self,
        ref: BoardRef,
        columns: dict[str, str],
        items: Mapping[str, dict[str, Any]],
        teams: dict[str, tuple[str, ...]],
    ) -> list[list[Task]]:
        """Each raw item as ``[item, *its subitems]``, in read order."""
        kwargs = self._convert_kwargs(ref, columns, teams)
        return [tasks_from_monday(raw, **kwargs) for raw in items.values()]

    def _convert_kwargs(
        self, ref: BoardRef, columns: dict[str, str], teams: dict[str, tuple[str, ...]]
    ) -> dict[str, Any]:
        return {
            "source": self.source.name,
            "board_id": ref.id,
            "board_name": ref.name,
            "columns": columns,
            "teams": teams,
            "fields": self.source.fields,
        }

    def request(self, name: str, variables: Mapping[str, Any], what: str) -> dict[str, Any]:
        """POST the query ``QUERIES[name]``; return its ``data`` (errors raised, budget kept)."""
        wait, reserved = self.budget.reserve(name)
        if wait > 0:
            log.info(
                "%s: complexity budget low before %s; waiting %.0f s for its reset",
                self.describe,
                what,
                wait,
            )
            self.http.sleep(wait)
            self.budget.waited()
        try:
            body = self.http.request_json(
                "POST",
                self.base_url,
                json_body={"query": QUERIES[name], "variables": dict(variables)},
                check=lambda b: check_body(b, self.source.name, what),
                what=what,
            )
        finally:
            self.budget.release(reserved)
        data: dict[str, Any] = body["data"]
        c = data.get("complexity")
        if self.budget.record(name, c) and isinstance(c, dict):
            self.complexity.append(c)
            log.debug("%s: %s cost %s, %s left", self.describe, what, c["query"], c["after"])
        return data

    def parallel(self, calls: Sequence[Callable[[], T]]) -> list[T]:
        """Run the calls on up to ``max_workers`` threads; results in call order. When one
        fails, calls not started yet are dropped and the first failed call's error is raised
        (``parallel.in_order``)."""
        return in_order(calls, self.max_workers, name=self.kind)


def _parent_id(raw_subitem: dict[str, Any]) -> str | None:
    parent = raw_subitem.get("parent_item")
    return str(parent["id"]) if isinstance(parent, dict) and parent.get("id") else None
