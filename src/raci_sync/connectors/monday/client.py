"""monday.com: boards, items, subitems and users over the GraphQL API (API-Version pinned).

One POST per query to ``https://api.monday.com/v2`` with ``{"query", "variables"}``; the query
texts live in ``queries.py``, the pure conversion in ``convert.py``, the mapping of GraphQL
errors in 200 answers in ``errors.py``, the incremental cache and merge in ``incremental.py``
and what monday's limits make the connector do (complexity budget, paging guards, the waits
and refusals the HTTP layer does not read) in ``limits.py``.

What a sync costs (B boards, N_b items on board b, U users):

- Full read: one board listing (only when the config names boards by name, or names none),
  ceil(U/1000) directory queries (users + teams), and per board ceil(N_b/500) queries (one
  ``boards(ids:) { items_page(limit: 500) }``, then root ``next_items_page``; at least one for an
  empty board). Subitems come inline with their parents. An expired cursor restarts that
  board's listing (items are kept by id: no duplicates, no gaps).
- Incremental read (``since`` and ``previous`` given): per board, the items monday's
  server-side rule returns (``__last_updated__`` on or after the day before ``since``, minus a
  60 s overlap: monday compares by day in the token owner's zone), every page of them; those
  updated before ``since`` are dropped here. A board with subitems has its subitems board read
  in the same query (an alias). Board ids, columns and team members come from
  ``previous.state``; the directory is read again only when a changed item names a user or
  team the previous snapshot does not know. An unchanged workspace costs B requests (one more
  per 500 items of a board updated since the day before).
- Deletions: ``items_page`` has no ``state`` argument and ``ItemsQuery`` no state field, so
  archived and deleted items are simply not listed. An incremental read cannot see them go;
  the periodic full read (``[sync] full_every_hours``, default 24) drops them, and refreshes
  team membership and the board list (new boards, when no boards are configured).

Every reference the config wrote (each ``field:`` role, ``[source.fields]``, every board) must
resolve on every board, type included (``connectors.references``): a full read checks the
columns it reads, an incremental read those kept at the last read before it asks anything, and
the columns its answers bring after; either raises ``UnresolvedReferences`` with all problems.
A board name that matches nothing fails the full read before any item is asked for, with the
columns of the boards that did resolve checked too (one ``BoardColumns`` query).

Boards are read concurrently (``max_workers`` threads, default 4); tasks come out in the
configured board order. Every query asks for ``complexity``: the connector keeps the last budget
monday reported and waits ``reset_in_x_seconds`` before a query whose last known cost exceeds
what is left. A rate-limit error is retried after its ``retry_in_seconds`` by the HTTP layer; a
wait longer than ``[sync] max_wait_s`` fails the source at once. An items page too heavy for
monday (its per-query complexity maximum, a timeout, ``FIELD_LIMIT_EXCEEDED``) is asked again
with half the items, down to 25.
"""

from __future__ import annotations

import difflib
import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, ClassVar, TypeVar
from zoneinfo import ZoneInfo

from raci_sync.config import SourceConfig
from raci_sync.connectors.discovery import Container, Details, Discovery, unique_names
from raci_sync.connectors.http import HttpClient
from raci_sync.connectors.monday import KIND
from raci_sync.connectors.monday.convert import (
    DoneLabels,
    account_from_monday,
    columns_from_monday,
    complete_accounts,
    done_labels_from_monday,
    moment_of,
    people_named,
    shape,
    task_from_monday,
    tasks_from_monday,
    teams_from_monday,
)
from raci_sync.connectors.monday.errors import (
    CursorExpiredError,
    PageTooLargeError,
    check_body,
)
from raci_sync.connectors.monday.incremental import (
    OVERLAP,
    BoardRef,
    Cache,
    from_state,
    merge_items,
    merge_subitems,
    rename_container,
    scope_key,
    since_value,
    subitems_board_of,
    to_state,
)
from raci_sync.connectors.monday.limits import (
    ComplexityBudget,
    PageGuard,
    Signals,
    install,
)
from raci_sync.connectors.monday.queries import QUERIES, WRITES
from raci_sync.connectors.monday.writes import (
    WRITE_SCOPE,
    board_of,
    people_value,
    write_target,
)
from raci_sync.connectors.parallel import in_order
from raci_sync.connectors.references import (
    FieldDef,
    ScopeReport,
    UnresolvedReferences,
    check_fields,
    default_references,
    written_references,
)
from raci_sync.connectors.shape import Shape
from raci_sync.connectors.writes import (
    Target,
    Who,
    Written,
    empty_before,
    role_refs,
    unchanged_since,
    written_or_read_back,
)
from raci_sync.errors import AuthError, NotFoundError, SourceError
from raci_sync.model import LETTERS, Account, Snapshot, Task

