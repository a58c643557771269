"""monday.com: boards, items, subitems and users over the GraphQL API (API-Version pinned).

One POST per query to ``https://api.monday.com/v2`` with ``{"query", "variables"}``; values
always travel as variables. A full fetch costs: one board listing (only when the config names
boards by name, or names none), one directory query (users + teams), and per board one
``boards(ids:) { items_page(limit: 500) }`` query plus one root ``next_items_page`` per further
500 items. Subitems come inline with their parents.

monday answers application errors with HTTP 200 and an ``errors`` list (possibly next to partial
``data``); :func:`check_body` maps them to the error tree, and partial data is never taken as a
complete answer.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from raci_sync.config import FieldsConfig, SourceConfig
from raci_sync.connectors.http import HttpClient
from raci_sync.errors import (
    AuthError,
    NotFoundError,
    ResponseError,
    RetryableError,
    SourceError,
)
from raci_sync.model import Account, FieldValue, Snapshot, State, Task

log = logging.getLogger("raci_sync.monday")

DEFAULT_BASE_URL = "https://api.monday.com/v2"

# -- the queries (validated against the 2026-07 SDL by tests/connectors/test_monday_contract.py) --

ME_QUERY = """
query Me {
  complexity { query before after reset_in_x_seconds }
  me { id name email }
}
"""

LIST_BOARDS_QUERY = """
query ListBoards($limit: Int!, $page: Int!) {
  complexity { query before after reset_in_x_seconds }
  boards(limit: $limit, page: $page, state: active) { id name type }
}
"""

DIRECTORY_QUERY = """
query Directory($limit: Int!, $page: Int!) {
  complexity { query before after reset_in_x_seconds }
  users(limit: $limit, page: $page) { id name email }
  teams { id name users { id } }
}
"""

USERS_QUERY = """
query Users($limit: Int!, $page: Int!) {
  complexity { query before after reset_in_x_seconds }
  users(limit: $limit, page: $page) { id name email }
}
"""

# Subitems live on their own board, whose columns the parent board's ``columns`` do not list,
# so their values carry ``column { title }``.
ITEM_FRAGMENTS = """
fragment ItemFields on Item {
  id name state created_at updated_at url
  group { id title }
  subscribers { id }
  column_values { ...ValueFields }
  subitems {
    id name state created_at updated_at url
    subscribers { id }
    column_values { column { title } ...ValueFields }
  }
}

fragment ValueFields on ColumnValue {
  id type text value
  ... on PeopleValue { persons_and_teams { id kind } }
  ... on StatusValue { label is_done index }
  ... on DateValue { date time }
  ... on TimelineValue { from to }
  ... on NumbersValue { number }
}
"""

BOARD_ITEMS_QUERY = (
    """
query BoardItems($boardId: ID!, $limit: Int!) {
  complexity { query before after reset_in_x_seconds }
  boards(ids: [$boardId]) {
    id name url
    columns { id title type }
    items_page(limit: $limit) {
      cursor
      items { ...ItemFields }
    }
  }
}
"""
    + ITEM_FRAGMENTS
)

NEXT_ITEMS_QUERY = (
    """
