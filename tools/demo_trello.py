"""Generate the Trello part of the demo: src/raci_sync/demo/recordings/trello.json.

The board "Indhold & SoMe" of Nordlys Kaffe is described below as plain data and written as
the answers Trello gives to the requests TrelloConnector makes (only ``id`` plus the requested
``fields``; nested lists, members, custom fields and labels on the board call; custom field
items on the cards).
tests/connectors/test_trello_demo.py replays the recording through the real connector and
checks the result, and that the recording is up to date.

    .venv/bin/python tools/demo_trello.py            # write the recording
    .venv/bin/python tools/demo_trello.py --check    # exit 1 if the recording is out of date
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from raci_sync.connectors.trello.client import DEFAULT_BASE_URL
from raci_sync.demo.replay import Cassette

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "src" / "raci_sync" / "demo" / "recordings" / "trello.json"
# Dates are absolute: the demo's "today" is Monday 2026-12-07, its window 2026-12-07 … 12-20.
BOARD = "Indhold & SoMe"
ARCHIVED_BOARD = "Nordlys Kaffe – arkiv 2025"  # closed: never read
ME = "mettesorensen"  # whose token the demo uses
LISTS = ("Idéer", "I gang", "Til godkendelse", "Udgivet")
MEMBERS = {  # username: (full name, account created)
    "mettesorensen": ("Mette Sørensen", "2019-05-03T08:14:22Z"),
    "jonaskr": ("Jonas Kristensen", "2020-01-14T12:40:05Z"),
    "andersholm": ("Anders Holm", "2021-08-30T07:55:41Z"),
    "frejan": ("Freja N", "2022-03-07T19:02:13Z"),  # not her roster name: matched by account
    "kasperfoto": ("Kasper Vinther", "2023-10-19T10:31:57Z"),  # freelancer, not on the roster
}
ACCOUNTABLE_OPTIONS = ("Mette Sørensen", "Jonas Kristensen", "Freja Nørgaard")
LABELS = {"Kampagne": "red", "SoMe": "green", "Blog": "blue", "Nyhedsbrev": "yellow",
          "Foto": "purple"}  # fmt: skip
BOARD_CREATED = "2026-02-16T09:12:33Z"


@dataclass(frozen=True)
class DemoCard:
    """One demo card; members by username, Accountable by option text, dates as ISO."""

    name: str
    list: str
    created: str
    members: tuple[str, ...] = ()
    accountable: str | None = None
    consulted: str | None = None
    timer: float | None = None
    due: str | None = None
    start: str | None = None
    due_complete: bool = False
    closed: bool = False
    labels: tuple[str, ...] = ()
    activity: str = "2026-12-04T10:15:00.000Z"


CARDS = (
    # Freja: member on four open cards, 5–8 hours each, all due in the window
    DemoCard("Julekampagne: Instagram-karrusel", "I gang", "2026-11-02T09:20:11Z", ("frejan",),
             "Mette Sørensen", timer=8, due="2026-12-10T11:00:00.000Z",
             start="2026-12-01T08:00:00.000Z", labels=("Kampagne", "SoMe"),
             activity="2026-12-06T16:42:08.117Z"),
    DemoCard("Reels: Bag om risteriet", "I gang", "2026-11-05T13:02:47Z", ("frejan",),
             "Mette Sørensen", consulted="Jonas Kristensen", timer=7,
             due="2026-12-14T11:00:00.000Z", labels=("SoMe",), activity="2026-12-05T11:03:51.020Z"),
    DemoCard("Nyhedsbrev december: Juleblandingen", "Til godkendelse", "2026-11-09T08:45:30Z",
             ("frejan", "andersholm"), "Mette Sørensen", timer=5, due="2026-12-09T11:00:00.000Z",
             labels=("Nyhedsbrev",), activity="2026-12-04T14:27:33.608Z"),
    DemoCard("Facebook-annoncer: Gavekort til jul", "Idéer", "2026-11-16T10:11:09Z", ("frejan",),
             "Mette Sørensen", timer=6, due="2026-12-17T11:00:00.000Z",
             labels=("Kampagne", "SoMe"), activity="2026-12-02T09:58:12.404Z"),
    # Mette is Accountable on most open cards
    DemoCard("Blogindlæg: Sådan brygger du den perfekte filterkaffe", "I gang",
             "2026-11-10T12:30:00Z", ("jonaskr",), "Mette Sørensen", timer=4,
             due="2026-12-16T11:00:00.000Z", labels=("Blog",), activity="2026-12-03T15:20:45.731Z"),
    # the only R is the freelancer, who matches nobody on the roster
    DemoCard("Produktfotos: Ny etiopisk single origin", "I gang", "2026-11-12T07:58:21Z",
             ("kasperfoto",), "Mette Sørensen", timer=6, due="2026-12-11T11:00:00.000Z",
             labels=("Foto",), activity="2026-12-04T08:12:19.845Z"),
    # no member and no Accountable: no-owner
    DemoCard("LinkedIn-opslag: Bæredygtighedsrapport 2026", "Idéer", "2026-11-23T14:05:38Z",
             timer=2, due="2026-12-18T11:00:00.000Z", activity="2026-11-23T14:05:38.000Z"),
    # a member but no Accountable: no-accountable (the hat rule suggests the project manager)
    DemoCard("TikTok-serie: Baristatips", "Idéer", "2026-11-25T10:47:02Z", ("andersholm",),
             timer=3, due="2026-12-15T11:00:00.000Z", labels=("SoMe",),
             activity="2026-12-01T13:36:27.290Z"),
    # four people consulted: too-many-consulted; no due date
    DemoCard("Kundeundersøgelse: Smagspræferencer 2027", "Idéer", "2026-11-26T09:00:54Z",
             ("jonaskr",), "Mette Sørensen",
             consulted="Mette Sørensen, Jonas Kristensen, Sofie Lund, Anders Holm", timer=3,
             activity="2026-12-02T10:44:06.155Z"),
    DemoCard("Workshop: Kaffesmagning for erhvervskunder", "Til godkendelse",
             "2026-11-18T11:22:16Z", ("mettesorensen", "jonaskr"), "Mette Sørensen", timer=3,
             due="2026-12-19T11:00:00.000Z", activity="2026-12-04T12:09:58.377Z"),
    # done: in the done list "Udgivet", or due marked complete
    DemoCard("Pressemeddelelse: Nyt risteri i Aarhus", "Udgivet", "2026-10-19T08:30:12Z",
             ("mettesorensen",), "Jonas Kristensen", due="2026-11-20T11:00:00.000Z",
             activity="2026-11-20T15:12:40.018Z"),
    DemoCard("Instagram: Black Friday-tilbud", "Udgivet", "2026-10-28T13:14:55Z", ("frejan",),
             "Mette Sørensen", timer=4, due="2026-11-27T11:00:00.000Z", labels=("SoMe",),
             activity="2026-11-27T18:01:22.964Z"),
    DemoCard("Website: Nyt forsidebanner", "Til godkendelse", "2026-11-20T09:41:27Z",
             ("jonaskr",), "Freja Nørgaard", timer=2, due="2026-12-04T11:00:00.000Z",
             due_complete=True, activity="2026-12-04T10:57:31.512Z"),
    # archived
    DemoCard("Podcast-sponsorat: Kaffesnak", "Idéer", "2026-10-07T15:33:09Z", ("jonaskr",),
             "Mette Sørensen", timer=5, closed=True, activity="2026-11-03T09:26:17.441Z"),
)  # fmt: skip


def oid(created: str, *key: str) -> str:
    """A Trello (Mongo ObjectId) id: creation second, then bytes derived from ``key``."""
    seconds = int(datetime.fromisoformat(created).timestamp())
    tail = hashlib.sha256("/".join(key).encode()).hexdigest()[:16]
    return f"{seconds:08x}{tail}"


def short_link(*key: str) -> str:
    digest = hashlib.sha256("/".join(("short", *key)).encode()).digest()
    alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(alphabet[b % len(alphabet)] for b in digest[:8])


BOARD_ID = oid(BOARD_CREATED, "board", BOARD)
LIST_IDS = {name: oid(BOARD_CREATED, "list", name) for name in LISTS}
MEMBER_IDS = {u: oid(created, "member", u) for u, (_, created) in MEMBERS.items()}
FIELD_IDS = {name: oid("2026-02-16T09:30:00Z", "field", name)
             for name in ("Accountable", "Consulted", "Timer")}  # fmt: skip
OPTION_IDS = {text: oid("2026-02-16T09:30:00Z", "option", text) for text in ACCOUNTABLE_OPTIONS}
LABEL_IDS = {name: oid(BOARD_CREATED, "label", name) for name in LABELS}


def member(username: str) -> dict[str, Any]:
    return {"id": MEMBER_IDS[username], "fullName": MEMBERS[username][0], "username": username}


def custom_field(name: str, ftype: str, pos: int) -> dict[str, Any]:
    """A custom field definition as the live API answers (name, pos, options at top level)."""
    field: dict[str, Any] = {
        "id": FIELD_IDS[name],
        "idModel": BOARD_ID,
        "modelType": "board",
        "fieldGroup": hashlib.sha256(f"fieldGroup/{name}".encode()).hexdigest(),
        "display": {"cardFront": True},
        "name": name,
        "pos": pos,
    }
    if ftype == "list":
        field["options"] = [
            {"id": OPTION_IDS[text], "idCustomField": FIELD_IDS[name], "value": {"text": text},
             "color": "none", "pos": 16384 * (i + 1)}
            for i, text in enumerate(ACCOUNTABLE_OPTIONS)
        ]  # fmt: skip
    field["type"] = ftype
    return field


def board_body() -> dict[str, Any]:
    """``GET /boards/{id}`` with lists, members, customFields and labels nested."""
    return {
        "id": BOARD_ID,
        "name": BOARD,
        "closed": False,
        "lists": [{"id": LIST_IDS[n], "name": n, "closed": False} for n in LISTS],
        "members": [member(u) for u in MEMBERS],
        "customFields": [
            custom_field("Accountable", "list", 16384),
            custom_field("Consulted", "text", 32768),
            custom_field("Timer", "number", 49152),
        ],
        "labels": [{"id": LABEL_IDS[n], "name": n, "color": c} for n, c in LABELS.items()],
    }


def listed_board(ident: str, name: str, closed: bool, activity: str) -> dict[str, Any]:
    """One board of ``GET /members/me/boards?fields=name,closed,dateLastActivity``."""
    return {"id": ident, "name": name, "closed": closed, "dateLastActivity": activity}


def field_item(card_id: str, field: str, **value: Any) -> dict[str, Any]:
    item_id = card_id[:8] + hashlib.sha256(f"item/{card_id}/{field}".encode()).hexdigest()[:16]
    return {"id": item_id, **value,
            "idCustomField": FIELD_IDS[field], "idModel": card_id, "modelType": "card"}  # fmt: skip


def card_body(c: DemoCard) -> dict[str, Any]:
    """One card with the fields TrelloConnector asks for, and its custom field items."""
    ident = oid(c.created, "card", c.name)
    items = []
    if c.accountable:
        items.append(field_item(ident, "Accountable", idValue=OPTION_IDS[c.accountable]))
    if c.consulted:
        items.append(field_item(ident, "Consulted", value={"text": c.consulted}))
    if c.timer is not None:
        items.append(field_item(ident, "Timer", value={"number": f"{c.timer:g}"}))
    return {
        "id": ident,
        "name": c.name,
        "idList": LIST_IDS[c.list],
        "idMembers": [MEMBER_IDS[u] for u in c.members],
        "idLabels": [LABEL_IDS[n] for n in c.labels],
        "closed": c.closed,
        "due": c.due,
        "dueComplete": c.due_complete,
        "start": c.start,
        "dateLastActivity": c.activity,
        "shortUrl": f"https://trello.com/c/{short_link(c.name)}",
        "isTemplate": False,
        "cardRole": None,
        "customFieldItems": items,
    }


def cards_body() -> list[dict[str, Any]]:
    """All cards, newest first (as Trello pages them: by creation, descending)."""
    return sorted((card_body(c) for c in CARDS), key=lambda c: c["id"], reverse=True)


def build() -> Cassette:
    archived_id = oid("2025-01-06T08:00:00Z", "board", ARCHIVED_BOARD)
    interactions = [
        {"method": "GET", "path": "/members/me", "match": {"fields": "username,fullName"},
         "status": 200, "body": member(ME)},
        {"method": "GET", "path": "/members/me/boards", "match": {}, "status": 200,
         "body": [listed_board(BOARD_ID, BOARD, False, max(c.activity for c in CARDS)),
                  listed_board(archived_id, ARCHIVED_BOARD, True, "2025-12-19T15:03:44.512Z")]},
        {"method": "GET", "path": f"/boards/{BOARD_ID}", "match": {"customFields": "true"},
         "status": 200, "body": board_body()},
        {"method": "GET", "path": f"/boards/{BOARD_ID}/cards", "match": {"filter": "all"},
         "status": 200, "body": cards_body()},
    ]  # fmt: skip
    return Cassette(api="trello", base_url=DEFAULT_BASE_URL, interactions=interactions)


def main(argv: list[str]) -> int:
    text = build().to_json() + "\n"
    if "--check" in argv:
        if not OUTPUT.exists() or OUTPUT.read_text(encoding="utf-8") != text:
            print(f"{OUTPUT} is out of date; run tools/demo_trello.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT} ({len(CARDS)} cards)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