__all__ = ["DEFAULT_BASE_URL", "ComplexityBudget", "MondayConnector"]

log = logging.getLogger("raci_sync.monday")

DEFAULT_BASE_URL = "https://api.monday.com/v2"
OUTDATED_KINDS = frozenset(
    {"deprecated", "maintenance", "previous_maintenance", "old__maintenance",
     "old_previous_maintenance"}
)  # fmt: skip
T = TypeVar("T")


@dataclass
class BoardRead:
    """What one board's read brought: its columns, raw items (all, or the changed ones) and
    subitems; ``missing`` when monday left the board out of its answer."""

    ref: BoardRef
    fields: tuple[FieldDef, ...] = ()
    done_labels: DoneLabels = field(default_factory=dict)
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    subitems: dict[str, dict[str, Any]] = field(default_factory=dict)  # incremental only
    missing: bool = False

    @property
    def columns(self) -> dict[str, str]:
        """Column id → title."""
        return {f.id: f.name for f in self.fields}


class MondayConnector:
    """Reads the configured monday.com boards: items, subitems, people columns and users."""

    kind: ClassVar[str] = "monday"
    board_page_size: int = 500  # boards() page size
    user_page_size: int = 1000  # users() maximum
    item_page_size: int = 500  # items_page / next_items_page maximum
    # First page of an incremental read: monday prices a page by its limit, so a smaller first
    # page makes an unchanged board's check cheaper in complexity (later pages are
    # item_page_size).
    changed_page_size: int = 100
    min_page_size: int = 25  # a page too heavy for monday is halved down to this
    board_ids_per_query: int = 100  # check_scope's column queries
    max_cursor_restarts: int = 3

    def __init__(self, source: SourceConfig, http: HttpClient, *, max_workers: int = 4) -> None:
        self.source = source
        self.http = http
        self.max_workers = max(1, max_workers)
        self.base_url = (source.base_url or DEFAULT_BASE_URL).rstrip("/")
        self.api_version = source.api_version or KIND.defaults["api_version"]
        token = source.token.reveal() if source.token is not None else ""
        http.headers = {
            "Authorization": token,
            "API-Version": self.api_version,
            "Content-Type": "application/json",
        }
        if token and token not in http.secrets:
            http.secrets = (*http.secrets, token)
        self.zone = ZoneInfo(source.timezone)
        self.budget = ComplexityBudget()
        self.complexity: list[dict[str, Any]] = []  # every query's answer, for logs and tests
        self.served: dict[str, str] | None = None  # the API version monday answered with
        self.warnings: list[str] = []  # what check_scope shows besides problems
        self._lock = threading.Lock()
        self.signals = Signals(self.describe, source.bounds.max_wait_s, http.retry.backoff)
        install(http, self.signals)
        self._fresh: dict[str, Any] = {}  # raci fix: each item's last answer, by id
        self._teams: dict[str, tuple[str, ...]] | None = None  # raci fix: team members

    @property
    def describe(self) -> str:
        """How messages name this source: ``source 'events' (monday)``."""
        return f"source {self.source.name!r} ({self.kind})"

    def check(self) -> str:
        """Who the token belongs to: ``Name <email>``."""
        with self._naming_source():
            return self._who()

    def _who(self) -> str:
        data = self.request("Me", {}, "who am I")
        me = shape(self.source.name, "the answer to who am I").obj(data.get("me"), "me")
        return f"{me.get('name') or me.get('id')} <{me.get('email') or 'no email'}>"

    def check_scope(self) -> ScopeReport:
        """Whose token; every configured board (a wrong name, or a board the token cannot see,
        is a problem that lists the boards it can see); each board's columns; every reference
        the config wrote checked on every board (type included), a missing default role a
        warning; and whether monday serves the API version asked for. One try: no retries."""
        with self._naming_source():
            who = self._who()
            ids, problems, listed = self._resolve()
            heads = self.board_columns(ids)
            missing = [i for i in ids if i not in heads]
            if missing:
                listed = listed if listed is not None else self.list_boards()
                problems += [self._missing_board(i, listed) for i in missing]
            found = [heads[i] for i in ids if i in heads]
            containers = _containers((r.ref, r.fields) for r in found)
        problems += check_fields(written_references(self.source), containers)
        warnings = [*self.warnings]
        warnings += [
            f"{p} (a default nobody wrote: that letter stays empty there)"
            for p in check_fields(default_references(self.source), containers)
        ]
        return ScopeReport(
            who=who,
            containers=tuple(containers),
            fields={
                name: tuple(f"{d.name} ({d.type})" for d in defs)
                for name, defs in containers.items()
            },
            problems=tuple(problems),
            warnings=tuple(warnings),
            notes=(f"API-Version {self.api_version} asked; {self._served_text()}",),
        )

    def fetch(self, since: datetime | None = None, previous: Snapshot | None = None) -> Snapshot:
        """All items and subitems of the configured boards, and the account's users.

        With ``since`` and ``previous`` (whose state this connector filled for the same boards
        and fields), only items changed since then are read and merged into ``previous``;
        otherwise, or when that state is missing, everything is read. Every reference the
        config wrote must resolve, or ``UnresolvedReferences`` names them all.
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
        """The boards, columns and teams the previous snapshot kept for this config, if any."""
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

    # -- discovery (raci init) ------------------------------------------------------------------

    def discover(self) -> Discovery:
        """Whose token, and every active board it can see (subitems boards left out): the
        ``Me`` query and the board listing (one query per 500 boards). A board is named by its
        name in the config, or by its id where the name would not find it alone (two boards
        of one name, a name of digits only, spaces at its ends)."""
        with self._naming_source():
            who = self._who()
            listed = self.list_boards()
        once = unique_names([str(b.get("name") or "") for b in listed])
        boards = [b for b in listed if b.get("type") in (None, "board")]
        return Discovery(
            who,
            "boards",
            tuple(
                Container(str(b["id"]), str(b.get("name") or b["id"]), _board_ref(b, once))
                for b in boards
            ),
        )

    def discover_details(self, chosen: Sequence[Container]) -> Details:
        """Each chosen board's columns (``BoardColumns``, 100 boards a query) and the account's
        users with their emails (``Directory``, 1,000 users a query)."""
        with self._naming_source():
            heads = self.board_columns([c.id for c in chosen])
            users, _ = self.read_people()
        missing = [self._missing_board(c.id) for c in chosen if c.id not in heads]
        if missing:
            raise UnresolvedReferences(self.source.name, missing)
        return Details({c.id: heads[c.id].fields for c in chosen}, tuple(users))

    # -- references -----------------------------------------------------------------------------

    def check_references(self, reads: Sequence[BoardRead]) -> None:
        """Every board came back and has every field the config wrote, with the right type;
        else ``UnresolvedReferences`` with all problems. A default role nobody wrote that a
        board lacks is logged only."""
        problems = [self._missing_board(r.ref.id) for r in reads if r.missing]
        containers = _containers((r.ref, r.fields) for r in reads if not r.missing)
        problems += check_fields(written_references(self.source), containers)
        if problems:
            raise UnresolvedReferences(self.source.name, problems)
        for p in check_fields(default_references(self.source), containers):
            log.info("%s: %s (a default nobody wrote: that letter stays empty)", self.describe, p)

    def _check_cached(self, cache: Cache) -> None:
        """The references against the columns kept at the last read: before any request."""
        containers = _containers((b, cache.columns.get(b.id, ())) for b in cache.boards)
        problems = check_fields(written_references(self.source), containers)
        if problems:
            raise UnresolvedReferences(self.source.name, problems)

    def _column_problems(self, board_ids: Sequence[str]) -> list[str]:
        """The written references checked on these boards' columns (one query per 100 boards),
        and the boards that did not come back."""
        heads = self.board_columns(board_ids)
        found = _containers((heads[i].ref, heads[i].fields) for i in board_ids if i in heads)
        missing = [self._missing_board(i) for i in board_ids if i not in heads]
        return missing + check_fields(written_references(self.source), found)

    def _missing_board(self, board_id: str, listed: list[dict[str, Any]] | None = None) -> str:
        seen = ""
        if listed is not None:
            seen = f"; the boards it can see: {_names(listed)}"
        return (
            f"boards: board {board_id} did not come back: it does not exist, is archived or "
            "deleted, or the token's user cannot see it (monday leaves such boards out without "
            f"an error){seen}; check boards = [...] and the board's sharing"
        )

    # -- full read ------------------------------------------------------------------------------

    def read_all(self) -> tuple[list[Task], list[Account], Cache]:
        """The full read: the board listing if needed, the directory and every board."""
        board_ids = self.resolve_scope()
        calls: list[Callable[[], Any]] = [self.read_people]
        calls += [partial(self.read_board, b) for b in board_ids]
        directory, *reads = self.parallel(calls)
        self.check_references(reads)
        users, teams = directory
        tasks = [t for r in reads for group in self._convert(r, r.items, teams) for t in group]
        cache = Cache(tuple(r.ref for r in reads), teams, {r.ref.id: r.fields for r in reads})
        return tasks, complete_accounts(users, tasks, self.source.name), cache

    def resolve_scope(self) -> list[str]:
        """Board ids of the configured scope (ids as given; names and no scope need a listing);
        every name that matches no board, or several, at once in ``UnresolvedReferences`` —
        with the references checked on the columns of the boards that did resolve (one more
        query), so that one fix of the config is enough."""
        ids, problems, _ = self._resolve()
        if problems:
            raise UnresolvedReferences(self.source.name, problems + self._column_problems(ids))
        return ids

    def _resolve(self) -> tuple[list[str], list[str], list[dict[str, Any]] | None]:
        """(board ids, problems with the names, the listing if one was read)."""
        wanted = self.source.boards
        if wanted and all(w.strip().isdigit() for w in wanted):
            return list(dict.fromkeys(w.strip() for w in wanted)), [], None
        listed = self.list_boards()
        if not wanted:
            return [b["id"] for b in listed if b.get("type") in (None, "board")], [], listed
        ids: list[str] = []
        problems: list[str] = []
        for w in wanted:
            board_id, problem = self._match_board(w, listed)
            if problem is not None:
                problems.append(problem)
            elif board_id is not None and board_id not in ids:
                ids.append(board_id)
        return ids, problems, listed

    def _match_board(
        self, wanted: str, listed: list[dict[str, Any]]
    ) -> tuple[str | None, str | None]:
        """(the board id a configured entry names, or the problem with it)."""
        key = wanted.strip()
        if any(b["id"] == key for b in listed):
            return key, None
        hits = [b for b in listed if str(b.get("name", "")).casefold() == key.casefold()]
        if len(hits) > 1:
            ids = ", ".join(b["id"] for b in hits)
            return None, (
                f"boards: {len(hits)} boards are named {wanted!r} (ids {ids}); put the id of "
                "the one you mean in boards = [...]"
            )
        if hits:
            return str(hits[0]["id"]), None
        if key.isdigit():
            return key, None  # maybe not active; the items query will tell
        names = [str(b.get("name")) for b in listed if b.get("type") in (None, "board")]
        close = difflib.get_close_matches(key, names, n=3, cutoff=0.5)
        near = f" (closest: {', '.join(map(repr, close))})" if close else ""
        return None, (
            f"boards: no board named {wanted!r} among the {len(names)} boards the token's "
            f"user can see: {_names(listed)}{near}; fix the name in boards = [...] or share "
            "the board with that user"
        )

    def list_boards(self) -> list[dict[str, Any]]:
        """Every active board the token's user can see: ``{id, name, type}``."""
        out: list[dict[str, Any]] = []
        guard = PageGuard(f"{self.describe}: list boards", self.source.bounds.max_pages)
        page = 1
        while True:
            what = f"list boards (page {page})"
            data = self.request("ListBoards", {"limit": self.board_page_size, "page": page}, what)
            answer = shape(self.source.name, f"the answer to {what}")
            boards = answer.objs(data.get("boards"), "boards")
            board = answer.about(f"{answer.what}: a board")
            listed = [
                {"id": board.ident(b, integers=True), "name": b.get("name"), "type": b.get("type")}
                for b in boards
            ]
            out.extend(b for b in listed if b["id"] not in guard.seen)
            more = len(boards) >= self.board_page_size
            guard.page((str(b["id"]) for b in listed), more=more)
            if not more:
                return out
            page += 1

    def board_columns(self, board_ids: Sequence[str]) -> dict[str, BoardRead]:
        """The boards of ``board_ids`` that monday returns, with their columns (no items)."""
        out: dict[str, BoardRead] = {}
        step = self.board_ids_per_query
        for start in range(0, len(board_ids), step):
            chunk = list(board_ids[start : start + step])
            what = f"read the columns of {len(chunk)} board(s)"
            data = self.request("BoardColumns", {"boardIds": chunk, "limit": len(chunk)}, what)
            answer = shape(self.source.name, f"the answer to {what}")
            for raw in answer.objs(data.get("boards"), "boards"):
                read = self._board_head(raw, "?", what)
                out[read.ref.id] = read
        return out

    def read_people(self) -> tuple[list[Account], dict[str, tuple[str, ...]]]:
        """All users (paged) and every team's member ids, in as few queries as possible."""
        users: dict[str, Account] = {}
        teams: dict[str, tuple[str, ...]] = {}
        guard = PageGuard(f"{self.describe}: list users", self.source.bounds.max_pages)
        page = 1
        while True:
            what = f"list users (page {page})"
            name = "Directory" if page == 1 else "Users"
            data = self.request(name, {"limit": self.user_page_size, "page": page}, what)
            answer = shape(self.source.name, f"the answer to {what}")
            raw_users = answer.objs(data.get("users"), "users")
            accounts = [account_from_monday(u, self.source.name) for u in raw_users]
            for a in accounts:
                users.setdefault(a.id, a)
            if page == 1:
                teams = teams_from_monday(data.get("teams"), answer)
            more = len(raw_users) >= self.user_page_size
            guard.page((a.id for a in accounts), more=more)
            if not more:
                return list(users.values()), teams
            page += 1

    def read_board(self, board_id: str) -> BoardRead:
        """Every item of one board, restarting on an expired cursor, each item once."""
        items: dict[str, dict[str, Any]] = {}
        return self._with_restarts(board_id, lambda: self._read_board(board_id, items))

    def _read_board(self, board_id: str, items: dict[str, dict[str, Any]]) -> BoardRead:
        what = f"read board {board_id}"

        def first(limit: int) -> dict[str, Any]:
            variables = {"boardId": board_id, "limit": limit}
            return self.request("BoardItems", variables, what)

        data, limit = self._sized(first, self.item_page_size, "BoardItems", what)
        raw = self._board(data.get("boards"), what)
        if raw is None:
            return BoardRead(BoardRef(board_id, board_id), missing=True)
        read = self._board_head(raw, board_id, what)
        read.items = items
        self._page_through(raw.get("items_page"), items, what, "NextItems", limit, None)
        read.ref = BoardRef(read.ref.id, read.ref.name, subitems_board_of(items.values()))
        return read

    # -- incremental read -----------------------------------------------------------------------

    def read_changes(
        self, watermark: datetime, previous: Snapshot, cache: Cache
    ) -> tuple[list[Task], list[Account], Cache]:
        """The incremental read: each board's items changed after ``watermark``, merged into
        ``previous``; the directory only when a changed item names someone unknown."""
        self._check_cached(cache)
        reads = self.parallel(
            [partial(self.read_board_changes, r, watermark) for r in cache.boards]
        )
        self.check_references(reads)
        accounts, teams = self.refresh_accounts(reads, previous.accounts, cache.teams)
        changed = {r.ref.id: self._convert(r, r.items, teams) for r in reads}
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
        columns = {r.ref.id: r.fields for r in reads}
        accounts = complete_accounts(accounts, tasks, self.source.name)
        return tasks, accounts, Cache(refs, teams, columns)

    def read_board_changes(self, ref: BoardRef, watermark: datetime) -> BoardRead:
        """Items (and subitems) of one board updated at or after ``watermark``: every page of
        what monday's day-granular rule returns, filtered to the watermark here."""
        read = BoardRead(ref)

        def attempt() -> BoardRead:
            return self._read_board_changes(read, watermark)

        return self._with_restarts(ref.id, attempt)

    def _read_board_changes(self, read: BoardRead, watermark: datetime) -> BoardRead:
        ref = read.ref
        what = f"read changes of board {ref.id}"
        variables: dict[str, Any] = {"boardId": ref.id, "since": since_value(watermark)}
        name = "ChangedItems"
        if ref.subitems_board:
            name, variables["subitemsBoardId"] = "ChangedItemsAndSubitems", ref.subitems_board

        def first(limit: int) -> dict[str, Any]:
            return self.request(name, {**variables, "limit": limit}, what)

        data, limit = self._sized(first, self.changed_page_size, name, what)
        raw = self._board(data.get("boards"), what)
        if raw is None:
            read.missing = True
            return read
        head = self._board_head(raw, ref.id, what)
        read.ref = BoardRef(head.ref.id, head.ref.name, ref.subitems_board)
        read.fields, read.done_labels = head.fields, head.done_labels
        # later pages at the usual size, unless the first one had to shrink
        limit = self.item_page_size if limit == self.changed_page_size else limit
        self._page_through(raw.get("items_page"), read.items, what, "NextItems", limit, watermark)
        if ref.subitems_board:
            self._read_changed_subitems(data, read, watermark, what, limit)
        return read

    def _read_changed_subitems(
        self, data: dict[str, Any], read: BoardRead, watermark: datetime, what: str, limit: int
    ) -> None:
        answer = shape(self.source.name, f"the answer to {what}")
        boards = answer.objs(data.get("subitems_board") or [], "subitems_board")
        if not boards:
            log.info("%s: %s: the subitems board did not come back; skipped", self.describe, what)
            return
        what = f"{what}: subitems"
        page = boards[0].get("items_page")
        self._page_through(page, read.subitems, what, "NextSubitems", limit, watermark)

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
                kwargs = self._convert_kwargs(BoardRead(r.ref), teams)
                out.append(task_from_monday(raw, **kwargs, parent=parents[pid]))
        return out

    @staticmethod
    def _updated_ref(read: BoardRead) -> BoardRef:
        """The board as this read saw it (a new name; a subitems board first seen now)."""
        found = read.ref.subitems_board or subitems_board_of(read.items.values())
        return BoardRef(read.ref.id, read.ref.name, found)

    # -- paging and page sizes ------------------------------------------------------------------

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

    def _sized(self, send: Callable[[int], T], limit: int, name: str, what: str) -> tuple[T, int]:
        """``send(limit)``, asked again with half the limit (down to ``min_page_size``) while
        monday refuses the page as too heavy; (its answer, the limit that passed)."""
        while True:
            try:
                return send(limit), limit
            except PageTooLargeError as exc:
                if limit <= self.min_page_size:
                    raise SourceError(
                        f"{exc} — even at {limit} items a page, the fewest raci-sync asks for; "
                        "the board's items are too heavy to read (too many columns or "
                        "subitems): try again later, and report it if it keeps happening"
                    ) from None
                smaller = max(self.min_page_size, limit // 2)
                log.warning(
                    "%s: %s: monday would not answer a page of %d items (%s; the last %s cost "
                    "%s complexity points); asking for %d a page from here",
                    self.describe,
                    what,
                    limit,
                    exc,
                    name,
                    self.budget.costs.get(name, "unknown"),
                    smaller,
                )
                if exc.wait:
                    self.wait(exc.wait, f"before asking {what} again, as monday asks")
                limit = smaller

    def _page_through(
        self,
        page: Any,
        sink: dict[str, dict[str, Any]],
        what: str,
        next_query: str,
        limit: int,
        watermark: datetime | None,
    ) -> None:
        """Take this page and all following ones into ``sink`` (by id); with a watermark, only
        items updated at or after it. A listing that does not end fails (:class:`PageGuard`)."""
        guard = PageGuard(f"{self.describe}: {what}", self.source.bounds.max_pages)
        n = 1
        while True:
            answer = shape(self.source.name, f"the answer to {what} (page {n})")
            cursor, ids = self._take_page(page, sink, watermark, answer)
            guard.page(ids, more=cursor is not None, cursor=cursor)
            if cursor is None:
                return
            n += 1
            label = f"{what} (page {n})"

            def send(size: int, cursor: str = cursor, label: str = label) -> Any:
                variables = {"cursor": cursor, "limit": size}
                return self.request(next_query, variables, label).get("next_items_page")

            page, limit = self._sized(send, limit, next_query, label)

    @staticmethod
    def _take_page(
        page: Any, sink: dict[str, dict[str, Any]], watermark: datetime | None, answer: Shape
    ) -> tuple[str | None, list[str]]:
        """(next cursor, the ids the page held); items older than ``watermark`` are left out."""
        page = answer.about(f"{answer.what}: the items page").obj(page)
        item = answer.about(f"{answer.what}: an item")
        ids = []
        for it in answer.objs(page.get("items"), "items"):
            item_id = item.ident(it, integers=True)
            ids.append(item_id)
            updated = moment_of(answer.about(f"{answer.what}: item {item_id}"), it, "updated_at")
            if watermark is not None and updated is not None and updated < watermark:
                continue  # monday's rule is by day: this one is older than the watermark
            sink[item_id] = it
        cursor = answer.about(f"{answer.what}: the items page").text(page, "cursor")
        return cursor or None, ids

    # -- writes (raci fix: connectors/writes.py) ------------------------------------------------

    def read_task(self, task: Task, previous: Snapshot | None = None) -> Task:
        """``items(ids: [id])`` (``ReadItem``): the item or subitem as monday has it now,
        converted as a board read converts it; teams expand to the members ``previous`` kept
        (else the directory is read once)."""
        what = f"read item {task.id} ({task.title!r}) again"
        with self._naming_source():
            data = self.request("ReadItem", {"itemIds": [task.id]}, what)
            items = shape(self.source.name, f"the answer to {what}").objs(data.get("items"))
            if not items:
                raise NotFoundError(
                    f"{self.describe}: {what}: monday did not return the item: it is deleted, "
                    "or on a board the token's user cannot see",
                )
            return self._fresh_task(task, items[0], previous, what)

    def set_role(self, task: Task, letter: str, who: Who) -> Written:
        """Give ``who`` the letter on ``task``: in its people column (``SetPeople``, one
        mutation, whose answer is the item after it)."""
        raw = self._fresh.get(task.id)
        if raw is None:
            task = self.read_task(task)
            raw = self._fresh[task.id]
        named = [
            r[len("field:") :]
            for other in LETTERS
            for r in role_refs(self.source, other)
            if r.startswith("field:")
        ]
        refs = role_refs(self.source, letter)
        target = write_target(raw, refs, named, letter, task, self.describe)
        where = f"{self.describe}: item {task.id}"
        before = empty_before(task, target, where, self.source.name)
        fresh = self._set_people(task, raw, target, (who.account,))
        return Written(fresh, target, before, target.values(fresh))

    def restore_role(
        self, task: Task, target: Target, before: tuple[str, ...], after: tuple[str, ...]
    ) -> Written:
        """Put ``before`` back into ``target`` where it still holds ``after``."""
        where = f"{self.describe}: item {task.id}"
        now = unchanged_since(task, target, after, where, self.source.name)
        raw = self._fresh.get(task.id)
        if raw is None:
            task = self.read_task(task)
            raw = self._fresh[task.id]
        fresh = self._set_people(task, raw, target, before)
        return Written(fresh, target, now, target.values(fresh))

    def _set_people(self, task: Task, raw: Any, target: Target, accounts: tuple[str, ...]) -> Task:
        """The people column made to hold ``accounts``; the item after it. An answer that
        cannot be read (cut off, not JSON, not an item) does not say whether monday took the
        write: the item is read again, and holds them (written) or not (the answer's error)."""
        return written_or_read_back(
            lambda: self._send_people(task, raw, target, accounts),
            lambda: self.read_task(task),
            target,
            accounts,
        )

    def _send_people(self, task: Task, raw: Any, target: Target, accounts: tuple[str, ...]) -> Task:
        what = f"set {target.label} of item {task.id}"
        variables = {
            "boardId": board_of(raw, task),
            "itemId": task.id,
            "values": people_value(target.id or "", accounts),
        }
        with self._naming_source():
            try:
                data = self.request("SetPeople", variables, what)
            except AuthError as exc:
                said = re.search(r"refused access \((.*?)\); ", str(exc))
                raise AuthError(
                    f"{self.describe}: monday refused to {what} ({task.title!r})"
                    f"{f' ({said.group(1)})' if said else ''}: the token's user may see the "
                    "board but not change its items. A personal token needs its user to have "
                    f"edit rights on the board; a monday app's token the {WRITE_SCOPE!r} scope. "
                    "Nothing was changed",
                    source=self.source.name,
                ) from None
            item = data.get("change_multiple_column_values")
            return self._fresh_task(task, item, None, what)

    def _fresh_task(self, task: Task, raw: Any, previous: Snapshot | None, what: str) -> Task:
        """An item of a ReadItem or SetPeople answer, converted in its place; kept raw."""
        answer = shape(self.source.name, f"the answer to {what}")
        item = answer.obj(raw, "the item")
        board = answer.obj(item.get("board"), "board")
        self._fresh[task.id] = item
        parent = None
        if task.parent_id is not None:  # a subitem sits under its parent, as a read puts it
            parent = Task(
                self.source.name,
                task.parent_id,
                "",
                container=task.container,
                container_id=task.container_id,
                group=task.group,
            )
        return task_from_monday(
            item,
            source=self.source.name,
            board_id=task.container_id or "",
            board_name=task.container or "",
            columns={},
            teams=self._teams_for(previous),
            fields=self.source.fields,
            parent=parent,
            done_labels=done_labels_from_monday(board.get("status_columns"), answer),
            zone=self.zone,
        )

    def _teams_for(self, previous: Snapshot | None) -> dict[str, tuple[str, ...]]:
        """Team id → members: what the last read kept, else the directory read once."""
        if self._teams is None:
            cache = self.cached_scope(previous) if previous is not None else None
            self._teams = dict(cache.teams) if cache is not None else self.read_people()[1]
        return self._teams

    # -- shared ---------------------------------------------------------------------------------

    def _board(self, boards: Any, what: str) -> dict[str, Any] | None:
        """The one board a ``boards(ids: [id])`` answer holds; None when monday left it out
        (it does so, without an error, for a board the token cannot see)."""
        listed = shape(self.source.name, f"the answer to {what}").objs(boards, "boards")
        return listed[0] if listed else None

    def _board_head(self, raw: dict[str, Any], board_id: str, what: str) -> BoardRead:
        """A board answer's id, name, columns and status labels (no items yet)."""
        answer = shape(self.source.name, f"the answer to {what}")
        board = answer.about(f"{answer.what}: the board")
        name = board.text(raw, "name") or board_id
        ref = BoardRef(board.ident(raw, integers=True), name)
        return BoardRead(
            ref,
            fields=columns_from_monday(raw.get("columns"), answer),
            done_labels=done_labels_from_monday(raw.get("status_columns"), answer),
        )

    def _convert(
        self,
        read: BoardRead,
        items: Mapping[str, dict[str, Any]],
        teams: dict[str, tuple[str, ...]],
    ) -> list[list[Task]]:
        """Each raw item as ``[item, *its subitems]``, in read order."""
        kwargs = self._convert_kwargs(read, teams)
        return [tasks_from_monday(raw, **kwargs) for raw in items.values()]

    def _convert_kwargs(self, read: BoardRead, teams: dict[str, tuple[str, ...]]) -> dict[str, Any]:
        return {
            "source": self.source.name,
            "board_id": read.ref.id,
            "board_name": read.ref.name,
            "columns": read.columns,
            "teams": teams,
            "fields": self.source.fields,
            "done_labels": read.done_labels,
            "zone": self.zone,
        }

    def request(self, name: str, variables: Mapping[str, Any], what: str) -> dict[str, Any]:
        """POST the query ``QUERIES[name]`` (or raci fix's ``WRITES[name]``); return its
        ``data`` (errors raised, budget kept)."""
        wait, reserved = self.budget.reserve(name)
        if wait > 0:
            self.wait(wait, f"the complexity budget is low before {what}; it resets then")
            self.budget.waited()
        max_wait = self.source.bounds.max_wait_s
        self.signals.sending(name, what)
        try:
            body = self.http.request_json(
                "POST",
                self.base_url,
                json_body={
                    "query": QUERIES.get(name) or WRITES[name],
                    "variables": dict(variables),
                },
                check=lambda b: check_body(b, self.source.name, what, max_wait=max_wait),
                what=what,
            )
        finally:
            self.signals.sending(None)
            self.budget.release(reserved)
        data: dict[str, Any] = body["data"]
        c = data.get("complexity")
        if self.budget.record(name, c) and isinstance(c, dict):
            self.complexity.append(c)
            log.debug("%s: %s cost %s, %s left", self.describe, what, c["query"], c["after"])
        if "version" in data:
            self._note_version(data["version"])
        return data

    def wait(self, seconds: float, why: str) -> None:
        """Wait ``seconds`` (``why`` says for what) through the HTTP layer: a wait longer than
        ``[sync] max_wait_s`` or than the source has left fails the source at once, without
        sleeping, and a signal ends it."""
        log.info("%s: waiting %.0f s: %s", self.describe, seconds, why)
        self.http.wait(seconds, f"monday: {why}")

    def _note_version(self, raw: Any) -> None:
        """Compare the version monday served with the one asked for, once per connector."""
        if not isinstance(raw, dict):
            return
        served = {k: str(raw.get(k) or "?") for k in ("kind", "value")}
        with self._lock:
            if self.served is not None:
                return
            self.served = served
        warning = version_warning(self.api_version, served["kind"], served["value"])
        if warning:
            self.warnings.append(warning)
            log.warning("%s: %s", self.describe, warning)

    def _served_text(self) -> str:
        if self.served is None:
            return "monday did not say which version it served"
        return f"monday served {self.served['value']} ({self.served['kind']})"

    def parallel(self, calls: Sequence[Callable[[], T]]) -> list[T]:
        """Run the calls on up to ``max_workers`` threads; results in call order. When one
        fails, calls not started yet are dropped and the first failed call's error is raised
        (``parallel.in_order``)."""
        return in_order(calls, self.max_workers, name=self.kind)


def version_warning(asked: str, kind: str, value: str) -> str | None:
    """What to say when monday serves another API version than asked, or an outdated one."""
    if value != asked:
        return (
            f"asked for API-Version {asked} but monday served {value} ({kind}): {asked} is "
            "retired or unknown, and the answers follow another schema; set api_version to a "
            "supported version (or leave it out for raci-sync's default)"
        )
    if kind in OUTDATED_KINDS:
        return (
            f"API-Version {value} is in {kind.replace('_', ' ').strip()} at monday: it will be "
            "retired; move api_version to the current version (or leave it out for "
            "raci-sync's default)"
        )
    if kind != "current":
        return f"API-Version {value} is a {kind.replace('_', ' ')} version: it may still change"
    return None


def _containers(boards: Iterable[tuple[BoardRef, Sequence[FieldDef]]]) -> dict[str, list[FieldDef]]:
    """Board name → its columns, for the reference checks (two boards of one name: with ids)."""
    pairs = list(boards)
    names = [b.name for b, _ in pairs]
    return {
        (b.name if names.count(b.name) == 1 else f"{b.name} ({b.id})"): list(defs)
        for b, defs in pairs
    }


def _board_ref(board: Mapping[str, Any], unique: set[str]) -> str:
    """The board's name when it names this board alone, else its id."""
    name = str(board.get("name") or "")
    if name and name == name.strip() and name.casefold() in unique and not name.isdigit():
        return name
    return str(board["id"])


def _names(listed: Sequence[Mapping[str, Any]]) -> str:
    names = sorted(str(b.get("name")) for b in listed if b.get("type") in (None, "board"))
    shown = ", ".join(repr(n) for n in names[:10]) + (" …" if len(names) > 10 else "")
    return shown or "none"


def _parent_id(raw_subitem: dict[str, Any]) -> str | None:
    parent = raw_subitem.get("parent_item")
    return str(parent["id"]) if isinstance(parent, dict) and parent.get("id") else None