query NextItems($cursor: String!, $limit: Int!) {
  complexity { query before after reset_in_x_seconds }
  next_items_page(cursor: $cursor, limit: $limit) {
    cursor
    items { ...ItemFields }
  }
}
"""
    + ITEM_FRAGMENTS
)

QUERIES = {
    "Me": ME_QUERY,
    "ListBoards": LIST_BOARDS_QUERY,
    "Directory": DIRECTORY_QUERY,
    "Users": USERS_QUERY,
    "BoardItems": BOARD_ITEMS_QUERY,
    "NextItems": NEXT_ITEMS_QUERY,
}

# -- error codes (https://developer.monday.com/api-reference/docs/error-handling) ---------------

RETRY_CODES = frozenset(
    {
        "ComplexityException",
        "COMPLEXITY_BUDGET_EXHAUSTED",
        "RATE_LIMIT_EXCEEDED",
        "RateLimitExceeded",
        "IP_RATE_LIMIT_EXCEEDED",
        "maxConcurrencyExceeded",
        "CONCURRENCY_LIMIT_EXCEEDED",
    }
)
AUTH_CODES = frozenset(
    {
        "UserUnauthorizedException",
        "USER_UNAUTHORIZED",
        "Unauthorized",
        "UNAUTHORIZED",
        "UNAUTHENTICATED",
        "NotPermittedException",
    }
)
NOT_FOUND_CODES = frozenset(
    {
        "InvalidBoardIdException",
        "InvalidItemIdException",
        "ResourceNotFoundException",
        "NOT_FOUND",
        "RESOURCE_NOT_FOUND",
    }
)
CURSOR_CODES = frozenset({"CursorExpiredError", "CURSOR_EXPIRED", "CursorExpired"})
DEFAULT_RETRY_WAIT = 10.0
_RESET_IN = re.compile(r"reset in (\d+(?:\.\d+)?) seconds?", re.IGNORECASE)

PEOPLE_TYPES = frozenset({"people", "person"})
_FIELD_KINDS = {"numbers": "number", "dropdown": "enum", "long_text": "text"}
_SKIPPED_TYPES = frozenset({"name", "subtasks", "button"})


class CursorExpiredError(SourceError):
    """An ``items_page`` cursor outlived its 60 minutes; the board's listing must restart."""


# -- errors in 200 bodies -----------------------------------------------------------------------


def check_body(body: Any, where: str) -> None:
    """Raise the matching SourceError when a 200 body carries errors or lacks ``data``.

    ``where`` names the source and the request ("source 'x' (monday): list boards").
    """
    if not isinstance(body, dict):
        raise ResponseError(
            f"{where}: monday answered JSON that is not an object ({type(body).__name__})"
        )
    errors = body.get("errors")
    if not errors and ("error_code" in body or "error_message" in body):  # pre-2025-01 shape
        errors = [
            {
                "message": body.get("error_message"),
                "extensions": {
                    "code": body.get("error_code"),
                    "status_code": body.get("status_code"),
                    "error_data": body.get("error_data"),
                },
            }
        ]
    if errors:
        raise error_from_graphql(
            errors if isinstance(errors, list) else [errors],
            where,
            partial=isinstance(body.get("data"), dict) and bool(body["data"]),
        )
    if not isinstance(body.get("data"), dict):
        raise ResponseError(
            f"{where}: monday answered without a 'data' object (keys: "
            f"{', '.join(sorted(body)) or 'none'})"
        )


def error_from_graphql(errors: list[Any], where: str, *, partial: bool = False) -> SourceError:
    """The most actionable error for a list of GraphQL ``errors`` entries."""
    parsed = [_parse_error(e) for e in errors]
    for code, status, msg, ext in parsed:
        if code == "DAILY_LIMIT_EXCEEDED":
            return SourceError(
                f"{where}: monday's daily call limit is used up ({msg}); it "
                "resets at midnight UTC, try again then or raise the plan's cap"
            )
        if code in RETRY_CODES or status == 429 or "rate limit" in msg.lower():
            if "exceeds max complexity" in msg.lower():
                return SourceError(
                    f"{where}: the query is too complex for monday ({msg}); "
                    "please report this as a raci-sync bug"
                )
            wait = _retry_wait(msg, ext)
            return RetryableError(
                f"{where}: monday is rate limiting ({code or status}: {msg}); "
                f"retry in {wait:.0f} s",
                wait=wait,
            )
    for code, status, msg, _ in parsed:
        if code in AUTH_CODES or status in (401, 403):
            return AuthError(
                f"{where}: monday refused access ({code or status}: {msg}); the "
                "token is invalid, or its user may not see this board (a personal "
                "token has exactly its user's permissions)"
            )
    for code, status, msg, _ in parsed:
        if code in NOT_FOUND_CODES or status == 404:
            return NotFoundError(
                f"{where}: monday does not know this object ({code or status}: "
                f"{msg}); check the board ids in the config"
            )
    for code, _, msg, _ in parsed:
        low = msg.lower()
        if code in CURSOR_CODES or ("cursor" in low and "expired" in low):
            return CursorExpiredError(f"{where}: the items cursor expired ({msg})")
    text = "; ".join(f"{m} ({c or s or 'no code'})" for c, s, m, _ in parsed)
    extra = " (the partial data that came with it was not used)" if partial else ""
    return SourceError(f"{where}: monday answered with errors: {text}{extra}")


