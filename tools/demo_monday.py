"""Generate the monday.com demo recording: src/raci_sync/demo/recordings/monday.json.

The demo workspace (Nordlys Kaffe, board "Events & PR") is described below as plain data. A fake
monday answers each GraphQL request by *executing the query with graphql-core against the
vendor's SDL* (its extract specs/monday-2026-10.graphql, the API version the connector asks for),
so every recorded body has exactly the shape the 2026-10 schema gives for that query. The
incremental read's rule (``__last_updated__`` on or after a day, by day in the token owner's
zone) is honoured as monday documents it. The real MondayConnector is run against the fake
(a full read by board name, by id and of all boards, ``check()``, and an incremental read after
each full one) and every request/response pair is recorded.

Run:  .venv/bin/python tools/demo_monday.py [--sdl FILE] [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import UTC, date, datetime
from itertools import count
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from graphql import GraphQLSchema, build_schema, graphql_sync

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from raci_sync.config import FieldsConfig, Secret, SourceConfig  # noqa: E402
from raci_sync.connectors.http import HttpClient  # noqa: E402
from raci_sync.connectors.monday.client import DEFAULT_BASE_URL, MondayConnector  # noqa: E402
from raci_sync.demo.replay import Cassette, mount_handler, request_parts  # noqa: E402

OUT = REPO / "src" / "raci_sync" / "demo" / "recordings" / "monday.json"
INCREMENTAL_SINCE = datetime(2026, 12, 4, 11, 0, tzinfo=UTC)  # two items changed after it
VERSION = "2026-10"
OWNER_ZONE = ZoneInfo("Europe/Copenhagen")  # the token owner's profile zone
WEB = "https://nordlyskaffe.monday.com"

# -- the workspace ------------------------------------------------------------------------------

METTE, JONAS, ANDERS, FREJA, LINE = "61204518", "61204533", "61204547", "61204562", "61298044"
USERS = [
    {"id": METTE, "name": "Mette Sørensen", "email": "mette@nordlyskaffe.dk"},
    {"id": JONAS, "name": "Jonas Kristensen", "email": "Jonas@NordlysKaffe.dk"},  # mixed case
    {"id": ANDERS, "name": "Anders Holm", "email": "anders@nordlyskaffe.dk"},
    {"id": FREJA, "name": "Freja Nørgaard", "email": "freja@nordlyskaffe.dk"},
    {"id": LINE, "name": "Line Bech", "email": "line@pr-bureau.dk"},  # guest, not on the roster
]
NAMES = {u["id"]: u["name"] for u in USERS}
CONTENT_TEAM = "1284519"
TEAMS = [{"id": CONTENT_TEAM, "name": "Indholdsteamet", "users": [{"id": ANDERS}, {"id": FREJA}]}]
TEAM_NAMES = {CONTENT_TEAM: "Indholdsteamet"}

BOARD, SUB_BOARD = "1847263950", "1847263987"
GROUPS = {
    "Planlagt": {"id": "topics", "title": "Planlagt"},
    "I gang": {"id": "group_mkp3a9rt", "title": "I gang"},
    "Afsluttet": {"id": "group_mkp3b2x7", "title": "Afsluttet"},
}
SUB_GROUP = {"id": "topics", "title": "Subitems"}
COLUMNS = [
    {"id": "name", "title": "Name", "type": "name"},
    {"id": "subitems_mkp4v9gh", "title": "Subitems", "type": "subtasks"},
    {"id": "person", "title": "Person", "type": "people"},
    {"id": "people_mkp4q1ab", "title": "Accountable", "type": "people"},
    {"id": "people_mkp4r7cd", "title": "Consulted", "type": "people"},
    {"id": "status", "title": "Status", "type": "status"},
    {"id": "date4", "title": "Deadline", "type": "date"},
    {"id": "numeric_mkp4t2ef", "title": "Timer", "type": "numbers"},
]
SUB_COLUMNS = [
    {"id": "name", "title": "Name", "type": "name"},
    {"id": "person", "title": "Person", "type": "people"},
    {"id": "status", "title": "Status", "type": "status"},
    {"id": "date0", "title": "Deadline", "type": "date"},
    {"id": "numeric_mkp5a1xy", "title": "Timer", "type": "numbers"},
]
STATUS = {"I gang": (0, False), "Færdig": (1, True), "Ikke startet": (2, False)}
TEAM = ("team", CONTENT_TEAM)


def person(*ids: str | tuple[str, str]) -> list[tuple[str, str]]:
    return [i if isinstance(i, tuple) else ("person", i) for i in ids]


# id, title, group, state, R (Person), A, C, status, deadline, timer, updated, subitems
ITEMS: list[dict[str, Any]] = [
    dict(
        id="1847301122",
        name="Julemarked på Torvehallerne",
        group="I gang",
        R=person(JONAS),
        A=person(METTE),
        C=person(ANDERS, FREJA),
        status="I gang",
        due="2026-12-12",
        hours=4,
        subscribers=[METTE, JONAS],
        updated="2026-12-03T14:22:10Z",
    ),
    dict(
        id="1847301157",
        name="Pressemeddelelse: Ny juleblend",
        group="I gang",
        R=person(ANDERS),
        A=person(METTE, JONAS),
        C=[],
        status="I gang",
        due="2026-12-10",
        hours=3,
        subscribers=[METTE, ANDERS],
        updated="2026-12-02T09:41:55Z",
    ),
    dict(
        id="1847301203",
        name="Lanceringsevent for vinterkaffen",
        group="Planlagt",
        R=person(TEAM, JONAS, LINE),
        A=person(METTE),
        C=[],
        status="Ikke startet",
        due="2026-12-18",
        hours=12,
        subscribers=[METTE],
        updated="2026-12-01T16:05:31Z",
    ),
    dict(
        id="1847301248",
        name="Kaffesmagning for journalister",
        group="I gang",
        R=person(JONAS),
        A=person(METTE),
        C=person(LINE),
        status="I gang",
        due="2026-12-16",
        hours=2,
        subscribers=[METTE, JONAS],
        updated="2026-12-04T11:18:02Z",
        subitems=[
            dict(
                id="1847301611",
                name="Send invitationer til fagpressen",
                R=person(JONAS),
                status="Færdig",
                due="2026-12-04",
                hours=1,
                subscribers=[JONAS],
                updated="2026-12-04T10:02:47Z",
            ),
            dict(
                id="1847301644",
                name="Bestil smagsprøver fra risteriet",
                R=person(ANDERS),
                status="Ikke startet",
                due="2026-12-14",
                hours=1,
                subscribers=[JONAS],
                updated="2026-12-02T13:30:19Z",
            ),
        ],
    ),
    dict(
        id="1847301290",
        name="Mediekontakt til julekampagnen",
        group="Planlagt",
        R=person(LINE),
        A=person(METTE),
        C=[],
        status="Ikke startet",
        due="2026-12-15",
        hours=5,
        subscribers=[METTE, LINE],
        updated="2026-11-30T08:55:40Z",
    ),
    dict(
        id="1847301336",
        name="Pressekit 2027",
        group="Planlagt",
        R=[],
        A=person(METTE),
        C=[],
        status="Ikke startet",
        due="2027-01-08",
        hours=4,
        subscribers=[METTE],
        updated="2026-11-27T15:12:03Z",
    ),
    dict(
        id="1847301371",
        name="Instagram-reels fra julemarkedet",
        group="I gang",
        R=person(FREJA),
        A=person(METTE),
        C=person(JONAS),
        status="I gang",
        due="2026-12-11",
        hours=8,
        subscribers=[METTE, FREJA],
        updated="2026-12-04T15:47:26Z",
    ),
    dict(
        id="1847301415",
        name="Nyhedsbrev: Juleblend og gaveæsker",
        group="Planlagt",
        R=person(FREJA),
        A=person(METTE),
        C=[],
        status="Ikke startet",
        due="2026-12-17",
        hours=6,
        subscribers=[METTE, FREJA],
        updated="2026-12-01T10:20:14Z",
    ),
    dict(
        id="1847301462",
        name="Pressefotos fra risteriet",
        group="Afsluttet",
        R=person(ANDERS),
        A=person(METTE),
        C=[],
        status="Færdig",
        due="2026-12-01",
        hours=3,
        subscribers=[METTE, ANDERS],
        updated="2026-12-01T17:03:58Z",
    ),
    dict(
        id="1847301508",
        name="Sommerfest 2026 – opsamling",
        group="Afsluttet",
        state="archived",
        R=person(JONAS),
        A=person(METTE),
        C=[],
        status="I gang",
        due="2026-08-28",
        hours=2,
        subscribers=[JONAS],
        updated="2026-09-15T12:00:00Z",
    ),
]
VALUE_TYPES = {
    "people": "PeopleValue",
    "status": "StatusValue",
    "date": "DateValue",
    "numbers": "NumbersValue",
    "subtasks": "SubtasksValue",
    "timeline": "TimelineValue",
}


# -- building monday objects --------------------------------------------------------------------


def people_value(col: dict[str, str], entries: list[tuple[str, str]], changed: str) -> dict:
    names = [TEAM_NAMES[i] if k == "team" else NAMES[i] for k, i in entries]
    raw = (
        {"personsAndTeams": [{"id": int(i), "kind": k} for k, i in entries], "changed_at": changed}
        if entries
        else None
    )
    return {
        "__typename": "PeopleValue",
        "id": col["id"],
        "type": "people",
        "text": ", ".join(names),
        "value": json.dumps(raw) if raw else None,
        "persons_and_teams": [{"id": i, "kind": k} for k, i in entries],
        "column": col,
    }


def item_values(spec: dict[str, Any], columns: list[dict[str, str]], subitems: list[dict]) -> list:
    changed = spec["updated"].replace("Z", ".000Z")
    out = []
    for col in columns:
        t, cid, title = col["type"], col["id"], col["title"]
        if t == "name":
            continue
        if t == "subtasks":
            names = ", ".join(s["name"] for s in subitems)
            raw = {"linkedPulseIds": [{"linkedPulseId": int(s["id"])} for s in subitems]}
            out.append(
                {
                    "__typename": "SubtasksValue",
                    "id": cid,
                    "type": t,
                    "text": names,
                    "value": json.dumps(raw) if subitems else None,
                    "column": col,
                }
            )
        elif t == "people":
            letter = {"Person": "R", "Accountable": "A", "Consulted": "C"}[title]
            out.append(people_value(col, spec.get(letter, []), changed))
        elif t == "status":
            index, done = STATUS[spec["status"]]
            out.append(
                {
                    "__typename": "StatusValue",
                    "id": cid,
                    "type": t,
                    "text": spec["status"],
                    "label": spec["status"],
                    "is_done": done,
                    "index": index,
                    "column": col,
                    "value": json.dumps({"index": index, "post_id": None, "changed_at": changed}),
                }
            )
        elif t == "date":
            out.append(
                {
                    "__typename": "DateValue",
                    "id": cid,
                    "type": t,
                    "text": spec["due"],
                    "date": spec["due"],
                    "time": None,
                    "column": col,
                    "value": json.dumps({"date": spec["due"], "icon": None, "changed_at": changed}),
                }
            )
        elif t == "numbers":
            n = spec["hours"]
            out.append(
                {
                    "__typename": "NumbersValue",
                    "id": cid,
                    "type": t,
                    "text": str(n),
                    "number": float(n),
                    "value": json.dumps(str(n)),
                    "column": col,
                }
            )
    return out


def by_type(values: list[dict[str, Any]]) -> Any:
    """An item's ``column_values`` field: filtered by ``types`` as monday does."""

    def field(info: Any, types: list[str] | None = None, **_: Any) -> list[dict[str, Any]]:
        return [v for v in values if types is None or v["type"] in types]

    return field


