"""Trello: boards → cards with members, labels and custom fields, normalized (PRODUCT §2, §3).

Requests of a **full read** of B boards holding N_b cards each::

    GET /members/me/boards?fields=name,closed,dateLastActivity    once, unless every board is
                                                                    given by its 24-hex id
    GET /boards/{id}?fields=name,closed&lists=all&list_fields=name,closed
        &members=all&member_fields=fullName,username&customFields=true
        &labels=all&label_fields=name,color&labels_limit=1000       per board: definitions, people
    GET /boards/{id}/cards?filter=all&fields=…&customFieldItems=true&limit=1000[&before=…]
                                                                    per board: ceil(N_b / 1000)

that is ``[1] + Σ (1 + ceil(N_b / 1000))``, the documented minimum (plus one confirming page
for a board whose card count is an exact multiple of 1000). Boards are read ``max_workers`` at
a time; the HTTP client's limiter keeps the token inside Trello's 100 requests per 10 s.

An **incremental read** (``fetch(since, previous)``) makes the one listing call, whose
``dateLastActivity`` per board says which boards saw any action (card created, changed, moved,
archived or deleted; list, label or custom field edited; member added) since ``since`` less
OVERLAP. Only those boards are read again, in full: so a deleted card disappears with the next
incremental read of its board, not only with the periodic full read. Every other board keeps
its tasks and accounts from ``previous`` (the board ids, names and account ids are kept in
``Snapshot.state["boards"]``; a change of ``done_lists`` in the config re-reads every board,
since it changes task states). An unchanged workspace costs **one request**, plus one
``GET /boards/{id}?fields=name,closed,dateLastActivity`` per configured board the token's user
is not a member of (the listing only shows the user's own boards). Both name the fields they
read; ``dateLastActivity`` is not in the spec's BoardFields enum but is accepted by name
(PRODUCT §12 "Allowed departures"). The listing counts against Trello's ``/1/members/`` limit
of 100 requests per 900 s: one per sync. That board activity covers every card change is
Trello's documented meaning of the field, not verified against the live API; the periodic full
read (``[sync] full_every_hours``) is the backstop. Card-level
``since``/``before`` filter by creation, not change, so they cannot serve as a change feed.

Auth is the ``key`` and ``token`` query parameters on every request (the spec's security
schemes); the HTTP layer replaces both by ``***`` in every log line and message.

Every reference the config wrote resolves or the read fails (PRODUCT §9): each board name or
id, each ``field:`` role and ``[source.fields]`` entry (a list or text field for a role, a
number field for the effort) and each ``done_lists`` entry on every board. A read checks them
against the definitions of each board it reads (the board call above), before any card; a
board an incremental read keeps, against the definitions its last read kept in
``Snapshot.state["trello.definitions"]`` (no request). Every problem is raised at once
(``references.UnresolvedReferences``); ``check_scope`` (``raci check-config --online``)
reports the same with each board's fields.

Template cards (``isTemplate``) and cards with a ``cardRole`` (separator, link, board, mirror)
are not work and are left out. ``due`` and ``start`` are instants: their date is taken in the
source's time zone (``timezone``), so a card due 00:30 in Copenhagen is due that day, and a
date-only due date stored as the setter's local midnight comes back as the day they picked.

Fetching (``TrelloConnector``, here) is apart from converting (``convert.py``:
``board_from_trello``, ``task_from_trello``, ``account_from_trello``,
``board_summary_from_trello``), from the request parameters and card paging (``queries.py``)
and from the incremental helpers (``incremental.py``: ``board_changed``, ``kept_board``): the
converters are pure and raise ResponseError, never KeyError/TypeError, on a body of the wrong
shape.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import Any, ClassVar, TypeVar
from zoneinfo import ZoneInfo

from raci_sync.config import SourceConfig
from raci_sync.connectors.discovery import Container, Details, Discovery, unique_names
from raci_sync.connectors.http import HttpClient
from raci_sync.connectors.parallel import in_order
from raci_sync.connectors.references import (
    ScopeReport,
    UnresolvedReferences,
    check_fields,
    check_names,
    default_references,
    written_references,
)
from raci_sync.connectors.trello.convert import (
    Board,
    BoardSummary,
    board_accounts,
    board_from_trello,
    board_summary_from_trello,
    field_defs,
    is_work,
    shape,
    task_from_trello,
)
from raci_sync.connectors.trello.incremental import (
    OVERLAP,
    SETTINGS_KEY,
    BoardRead,
    Cached,
    Definitions,
    board_changed,
    definitions_from_state,
    from_state,
    kept_board,
    merge_accounts,
    settings_key,
    to_state,
)
from raci_sync.connectors.trello.queries import (
    BOARD_PARAMS,
    CARD_PAGE_SIZE,
    LISTING_PARAMS,
    MEMBER_PARAMS,
    card_params,
    is_trello_id,
    oldest_first_second,
)
from raci_sync.connectors.trello.writes import (
    READ_ONLY_ANSWER,
    WRITE_SCOPE,
    field_body,
    one_card_params,
    write_target,
)
from raci_sync.connectors.writes import (
    Target,
    Who,
    Written,
    empty_before,
    role_refs,
    unchanged_since,
)
from raci_sync.errors import AuthError, NotFoundError, SourceError
from raci_sync.model import Account, Snapshot, Task

T = TypeVar("T")

DEFAULT_BASE_URL = "https://api.trello.com/1"
KEY_HELP = (
    "get the API key at https://trello.com/power-ups/admin (your Power-Up → API key) and a "
    "token at https://trello.com/1/authorize?expiration=never&scope=read&response_type=token"
    "&name=raci-sync&key=<your API key>"
)
KEPT_HINT = (
    "boards without activity were checked against the definitions kept from their last read; "
    "if a field or list was added in Trello since, run `raci sync --full`"
)
WRITE_HELP = (
    "authorize a token that may write at https://trello.com/1/authorize?expiration=never"
    f"&scope={WRITE_SCOPE}&response_type=token&name=raci-sync&key=<your API key>"
)
_HTTP_DETAIL = re.compile(r"answered (\d{3})[^(]*\((.*)\); ")


class TrelloConnector:
    """Reads the configured boards (ids or names; omitted: every open board of the token),
    ``max_workers`` boards at a time."""

    kind: ClassVar[str] = "trello"

    def __init__(self, source: SourceConfig, http: HttpClient, *, max_workers: int = 4) -> None:
        self.source = source
        self.http = http
        self.max_workers = max(1, max_workers)
        self.base_url = (source.base_url or DEFAULT_BASE_URL).rstrip("/")
        self.tz = ZoneInfo(source.timezone)  # due and start dates are dates in the team's zone
        secrets = tuple(s.reveal() for s in (source.key, source.token) if s is not None)
        http.secrets = tuple(dict.fromkeys((*http.secrets, *secrets)))
        self._boards: dict[str, Board] = {}  # raci fix: the boards of the cards it writes

    @property
    def describe(self) -> str:
        """How messages name this source: ``source 'indhold' (trello)``."""
        return f"source {self.source.name!r} ({self.kind})"

    def check(self) -> str:
        """``GET /members/me``: whose token this is, as "Full Name (@username)"."""
        raw = self.request(
            "/members/me",
            MEMBER_PARAMS,
            what="the token's own member",
            obj="its own member record",
        )
        s = shape(self.source.name, "the token's member")
        me = s.obj(raw)
        return f"{s.text(me, 'fullName') or '?'} (@{s.text(me, 'username') or s.ident(me)})"

    def fetch(self, since: datetime | None = None, previous: Snapshot | None = None) -> Snapshot:
        """Every card of every configured board, archived ones included.

        Without ``since`` and ``previous``: a full read. With both: one board listing tells
        each board's ``dateLastActivity``; a board active after ``since`` (less OVERLAP, for
        clock skew) is read again in full, so its new, changed, moved *and deleted* cards are
        all seen; any other board keeps its previous tasks and accounts untouched.
        """
        started, before = datetime.now(UTC), self.http.requests_made
        if since is None or previous is None:
            reads = self.read_all()
        else:
            cutoff = (since if since.tzinfo else since.replace(tzinfo=UTC)) - OVERLAP
            reads = self.read_changes(cutoff, previous)
        return Snapshot(
            source=self.source.name,
            kind=self.kind,
            tasks=tuple(t for r in reads for t in r.tasks),
            accounts=merge_accounts(reads),
            containers=tuple(r.name for r in reads),
            fetched_at=started,
            requests=self.http.requests_made - before,
            state={**to_state(reads), SETTINGS_KEY: self.config_key()},
        )

    def read_all(self) -> list[BoardRead]:
        """The full read: every board of the configured scope, each reference of the config
        checked against the boards' definitions before any card is read."""
        ids, problems = self.survey_scope(self.list_boards() if self._needs_listing() else None)
        return self.read_boards(ids, problems)

    def read_changes(self, cutoff: datetime, previous: Snapshot) -> list[BoardRead]:
        """The incremental read: the boards active after ``cutoff`` again, the others kept.

        The config's references are checked against the definitions of the boards read again
        and, for the boards kept, those cached at their last read (no request for that).
        """
        cached = self.cached_scope(previous)
        defs = definitions_from_state(previous.state) if cached else {}
        listing = self.list_boards()
        ids, problems = self.survey_scope(listing)
        summaries: dict[str, BoardSummary | None] = {b.id: b for b in listing}
        unknown = [i for i in ids if i in cached and _activity(summaries.get(i)) is None]
        summaries.update(zip(unknown, self.probe_boards(unknown), strict=True))
        changed = [
            i
            for i in ids
            if i not in defs or board_changed(summaries.get(i), cached.get(i), cutoff)
        ]
        kept = {cached[i][0]: defs[i] for i in ids if i not in changed}
        stale = self.reference_problems(kept)
        hint = KEPT_HINT if stale else None
        fresh = dict(zip(changed, self.read_boards(changed, problems + stale, hint), strict=True))
        moved = {t.id for r in fresh.values() for t in r.tasks}
        return [fresh.get(i) or kept_board(i, cached[i], previous, moved, defs[i]) for i in ids]

    def cached_scope(self, previous: Snapshot) -> dict[str, Cached]:
        """The boards the previous snapshot kept, if it was made with this config's settings."""
        if previous.state.get(SETTINGS_KEY) != self.config_key():
            return {}
        return from_state(previous.state)

    def config_key(self) -> str:
        """The config that shapes converted tasks: when it changes, every board is read again."""
        return settings_key(self.source.done_lists)

    # -- scope and references --------------------------------------------------------------

    def resolve_scope(self) -> list[str]:
        """Board ids of the configured scope: ids as given, names looked up once."""
        return self.scope_of(self.list_boards() if self._needs_listing() else None)

    def _needs_listing(self) -> bool:
        refs = self.source.boards or ()
        return not refs or not all(is_trello_id(r) for r in refs)

    def scope_of(self, listing: list[BoardSummary] | None) -> list[str]:
        """Board ids of the configured scope, in config order (the listing's when omitted);
        UnresolvedReferences with every board name that does not resolve."""
        ids, problems = self.survey_scope(listing)
        self.require(problems)
        return ids

    def survey_scope(self, listing: list[BoardSummary] | None) -> tuple[list[str], list[str]]:
        """Board ids of the configured scope that resolve, and one problem for every name that
        does not (all of them)."""
        refs = self.source.boards or None  # an empty list is as good as none: every board
        if refs is None:
            every = [b.id for b in listing or () if not b.closed]
            if not every:
                return [], [
                    "[source] boards: the token's user sees no open boards; check that the "
                    "token belongs to the right Trello user, or list the boards in `boards`"
                ]
            return every, []
        ids: list[str] = []
        problems: list[str] = []
        for ref in refs:
            board_id, problem = self._match_board(ref, listing or [])
            problems += problem
            if board_id is not None and board_id not in ids:
                ids.append(board_id)
        return ids, problems

    def _match_board(self, ref: str, visible: list[BoardSummary]) -> tuple[str | None, list[str]]:
        if is_trello_id(ref):
            return ref.strip().lower(), []
        wanted = ref.strip().casefold()
        named = [b for b in visible if b.name.strip().casefold() == wanted]
        hits = [b.id for b in named if not b.closed]
        if len(hits) == 1:
            return hits[0], []
        if hits:
            return None, [
                f"[source] boards: {len(hits)} open boards are named {ref!r} (ids "
                f"{', '.join(hits)}); put the id of the one you mean in `boards`"
            ]
        if named:
            return None, [
                f"[source] boards: board {named[0].name!r} is archived (closed) in Trello; "
                "reopen it or remove it from `boards`"
            ]
        names = sorted(b.name for b in visible if not b.closed)
        return None, [
            f"[source] boards: no open board named {ref!r} is visible to the token's user"
            f"{_suggest(ref, names)}; boards it sees: {_short_list(names)}. Fix `boards` in "
            "the config, or add the token's user to the board"
        ]

    def reference_problems(self, boards: Mapping[str, Definitions]) -> list[str]:
        """Every field reference the config wrote that a board lacks or has with the wrong type,
        and every ``done_lists`` entry a board has no list of (PRODUCT §9): a reference must
        resolve on every board."""
        fields = {name: d.fields for name, d in boards.items()}
        lists = {name: d.lists for name, d in boards.items()}
        return check_fields(written_references(self.source), fields) + check_names(
            "[source] done_lists", self.source.done_lists, lists, what="list"
        )

    def require(self, problems: list[str], hint: str | None = None) -> None:
        """Raise UnresolvedReferences with every problem, if there are any."""
        if problems:
            raise UnresolvedReferences(self.source.name, problems, hint=hint)

    def check_scope(self) -> ScopeReport:
        """Whose token; the boards resolved, with their fields; every reference of the config
        that matches nothing, all at once; what a full read will cost."""
        who = self.check()
        listing = self.list_boards() if self._needs_listing() else None
        ids, problems = self.survey_scope(listing)
        boards, missing = self.read_definitions(ids)
        defs = {b.name: definitions(b) for b in boards}
        problems += missing + self.reference_problems(defs)
        fields = {name: d.fields for name, d in defs.items()}
        defaults = check_fields(default_references(self.source), fields)
        requests = (1 if listing is not None else 0) + 2 * len(boards)
        note = (
            f"a full read: at least {requests} requests ("
            + ("the board listing, and " if listing is not None else "")
            + f"per board its definitions and a page of up to {CARD_PAGE_SIZE:,} cards; one "
            f"more per {CARD_PAGE_SIZE:,} cards beyond that)"
        )
        return ScopeReport(
            who=who,
            containers=tuple(defs),
            fields={n: tuple(f"{f.name} ({f.type})" for f in fs) for n, fs in fields.items()},
            problems=tuple(problems),
            warnings=tuple(f"{w} (a default role: only a warning)" for w in defaults),
            notes=(note,) if boards else (),
        )

    def list_boards(self) -> list[BoardSummary]:
        """``GET /members/me/boards``: id, name, closed and last activity of the user's boards."""
        raw = self.request(
            "/members/me/boards",
            LISTING_PARAMS,
            what="the list of boards",
            obj="the list of the user's boards",
        )
        boards = shape(self.source.name, "the list of boards").array(raw)
        return [board_summary_from_trello(b, self.source.name) for b in boards]

    # -- discovery (raci init) -------------------------------------------------------------

    def discover(self) -> Discovery:
        """Whose token, and every open board its user can see: ``GET /members/me`` and the
        board listing, two requests. A board is named by its name in the config, or by its id
        where the name would not find it alone (two open boards of one name, a name that reads
        as a board id)."""
        who = self.check()
        boards = [b for b in self.list_boards() if not b.closed]
        once = unique_names([b.name for b in boards])
        return Discovery(
            who,
            "boards",
            tuple(Container(b.id, b.name, _board_ref(b, once)) for b in boards),
        )

    def discover_details(self, chosen: Sequence[Container]) -> Details:
        """Each chosen board's custom fields and members: ``GET /boards/{id}`` per board (the
        call a read makes for the board's definitions). Members come without emails: Trello
        does not give them."""
        boards, missing = self.read_definitions([c.id for c in chosen])
        if missing:
            raise NotFoundError(f"{self.describe}: {'; '.join(missing)}", source=self.source.name)
        people: dict[str, Account] = {}
        for board in boards:
            for member in board.members:
                people.setdefault(member.id, member)
        fields = {c.id: field_defs(b) for c, b in zip(chosen, boards, strict=True)}
        return Details(fields, tuple(people.values()))

    # -- boards and cards ------------------------------------------------------------------

    def read_boards(
        self, board_ids: list[str], problems: list[str] | None = None, hint: str | None = None
    ) -> list[BoardRead]:
        """Every board in full, concurrently; results in the order of ``board_ids``. First
        each board's definitions, checked against the config's references together with
        ``problems`` found before (UnresolvedReferences with all of them); then the cards."""
        boards, missing = self.read_definitions(board_ids)
        stale = list(problems or ())
        found = missing + self.reference_problems({b.name: definitions(b) for b in boards})
        self.require(stale + found, hint if stale else None)
        reads = self.parallel([partial(self.read_board, b) for b in boards])
        return [replace(r, id=i) for r, i in zip(reads, board_ids, strict=True)]

    def read_definitions(self, board_ids: list[str]) -> tuple[list[Board], list[str]]:
        """Each board's lists, members, custom fields and labels (``GET /boards/{id}``), and a
        problem for each configured board that does not exist or is hidden from the user."""
        metas = self.parallel([partial(self.board_or_problem, b) for b in board_ids])
        boards = [m for m in metas if isinstance(m, Board)]
        return boards, [m for m in metas if isinstance(m, str)]

    def board_or_problem(self, board_id: str) -> Board | str:
        """A board's definitions, or the problem of a board id that answers 404."""
        try:
            return self.fetch_board_meta(board_id)
        except NotFoundError:
            return (
                f"[source] boards: board {board_id} does not exist or is not visible to the "
                "token's user (Trello answered 404); it may have been deleted, or the user "
                "removed from it; fix `boards` (an id or the board's name), or add the token's "
                "user to the board"
            )

    def read_board(self, board: Board) -> BoardRead:
        """One board in full: its cards, converted with the definitions already read."""
        cards = self.fetch_cards(board)
        name = self.source.name
        tasks = [
            task_from_trello(c, board, name, self.source.done_lists, self.tz)
            for c in cards
            if is_work(c, name, board.name)
        ]
        accounts = board_accounts(board, tasks, self.source.name)
        return BoardRead(board.id, board.name, tuple(tasks), tuple(accounts), definitions(board))

    def fetch_board_meta(self, board_id: str) -> Board:
        """``GET /boards/{id}`` with lists, members, custom fields and labels nested."""
        raw = self.request_board(board_id, f"/boards/{board_id}", BOARD_PARAMS, f"board {board_id}")
        return board_from_trello(raw, self.source.name)

    def probe_boards(self, board_ids: list[str]) -> list[BoardSummary]:
        """Name and last activity of boards the listing does not show (not the user's own)."""
        return self.parallel([partial(self.probe_board, b) for b in board_ids])

    def probe_board(self, board_id: str) -> BoardSummary:
        """``GET /boards/{id}`` with the listing's fields: one request, no lists or cards."""
        what = f"the last activity of board {board_id}"
        raw = self.request_board(board_id, f"/boards/{board_id}", LISTING_PARAMS, what)
        return board_summary_from_trello(raw, self.source.name)

    def fetch_cards(self, board: Board) -> list[Any]:
        """All cards of a board (open and archived), 1000 per request, newest first.

        A listing is complete or it fails: each full page must bring a card not seen before
        and a ``before`` not asked for yet, and the listing must end within ``[sync]
        max_pages`` pages. A server that ignores ``before`` and answers the same page again is
        a SourceError, never "the end of the board" (it may hold more cards than were read).
        """
        params = card_params()
        cards: dict[str, Any] = {}
        asked: set[str] = set()
        limit = self.source.bounds.max_pages
        for _ in range(limit):
            page = self._card_page(board, params)
            new = {i: c for i, c in page if i not in cards}
            cards.update(new)
            before = self._next_before(board, [i for i, _ in page], bool(new), params, len(cards))
            if before is None:
                return list(cards.values())
            if before in asked:
                raise self._incomplete(board, len(cards), f"asked for `before={before}` twice")
            asked.add(before)
            params = {**params, "before": before}
        raise self._incomplete(
            board,
            len(cards),
            f"still had cards after {limit} pages of {CARD_PAGE_SIZE} ([sync] max_pages; raise "
            "it if the board really is that large)",
        )

    def _card_page(self, board: Board, params: Mapping[str, str]) -> list[tuple[str, Any]]:
        what = f"cards of board {board.name!r}"
        page = shape(self.source.name, what).array(
            self.request_board(board.id, f"/boards/{board.id}/cards", params, what)
        )
        s = shape(self.source.name, f"a card of board {board.name!r}")
        return [(s.ident(s.obj(c)), c) for c in page]

    def _next_before(
        self,
        board: Board,
        ids: list[str],
        progressed: bool,
        params: Mapping[str, str],
        read: int,
    ) -> str | None:
        """The ``before`` of the next card page, or None when this page was the last."""
        if len(ids) != CARD_PAGE_SIZE:
            return None  # a short page ends the list; a longer one means `limit` was ignored
        if progressed:
            if not all(is_trello_id(i) for i in ids):
                raise shape(self.source.name, f"cards of board {board.name!r}").error(
                    "with a card id that is not a 24-hex Trello id, so the next page cannot "
                    "be asked for"
                )
            return oldest_first_second(ids)
        before = params.get("before", "")
        if all(i.lower() < before for i in ids):
            raise SourceError(
                f"{self.describe}: board {board.name!r} has more than {CARD_PAGE_SIZE} cards "
                "created within one second; Trello's paging cannot get past them",
                source=self.source.name,
            )
        raise self._incomplete(
            board, read, "answered a page again (it ignored `before`), so the rest is unknown"
        )

    def _incomplete(self, board: Board, read: int, what: str) -> SourceError:
        """The failure of a card listing that did not end as a complete one."""
        return SourceError(
            f"{self.describe}: the card listing of board {board.name!r} {what}; {read} cards "
            "were read but the board may hold more, so the read was stopped and the last good "
            "data of this source is kept",
            source=self.source.name,
        )

    # -- writes (raci fix: connectors/writes.py) --------------------------------------------

    def read_task(self, task: Task, previous: Snapshot | None = None) -> Task:
        """``GET /cards/{id}`` with the listing's fields, converted with its board's definitions
        (``GET /boards/{id}`` once per board and connector)."""
        board = self._board_of(task)
        what = f"read card {task.id} ({task.title!r}) again"
        try:
            raw = self.request(f"/cards/{task.id}", one_card_params(), what=what, obj="the card")
        except NotFoundError:
            raise NotFoundError(
                f"{self.describe}: Trello answered 404 to {what}: the card is deleted, or on a "
                "board the token's user left",
                source=self.source.name,
            ) from None
        return task_from_trello(raw, board, self.source.name, self.source.done_lists, self.tz)

    def set_role(self, task: Task, letter: str, who: Who) -> Written:
        """Give ``who`` the letter on ``task``: as a card member, or in a dropdown or text
        custom field; then the card is read back."""
        board = self._board_of(task)
        target = write_target(board, role_refs(self.source, letter), letter, task, self.describe)
        where = f"{self.describe}: card {task.id}"
        before = empty_before(task, target, where, self.source.name)
        if target.key == "members":
            self._add_member(task, who.account)
            wrote: tuple[str, ...] = (who.account,)
        else:
            self._put_field(task, target, field_body(board, target, who.names[:1], self.describe))
            wrote = who.names[:1]
        return self._read_back(task, target, before, wrote)

    def _read_back(
        self, task: Task, target: Target, before: tuple[str, ...], wrote: tuple[str, ...]
    ) -> Written:
        """The card read again after a write Trello took; when that read fails, the write is
        still said (``unread``), with what was written, never lost as a failure."""
        try:
            fresh = self.read_task(task)
        except SourceError as exc:
            return Written(task, target, before, wrote, unread=str(exc))
        return Written(fresh, target, before, target.values(fresh))

    def restore_role(
        self, task: Task, target: Target, before: tuple[str, ...], after: tuple[str, ...]
    ) -> Written:
        """Put ``before`` back into ``target`` where it still holds ``after``."""
        where = f"{self.describe}: card {task.id}"
        now = unchanged_since(task, target, after, where, self.source.name)
        if target.key == "members":
            for member in (m for m in now if m not in before):
                what = f"take member {member} off card {task.id}"
                self.send("DELETE", f"/cards/{task.id}/idMembers/{member}", {}, None, what=what)
            for member in (m for m in before if m not in now):
                self._add_member(task, member)
        else:
            board = self._board_of(task)
            self._put_field(task, target, field_body(board, target, before, self.describe))
        return self._read_back(task, target, now, before)

    def _add_member(self, task: Task, member: str) -> None:
        """``POST /cards/{id}/idMembers``. Not idempotent: when an answer is lost and the retry
        is refused, the card is read to see whether the first one went through."""
        what = f"add member {member} to card {task.id}"
        try:
            self.send("POST", f"/cards/{task.id}/idMembers", {"value": member}, None, what=what)
        except AuthError:
            raise
        except SourceError:
            if member not in Target("members", "members").values(self.read_task(task)):
                raise

    def _put_field(self, task: Task, target: Target, body: dict[str, Any]) -> None:
        what = f"set {target.label} of card {task.id}"
        path = f"/cards/{task.id}/customField/{target.id}/item"
        self.send("PUT", path, {}, body, what=what)

    def _board_of(self, task: Task) -> Board:
        """The definitions of the card's board (its custom fields, their options)."""
        board_id = task.container_id or ""
        if board_id not in self._boards:
            self._boards[board_id] = self.fetch_board_meta(board_id)
        return self._boards[board_id]

    def send(
        self, method: str, path: str, params: Mapping[str, str], body: Any, *, what: str
    ) -> Any:
        """One authenticated write; a token that may only read is told how to get one that
        may write."""
        auth = self._auth()
        try:
            return self.http.request_json(
                method, self.base_url + path, params={**params, **auth}, json_body=body, what=what
            )
        except AuthError as exc:
            if READ_ONLY_ANSWER not in str(exc):
                m = _HTTP_DETAIL.search(str(exc))
                status = f"{m.group(1)}: {m.group(2)}" if m else "refused"
                raise AuthError(
                    f"{self.describe}: Trello refused to {what} ({status}): the key and token "
                    f"of source {self.source.name!r} may not change this card. raci fix needs "
                    f"a token authorized with scope={WRITE_SCOPE} ({WRITE_HELP}) whose user "
                    "is a board member who may edit (an observer may not). Nothing was changed",
                    source=self.source.name,
                ) from None
            raise AuthError(
                f"{self.describe}: Trello refused to {what} (401: {READ_ONLY_ANSWER}): the "
                f"token of source {self.source.name!r} was authorized to read only; raci fix "
                f"needs one authorized with scope={WRITE_SCOPE}: {WRITE_HELP}. Nothing was "
                "changed",
                source=self.source.name,
            ) from None

    # -- HTTP ------------------------------------------------------------------------------

    def request_board(self, board_id: str, path: str, params: Mapping[str, str], what: str) -> Any:
        """A GET about one board; a 404 says the board is gone or hidden from the user."""
        try:
            return self.request(path, params, what=what, obj=f"board {board_id}")
        except NotFoundError:
            raise NotFoundError(
                f"{self.describe}: board {board_id} (in `boards` of the config, or found by name) "
                f"does not exist or is not visible to the token's user: Trello answered 404 to "
                f"{what}. It may have been deleted, or the user removed from it; fix `boards` "
                "(an id or the board's name), or add the token's user to the board",
                source=self.source.name,
            ) from None

    def request(self, path: str, params: Mapping[str, str], *, what: str, obj: str) -> Any:
        """One authenticated GET; a 401/403 becomes a message about the key and token."""
        auth = self._auth()
        try:
            return self.http.request_json(
                "GET", self.base_url + path, params={**params, **auth}, what=what
            )
        except AuthError as exc:
            raise self._refused(exc, what, obj) from None

    def _auth(self) -> dict[str, str]:
        """The ``key`` and ``token`` query parameters (the spec's security schemes)."""
        key, token = self.source.key, self.source.token
        if key is None or token is None:
            raise AuthError(
                f"{self.describe}: no API key or token configured; {KEY_HELP}",
                source=self.source.name,
            )
        return {"key": key.reveal(), "token": token.reveal()}

    def _refused(self, exc: AuthError, what: str, obj: str) -> AuthError:
        m = _HTTP_DETAIL.search(str(exc))
        status = f"{m.group(1)}: {m.group(2)}" if m else "refused"
        return AuthError(
            f"{self.describe}: Trello refused {what} ({status}). The API key or token of "
            f"source {self.source.name!r} is invalid, expired, or has no access to {obj}; "
            f"{KEY_HELP}",
            source=self.source.name,
        )

    def parallel(self, calls: Sequence[Callable[[], T]]) -> list[T]:
        """Every call's result in call order, ``max_workers`` at a time. The first failure (in
        that order) is raised; calls not yet started are dropped (``parallel.in_order``)."""
        return in_order(calls, self.max_workers, name=self.kind)


def definitions(board: Board) -> Definitions:
    """What a board defines that the config's references name."""
    return Definitions(field_defs(board), tuple(lst.name for lst in board.lists.values()))


def _board_ref(board: BoardSummary, unique: set[str]) -> str:
    """The board's name when it names this board alone, else its id."""
    name = board.name.strip()
    if name and name.casefold() in unique and not is_trello_id(name):
        return board.name
    return board.id


def _activity(summary: BoardSummary | None) -> datetime | None:
    return summary.last_activity if summary is not None else None


def _suggest(word: str, names: list[str]) -> str:
    close = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _short_list(names: list[str], limit: int = 10) -> str:
    if not names:
        return "none"
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