def _parse_error(e: Any) -> tuple[str | None, int | None, str, dict[str, Any]]:
    if not isinstance(e, dict):
        return None, None, str(e), {}
    ext = e.get("extensions") if isinstance(e.get("extensions"), dict) else {}
    code = ext.get("code") or e.get("code") or e.get("error_code")
    status = ext.get("status_code")
    msg = e.get("message") or ""
    return (str(code) if code else None, status if isinstance(status, int) else None, str(msg), ext)


def _retry_wait(msg: str, ext: Mapping[str, Any]) -> float:
    data = ext.get("error_data") if isinstance(ext.get("error_data"), dict) else {}
    for v in (ext.get("retry_in_seconds"), data.get("retry_in_seconds")):
        if isinstance(v, int | float) and not isinstance(v, bool):
            return float(v)
    m = _RESET_IN.search(msg)
    return float(m.group(1)) if m else DEFAULT_RETRY_WAIT


# -- the connector ------------------------------------------------------------------------------


class MondayConnector:
    """Reads the configured monday.com boards: items, subitems, people columns and users."""

    kind: ClassVar[str] = "monday"
    board_page_size: int = 500  # boards() page size
    user_page_size: int = 1000  # users() maximum
    item_page_size: int = 500  # items_page / next_items_page maximum
    max_cursor_restarts: int = 3

    def __init__(self, source: SourceConfig, http: HttpClient) -> None:
        self.source = source
        self.http = http
        self.base_url = (source.base_url or DEFAULT_BASE_URL).rstrip("/")
        token = source.token.reveal() if source.token is not None else ""
        http.headers = {
            "Authorization": token,
            "API-Version": source.api_version,
            "Content-Type": "application/json",
        }
        if token and token not in http.secrets:
            http.secrets = (*http.secrets, token)
        self.complexity: list[dict[str, Any]] = []  # one entry per query, for budget tracking

    # -- HTTP -----------------------------------------------------------------------------------

    def query(self, text: str, variables: Mapping[str, Any], what: str) -> dict[str, Any]:
        """POST one GraphQL query; return its ``data`` (errors raised, complexity recorded)."""
        where = f"{self.http.describe}: {what}"
        body = self.http.request_json(
            "POST",
            self.base_url,
            json_body={"query": text, "variables": dict(variables)},
            check=lambda b: check_body(b, self.http.scrub(where)),
            what=what,
        )
        data: dict[str, Any] = body["data"]
        c = data.get("complexity")
        if isinstance(c, dict):
            self.complexity.append(c)
            log.debug(
                "%s: %s cost %s, %s left, reset in %s s",
                self.http.describe,
                what,
                c.get("query"),
                c.get("after"),
                c.get("reset_in_x_seconds"),
            )
        return data

    def check(self) -> str:
        """Who the token belongs to: ``Name <email>``."""
        with self._naming_source():
            me = self.query(ME_QUERY, {}, "who am I").get("me")
            if not isinstance(me, dict):
                raise ResponseError(f"{self.http.describe}: monday answered 'me' with no user")
        return f"{me.get('name') or me.get('id')} <{me.get('email') or 'no email'}>"

    def fetch(self, since: datetime | None = None, previous: Snapshot | None = None) -> Snapshot:
        """All items and subitems of the configured boards, and the account's users.

        ``since`` is ignored for now: every fetch is full.
        """
        with self._naming_source():
            return self._fetch_all()

    @contextmanager
    def _naming_source(self) -> Iterator[None]:
        """Every SourceError that leaves the connector carries the source's name."""
        try:
            yield
        except SourceError as exc:
            if exc.source is None:
                exc.source = self.source.name
            raise

    def _fetch_all(self) -> Snapshot:
        board_ids = self.resolve_boards()
        users, teams = self.fetch_directory()
        tasks: list[Task] = []
        containers: list[str] = []
        for board_id in board_ids:
            board, columns, items = self.fetch_board_items(board_id)
            containers.append(board["name"])
            for raw in items:
                tasks.extend(
                    tasks_from_monday(
                        raw,
                        source=self.source.name,
                        board_id=board["id"],
                        board_name=board["name"],
                        columns=columns,
                        teams=teams,
                        fields=self.source.fields,
                        where=self.http.describe,
                    )
                )
        accounts = complete_accounts(users, tasks, self.source.name)
        return Snapshot(
            source=self.source.name,
            kind=self.kind,
            tasks=tuple(tasks),
            accounts=tuple(accounts),
            containers=tuple(containers),
            fetched_at=datetime.now(UTC),
            requests=self.http.requests_made,
        )

    def resolve_boards(self) -> list[str]:
        """Board ids of the configured scope (ids as given; names and no scope need a listing)."""
        wanted = self.source.boards
        if wanted and all(w.strip().isdigit() for w in wanted):
            return _unique(w.strip() for w in wanted)
        listed = self.fetch_board_list()
        if not wanted:
            return [b["id"] for b in listed if b.get("type") in (None, "board")]
        return _unique(self._match_board(w, listed) for w in wanted)

    def _match_board(self, wanted: str, listed: list[dict[str, Any]]) -> str:
        key = wanted.strip()
        for b in listed:
            if b["id"] == key:
                return key
        hits = [b for b in listed if str(b.get("name", "")).casefold() == key.casefold()]
        if len(hits) > 1:
            ids = ", ".join(b["id"] for b in hits)
            raise SourceError(
                f"{self.http.describe}: {len(hits)} boards are named {wanted!r} "
                f"(ids {ids}); put the id of the one you mean in boards = [...]",
                source=self.source.name,
            )
        if hits:
            return str(hits[0]["id"])
        if key.isdigit():
            return key  # maybe not active; the items query will tell
        names = sorted(str(b.get("name")) for b in listed if b.get("type") in (None, "board"))
        shown = ", ".join(repr(n) for n in names[:10]) + (" …" if len(names) > 10 else "")
        raise NotFoundError(
            f"{self.http.describe}: no board named {wanted!r} among the "
            f"{len(names)} boards the token's user can see ({shown or 'none'}); "
            "fix the name in boards = [...] or share the board with that user",
            source=self.source.name,
        )

    def fetch_board_list(self) -> list[dict[str, Any]]:
        """Every active board the token's user can see: ``{id, name, type}``."""
        out: list[dict[str, Any]] = []
        page = 1
        while True:
            what = f"list boards (page {page})"
            data = self.query(
                LIST_BOARDS_QUERY, {"limit": self.board_page_size, "page": page}, what
            )
            boards = _list_of_objects(data.get("boards"), f"{self.http.describe}: {what}: boards")
            for b in boards:
                out.append(
                    {
                        "id": _id(b, f"{self.http.describe}: {what}: a board"),
                        "name": b.get("name"),
                        "type": b.get("type"),
                    }
                )
            if len(boards) < self.board_page_size:
                return out
            page += 1

    def fetch_directory(self) -> tuple[list[Account], dict[str, tuple[str, ...]]]:
        """All users (paged) and every team's member ids, in as few queries as possible."""
        users: list[Account] = []
        teams: dict[str, tuple[str, ...]] = {}
        page = 1
        while True:
            what = f"list users (page {page})"
            text = DIRECTORY_QUERY if page == 1 else USERS_QUERY
            data = self.query(text, {"limit": self.user_page_size, "page": page}, what)
            raw_users = _list_of_objects(data.get("users"), f"{self.http.describe}: {what}: users")
            users.extend(account_from_monday(u, self.source.name) for u in raw_users)
            if page == 1:
                teams = teams_from_monday(data.get("teams"), f"{self.http.describe}: {what}")
            if len(raw_users) < self.user_page_size:
                return users, teams
            page += 1

    def fetch_board_items(
        self, board_id: str
    ) -> tuple[dict[str, str], dict[str, str], list[dict[str, Any]]]:
        """(board id/name, column id → title, raw items) of one board, restarting on an
        expired cursor and keeping each item once."""
        items: dict[str, dict[str, Any]] = {}
        restarts = 0
        while True:
            try:
                board, columns = self._read_board(board_id, items)
                return board, columns, list(items.values())
            except CursorExpiredError as exc:
                restarts += 1
                if restarts > self.max_cursor_restarts:
                    raise SourceError(
                        f"{exc} — gave up after {self.max_cursor_restarts} "
                        "restarts of this board's listing; try again later",
                        source=self.source.name,
                    ) from None
                log.info(
                    "%s: board %s: cursor expired, restarting its listing (%d of %d)",
                    self.http.describe,
                    board_id,
                    restarts,
                    self.max_cursor_restarts,
                )

    def _read_board(
        self, board_id: str, items: dict[str, dict[str, Any]]
    ) -> tuple[dict[str, str], dict[str, str]]:
        what = f"read board {board_id}"
        where = f"{self.http.describe}: {what}"
        data = self.query(
            BOARD_ITEMS_QUERY, {"boardId": board_id, "limit": self.item_page_size}, what
        )
        boards = _list_of_objects(data.get("boards"), f"{where}: boards")
        if not boards:
            raise NotFoundError(
                f"{self.http.describe}: board {board_id} did not come back: it does not exist, "
                "is archived or deleted, or the token's user cannot see it (monday leaves such "
                "boards out without an error); check boards = [...] and the board's sharing",
                source=self.source.name,
            )
        raw = boards[0]
        board = {
            "id": _id(raw, f"{where}: the board"),
            "name": _opt_str(raw, "name", f"{where}: the board") or board_id,
        }
        columns = {
            _id(c, f"{where}: a column"): _opt_str(c, "title", f"{where}: a column") or ""
            for c in _list_of_objects(raw.get("columns"), f"{where}: columns")
        }
        page = raw.get("items_page")
        n = 1
        while True:
            cursor = self._take_page(page, items, f"{where} (page {n})")
            if cursor is None:
                return board, columns
            n += 1
            what = f"read board {board_id} (page {n})"
            data = self.query(
                NEXT_ITEMS_QUERY, {"cursor": cursor, "limit": self.item_page_size}, what
            )
            page = data.get("next_items_page")

    @staticmethod
    def _take_page(page: Any, items: dict[str, dict[str, Any]], where: str) -> str | None:
        if not isinstance(page, dict):
            raise ResponseError(f"{where}: the items page is missing or not an object")
        for it in _list_of_objects(page.get("items"), f"{where}: items"):
            items[_id(it, f"{where}: an item")] = it
        cursor = page.get("cursor")
        if cursor is not None and not isinstance(cursor, str):
            raise ResponseError(f"{where}: the cursor is not a string")
        return cursor or None