def build_items() -> list[dict[str, Any]]:
    created = count(0)
    items = []
    for spec in ITEMS:
        subs = []
        for s in spec.get("subitems", []):
            subs.append(
                {
                    "id": s["id"],
                    "name": s["name"],
                    "state": "active",
                    "created_at": f"2026-11-{20 + next(created) % 8:02d}T09:00:00Z",
                    "updated_at": s["updated"],
                    "url": f"{WEB}/boards/{SUB_BOARD}/pulses/{s['id']}",
                    "board": {"id": SUB_BOARD},
                    "parent_item": {"id": spec["id"]},
                    "group": SUB_GROUP,
                    "subscribers": [{"id": u} for u in s["subscribers"]],
                    "column_values": by_type(item_values(s, SUB_COLUMNS, [])),
                    "subitems": [],
                }
            )
        items.append(
            {
                "id": spec["id"],
                "name": spec["name"],
                "state": spec.get("state", "active"),
                "created_at": f"2026-11-{10 + next(created) % 15:02d}T08:30:00Z",
                "updated_at": spec["updated"],
                "url": f"{WEB}/boards/{BOARD}/pulses/{spec['id']}",
                "group": GROUPS[spec["group"]],
                "subscribers": [{"id": u} for u in spec["subscribers"]],
                "column_values": by_type(item_values(spec, COLUMNS, spec.get("subitems", []))),
                "subitems": subs,
            }
        )
    return items


