"""A fake monday.com GraphQL API: queries run with graphql-core against the vendored SDL.

``POST /`` (below ``/v2``) with ``{"query", "variables"}``, ``Authorization: <token>`` and
``API-Version``. The versions are those of 2026-12: 2026-10 is Current (served by its SDL
extract, ``specs/monday-2026-10.graphql``), 2026-07 Maintenance; as monday documents, a retired
version (2026-04 and older) is answered by the Maintenance version and an unknown newer one by
the Current version, without an error (``version { kind value }`` says which; ``served`` lists
(asked, served) per request); a malformed one is an ``InvalidVersionException``. The
query is parsed and validated against the served version's schema — a query the schema rejects
is recorded in ``violations`` and answered with its errors — then executed with resolvers over
the workspace:

- ``boards(ids, limit, page, state)`` (listing default 25 per page; a board id the token cannot
  see is left out, as monday does), with ``columns``, ``groups`` and ``items_page(limit, cursor,
  query_params)``; root ``next_items_page(cursor, limit)``; ``items(ids)``; ``users`` (default
  200, at most 1000 per page), ``teams``, ``me``, ``version``, ``complexity``.
- ``items_page``/``next_items_page``: ``limit`` ≤ 500; the cursor is opaque and lives
  ``cursor_ttl`` seconds (60 minutes); ``query_params`` supports ``ids`` (≤ 100),
  ``order_by`` on ``__last_updated__``, ``__creation_log__``, ``name`` and the board's date and
  numbers columns, and ``rules`` comparing ``__last_updated__``/``__creation_log__`` with a
  date-time, ``__last_updated__`` with ``["EXACT", "YYYY-MM-DD"]`` (``compare_attribute:
  "UPDATED_AT"`` required; compared by day in the token owner's zone, ``owner_zone``, as the
  docs say), or a status column ``any_of``/``not_any_of`` label indexes. Anything else in
  ``query_params`` is recorded and answered with an error, not guessed at.
- Multi-level boards (``multi_level``: board ids): ``hierarchy_type: multi_level``, and their
  status values are ``BatteryValue`` (label index keys and counts; empty unless the
  ``column_values`` ask ``capabilities: [CALCULATED]``), the labels' ``is_done`` in the status
  column's ``settings`` (``{"labels": [{"index", "label", "is_done"}]}``; classic boards have the
  older ``{"labels": {index: label}, "done_colors": [...]}``).
- Items are active (``items_page`` returns active items only); subitems live on each board's
  subitems board (``type: sub_items_board``, also in the board listing).
- The mutation ``change_multiple_column_values(board_id, item_id, column_values)`` writes the
  people columns (R, Accountable, Consulted) of an item on its own board (a subitem's: its
  subitems board): ``column_values`` is JSON (text or object) of ``{column id: value}``, a
  people value ``{"personsAndTeams": [{"id", "kind"}]}`` or null/"" to empty it. Another board,
  column or value shape is answered with monday's error for it. ``read_only = True`` stands for
  a token whose user may read but not edit the boards: every mutation answers
  ``UserUnauthorizedException`` (403).
- ``complexity``: a static estimate per query (1 per field, times the ``limit`` or number of
  ``ids`` of every list above it; so a 500-item page of ~60 fields costs ~30,000), charged to a
  10,000,000-per-60-s budget per token; a query over ``max_complexity`` (5,000,000) is refused
  with a ``ComplexityException`` (no wait: a smaller query passes), one over the remaining
  budget with ``COMPLEXITY_BUDGET_EXHAUSTED`` carrying ``retry_in_seconds``. The formula is the
  fake's, not monday's.

Errors follow the 2025-01+ format: HTTP 200 with ``errors[{message, locations, path,
extensions{code, status_code, error_data, request_id}}]``. Error codes and messages the docs do
not spell out (limit above 500, unknown or expired cursor) are the fake's own wording.

``repeat_pages = True`` makes item listings page without advancing: each next page is the first
again, under a cursor never handed out before.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache, lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from graphql import (
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    build_schema,
    execute_sync,
    get_named_type,
    parse,
    validate,
)
from graphql.execution.values import get_variable_values
from graphql.language import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from graphql.utilities import value_from_ast_untyped

from tests.fakes import iso, parse_moment, spec_file
from tests.fakes.graphql_exec import FastExecutor, coerce_variables
from tests.fakes.workspace import Container, Person, Task, Workspace

TOKEN = "fake-monday-token"
CURRENT = "2026-10"
MAINTENANCE = "2026-07"
KINDS = {CURRENT: "current", MAINTENANCE: "maintenance"}  # the versions served as themselves
SCHEMA_FILES = {v: f"monday-{v}.graphql" for v in ("2026-04", "2026-07", "2026-10")}
ACCOUNT_ID = 9876543
ITEMS_LIMIT = 500
USERS_LIMIT = 1000
MAX_QUERY_COMPLEXITY = 5_000_000
BUDGET = 10_000_000  # per minute, personal token
STATUS = {"I gang": (0, False), "Færdig": (1, True), "Fastlåst": (2, False)}
BOARD_COLUMNS = (  # id, title, type — the first date column is the due date
    ("name", "Name", "name"),
    ("person", "Ansvarlig", "people"),
    ("status", "Status", "status"),
    ("date4", "Deadline", "date"),
    ("people__1", "Accountable", "people"),
    ("people_mkv2x", "Consulted", "people"),
    ("numbers", "Timer", "numbers"),
)
SUBITEM_COLUMNS = (
    ("name", "Name", "name"),
    ("person", "Ansvarlig", "people"),
    ("status", "Status", "status"),
    ("numbers", "Timer", "numbers"),
)


def served_version(asked: str) -> str | None:
    """The version monday answers a request for ``asked`` with (None: malformed): itself when
    it is served, the Maintenance version for a retired one, the Current one for an unknown
    newer one ("api-versioning": unsupported versions get no error)."""
    if asked == "current":
        return CURRENT
    if not re.fullmatch(r"\d{4}-\d{2}", asked):
        return None
    if asked in KINDS:
        return asked
    return MAINTENANCE if asked < MAINTENANCE else CURRENT


@cache
def monday_schema(version: str) -> GraphQLSchema:
    """The SDL of one API version, built once per process."""
    name = SCHEMA_FILES.get(version)
    if name is None:
        raise KeyError(version)
    return build_schema(spec_file(name).read_text(encoding="utf-8"))


def query_errors(
    query: str, variables: dict[str, Any] | None = None, version: str = CURRENT
) -> list[str]:
    """Validation errors of a query (and its variables) against the SDL; empty when valid."""
    schema = monday_schema(version)
    doc = parse(query)
    errors = [e.message for e in validate(schema, doc)]
    if errors or variables is None:
        return errors
    for op in doc.definitions:
        if isinstance(op, OperationDefinitionNode):
            coerced = get_variable_values(schema, op.variable_definitions or [], variables)
            if isinstance(coerced, list):
                errors.extend(e.message for e in coerced)
    return errors


@lru_cache(maxsize=256)
def _parse_and_validate(text: str, version: str) -> tuple[Any, list[GraphQLError]]:
    doc = parse(text)
    return doc, list(validate(monday_schema(version), doc))


class MondayError(Exception):
    """An application-level error: HTTP 200 with an ``errors`` entry."""

    def __init__(
        self,
        message: str,
        code: str,
        status_code: int = 400,
        error_data: dict[str, Any] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.status_code = status_code
        self.error_data = error_data or {}
        self.extra = extra


@dataclass
class _Cursor:
    board: str
    ids: list[str]  # the result set, fixed when the first page was read
    position: int
    issued: float


@dataclass
class _Budget:
    spent: list[tuple[float, int]] = field(default_factory=list)


class MondayFake:
    """Answers monday.com GraphQL requests from a :class:`Workspace`."""

    api = "monday"

    def __init__(
        self,
        ws: Workspace,
        *,
        token: str = TOKEN,
        cursor_ttl: float = 3600.0,
        budget: int = BUDGET,
        clock: Callable[[], float] = time.time,
        fast: bool = False,
    ) -> None:
        self.ws = ws
        self.token = token
        self.cursor_ttl = cursor_ttl
        self.fast = fast  # execute with FastExecutor instead of graphql-core (benchmarks)
        self._user_cache: dict[int, dict[str, Any]] = {}
        self._item_cache: dict[str, tuple[Any, dict[str, Any]]] = {}
        self._values_cache: dict[str, tuple[Any, list[dict[str, Any]]]] = {}
        self.budget = budget
        self.clock = clock
        self.violations: list[str] = []
        self.complexity_used = 0
        self._cursors: dict[str, _Cursor] = {}
        self._budget = _Budget()
        self._lock = threading.Lock()
        self._serial = itertools.count(1)
        self._boards = {b.id: b for b in ws.monday.containers}
        self._subitem_boards = {b.subitems_board_id: b for b in ws.monday.containers}
        self.max_complexity = MAX_QUERY_COMPLEXITY
        self.owner_zone = ZoneInfo("Europe/Copenhagen")  # the token owner's profile zone
        self.multi_level: set[str] = set()  # board ids whose status values are BatteryValue
        self.served: list[tuple[str, str]] = []  # (API-Version asked, version served)
        # a server whose paging does not advance: every next page of an item listing is the
        # first again, under a new cursor (the loop that ran until killed)
        self.repeat_pages = False
        self.read_only = False  # the token's user may not edit: mutations are refused

    # -- the entry point ----------------------------------------------------------------------

    def handle(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, dict[str, str], Any]:
        """One request (``path`` below ``/v2``) → (status, headers, body).

        ``headers=None`` (a direct call from a test) skips the token check.
        """
        hdrs = {k.lower(): v for k, v in (headers or {}).items()}
        if path not in ("", "/"):
            self.record(f"{method} {path}: monday's API is the single endpoint /v2")
            return 404, {}, {"errors": [{"message": "Not found"}]}
        if method != "POST":
            self.record(f"{method} /v2: queries are POSTed")
            return 405, {}, {"errors": [{"message": "Method not allowed"}]}
        if headers is not None and hdrs.get("authorization") != self.token:
            return (
                401,
                {},
                {
                    "errors": [
                        {"message": "Not Authenticated", "extensions": {"code": "UNAUTHENTICATED"}}
                    ]
                },
            )
        asked = hdrs.get("api-version", CURRENT)
        version = served_version(asked)
        with self._lock:
            self.served.append((asked, version or "?"))
        if version is None:
            return (
                200,
                {},
                _errors(
                    [
                        self._error(
                            MondayError(
                                f"API version {asked} is not a valid version",
                                "InvalidVersionException",
                                400,
                            )
                        )
                    ]
                ),
            )
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return 400, {}, {"errors": [{"message": "No query string was present"}]}
        variables = body.get("variables") or {}
        return 200, {}, self.run(body["query"], variables, version)

    def record(self, problem: str) -> None:
        with self._lock:
            if problem not in self.violations:  # each problem once
                self.violations.append(problem)

    def run(self, text: str, variables: dict[str, Any], version: str = CURRENT) -> dict[str, Any]:
        """Parse, validate, charge and execute one query; the response body."""
        schema = monday_schema(version)
        try:
            doc, problems = self.parse(text, version)
        except GraphQLError as exc:
            self.record(f"query does not parse: {exc.message}")
            return _errors(
                [
                    {
                        "message": f"Parse error on {exc.message}",
                        "extensions": {"code": "GraphQLParseError"},
                    }
                ]
            )
        if problems:
            for p in problems:
                self.record(f"query invalid against the {version} schema: {p.message}")
            return _errors(
                [
                    {
                        "message": p.message,
                        "locations": _locations(p),
                        "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
                    }
                    for p in problems
                ]
            )
        op = next(d for d in doc.definitions if isinstance(d, OperationDefinitionNode))
        _, bad = coerce_variables(schema, op, variables)
        if bad:
            for problem in bad:
                self.record(f"variables do not fit the query: {problem}")
            return _errors(
                [{"message": m, "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}} for m in bad]
            )
        cost = estimate_complexity(schema, doc, variables)
        try:
            budget = self.charge(cost)
        except MondayError as exc:
            return _errors([self._error(exc)])
        root = self.root(budget, version)
        if self.fast:
            data, errors = FastExecutor(schema, doc, variables).run(root)
        else:
            result = execute_sync(schema, doc, root_value=root, variable_values=variables)
            data, errors = result.data, list(result.errors or ())
        out: dict[str, Any] = {"data": data}
        if errors:
            out["errors"] = [self._error(e) for e in errors]
        out["account_id"] = ACCOUNT_ID
        return out

    def parse(self, text: str, version: str) -> tuple[Any, list[GraphQLError]]:
        """The parsed document and its validation errors (cached: connectors repeat queries)."""
        return _parse_and_validate(text, version)

    def charge(self, cost: int) -> dict[str, int]:
        """Take ``cost`` from the per-minute budget; the ``complexity`` answer."""
        if cost > self.max_complexity:
            raise MondayError(
                f"Query has complexity of {cost}, which exceeds max complexity of "
                f"{self.max_complexity}",
                "ComplexityException",
                400,
            )
        with self._lock:  # the clock read under the lock: another thread may move it
            now = self.clock()
            self._budget.spent = [(t, c) for t, c in self._budget.spent if now - t < 60]
            before = self.budget - sum(c for _, c in self._budget.spent)
            reset = int(60 - (now - self._budget.spent[0][0])) + 1 if self._budget.spent else 60
            if cost > before:
                raise MondayError(
                    f"Complexity budget exhausted, query cost {cost} budget remaining {before} "
                    f"out of {self.budget} reset in {reset} seconds",
                    "COMPLEXITY_BUDGET_EXHAUSTED",
                    429,
                    {
                        "complexity": cost,
                        "complexity_budget_left": before,
                        "complexity_budget_limit": self.budget,
                    },
                    retry_in_seconds=reset,
                )
            self._budget.spent.append((now, cost))
            self.complexity_used += cost
        return {
            "query": cost,
            "before": before,
            "after": before - cost,
            "reset_in_x_seconds": reset,
        }

    def _error(self, exc: Exception) -> dict[str, Any]:
        original = exc.original_error if isinstance(exc, GraphQLError) else exc
        entry: dict[str, Any] = {"message": str(original) if original else str(exc)}
        if isinstance(exc, GraphQLError):
            entry["message"] = exc.message
            if exc.locations:
                entry["locations"] = _locations(exc)
            if exc.path:
                entry["path"] = list(exc.path)
        ext: dict[str, Any] = {"request_id": f"fake-{next(self._serial)}"}
        if isinstance(original, MondayError):
            ext.update(
                code=original.code,
                status_code=original.status_code,
                error_data=original.error_data,
                **original.extra,
            )
        else:
            ext.update(code="INTERNAL_SERVER_ERROR", status_code=500, error_data={})
        entry["extensions"] = ext
        return entry

    # -- root fields ----------------------------------------------------------------------------

    def root(self, complexity: dict[str, int], version: str = CURRENT) -> dict[str, Any]:
        kind = KINDS[version]
        return {
            "complexity": complexity,
            "me": self.user(self.ws.people[self.ws.me]),
            "version": {
                "display_name": f"{kind.title()} ({version})",
                "kind": kind,
                "value": version,
            },
            "boards": self.q_boards,
            "items": self.q_items,
            "next_items_page": self.q_next_items_page,
            "users": self.q_users,
            "teams": self.q_teams,
            "change_multiple_column_values": self.m_change_columns,
        }

    def q_boards(
        self,
        info: Any,
        ids: list[str] | None = None,
        limit: int | None = None,
        page: int | None = None,
        state: str | None = None,
        **_: Any,
    ) -> list[dict[str, Any]]:
        every = [(b, False) for b in self.ws.monday.containers]
        every += [(b, True) for b in self.ws.monday.containers]
        if state in ("archived", "deleted"):
            every = []
        if ids is not None:
            wanted = [str(i) for i in ids]
            found = [
                (b, sub) for b, sub in every if (b.subitems_board_id if sub else b.id) in wanted
            ]
            return [self.board(b, sub) for b, sub in found]
        size = 25 if limit is None else limit
        start = (max(page or 1, 1) - 1) * size
        return [self.board(b, sub) for b, sub in every[start : start + size]]

    def q_items(self, info: Any, ids: list[str] | None = None, **_: Any) -> list[dict[str, Any]]:
        if ids is None:
            return []
        if len(ids) > 100:
            raise MondayError("items: at most 100 ids", "InvalidArgumentException")
        out = []
        for i in ids:
            try:
                t = self.ws.monday.task(str(i))
            except KeyError:
                continue
            if not t.deleted:
                out.append(self.item(t))
        return out

    def q_users(
        self,
        info: Any,
        ids: list[str] | None = None,
        emails: list[str] | None = None,
        limit: int | None = None,
        page: int | None = None,
        **_: Any,
    ) -> list[dict[str, Any]]:
        people = sorted(self.ws.people, key=lambda p: int(p.monday_id))
        if ids is not None:
            people = [p for p in people if p.monday_id in {str(i) for i in ids}]
        if emails is not None:
            people = [p for p in people if p.email.lower() in {e.lower() for e in emails}]
        size = 200 if limit is None else limit
        if size > USERS_LIMIT:
            raise MondayError(
                f"users: limit {size} is above the maximum of {USERS_LIMIT}",
                "InvalidArgumentException",
            )
        start = (max(page or 1, 1) - 1) * size
        return [self.user(p) for p in people[start : start + size]]

    def q_teams(self, info: Any, ids: list[str] | None = None) -> list[dict[str, Any]]:
        teams = self.ws.teams
        if ids is not None:
            teams = [t for t in teams if t.id in {str(i) for i in ids}]
        return [
            {
                "id": t.id,
                "name": t.name,
                "picture_url": None,
                "is_guest": False,
                "owners": lambda info, **_: [],
                "users": (
                    lambda members: (
                        lambda info, **_: [self.user(self.ws.people[p]) for p in members]
                    )
                )(t.members),
            }
            for t in teams
        ]

    def m_change_columns(
        self, info: Any, board_id: str, column_values: Any, item_id: str | None = None, **_: Any
    ) -> dict[str, Any]:
        """``change_multiple_column_values`` on the people columns."""
        if self.read_only:
            raise MondayError(
                "User unauthorized to perform action", "UserUnauthorizedException", 403
            )
        try:
            t = self.ws.monday.task(str(item_id))
        except KeyError:
            raise MondayError("Item not found in board", "InvalidItemIdException", 404) from None
        if t.deleted:
            raise MondayError("Item not found in board", "InvalidItemIdException", 404)
        sub = t.parent is not None
        if str(board_id) != (t.container.subitems_board_id if sub else t.container.id):
            raise MondayError("Item not found in board", "InvalidBoardIdException", 404)
        values = json.loads(column_values) if isinstance(column_values, str) else column_values
        if not isinstance(values, dict):
            raise MondayError("column_values must be a JSON object", "ColumnValueException")
        columns = {c[0]: c for c in (SUBITEM_COLUMNS if sub else BOARD_COLUMNS)}
        changes: dict[str, Any] = {}
        for cid, value in values.items():
            if cid not in columns:
                raise MondayError(
                    "This column ID doesn't exist for the board", "InvalidColumnIdException"
                )
            if columns[cid][2] != "people":
                raise MondayError(
                    f"the fake writes people columns, not {cid}", "FakeNotImplemented"
                )
            changes.update(self._people_change(cid, value))
        self.ws.touch("monday", t.id, **changes)
        return self.item(t)

    def _people_change(self, cid: str, value: Any) -> dict[str, Any]:
        if value in (None, ""):
            people: tuple[int, ...] = ()
        else:
            entries = value.get("personsAndTeams") if isinstance(value, dict) else None
            if not isinstance(entries, list) or not all(
                isinstance(e, dict) and e.get("kind") == "person" for e in entries
            ):
                raise MondayError("invalid value for a people column", "ColumnValueException")
            found = [p for e in entries for p in self.ws.people if p.monday_id == str(e.get("id"))]
            if len(found) != len(entries):
                raise MondayError("a person is not a user of the account", "ColumnValueException")
            people = tuple(p.index for p in found)
        if cid == "person":
            return {"responsible": people, "team": None}
        if cid == "people__1":
            if len(people) > 1:
                raise MondayError("the fake keeps one Accountable", "FakeNotImplemented")
            return {"accountable": people[0] if people else None}
        return {"consulted": people}

    def q_next_items_page(self, info: Any, cursor: str, limit: int) -> dict[str, Any]:
        return self.next_page(cursor, limit)

    # -- paging -------------------------------------------------------------------------------

    def items_page(
        self,
        b: Container,
        subitems: bool,
        limit: int,
        cursor: str | None = None,
        query_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        if cursor is not None:
            return self.next_page(cursor, limit)
        _check_limit(limit)
        tasks = (
            self.ws.monday.top_level(b)
            if not subitems
            else [t for t in self.ws.monday.live() if t.container is b and t.parent is not None]
        )
        tasks = self.query_items(b, tasks, query_params or {})
        ids = [t.id for t in tasks]
        return self._serve(
            _Cursor(b.subitems_board_id if subitems else b.id, ids, 0, self.clock()), limit
        )

    def next_page(self, cursor: str, limit: int) -> dict[str, Any]:
        _check_limit(limit)
        with self._lock:
            state = self._cursors.get(cursor)
        if state is None:
            raise MondayError("The cursor is invalid", "InvalidCursorException")
        if self.clock() - state.issued > self.cursor_ttl:
            raise MondayError(
                "The cursor has expired: cursors are valid for 60 minutes after the first page",
                "CursorExpiredError",
            )
        if self.repeat_pages:
            state = _Cursor(state.board, state.ids, 0, state.issued)
        return self._serve(state, limit)

    def _serve(self, state: _Cursor, limit: int) -> dict[str, Any]:
        chunk = state.ids[state.position : state.position + limit]
        end = state.position + limit
        token = None
        if end < len(state.ids):
            raw = f"{state.board}:{end}:{next(self._serial)}:{self.clock():.3f}"
            token = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
            with self._lock:
                self._cursors[token] = _Cursor(state.board, state.ids, end, state.issued)
        items = []
        for i in chunk:
            t = self.ws.monday.task(i)
            if not t.deleted:
                items.append(self.item(t))
        return {"cursor": token, "items": items}

    def query_items(self, b: Container, tasks: list[Task], params: dict[str, Any]) -> list[Task]:
        """Apply ``ItemsQuery``: ids, rules (AND/OR), order_by."""
        unsupported = sorted(set(params) - {"ids", "rules", "operator", "order_by"})
        if unsupported:
            self.record(f"items_page query_params {unsupported}: not implemented by the fake")
            raise MondayError(
                f"the fake does not implement query_params {unsupported}", "FakeNotImplemented"
            )
        if params.get("ids") is not None:
            if len(params["ids"]) > 100:
                raise MondayError(
                    "ItemsQuery.ids is limited to 100 ids", "InvalidArgumentException"
                )
            wanted = {str(i) for i in params["ids"]}
            tasks = [t for t in tasks if t.id in wanted]
        rules = params.get("rules") or []
        if rules:
            checks = [self._rule(b, r) for r in rules]
            combine = any if params.get("operator") == "or" else all
            tasks = [t for t in tasks if combine(c(t) for c in checks)]
        for order in reversed(params.get("order_by") or []):
            key = self._order_key(order["column_id"])
            tasks = sorted(tasks, key=key, reverse=order.get("direction") == "desc")
        return tasks

    def _order_key(self, column_id: str) -> Callable[[Task], Any]:
        keys: dict[str, Callable[[Task], Any]] = {
            "__last_updated__": lambda t: t.updated,
            "__creation_log__": lambda t: t.created,
            "name": lambda t: t.title,
            "date4": lambda t: (t.due is None, t.due),
            "numbers": lambda t: (t.effort is None, t.effort),
        }
        if column_id not in keys:
            self.record(f"order_by column {column_id!r}: not implemented by the fake")
            raise MondayError(f"the fake cannot order by {column_id!r}", "FakeNotImplemented")
        return keys[column_id]

    def _rule(self, b: Container, rule: dict[str, Any]) -> Callable[[Task], bool]:
        column, op = rule["column_id"], rule.get("operator") or "any_of"
        value = rule.get("compare_value")
        values = value if isinstance(value, list) else [value]
        if column == "__last_updated__" and values and values[0] == "EXACT":
            return self._updated_on_or_after_day(rule, values, op)
        if column in ("__last_updated__", "__creation_log__"):
            moments = [m for v in values if isinstance(v, str) and (m := parse_moment(v))]
            attr = "updated" if column == "__last_updated__" else "created"
            compare = {
                "greater_than": lambda a, m: a > m[0],
                "greater_than_or_equals": lambda a, m: a >= m[0],
                "lower_than": lambda a, m: a < m[0],
                "lower_than_or_equal": lambda a, m: a <= m[0],
                "between": lambda a, m: m[0] <= a <= m[1],
            }.get(op)
            if compare is None or not moments or (op == "between" and len(moments) < 2):
                self.record(f"items_page rule {rule}: not implemented by the fake")
                raise MondayError(
                    f"the fake does not implement the rule {rule}", "FakeNotImplemented"
                )
            return lambda t: compare(getattr(t, attr), moments)
        if column == "status" and op in ("any_of", "not_any_of"):
            wanted = {int(v) for v in values}

            def hit(t: Task) -> bool:
                return STATUS.get(t.status or "", (None,))[0] in wanted

            return hit if op == "any_of" else (lambda t: not hit(t))
        self.record(f"items_page rule {rule}: not implemented by the fake")
        raise MondayError(f"the fake does not implement the rule {rule}", "FakeNotImplemented")

    def _updated_on_or_after_day(
        self, rule: dict[str, Any], values: list[Any], op: str
    ) -> Callable[[Task], bool]:
        """``["EXACT", "YYYY-MM-DD"]`` on ``__last_updated__``: by day, in the token owner's
        zone (the "date" and "last updated" reference pages)."""
        if rule.get("compare_attribute") != "UPDATED_AT":
            self.record(f"items_page rule {rule}: __last_updated__ needs compare_attribute")
            raise MondayError(
                "compare_attribute UPDATED_AT is required", "InvalidArgumentException"
            )
        try:
            day = date.fromisoformat(str(values[1])) if len(values) == 2 else None
        except ValueError:
            day = None
        compare: dict[str, Callable[[date, date], bool]] = {
            "greater_than_or_equals": lambda a, d: a >= d,
            "greater_than": lambda a, d: a > d,
            "lower_than_or_equal": lambda a, d: a <= d,
            "lower_than": lambda a, d: a < d,
        }
        if day is None or op not in compare:
            self.record(f"items_page rule {rule}: not a date rule the docs describe")
            raise MondayError(f"invalid compare_value {values}", "InvalidArgumentException")
        zone, test, wanted = self.owner_zone, compare[op], day
        return lambda t: test(t.updated.astimezone(zone).date(), wanted)

    # -- objects ------------------------------------------------------------------------------

    def user(self, p: Person) -> dict[str, Any]:
        cached = self._user_cache.get(p.index)
        if cached is None:
            cached = self._user_cache[p.index] = self._user(p)
        return cached

    def _user(self, p: Person) -> dict[str, Any]:
        return {
            "id": p.monday_id,
            "name": p.name,
            "email": p.email,
            "kind": "member",
            "status": "ACTIVE",
            "enabled": True,
            "is_guest": False,
            "is_pending": False,
            "is_admin": p.index == self.ws.me,
            "is_view_only": False,
            "is_verified": True,
            "is_deleted": False,
            "is_email_confirmed": True,
            "title": "",
            "url": f"https://nordlys.monday.com/users/{p.monday_id}",
            "photo_thumb": None,
            "created_at": "2025-06-01T08:00:00Z",
            "join_date": "2025-06-01",
            "time_zone_identifier": "Europe/Copenhagen",
            "account_id": str(ACCOUNT_ID),
            "teams": lambda info, **_: [
                {"id": t.id, "name": t.name} for t in self.ws.teams if p.index in t.members
            ],
        }

    def board(self, b: Container, subitems: bool = False) -> dict[str, Any]:
        board_id = b.subitems_board_id if subitems else b.id
        columns = SUBITEM_COLUMNS if subitems else BOARD_COLUMNS
        groups = (
            [
                {
                    "id": "topics",
                    "title": "Subitems",
                    "color": "#579bfc",
                    "position": "65536",
                    "archived": False,
                    "deleted": False,
                }
            ]
            if subitems
            else [
                {
                    "id": g.id,
                    "title": g.name,
                    "color": "#579bfc",
                    "position": str((i + 1) * 65536),
                    "archived": False,
                    "deleted": False,
                }
                for i, g in enumerate(b.groups)
            ]
        )
        me = self.user(self.ws.people[self.ws.me])
        multi = b.id in self.multi_level and not subitems
        return {
            "id": board_id,
            "hierarchy_type": "multi_level" if multi else "classic",
            "name": f"Subitems of {b.name}" if subitems else b.name,
            "url": f"https://nordlys.monday.com/boards/{board_id}",
            "type": "sub_items_board" if subitems else "board",
            "board_kind": "public",
            "state": "active",
            "access_level": "edit",
            "permissions": "everyone",
            "description": None,
            "workspace_id": "1000001",
            "created_at": iso(b.created),
            "updated_at": iso(b.created),
            "creator": me,
            "owner": me,
            "owners": [me],
            "subscribers": [me],
            "items_count": len(self.ws.monday.top_level(b)),
            "top_group": groups[0],
            "columns": lambda info, ids=None, types=None, **_: [
                self.column(c, multi)
                for c in columns
                if (ids is None or c[0] in ids) and (types is None or c[2] in types)
            ],
            "groups": lambda info, ids=None: [g for g in groups if ids is None or g["id"] in ids],
            "items_page": lambda info, limit, cursor=None, query_params=None, **_: self.items_page(
                b, subitems, limit, cursor, query_params
            ),
        }

    @staticmethod
    @cache
    def column(c: tuple[str, str, str], multi_level: bool = False) -> dict[str, Any]:
        cid, title, ctype = c
        settings: dict[str, Any] = {}
        if ctype == "status" and multi_level:
            settings = {
                "type": None,
                "labels": [
                    {"id": i, "index": i, "label": label, "is_done": done, "color": None}
                    for label, (i, done) in STATUS.items()
                ],
            }
        elif ctype == "status":
            settings = {
                "labels": {str(i): label for label, (i, _) in STATUS.items()},
                "done_colors": [i for i, done in STATUS.values() if done],
            }
        return {
            "id": cid,
            "title": title,
            "type": ctype,
            "archived": False,
            "description": None,
            "width": None,
            "settings": settings,
            "settings_str": json.dumps(settings),
            "revision": "1",
        }

    def item(self, t: Task) -> dict[str, Any]:
        """The item as resolvers see it (cached until the task changes)."""
        key = (t.updated, t.deleted, tuple(s.deleted for s in t.subtasks))
        cached = self._item_cache.get(t.id)
        if cached is None or cached[0] != key:
            cached = (key, self._item(t))
            self._item_cache[t.id] = cached
        return cached[1]

    def _item(self, t: Task) -> dict[str, Any]:
        b = t.container
        sub = t.parent is not None
        board_id = b.subitems_board_id if sub else b.id
        group = (
            {"id": "topics", "title": "Subitems"}
            if sub
            else {"id": t.group.id, "title": t.group.name}
        )
        group.update(color="#579bfc", position="65536", archived=False, deleted=False)
        return {
            "id": t.id,
            "name": t.title,
            "state": "active",
            "created_at": iso(t.created),
            "updated_at": iso(t.updated),
            "url": f"https://nordlys.monday.com/boards/{board_id}/pulses/{t.id}",
            "relative_link": f"/boards/{board_id}/pulses/{t.id}",
            "email": f"pulse-{t.id}@nordlys.monday.com",
            "creator_id": self.ws.people[self.ws.me].monday_id,
            "creator": self.user(self.ws.people[self.ws.me]),
            "group": group,
            "board": lambda info: self.board(b, sub),
            "subscribers": [self.user(self.ws.people[p]) for p in t.followers],
            "column_values": lambda info, ids=None, types=None, capabilities=None, **_: (
                self.column_values(t, ids, types, capabilities)
            ),
            "subitems": lambda info: [self.item(s) for s in t.subtasks if not s.deleted],
            "parent_item": lambda info: self.item(t.parent) if t.parent else None,
            "updates": lambda info, **_: [],
        }

    def column_values(
        self,
        t: Task,
        ids: list[str] | None,
        types: list[str] | None,
        capabilities: list[str] | None = None,
    ) -> list[dict[str, Any]]:
        calculated = "CALCULATED" in (capabilities or ())
        return [
            v if calculated or "battery_value" not in v else {**v, "battery_value": []}
            for v in self._values(t)
            if (ids is None or v["id"] in ids) and (types is None or v["type"] in types)
        ]

    def _values(self, t: Task) -> list[dict[str, Any]]:
        """Every column value of the item (cached with the item)."""
        key = (t.updated, t.deleted, tuple(s.deleted for s in t.subtasks))
        cached = self._values_cache.get(t.id)
        if cached is not None and cached[0] == key:
            return cached[1]
        columns = SUBITEM_COLUMNS if t.parent is not None else BOARD_COLUMNS
        leaf = not any(not s.deleted for s in t.subtasks)
        multi = t.parent is None and t.container.id in self.multi_level
        out = [
            {
                "id": c[0],
                "type": c[2],
                "column": self.column(c, multi),
                "is_leaf": leaf,
                **self._value(t, c[0], c[2], multi),
            }
            for c in columns
            if c[2] != "name"
        ]
        self._values_cache[t.id] = (key, out)
        return out

    def _value(self, t: Task, cid: str, ctype: str, multi: bool = False) -> dict[str, Any]:
        changed = iso(t.updated)
        if ctype == "people":
            who = {
                "person": t.responsible,
                "people__1": () if t.accountable is None else (t.accountable,),
                "people_mkv2x": t.consulted,
            }[cid]
            entries = [{"id": self.ws.people[p].monday_id, "kind": "person"} for p in who]
            names = [self.ws.people[p].name for p in who]
            if cid == "person" and t.team is not None:
                team = self.ws.team(t.team)
                entries.append({"id": team.id, "kind": "team"})
                names.append(team.name)
            value = (
                {
                    "personsAndTeams": [{"id": int(e["id"]), "kind": e["kind"]} for e in entries],
                    "changed_at": changed,
                }
                if entries
                else None
            )
            return {
                "__typename": "PeopleValue",
                "persons_and_teams": entries,
                "text": ", ".join(names),
                "value": json.dumps(value) if value else None,
                "updated_at": changed,
            }
        if ctype == "status" and multi:  # a status rollup: the label held, no is_done
            index, _ = STATUS.get(t.status or "", (None, False))
            return {
                "__typename": "BatteryValue",
                "battery_value": [] if index is None else [{"key": str(index), "count": 1}],
                "text": t.status or "",
                "value": None,
            }
        if ctype == "status":
            index, done = STATUS.get(t.status or "", (None, False))
            value = (
                {"index": index, "post_id": None, "changed_at": changed}
                if index is not None
                else None
            )
            return {
                "__typename": "StatusValue",
                "label": t.status,
                "is_done": done if t.status else False,
                "index": index,
                "text": t.status or "",
                "value": json.dumps(value) if value else None,
                "updated_at": changed,
            }
        if ctype == "date":
            d = t.due.isoformat() if t.due else None
            value = {"date": d, "icon": None, "changed_at": changed} if d else None
            return {
                "__typename": "DateValue",
                "date": d,
                "time": None,
                "text": d or "",
                "value": json.dumps(value) if value else None,
                "updated_at": changed,
            }
        if ctype == "numbers":
            text = None if t.effort is None else f"{t.effort:g}"
            return {
                "__typename": "NumbersValue",
                "number": t.effort,
                "text": text or "",
                "value": json.dumps(text) if text else None,
                "symbol": None,
            }
        raise AssertionError(ctype)


# -- complexity ----------------------------------------------------------------------------------


def estimate_complexity(schema: GraphQLSchema, doc: Any, variables: Mapping[str, Any]) -> int:
    """1 per field, times the ``limit`` (or number of ``ids``) of each list above it."""
    fragments = {d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)}
    total = 0
    for op in doc.definitions:
        if isinstance(op, OperationDefinitionNode) and op.operation.value == "query":
            total += _cost(op.selection_set, schema.query_type, fragments, variables, schema)
    return max(total, 1)


def _cost(
    selections: SelectionSetNode | None,
    parent: Any,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
    schema: GraphQLSchema,
) -> int:
    if selections is None:
        return 0
    total = 0
    for sel in selections.selections:
        if isinstance(sel, FieldNode):
            fields = getattr(parent, "fields", {})
            fdef = fields.get(sel.name.value)
            if fdef is None:
                total += 1
                continue
            inner = get_named_type(fdef.type)
            args = {
                a.name.value: value_from_ast_untyped(a.value, variables)
                for a in sel.arguments or ()
            }
            size = _list_size(sel.name.value, fdef.type, args)
            total += 1 + size * _cost(sel.selection_set, inner, fragments, variables, schema)
        elif isinstance(sel, InlineFragmentNode):
            target = (
                schema.get_type(sel.type_condition.name.value) if sel.type_condition else parent
            )
            total += _cost(sel.selection_set, target, fragments, variables, schema)
        elif isinstance(sel, FragmentSpreadNode):
            frag = fragments.get(sel.name.value)
            if frag is not None:
                target = schema.get_type(frag.type_condition.name.value)
                total += _cost(frag.selection_set, target, fragments, variables, schema)
    return total


def _list_size(name: str, gtype: Any, args: Mapping[str, Any]) -> int:
    if isinstance(gtype, GraphQLNonNull):
        gtype = gtype.of_type
    limit = args.get("limit")
    if name in ("items_page", "next_items_page"):
        return int(limit or 25)
    if not isinstance(gtype, GraphQLList):
        return 1
    if isinstance(args.get("ids"), list):
        return max(len(args["ids"]), 1)
    if isinstance(limit, int):
        return limit
    return 1  # a nested list without a limit: counted once (the docs give no formula)


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= ITEMS_LIMIT:
        raise MondayError(
            f"limit must be between 1 and {ITEMS_LIMIT}, got {limit}", "InvalidArgumentException"
        )


def _errors(entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {"data": None, "errors": entries, "account_id": ACCOUNT_ID}


def error_body(
    message: str,
    code: str,
    status_code: int = 400,
    error_data: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """An application error as the fake answers it (HTTP 200, 2025-01+ format), for fault
    hooks: ``Reply(200, error_body("Complexity budget exhausted, …",
    "COMPLEXITY_BUDGET_EXHAUSTED", 429, retry_in_seconds=7))``."""
    extensions = {
        "code": code,
        "status_code": status_code,
        "error_data": error_data or {},
        "request_id": "fake-fault",
        **extra,
    }
    return _errors([{"message": message, "extensions": extensions}])


def _locations(err: GraphQLError) -> list[dict[str, int]]:
    return [{"line": loc.line, "column": loc.column} for loc in err.locations or ()]