# -- pure conversions ---------------------------------------------------------------------------


def account_from_monday(raw_user: Any, source_name: str) -> Account:
    """A monday user ``{id, name, email}`` as an Account."""
    where = f"source {source_name!r} (monday): a user"
    user = _object(raw_user, where)
    return Account(
        source=source_name,
        id=_id(user, where),
        name=_opt_str(user, "name", where),
        email=_opt_str(user, "email", where) or None,
    )


def teams_from_monday(raw_teams: Any, where: str) -> dict[str, tuple[str, ...]]:
    """Team id → member user ids."""
    out: dict[str, tuple[str, ...]] = {}
    for t in _list_of_objects(raw_teams if raw_teams is not None else [], f"{where}: teams"):
        tid = _id(t, f"{where}: a team")
        members = _list_of_objects(t.get("users") or [], f"{where}: team {tid} users")
        out[tid] = tuple(_id(u, f"{where}: team {tid} member") for u in members)
    return out


def tasks_from_monday(raw_item: Any, **kwargs: Any) -> list[Task]:
    """An item and its subitems (each with ``parent_id``), in that order; ``kwargs`` as for
    :func:`task_from_monday`."""
    parent = task_from_monday(raw_item, **kwargs)
    where = kwargs.get("where") or f"source {kwargs['source']!r} (monday)"
    subitems = _list_of_objects(
        raw_item.get("subitems") or [], f"{where}: item {parent.id}: subitems"
    )
    sub_kwargs = {**kwargs, "columns": None, "parent": parent}
    return [parent, *(task_from_monday(s, **sub_kwargs) for s in subitems)]


