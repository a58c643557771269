"""Trello connector: pure conversion, then fetches against recorded, spec-shaped answers
(tests/fakes/trello_fixtures.py)."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import pytest
import responses

from raci_sync.connectors.base import make_connector, make_http
from raci_sync.connectors.trello.convert import (
    account_from_trello,
    board_from_trello,
    custom_field_from_trello,
    is_work,
    task_from_trello,
)
from raci_sync.connectors.trello.queries import oldest_first_second
from raci_sync.errors import AuthError, NotFoundError, ResponseError, RetryableError, SourceError
from raci_sync.model import Account, State
from tests.fakes.trello_fixtures import (
    ALICE,
    BO,
    BOARD_ID,
    CF_ACCOUNTABLE,
    GONE,
    KEY,
    OTHER_ID,
    TOKEN,
    URL,
    connector,
    load,
    make_cards,
    register_board,
    register_workspace,
    source,
)


def query(call: Any) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(call.request.url).query, keep_blank_values=True))


@pytest.fixture
def board() -> Any:
    return board_from_trello(load("board.json"), "indhold")


@pytest.fixture
def tasks(board: Any) -> dict[str, Any]:
    out = [task_from_trello(c, board, "indhold", ["færdig"]) for c in load("cards.json")]
    return {t.title: t for t in out}


# -- pure conversion -----------------------------------------------------------------------


def test_account_from_member() -> None:
    raw = {"id": ALICE, "fullName": "Alice Andersen", "username": "aliceandersen"}
    assert account_from_trello(raw, "indhold") == Account(
        "indhold", ALICE, "Alice Andersen", "aliceandersen"
    )


def test_board_reads_lists_fields_labels_members(board: Any) -> None:
    assert board.name == "Kampagner"
    assert board.lists["65a1f0c2d4e5f60718293a53"].closed
    assert board.fields[CF_ACCOUNTABLE].options == {
        "65a1f0c2d4e5f60718293b11": "Alice Andersen",
        "65a1f0c2d4e5f60718293b12": "Bo Berg",
    }
    assert board.labels == {"65a1f0c2d4e5f60718293c01": "SoMe", "65a1f0c2d4e5f60718293c02": "red"}
    assert [m.username for m in board.members] == ["aliceandersen", "boberg"]


def test_custom_field_in_the_specs_display_shape() -> None:
    """The OpenAPI spec nests name and options under ``display``; the live API does not."""
    raw = load("board.json")["customFields"][0]
    spec_shaped = {k: v for k, v in raw.items() if k not in ("name", "options", "pos")}
    spec_shaped["display"] = {"cardFront": True, "name": raw["name"], "options": raw["options"]}
    assert custom_field_from_trello(spec_shaped, "indhold", "Kampagner") == (
        custom_field_from_trello(raw, "indhold", "Kampagner")
    )


def test_card_fields_people_and_custom_fields(tasks: dict[str, Any]) -> None:
    t = tasks["Julekampagne: Instagram"]
    assert (t.source, t.id, t.container, t.container_id, t.group) == (
        "indhold",
        "6720b1c4a1b2c3d4e5f60001",
        "Kampagner",
        BOARD_ID,
        "I gang",
    )
    assert t.state is State.OPEN
    assert (t.due, t.start) == (date(2026, 12, 10), date(2026, 12, 1))
    assert t.updated == datetime(2026, 12, 6, 17, 21, 40, 512000, tzinfo=UTC)
    assert t.url == "https://trello.com/c/Cd34Ab12"
    assert t.labels == ("SoMe", "red")  # a label without a name goes by its colour
    fields = {f.title or f.key: f for f in t.fields}
    assert fields["members"].accounts == (ALICE, BO)
    assert fields["members"].kind == "people"
    acc = fields["Accountable"]
    assert (acc.key, acc.id, acc.kind, acc.text, acc.names) == (
        "field",
        CF_ACCOUNTABLE,
        "enum",
        "Bo Berg",
        ("Bo Berg",),
    )
    assert acc.label == "custom_field:Accountable"
    consulted = fields["Consulted"]
    assert consulted.kind == "text"
    assert consulted.names == ("Alice Andersen", "Carl Christensen")
    assert fields["Timer"].number == 2.5
    assert fields["Godkendt"].text == "true"
    assert (fields["Publiceres"].kind, fields["Publiceres"].text) == (
        "date",
        "2026-12-12T09:00:00.000Z",
    )


def test_members_field_is_always_present(tasks: dict[str, Any]) -> None:
    t = tasks["Sommerkampagne evaluering"]
    assert [(f.key, f.accounts) for f in t.fields] == [("members", ())]
    assert t.due is None and t.labels == ()


def test_states(tasks: dict[str, Any]) -> None:
    assert tasks["Nedlagt idé"].state is State.ARCHIVED  # closed card
    assert tasks["Gamle plakater"].state is State.ARCHIVED  # open card in a closed list
    assert tasks["Gamle plakater"].group == "Gammelt"
    assert tasks["Opdater prisliste"].state is State.DONE  # dueComplete
    assert tasks["Sommerkampagne evaluering"].state is State.DONE  # in a done list
    assert tasks["Kampagne: Forårsblanding"].state is State.OPEN


def test_archived_card_keeps_its_fields(tasks: dict[str, Any]) -> None:
    t = tasks["Nedlagt idé"]
    assert [f.number for f in t.fields if f.title == "Timer"] == [3.0]


def test_closed_board_makes_every_card_archived(board: Any) -> None:
    closed = board_from_trello({**load("board.json"), "closed": True}, "indhold")
    card = load("cards.json")[-1]
    assert task_from_trello(card, closed, "indhold").state is State.ARCHIVED


COPENHAGEN, NEW_YORK = ZoneInfo("Europe/Copenhagen"), ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("due", "tz", "day"),
    [
        # Copenhagen, winter (UTC+1): 23:30Z is 00:30 the next day; 22:59Z still the same day
        ("2026-12-09T23:30:00.000Z", COPENHAGEN, date(2026, 12, 10)),
        ("2026-12-09T22:59:00.000Z", COPENHAGEN, date(2026, 12, 9)),
        # summer (UTC+2): a date-only due date set in Copenhagen is stored as local midnight
        ("2026-06-14T22:00:00.000Z", COPENHAGEN, date(2026, 6, 15)),
        ("2026-06-14T21:59:59.000Z", COPENHAGEN, date(2026, 6, 14)),
        # New York (UTC-5): 03:30Z is the evening before; 05:00Z is that day's midnight
        ("2026-12-10T03:30:00.000Z", NEW_YORK, date(2026, 12, 9)),
        ("2026-12-10T05:00:00.000Z", NEW_YORK, date(2026, 12, 10)),
        ("2026-12-10T03:30:00.000Z", UTC, date(2026, 12, 10)),
    ],
)
def test_due_and_start_are_dates_in_the_teams_time_zone(
    board: Any, due: str, tz: ZoneInfo, day: date
) -> None:
    card = {**load("cards.json")[-1], "due": due, "start": due}
    task = task_from_trello(card, board, "x", tz=tz)
    assert (task.due, task.start) == (day, day)


@responses.activate
def test_the_source_time_zone_reaches_the_dates() -> None:
    """A card due 00:30 in Copenhagen is due that day, not the day before (in UTC)."""
    cards = [{**load("cards.json")[0], "due": "2026-12-09T23:30:00.000Z"}]
    register_board(responses.mock, cards=cards)
    utc = connector(boards=(BOARD_ID,)).fetch().tasks[0].due
    cph = connector(boards=(BOARD_ID,), timezone="Europe/Copenhagen").fetch().tasks[0].due
    assert (utc, cph) == (date(2026, 12, 9), date(2026, 12, 10))


@pytest.mark.parametrize(
    "departure",
    [{"isTemplate": True}, *({"cardRole": r} for r in ("separator", "link", "board", "mirror"))],
)
def test_templates_and_cards_with_a_role_are_not_work(departure: dict[str, Any]) -> None:
    card = {**load("cards.json")[0], **departure}
    assert not is_work(card, "x", "Kampagner")
    assert is_work({**card, "isTemplate": False, "cardRole": None}, "x", "Kampagner")
    assert is_work({k: v for k, v in card.items() if k not in departure}, "x", "Kampagner")


@responses.activate
def test_a_read_leaves_out_templates_and_cards_with_a_role() -> None:
    fixture = load("cards.json")
    extra = [
        {**fixture[0], "id": "67752629a1b2c3d4e5f6a001", "name": "Skabelon", "isTemplate": True},
        {**fixture[0], "id": "67752629a1b2c3d4e5f6a002", "name": "---", "cardRole": "separator"},
        {**fixture[0], "id": "67752629a1b2c3d4e5f6a003", "name": "x", "cardRole": "mirror"},
    ]
    register_board(responses.mock, cards=extra + fixture)
    snap = connector(boards=(BOARD_ID,)).fetch()
    assert [t.id for t in snap.tasks] == [c["id"] for c in fixture]


def test_is_template_of_the_wrong_type_is_a_response_error() -> None:
    with pytest.raises(ResponseError, match="'isTemplate' = 'yes' instead of true or false"):
        is_work({**load("cards.json")[0], "isTemplate": "yes"}, "x", "Kampagner")


def test_field_without_definition_and_stale_option(board: Any) -> None:
    card = copy.deepcopy(load("cards.json")[-1])
    card["customFieldItems"] = [
        {"id": "1" * 24, "value": {"number": "4"}, "idCustomField": "9" * 24, "idModel": card["id"],
         "modelType": "card"},
        {"id": "2" * 24, "idValue": "8" * 24, "idCustomField": CF_ACCOUNTABLE,
         "idModel": card["id"], "modelType": "card"},
    ]  # fmt: skip
    fields = task_from_trello(card, board, "x").fields
    assert [(f.id, f.title, f.kind, f.number) for f in fields[1:]] == [
        ("9" * 24, None, "number", 4.0)
    ]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda c: c.pop("id"), "without its 'id'"),
        (
            lambda c: c.update(idMembers="5e8f1a2b3c4d5e6f70819201"),
            "'idMembers' = '5e8f1a2b3c4d5e6f70819201' instead of a list",
        ),
        (lambda c: c.update(closed="yes"), "'closed' = 'yes' instead of true or false"),
        (lambda c: c.update(due="next week"), "'due' = 'next week' instead of a date-time"),
        (lambda c: c.update(name=7), "'name' = '7' instead of a string"),
        (
            lambda c: c["customFieldItems"][2].update(value={"number": "fem"}),
            "'fem' instead of a number",
        ),
        (lambda c: c.update(customFieldItems=[{"id": "1" * 24}]), "without its 'idCustomField'"),
    ],
)
def test_bad_card_shape_is_a_response_error(board: Any, change: Any, words: str) -> None:
    card = copy.deepcopy(load("cards.json")[-1])
    change(card)
    with pytest.raises(ResponseError) as err:
        task_from_trello(card, board, "indhold")
    assert words in str(err.value)
    assert "source 'indhold' (trello)" in str(err.value)


def test_bad_board_shape_is_a_response_error() -> None:
    with pytest.raises(ResponseError, match="a list of board 'Kampagner'"):
        board_from_trello({**load("board.json"), "lists": [["not", "an", "object"]]}, "x")
    with pytest.raises(ResponseError, match="sent a board as a list instead of an object"):
        board_from_trello([], "x")


def test_next_page_starts_after_the_oldest_cards_second() -> None:
    ids = ["67752629a1b2c3d4e5f60006", "6720b1c4a1b2c3d4e5f60001", "6742F3E6a1b2c3d4e5f60003"]
    assert oldest_first_second(ids) == "6720b1c5" + "0" * 16


# -- fetching ---------------------------------------------------------------------------------


@responses.activate
def test_full_fetch_by_name() -> None:
    register_workspace(responses.mock)
    snap = connector().fetch()
    assert snap.source == "indhold" and snap.kind == "trello"
    assert snap.containers == ("Kampagner",)
    assert len(snap.tasks) == 6
    assert snap.requests == 3 == len(responses.calls)
    assert snap.fetched_at is not None and snap.fetched_at.tzinfo is not None
    listing, board_call, cards_call = (query(c) for c in responses.calls)
    assert listing["fields"] == "name,closed,dateLastActivity"
    assert board_call["lists"] == "all" and board_call["customFields"] == "true"
    assert board_call["members"] == "all" and board_call["member_fields"] == "fullName,username"
    assert cards_call["filter"] == "all" and cards_call["limit"] == "1000"
    assert cards_call["customFieldItems"] == "true" and "before" not in cards_call
    assert set(cards_call["fields"].split(",")) >= {"idMembers", "closed", "dueComplete", "due"}
    assert {"isTemplate", "cardRole"} <= set(cards_call["fields"].split(","))
    for c in responses.calls:  # every request authenticates with key and token
        assert (query(c)["key"], query(c)["token"]) == (KEY, TOKEN)


@responses.activate
def test_member_who_left_the_board_is_still_an_account() -> None:
    register_workspace(responses.mock)
    snap = connector().fetch()
    accounts = {a.id: a for a in snap.accounts}
    assert accounts[ALICE] == Account("indhold", ALICE, "Alice Andersen", "aliceandersen")
    assert accounts[GONE] == Account("indhold", GONE)
    referenced = {a for t in snap.tasks for f in t.fields for a in f.accounts}
    assert referenced <= set(accounts)


@responses.activate
def test_boards_given_by_id_need_no_listing() -> None:
    register_board(responses.mock)
    snap = connector(boards=(BOARD_ID.upper(), BOARD_ID)).fetch()
    assert snap.requests == 2
    assert [urlsplit(c.request.url).path for c in responses.calls] == [
        f"/1/boards/{BOARD_ID}",
        f"/1/boards/{BOARD_ID}/cards",
    ]


@pytest.mark.parametrize("boards", [None, ()])
@responses.activate
def test_omitted_boards_means_every_open_board(boards: Any) -> None:
    responses.get(f"{URL}/members/me/boards", json=load("members_me_boards.json"))
    register_board(responses.mock)
    register_board(responses.mock, OTHER_ID, cards=[])
    snap = connector(boards=boards).fetch()
    assert snap.requests == 5  # listing + 2 × (board + cards); the archived board is skipped
    assert len(snap.tasks) == 6
    assert all("64c3d2e1f0a9b8c7d6e5f401" not in c.request.url for c in responses.calls)


@responses.activate
def test_board_name_matches_case_insensitively() -> None:
    register_workspace(responses.mock)
    assert len(connector(boards=("  kAMPAGNER ",)).fetch().tasks) == 6


@responses.activate
def test_unknown_board_name_lists_what_the_token_sees() -> None:
    responses.get(f"{URL}/members/me/boards", json=load("members_me_boards.json"))
    with pytest.raises(NotFoundError) as err:
        connector(boards=("Kampanger",)).fetch()
    msg = str(err.value)
    assert "source 'indhold'" in msg and "no open board named 'Kampanger'" in msg
    assert "did you mean 'Kampagner'?" in msg and "'Indkøb'" in msg
    assert "Arkiv 2025" not in msg


@responses.activate
def test_archived_board_by_name_says_so() -> None:
    responses.get(f"{URL}/members/me/boards", json=load("members_me_boards.json"))
    with pytest.raises(NotFoundError, match="'Arkiv 2025' is archived"):
        connector(boards=("arkiv 2025",)).fetch()


@responses.activate
def test_two_boards_with_the_name_is_an_error() -> None:
    listing = load("members_me_boards.json")
    listing[1]["name"] = "KAMPAGNER"
    responses.get(f"{URL}/members/me/boards", json=listing)
    with pytest.raises(SourceError) as err:
        connector().fetch()
    assert "2 open boards are named 'Kampagner'" in str(err.value)
    assert BOARD_ID in str(err.value) and OTHER_ID in str(err.value)


@responses.activate
def test_no_visible_board_is_not_an_empty_snapshot() -> None:
    responses.get(f"{URL}/members/me/boards", json=[])
    with pytest.raises(NotFoundError, match="sees no open boards"):
        connector(boards=None).fetch()


@responses.activate
def test_configured_board_id_that_does_not_exist() -> None:
    responses.get(
        f"{URL}/boards/{OTHER_ID}",
        status=404,
        body="The requested resource was not found.",
        content_type="text/plain",
    )
    with pytest.raises(NotFoundError) as err:
        connector(boards=(OTHER_ID,)).fetch()
    msg = str(err.value)
    assert f"[source] boards: board {OTHER_ID} does not exist or is not visible" in msg
    assert "Trello answered 404" in msg and "source 'indhold'" in msg


@pytest.mark.parametrize(
    ("status", "body"),
    [(401, "invalid token"), (401, "unauthorized permission requested"), (403, "forbidden")],
)
@responses.activate
def test_refused_credentials_say_what_to_fix(status: int, body: str) -> None:
    responses.get(f"{URL}/members/me/boards", status=status, body=body, content_type="text/plain")
    with pytest.raises(AuthError) as err:
        connector().fetch()
    msg = str(err.value)
    assert f"({status}: {body})" in msg
    assert "API key or token of source 'indhold' is invalid" in msg
    assert "https://trello.com/power-ups/admin" in msg and "/1/authorize?" in msg
    assert KEY not in msg and TOKEN not in msg


@responses.activate
def test_no_access_to_one_board() -> None:
    responses.get(
        f"{URL}/boards/{BOARD_ID}",
        status=401,
        body="unauthorized permission requested",
        content_type="text/plain",
    )
    with pytest.raises(AuthError, match=f"has no access to board {BOARD_ID}"):
        connector(boards=(BOARD_ID,)).fetch()


def test_missing_credentials() -> None:
    with pytest.raises(AuthError, match="no API key or token configured"):
        connector(key=None).check()


@responses.activate
def test_token_rate_limit_waits_the_10_second_window() -> None:
    waits: list[float] = []
    src = source(boards=(BOARD_ID,))
    conn = make_connector(src, make_http(src, sleep=waits.append, rate_limits=False))
    responses.get(f"{URL}/boards/{BOARD_ID}", status=429, json=load("error_429_token_limit.json"))
    register_board(responses.mock)
    snap = conn.fetch()
    assert waits == [10.0]
    assert snap.requests == 3 and len(snap.tasks) == 6


@responses.activate
def test_rate_limit_that_never_ends_gives_up() -> None:
    responses.get(f"{URL}/boards/{BOARD_ID}", status=429, json=load("error_429_token_limit.json"))
    with pytest.raises(RetryableError) as err:
        connector(boards=(BOARD_ID,)).fetch()
    assert "API_TOKEN_LIMIT_EXCEEDED" in str(err.value)
    assert TOKEN not in str(err.value) and KEY not in str(err.value)


@responses.activate
def test_truncated_json_is_a_response_error() -> None:
    responses.get(f"{URL}/boards/{BOARD_ID}", json=load("board.json"))
    responses.get(
        f"{URL}/boards/{BOARD_ID}/cards",
        body='[{"id": "6720b1c4a1b2',
        content_type="application/json",
    )
    with pytest.raises(ResponseError, match="not valid JSON"):
        connector(boards=(BOARD_ID,)).fetch()


@responses.activate
def test_cards_not_a_list_is_a_response_error() -> None:
    register_board(responses.mock, cards={"cards": []})
    with pytest.raises(
        ResponseError, match="sent cards of board 'Kampagner' as an object instead of a list"
    ):
        connector(boards=(BOARD_ID,)).fetch()


@responses.activate
def test_cards_are_paged_1000_at_a_time() -> None:
    cards = make_cards(2500, 0x67000000)
    pages = [cards[:1000], cards[999:1999], cards[1998:]]  # each page re-reads one boundary card
    responses.get(f"{URL}/boards/{BOARD_ID}", json=load("board.json"))
    for page in pages:
        responses.get(f"{URL}/boards/{BOARD_ID}/cards", json=page)
    snap = connector(boards=(BOARD_ID,)).fetch()
    assert len(snap.tasks) == 2500 == len({t.id for t in snap.tasks})
    assert snap.requests == 4  # board + ceil(2500 / 1000) card pages
    befores = [query(c).get("before") for c in responses.calls[1:]]
    assert befores == [
        None,
        oldest_first_second(c["id"] for c in pages[0]),
        oldest_first_second(c["id"] for c in pages[1]),
    ]


@responses.activate
def test_exactly_1000_cards_cost_one_confirming_page() -> None:
    cards = make_cards(1000, 0x67000000)
    responses.get(f"{URL}/boards/{BOARD_ID}", json=load("board.json"))
    responses.get(f"{URL}/boards/{BOARD_ID}/cards", json=cards)
    responses.get(f"{URL}/boards/{BOARD_ID}/cards", json=cards[-1:])
    snap = connector(boards=(BOARD_ID,)).fetch()
    assert (len(snap.tasks), snap.requests) == (1000, 3)


@responses.activate
def test_same_second_cards_are_not_skipped() -> None:
    """Cards of the oldest card's second that did not fit on a page come back on the next."""
    cards = make_cards(1003, 0x67000000, per_second=5)  # the page ends inside one second
    responses.get(f"{URL}/boards/{BOARD_ID}", json=load("board.json"))
    responses.get(f"{URL}/boards/{BOARD_ID}/cards", json=cards[:1000])
    boundary = int(cards[999]["id"][:8], 16)
    responses.get(
        f"{URL}/boards/{BOARD_ID}/cards",
        json=[c for c in cards if int(c["id"][:8], 16) <= boundary],
    )
    snap = connector(boards=(BOARD_ID,)).fetch()
    assert len(snap.tasks) == 1003


@responses.activate
def test_a_page_that_brings_nothing_new_stops_with_an_error() -> None:
    cards = make_cards(1000, 0x67000000, per_second=1000)
    responses.get(f"{URL}/boards/{BOARD_ID}", json=load("board.json"))
    responses.get(f"{URL}/boards/{BOARD_ID}/cards", json=cards)
    with pytest.raises(SourceError, match="more than 1000 cards created within one second"):
        connector(boards=(BOARD_ID,)).fetch()


@responses.activate
def test_check_names_the_tokens_user() -> None:
    responses.get(f"{URL}/members/me", json=load("members_me.json"))
    assert connector().check() == "Alice Andersen (@aliceandersen)"
    assert query(responses.calls[0])["fields"] == "username,fullName"


@responses.activate
def test_check_with_an_invalid_key() -> None:
    responses.get(f"{URL}/members/me", status=401, body="invalid key", content_type="text/plain")
    with pytest.raises(AuthError, match=r"\(401: invalid key\)"):
        connector().check()


@responses.activate
def test_base_url_is_configurable() -> None:
    proxy = "http://localhost:8080/trello/1"
    responses.get(f"{proxy}/members/me", json=load("members_me.json"))
    assert connector(base_url=proxy).check().startswith("Alice Andersen")