# -- the fake monday ----------------------------------------------------------------------------


class FakeMonday:
    """Executes each request's query against the SDL with the workspace as the root value."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema
        self.items = build_items()
        self.budget = 10_000_000
        self.boards = [
            {
                "id": BOARD,
                "name": "Events & PR",
                "type": "board",
                "url": f"{WEB}/boards/{BOARD}",
                "hierarchy_type": "classic",
                "columns": columns_of(COLUMNS),
                "items_page": self.items_page,
            },
            {
                "id": SUB_BOARD,
                "name": "Subitems of Events & PR",
                "type": "sub_items_board",
                "url": f"{WEB}/boards/{SUB_BOARD}",
                "hierarchy_type": "classic",
                "columns": columns_of(SUB_COLUMNS),
                "items_page": lambda info, **kw: self.page(
                    ordered([s for i in self.items for s in i["subitems"]], kw), 0, kw
                ),
            },
        ]

    def page(self, items: list[dict], start: int, args: dict[str, Any]) -> dict[str, Any]:
        limit = args.get("limit") or 25
        chunk = items[start : start + limit]
        more = start + limit < len(items)
        return {"cursor": f"MSw{start + limit}fE5vcmRseXM" if more else None, "items": chunk}

    def items_page(self, info: Any, **args: Any) -> dict[str, Any]:
        return self.page(ordered(self.items, args), 0, args)

    def next_items_page(self, info: Any, cursor: str, limit: int) -> dict[str, Any]:
        start = int(re.search(r"MSw(\d+)fE", cursor).group(1))  # type: ignore[union-attr]
        return self.page(self.items, start, {"limit": limit})

    def root(self, cost: int) -> dict[str, Any]:
        before = self.budget
        self.budget -= cost
        return {
            "complexity": {
                "query": cost,
                "before": before,
                "after": self.budget,
                "reset_in_x_seconds": 42,
            },
            "version": {"kind": "current", "value": VERSION, "display_name": "Current"},
            "me": USERS[0],
            "boards": self.boards_field,
            "users": lambda info, limit=200, page=1, **kw: USERS[(page - 1) * limit : page * limit],
            "teams": lambda info, ids=None: [t for t in TEAMS if not ids or t["id"] in ids],
            "next_items_page": self.next_items_page,
        }

    def boards_field(
        self,
        info: Any,
        ids: list[str] | None = None,
        limit: int = 25,
        page: int = 1,
        state: str = "active",
        **kw: Any,
    ) -> list[dict[str, Any]]:
        if ids is not None:
            return [b for b in self.boards if b["id"] in ids]
        return self.boards[(page - 1) * limit : page * limit]

    def __call__(self, request: Any) -> tuple[int, dict[str, str], Any]:
        _, _, _, body = request_parts(request)
        query, variables = body["query"], body.get("variables") or {}
        cost = 30_000 + 50 * len(query)
        result = graphql_sync(
            self.schema,
            query,
            root_value=self.root(cost),
            variable_values=variables,
            type_resolver=_type_of,
        )
        if result.errors:
            raise SystemExit(f"the fake monday could not answer {query[:60]!r}: {result.errors}")
        return (
            200,
            {"Content-Type": "application/json"},
            {"data": result.data, "account_id": 27041966},
        )


def ordered(items: list[dict[str, Any]], args: dict[str, Any]) -> list[dict[str, Any]]:
    """Items that ``query_params`` selects: only the incremental read's rule, ``__last_updated__``
    on or after ``["EXACT", day]``, compared by day in the token owner's zone."""
    for rule in (args.get("query_params") or {}).get("rules") or []:
        assert rule["column_id"] == "__last_updated__" and rule["compare_attribute"] == "UPDATED_AT"
        assert rule["operator"] == "greater_than_or_equals"
        kind, day = rule["compare_value"]
        assert kind == "EXACT"
        since = date.fromisoformat(day)
        items = [i for i in items if _owner_day(i["updated_at"]) >= since]
    return items