def task_from_monday(
    raw_item: Any,
    *,
    source: str,
    board_id: str,
    board_name: str,
    columns: Mapping[str, str] | None = None,
    teams: Mapping[str, tuple[str, ...]] | None = None,
    fields: FieldsConfig | None = None,
    parent: Task | None = None,
    where: str | None = None,
) -> Task:
    """One monday item (or subitem, when ``parent`` is given) as a Task.

    ``columns`` maps column ids to titles (the parent board's; subitems bring their own
    ``column.title``); ``teams`` maps team ids to member ids, so a team in a people column
    stands for its members. A subitem takes its parent's board and group.
    """
    base = where or f"source {source!r} (monday)"
    item = _object(raw_item, f"{base}: an item")
    item_id = _id(item, f"{base}: an item")
    w = f"{base}: {'subitem' if parent else 'item'} {item_id}"
    try:
        return _task(
            item,
            item_id,
            w,
            source=source,
            board_id=board_id,
            board_name=board_name,
            columns=columns or {},
            teams=teams or {},
            fields=fields or FieldsConfig(),
            parent=parent,
        )
    except ResponseError:
        raise
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise ResponseError(f"{w}: unexpected shape ({type(exc).__name__}: {exc})") from None


def _task(
    item: dict[str, Any],
    item_id: str,
    w: str,
    *,
    source: str,
    board_id: str,
    board_name: str,
    columns: Mapping[str, str],
    teams: Mapping[str, tuple[str, ...]],
    fields: FieldsConfig,
    parent: Task | None,
) -> Task:
    values = [
        {**v, "_title": _column_title(v, columns)}
        for v in _list_of_objects(item.get("column_values") or [], f"{w}: column_values")
    ]
    status = _pick(values, fields.status, ("status",))
    due_col = _pick(values, fields.due, ("date", "timeline"))
    due, start = _due(due_col, w)
    group = item.get("group")
    state_raw = item.get("state")
    if state_raw in ("archived", "deleted"):
        state = State.ARCHIVED
    elif status is not None and status.get("is_done") is True:
        state = State.DONE
    else:
        state = State.OPEN
    subscribers = _list_of_objects(item.get("subscribers") or [], f"{w}: subscribers")
    field_values = [
        FieldValue(
            key="subscribers",
            kind="people",
            accounts=tuple(_id(s, f"{w}: a subscriber") for s in subscribers),
        )
    ]
    labels: list[str] = []
    for v in values:
        fv = _field_value(v, teams, w)
        if fv is not None:
            field_values.append(fv)
            if v.get("type") == "tags" and fv.text:
                labels.extend(t.strip() for t in fv.text.split(",") if t.strip())
    return Task(
        source=source,
        id=item_id,
        title=_opt_str(item, "name", w) or "",
        url=_opt_str(item, "url", w) or None,
        container=parent.container if parent else board_name,
        container_id=parent.container_id if parent else board_id,
        group=parent.group
        if parent
        else (_opt_str(group, "title", f"{w}: group") if isinstance(group, dict) else None),
        state=state,
        due=due,
        start=start,
        updated=_datetime(item.get("updated_at"), f"{w}: updated_at"),
        parent_id=parent.id if parent else None,
        labels=tuple(labels),
        fields=tuple(field_values),
    )


