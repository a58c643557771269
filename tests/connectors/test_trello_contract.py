"""Trello's part of the contract test: requests and recorded bodies against the vendor spec.

Every request the connector makes in its scenarios (names and ids, omitted boards, paging,
``check()``, the demo) must hit a path of ``trello_openapi.json`` with query parameters that
the operation, its security schemes, or Atlassian's guides for the spec's known gaps allow;
every ``fields``-like value must name fields the spec knows (a board's or a card's ``fields``:
items of the BoardFields / CardFields enum), beyond exactly the departures PRODUCT §12 allows
(board ``dateLastActivity``; card ``start``, ``isTemplate``, ``cardRole``; the card listing's
parameters), and never ``fields=all``. Every fixture and recorded body must have the spec's
shape (types, patterns, enums of the properties it has).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import responses

from raci_sync.config import Secret, SourceConfig
from raci_sync.connectors.base import make_connector, make_http
from raci_sync.demo.replay import Cassette, HandlerAdapter, Replay
from tests.connectors.contract import ConnectorContract
from tests.fakes import trello as fake_trello
from tests.fakes import trello_fixtures as t
from tests.fakes.world import World, tool_world
from tests.fakes.writes import Scenario, Sent, write_scenario
from tests.specs import spec_path

REPO = Path(__file__).resolve().parents[2]
RECORDING = REPO / "src" / "raci_sync" / "demo" / "recordings" / "trello.json"
# Query parameters the spec does not list for an operation: the nested-resource sub-parameters
# of /boards/{id} that Atlassian's guide "Understanding Nested Resources" documents, and the
# card listing's parameters — the spec documents none for /boards/{id}/cards; PRODUCT §12
# allows exactly these (see specs/trello/SOURCE.md).
DOCUMENTED_EXTRAS = {
    "/boards/{id}": {"list_fields", "member_fields", "label_fields", "labels_limit"},
    "/boards/{id}/cards": {"filter", "fields", "customFieldItems", "limit", "before", "since"},
}
# PRODUCT §12 "Allowed departures" (each from research/api-facts.md §6): field names the live
# API accepts that the spec's BoardFields / CardFields enums lack — and nothing else.
BOARD_FIELD_DEPARTURES = {"dateLastActivity"}
CARD_FIELD_DEPARTURES = {"start", "isTemplate", "cardRole"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    with spec_path("trello.openapi.json").open(encoding="utf-8") as f:
        loaded: dict[str, Any] = json.load(f)
    return loaded


def scenario_requests() -> Iterator[str]:
    """The URL of every request the connector makes across its scenarios."""
    with responses.RequestsMock() as rsps:
        t.register_workspace(rsps)
        t.connector().fetch()
        t.register_board(rsps, t.OTHER_ID, cards=[])
        t.connector(boards=None).fetch()
        t.connector(boards=(t.BOARD_ID,)).fetch()
        rsps.get(f"{t.URL}/members/me", json=t.load("members_me.json"))
        t.connector().check()
        yield from (c.request.url for c in rsps.calls)
    with responses.RequestsMock() as rsps:
        cards = t.make_cards(1500, 0x67000000)
        rsps.get(f"{t.URL}/boards/{t.BOARD_ID}", json=t.load("board.json"))
        rsps.get(f"{t.URL}/boards/{t.BOARD_ID}/cards", json=cards[:1000])
        rsps.get(f"{t.URL}/boards/{t.BOARD_ID}/cards", json=cards[999:])
        t.connector(boards=(t.BOARD_ID,)).fetch()
        yield from (c.request.url for c in rsps.calls)
    with responses.RequestsMock() as rsps:  # incremental: a board outside the listing is probed
        t.register_board(rsps)
        conn = t.connector(boards=(t.BOARD_ID,))
        first = conn.fetch()
        rsps.get(f"{t.URL}/members/me/boards", json=[])
        conn.fetch(since=first.fetched_at, previous=first)
        probe = dict(parse_qsl(urlsplit(rsps.calls[3].request.url).query))
        assert probe["fields"] == "name,closed,dateLastActivity" and "customFields" not in probe
        yield from (c.request.url for c in rsps.calls)
    yield from demo_requests()


def demo_requests() -> list[str]:
    adapter = HandlerAdapter(Replay([Cassette.load(RECORDING)]))
    src = SourceConfig(name="indhold", kind="trello", key=Secret("k"), token=Secret("t"),
                       boards=("Indhold & SoMe",))  # fmt: skip
    http = make_http(src, mount=lambda s: s.mount("https://api.trello.com/", adapter))
    conn = make_connector(src, http)
    conn.check()
    conn.fetch()
    return [r.url or "" for r in adapter.calls]


def operation(spec: dict[str, Any], path: str) -> tuple[str, dict[str, Any]]:
    """The spec's path template and GET operation (with path-level parameters) for a path."""
    matches = [
        p for p in spec["paths"]
        if re.fullmatch(re.sub(r"\\\{[^/]+\\\}", "[^/]+", re.escape(p)), path)
    ]  # fmt: skip
    fewest = min((m.count("{") for m in matches), default=0)
    matches = [m for m in matches if m.count("{") == fewest]  # the most literal template wins
    assert len(matches) == 1, f"{path}: matches {matches or 'no path'} in trello_openapi.json"
    item = spec["paths"][matches[0]]
    assert "get" in item, f"{matches[0]} has no GET operation in the spec"
    return matches[0], {**item["get"], "parameters": [
        *item.get("parameters", []), *item["get"].get("parameters", [])]}  # fmt: skip