def _owner_day(moment: str) -> date:
    return datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(OWNER_ZONE).date()


def columns_of(columns: list[dict[str, str]]) -> Any:
    """A board's ``columns`` field: filtered by type, status columns with their labels."""
    labels = {str(i): label for label, (i, _) in STATUS.items()}
    done = [i for i, d in STATUS.values() if d]

    def field(info: Any, types: list[str] | None = None, **_: Any) -> list[dict[str, Any]]:
        out = []
        for c in columns:
            if types is None or c["type"] in types:
                settings = {"labels": labels, "done_colors": done} if c["type"] == "status" else {}
                out.append({**c, "settings": settings})
        return out

    return field


def _type_of(value: Any, info: Any, abstract: Any) -> str:
    return value.get("__typename") or VALUE_TYPES.get(value.get("type"), "TextValue")


# -- recording ----------------------------------------------------------------------------------


def record(schema: GraphQLSchema) -> Cassette:
    """Run the connector against the fake (by board name, by id, all boards, check() and
    check_scope())."""
    fake = FakeMonday(schema)
    interactions: dict[str, dict[str, Any]] = {}

    def recorder(request: Any) -> tuple[int, dict[str, str], Any]:
        status, headers, body = fake(request)
        _, _, _, req = request_parts(request)
        first_line = req["query"].strip().splitlines()[0]
        # ``since`` (the incremental rule's day) follows the clock of whoever replays: the
        # recording answers any day with what changed since 2026-12-03, and the connector keeps
        # only what changed after its own watermark
        variables = {k: v for k, v in req["variables"].items() if k != "since"}
        match = {"$query": first_line, **{f"$var.{k}": v for k, v in variables.items()}}
        key = json.dumps(match, sort_keys=True)
        interactions.setdefault(
            key,
            {
                "method": "POST",
                "path": "/",
                "match": match,
                "variables": req["variables"],  # as sent (not matched on): for the spec checks
                "status": status,
                "headers": headers,
                "body": body,
            },
        )
        return status, headers, body

    for boards in (("Events & PR",), None, (BOARD,)):
        source = SourceConfig(
            name="events",
            kind="monday",
            token=Secret("demo-token"),
            boards=boards,
            fields=FieldsConfig(effort="Timer"),
        )
        http = HttpClient(
            describe="source 'events' (monday)", mount=mount_handler(recorder, [DEFAULT_BASE_URL])
        )
        connector = MondayConnector(source, http, max_workers=1)
        if boards is None:
            connector.check()
        connector.check_scope()  # what `raci check-config --online` asks
        snap = connector.fetch()
        connector.fetch(since=INCREMENTAL_SINCE, previous=snap)  # the incremental query too
    return Cassette(
        api="monday", base_url=DEFAULT_BASE_URL, interactions=list(interactions.values())
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--sdl", default=str(REPO / "specs" / f"monday-{VERSION}.graphql"), help="the monday SDL"
    )
    ap.add_argument("--out", default=str(OUT), help="where to write the recording")
    args = ap.parse_args()
    schema = build_schema(Path(args.sdl).read_text("utf-8"))
    cassette = record(schema)
    Path(args.out).write_text(cassette.to_json() + "\n", encoding="utf-8")
    print(f"wrote {args.out}: {len(cassette.interactions)} interactions")


if __name__ == "__main__":
    main()