def _column_title(v: dict[str, Any], columns: Mapping[str, str]) -> str | None:
    col = v.get("column") if isinstance(v.get("column"), dict) else {}
    return columns.get(str(v.get("id"))) or col.get("title") or None


def _pick(
    values: list[dict[str, Any]], ref: str | None, types: tuple[str, ...]
) -> dict[str, Any] | None:
    """The configured column (by title or id, any case), else the first one of ``types``."""
    candidates = [v for v in values if v.get("type") in types]
    if ref:
        key = ref.strip().casefold()
        return next(
            (
                v
                for v in candidates
                if str(v.get("id")).casefold() == key
                or str(v.get("_title") or "").casefold() == key
            ),
            None,
        )
    return candidates[0] if candidates else None


def _due(col: dict[str, Any] | None, w: str) -> tuple[date | None, date | None]:
    if col is None:
        return None, None
    if col.get("type") == "timeline":
        return (
            _date(col.get("to"), f"{w}: timeline 'to'"),
            _date(col.get("from"), f"{w}: timeline 'from'"),
        )
    return _date(col.get("date"), f"{w}: date"), None


def _field_value(
    v: dict[str, Any], teams: Mapping[str, tuple[str, ...]], w: str
) -> FieldValue | None:
    ctype = str(v.get("type") or "")
    cid = str(v.get("id")) if v.get("id") is not None else None
    title = v.get("_title")
    text = v.get("text") if isinstance(v.get("text"), str) and v.get("text") else None
    if ctype in PEOPLE_TYPES:  # always present, so "the first people column" stays the first
        return FieldValue(
            key="field",
            id=cid,
            title=title,
            kind="people",
            accounts=_people(v, teams, f"{w}: column {cid}"),
            text=text,
        )
    if ctype == "numbers":
        number = v.get("number")
        if number is None and text is not None:
            number = text
        if number is None:
            return None
        return FieldValue(
            key="field", id=cid, title=title, kind="number", number=float(number), text=text
        )
    if ctype == "status":
        label = v.get("label") if isinstance(v.get("label"), str) else text
        return (
            FieldValue(key="field", id=cid, title=title, kind="status", text=label)
            if label
            else None
        )
    if ctype == "date":
        d = v.get("date") or None
        return FieldValue(key="field", id=cid, title=title, kind="date", text=d) if d else None
    if ctype in _SKIPPED_TYPES or text is None:
        return None
    return FieldValue(
        key="field", id=cid, title=title, kind=_FIELD_KINDS.get(ctype, ctype), text=text
    )