def schema(spec: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = spec["components"]["schemas"][name]
    return found


def resolve(spec: dict[str, Any], s: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in s:
        target = schema(spec, s["$ref"].rsplit("/", 1)[-1])
        s = {**target, "nullable": s.get("nullable", target.get("nullable", False))}
    return s


def allowed_fields(spec: dict[str, Any], template: str, param: str) -> set[str] | None:
    """The field names a ``fields``-like parameter may list, or None if not a field list."""
    props = lambda n: set(schema(spec, n)["properties"])  # noqa: E731
    table = {
        ("/boards/{id}", "fields"): board_fields(spec),
        ("/members/{id}/boards", "fields"): board_fields(spec),
        ("/members/{id}", "fields"): props("Member"),
        ("/boards/{id}", "list_fields"): props("TrelloList"),
        ("/boards/{id}", "member_fields"): props("Member"),
        ("/boards/{id}", "label_fields"): props("Label"),
        ("/boards/{id}/cards", "fields"): set(schema(spec, "CardFields")["enum"])
        | CARD_FIELD_DEPARTURES,
        ("/cards/{id}", "fields"): set(schema(spec, "CardFields")["enum"])  # raci fix
        | CARD_FIELD_DEPARTURES,
    }
    return table.get((template, param))


def board_fields(spec: dict[str, Any]) -> set[str]:
    """The BoardFields enum and the departures §12 allows, nothing else."""
    return set(schema(spec, "BoardFields")["enum"]) | BOARD_FIELD_DEPARTURES


def test_every_request_is_in_the_spec(spec: dict[str, Any]) -> None:
    urls = list(scenario_requests())
    templates = set()
    security = {s["name"] for s in spec["components"]["securitySchemes"].values()}
    for url in urls:
        parts = urlsplit(url)
        assert url.startswith(spec["servers"][0]["url"]) or parts.netloc == "api.trello.com"
        path = parts.path.removeprefix("/1")
        template, op = operation(spec, path)
        templates.add(template)
        params = {p["name"]: p for p in op["parameters"] if p.get("in") == "query"}
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        assert security <= set(query), f"{url}: key and token must be on every request"
        for name, value in query.items():
            assert (
                name in params or name in security or name in DOCUMENTED_EXTRAS.get(template, set())
            ), f"GET {template}: query parameter {name!r} is not in the spec or the guides"
            fields = allowed_fields(spec, template, name)
            if fields is not None:
                unknown = set(value.split(",")) - fields
                assert not unknown, f"GET {template}: {name} lists unknown fields {unknown}"
            elif name in params and (enum := resolve(spec, params[name]["schema"]).get("enum")):
                assert value in enum, f"GET {template}: {name}={value!r} is not one of {enum}"
    assert templates == {
        "/members/{id}", "/members/{id}/boards", "/boards/{id}", "/boards/{id}/cards",
    }  # fmt: skip


def test_board_activity_is_asked_for_by_name(spec: dict[str, Any]) -> None:
    """The listing and the activity probe name the fields they read, ``dateLastActivity`` among
    them (a §12 departure: the Board schema has it, the BoardFields enum does not), never
    ``fields=all``."""
    assert "dateLastActivity" in schema(spec, "Board")["properties"]
    assert "dateLastActivity" not in schema(spec, "BoardFields")["enum"]
    asked = []
    for url in scenario_requests():
        parts = urlsplit(url)
        template, _ = operation(spec, parts.path.removeprefix("/1"))
        query = dict(parse_qsl(parts.query))
        assert query.get("fields") != "all", url
        if template == "/members/{id}/boards" or (
            template == "/boards/{id}" and "customFields" not in query  # the probe
        ):
            assert query["fields"].split(",") == ["name", "closed", "dateLastActivity"], url
            asked.append(template)
    assert set(asked) == {"/members/{id}/boards", "/boards/{id}"}


def test_exactly_the_departures_of_product_12_are_allowed(spec: dict[str, Any]) -> None:
    """Each allowed departure really is one (the spec lacks it), and the connector uses it."""
    card_enum = set(schema(spec, "CardFields")["enum"])
    assert CARD_FIELD_DEPARTURES - card_enum == {"start", "cardRole"}  # isTemplate: in the enum
    assert "cardRole" in schema(spec, "Card")["properties"]
    listing = operation(spec, "/boards/x/cards")[1]["parameters"]
    assert [p for p in listing if p.get("in") == "query"] == []  # the spec documents none
    asked = {
        name
        for url in scenario_requests()
        if urlsplit(url).path.endswith("/cards")
        for f, value in parse_qsl(urlsplit(url).query)
        if f == "fields"
        for name in value.split(",")
    }
    assert asked >= CARD_FIELD_DEPARTURES


def test_paging_parameter_is_an_object_id(spec: dict[str, Any]) -> None:
    pattern = schema(spec, "TrelloID")["pattern"]
    befores = [dict(parse_qsl(urlsplit(u).query)).get("before") for u in scenario_requests()]
    assert [b for b in befores if b], "the scenarios include a second card page"
    assert all(re.fullmatch(pattern, b) for b in befores if b)


# -- bodies against the spec's schemas --------------------------------------------------------


def shape_errors(spec: dict[str, Any], value: Any, s: dict[str, Any], where: str) -> list[str]:
    """Where ``value`` breaks the schema ``s`` (types, patterns, enums of known properties)."""
    s = resolve(spec, s)
    if value is None:
        return [] if s.get("nullable") or not s else [f"{where}: null but not nullable"]
    if "oneOf" in s:
        branches = [shape_errors(spec, value, b, where) for b in s["oneOf"]]
        return [] if any(not b for b in branches) else branches[0]
    kind = s.get("type")
    checks = {
        "string": lambda v: isinstance(v, str),
        "boolean": lambda v: isinstance(v, bool),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "array": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, dict),
    }
    if kind in checks and not checks[kind](value):
        return [f"{where}: {type(value).__name__} where the spec has {kind}"]
    errors = []
    if "enum" in s and value not in s["enum"]:
        errors.append(f"{where}: {value!r} is not one of {s['enum']}")
    if isinstance(value, str) and "pattern" in s and not re.search(s["pattern"], value):
        errors.append(f"{where}: {value!r} does not match {s['pattern']}")
    if isinstance(value, list) and "items" in s:
        for i, item in enumerate(value):
            errors += shape_errors(spec, item, s["items"], f"{where}[{i}]")
    if isinstance(value, dict):
        for key, prop in s.get("properties", {}).items():
            if key in value:
                errors += shape_errors(spec, value[key], prop, f"{where}.{key}")
    return errors


def with_nested(spec: dict[str, Any], name: str, nested: dict[str, str]) -> dict[str, Any]:
    """Schema ``name`` plus the arrays its nested-resource parameters add."""
    base = schema(spec, name)
    extra = {k: {"type": "array", "items": {"$ref": f"#/components/schemas/{v}"}}
             for k, v in nested.items()}  # fmt: skip
    return {**base, "properties": {**base["properties"], **extra}}


def body_schemas(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    board = with_nested(spec, "Board", {"lists": "TrelloList", "members": "Member",
                                        "customFields": "CustomField", "labels": "Label"})  # fmt: skip
    card = with_nested(spec, "Card", {"customFieldItems": "CustomFieldItems"})
    card["properties"] |= {"dueComplete": {"type": "boolean"},
                           "start": {"type": "string", "nullable": True},
                           "isTemplate": {"type": "boolean"}}  # fmt: skip
    return {
        "/members/{id}": {"$ref": "#/components/schemas/Member"},
        "/members/{id}/boards": {"type": "array", "items": {"$ref": "#/components/schemas/Board"}},
        "/boards/{id}": board,
        "/boards/{id}/cards": {"type": "array", "items": card},
    }


FIXTURE_PATHS = {
    "members_me.json": "/members/{id}",
    "members_me_boards.json": "/members/{id}/boards",
    "board.json": "/boards/{id}",
    "cards.json": "/boards/{id}/cards",
}


@pytest.mark.parametrize("name", sorted(FIXTURE_PATHS))
def test_fixture_has_the_spec_shape(spec: dict[str, Any], name: str) -> None:
    s = body_schemas(spec)[FIXTURE_PATHS[name]]
    assert shape_errors(spec, t.load(name), s, name) == []


def test_every_fixture_is_checked() -> None:
    names = {p.name for p in t.FIXTURES.glob("*.json")}
    assert names == {*FIXTURE_PATHS, "error_429_token_limit.json"}


# The body of Trello's per-token 429, as its rate-limit documentation shows it.
DOCUMENTED_429 = {"error": "API_TOKEN_LIMIT_EXCEEDED", "message": "Rate limit exceeded"}


def test_error_body_is_the_documented_one() -> None:
    assert t.load("error_429_token_limit.json") == DOCUMENTED_429


def test_demo_recording_has_the_spec_shape(spec: dict[str, Any]) -> None:
    schemas = body_schemas(spec)
    for it in Cassette.load(RECORDING).interactions:
        template, _ = operation(spec, it["path"])
        errors = shape_errors(spec, it["body"], schemas[template], f"GET {it['path']}")
        assert errors == []


def test_shape_check_catches_a_wrong_type(spec: dict[str, Any]) -> None:
    """The checker itself: a card with a bad id, a string list and a wrong enum fails."""
    card = {**t.load("cards.json")[0], "id": "42", "idMembers": "x", "closed": "no"}
    card["customFieldItems"] = [{"modelType": "list"}]
    errors = shape_errors(spec, [card], body_schemas(spec)["/boards/{id}/cards"], "cards")
    assert len(errors) == 4, errors


# -- raci fix's writes --------------------------------------------------------------------------

# Emptying a custom field on a card: the form Atlassian's guide "Getting started with Custom
# Fields" gives; the spec's request body has no shape for it (an idValue must be a TrelloID).
GUIDE_EMPTYING = ({"idValue": ""}, {"value": ""})


def method_operation(spec: dict[str, Any], method: str, path: str) -> tuple[str, dict[str, Any]]:
    """The spec's path template and operation (with path-level parameters) of a request."""
    matches = [
        p for p in spec["paths"]
        if re.fullmatch(re.sub(r"\\\{[^/]+\\\}", "[^/]+", re.escape(p)), path)
    ]  # fmt: skip
    fewest = min((m.count("{") for m in matches), default=0)
    matches = [m for m in matches if m.count("{") == fewest]
    assert len(matches) == 1, f"{method} {path}: matches {matches or 'no path'} in the spec"
    item = spec["paths"][matches[0]]
    assert method.lower() in item, f"{method} {matches[0]}: no such operation in the spec"
    op = item[method.lower()]
    return matches[0], {**op, "parameters": [*item.get("parameters", []),
                                              *op.get("parameters", [])]}  # fmt: skip


def write_problems(spec: dict[str, Any], sent: Sent) -> list[str]:
    """A request of raci fix against its operation: path and method, declared query
    parameters (path ids and ``value`` TrelloIDs, ``fields`` of the card's enum and §12's
    departures), and the body against the request body's schema (or the guide's emptying)."""
    template, op = method_operation(spec, sent.method, sent.path)
    where = f"{sent.method} {template}"
    declared = {p["name"]: p for p in op["parameters"] if p["in"] == "query"}
    extras = DOCUMENTED_EXTRAS.get(template, set())
    problems = [f"{where}: query parameter {k!r} is not in the spec"
                for k in sent.query if k not in declared and k not in extras]  # fmt: skip
    pattern = schema(spec, "TrelloID")["pattern"]
    ids = [v for k, v in sent.query.items() if k == "value"]
    ids += [part for part in sent.path.split("/")[2::2] if part]  # /cards/{id}/…/{idMember}
    problems += [f"{where}: {i!r} is no TrelloID" for i in ids if not re.fullmatch(pattern, i)]
    for name, value in sent.query.items():
        fields = allowed_fields(spec, template, name)
        unknown = set(value.split(",")) - fields if fields is not None else set()
        problems += [f"{where}: {name} {sorted(unknown)} are no fields there"] if unknown else []
    body_schema = op.get("requestBody", {}).get("content", {}).get("application/json")
    if body_schema is None:
        return problems + ([f"{where}: a body the spec has none for"] if sent.body else [])
    if sent.body in GUIDE_EMPTYING:
        return problems
    branches = body_schema["schema"].get("oneOf", [body_schema["schema"]])
    fits = [b for b in branches
            if not unknown_keys(spec, sent.body, b) and not shape_errors(spec, sent.body, b, where)]  # fmt: skip
    return problems + ([] if sent.body and fits else [f"{where}: body {sent.body!r}"])


def unknown_keys(spec: dict[str, Any], value: Any, s: dict[str, Any]) -> list[str]:
    """Keys of a request body (at any depth) that its schema has no property for."""
    s = resolve(spec, s)
    if not isinstance(value, dict) or "properties" not in s:
        return []
    props = s["properties"]
    return [k for k in value if k not in props] + [
        u for k, v in value.items() if k in props for u in unknown_keys(spec, v, props[k])
    ]


@pytest.fixture(scope="module")
def writes() -> Scenario:
    return write_scenario("trello")


@pytest.fixture(scope="module")
def text_writes() -> Scenario:
    """The Accountable field a text field naming the person, not a dropdown."""
    return write_scenario("trello", accountable="text")


def test_every_write_request_is_in_the_spec(
    spec: dict[str, Any], writes: Scenario, text_writes: Scenario
) -> None:
    sent = writes.sent + text_writes.sent
    assert [p for s in sent for p in write_problems(spec, s)] == []
    assert {(s.method, method_operation(spec, s.method, s.path)[0]) for s in sent} == {
        ("GET", "/cards/{id}"),
        ("GET", "/boards/{id}"),
        ("POST", "/cards/{id}/idMembers"),
        ("DELETE", "/cards/{id}/idMembers/{idMember}"),
        ("PUT", "/cards/{idCard}/customField/{idCustomField}/item"),
    }
    bodies = [s.body for s in sent if s.method == "PUT"]
    assert any("idValue" in b and b["idValue"] for b in bodies)  # a dropdown's option
    assert any(isinstance(b.get("value"), dict) for b in bodies)  # a text field's name
    assert writes.violations["trello"] == text_writes.violations["trello"] == []


def test_the_write_checker_catches_what_the_spec_forbids(spec: dict[str, Any]) -> None:
    card, field = "5" * 24, "6" * 24
    bad = [
        Sent("POST", f"/cards/{card}/idMembers", {"value": "mette", "pos": "top"}, None),
        Sent("PUT", f"/cards/{card}/customField/{field}/item", {}, {"idValue": "Mette"}),
        Sent("PUT", f"/cards/{card}/customField/{field}/item", {}, {"value": {"txt": "M"}}),
        Sent("GET", f"/cards/{card}", {"fields": "name,owner"}, None),
    ]
    problems = "\n".join(p for s in bad for p in write_problems(spec, s))
    for expected in ("'mette' is no TrelloID", "'pos' is not in the spec", "{'idValue': 'Mette'}",
                     "{'value': {'txt': 'M'}}", "fields ['owner']"):  # fmt: skip
        assert expected in problems
    with pytest.raises(AssertionError, match="no such operation"):
        write_problems(spec, Sent("PATCH", f"/cards/{card}", {}, None))


def test_a_read_only_token_is_told_which_scope_to_authorize(writes: Scenario) -> None:
    assert "401: unauthorized permission requested" in writes.refusal
    assert "scope=read,write" in writes.refusal and "Nothing was changed" in writes.refusal
    assert fake_trello.KEY not in writes.refusal and fake_trello.TOKEN not in writes.refusal


class TestTrelloContract(ConnectorContract):
    """The connector contract (tests/connectors/contract.py) against the spec-built fake
    Trello of tests/fakes."""

    kind = "trello"

    def world(self, size: str) -> World:
        return tool_world(self.kind, size)