def _people(v: dict[str, Any], teams: Mapping[str, tuple[str, ...]], w: str) -> tuple[str, ...]:
    entries = v.get("persons_and_teams")
    if entries is None:  # fall back on the raw value JSON
        raw = v.get("value")
        parsed = json.loads(raw) if isinstance(raw, str) and raw else {}
        entries = (parsed.get("personsAndTeams") or []) if isinstance(parsed, dict) else []
    out: list[str] = []
    for e in _list_of_objects(entries, f"{w}: persons_and_teams"):
        eid = _id(e, f"{w}: a person or team")
        kind = e.get("kind") or "person"
        if kind == "team":
            if eid not in teams:
                log.warning(
                    "%s: team %s is not in the team list; its members are not counted", w, eid
                )
            out.extend(teams.get(eid, ()))
        elif kind == "person":
            out.append(eid)
        # kind "agent" (an AI agent) is not a person and holds no letter
    return tuple(dict.fromkeys(out))


def complete_accounts(users: list[Account], tasks: Iterable[Task], source: str) -> list[Account]:
    """The directory, deduplicated, plus an id-only Account for every id a task names but the
    directory lacks (a deactivated user, say)."""
    out = {a.id: a for a in users}
    for t in tasks:
        for f in t.fields:
            for a in f.accounts:
                if a not in out:
                    out[a] = Account(source=source, id=a)
    return list(out.values())


# -- shape checks -------------------------------------------------------------------------------


def _object(v: Any, where: str) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise ResponseError(f"{where}: expected an object, got {_tname(v)}")
    return v


def _list_of_objects(v: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(v, list):
        raise ResponseError(f"{where}: expected a list, got {_tname(v)}")
    for x in v:
        _object(x, where)
    return v


def _id(obj: Mapping[str, Any], where: str) -> str:
    v = obj.get("id")
    if isinstance(v, bool) or not isinstance(v, str | int) or str(v) == "":
        raise ResponseError(f"{where}: missing or invalid 'id' ({v!r})")
    return str(v)


def _opt_str(obj: Mapping[str, Any], key: str, where: str) -> str | None:
    v = obj.get(key)
    if v is not None and not isinstance(v, str):
        raise ResponseError(f"{where}: '{key}' should be a string, got {_tname(v)}")
    return v


def _date(v: Any, where: str) -> date | None:
    if v in (None, ""):
        return None
    try:
        return date.fromisoformat(str(v)[:10])
    except ValueError:
        raise ResponseError(f"{where}: {v!r} is not a date") from None


def _datetime(v: Any, where: str) -> datetime | None:
    if v in (None, ""):
        return None
    try:
        d = datetime.fromisoformat(str(v))
    except ValueError:
        raise ResponseError(f"{where}: {v!r} is not an ISO 8601 time") from None
    return d if d.tzinfo else d.replace(tzinfo=UTC)


def _tname(v: Any) -> str:
    return "null" if v is None else type(v).__name__


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
