"""monday's part of the contract: every query the connector defines or sends validates against
the pinned GraphQL SDL (API-Version 2026-10), and every recorded body has the shape the SDL
gives for its query.

``assert_valid_request`` (tests/fakes/monday_fixtures.py) checks every request test_monday.py
sends, and the local fake server of tests/fakes/monday_local.py validates every query and its
variables it receives (a test fails when one does not validate).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from graphql import (
    GraphQLSchema,
    build_schema,
    graphql_sync,
    parse,
    validate,
)

from raci_sync.connectors.monday.client import DEFAULT_BASE_URL
from raci_sync.connectors.monday.queries import QUERIES, WRITES
from raci_sync.connectors.monday.writes import WRITE_SCOPE
from tests.connectors.contract import ConnectorContract
from tests.fakes.monday import CURRENT, monday_schema, query_errors
from tests.fakes.world import World, tool_world
from tests.fakes.writes import Scenario, write_scenario
from tests.specs import spec_path

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "monday"
RECORDING = REPO / "src" / "raci_sync" / "demo" / "recordings" / "monday.json"

# concrete ColumnValue type per column type, to check fragments on recorded bodies
VALUE_TYPES = {
    "people": "PeopleValue",
    "status": "StatusValue",
    "date": "DateValue",
    "timeline": "TimelineValue",
    "numbers": "NumbersValue",
    "text": "TextValue",
    "long_text": "LongTextValue",
    "tags": "TagsValue",
    "dropdown": "DropdownValue",
    "subtasks": "SubtasksValue",
}

FIXTURE_QUERIES = {
    "me.json": ("Me", {}),
    "boards_list.json": ("ListBoards", {"limit": 500, "page": 1}),
    "directory.json": ("Directory", {"limit": 1000, "page": 1}),
    "board_items.json": ("BoardItems", {"boardId": "4471203958", "limit": 500}),
    "board_empty.json": ("BoardItems", {"boardId": "4471203958", "limit": 500}),
    "next_items.json": ("NextItems", {"cursor": "MSw0", "limit": 500}),
}


def schema() -> GraphQLSchema:
    """The pinned SDL (2026-10), built once per process by the fakes' reader."""
    spec_path("monday-2026-10.graphql")  # fails (never skips) with a clear message if missing
    return monday_schema(CURRENT)


def test_the_pinned_version_is_the_current_one() -> None:
    from raci_sync.connectors.monday import KIND

    assert KIND.defaults["api_version"] == CURRENT == "2026-10"


def _type_of(value: Any, info: Any, abstract: Any) -> str:
    return VALUE_TYPES.get(value.get("type"), "TextValue")


def _by_response_key(source: Any, info: Any, **args: Any) -> Any:
    """A recorded body is keyed by response key, so an aliased field reads its alias."""
    return source.get(info.path.key) if isinstance(source, dict) else None


def assert_conforms(query: str, variables: dict[str, Any], body: dict[str, Any]) -> None:
    """``body['data']`` is exactly what the SDL lets this query return: re-executing the query
    over the recorded data must reproduce it (field names, nesting, types, non-null)."""
    result = graphql_sync(
        schema(),
        query,
        root_value=body["data"],
        variable_values=variables,
        type_resolver=_type_of,
        field_resolver=_by_response_key,
    )
    assert result.errors is None, result.errors
    assert result.data == body["data"]


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_query_of_the_module_validates(name: str) -> None:
    assert query_errors(QUERIES[name]) == []


@pytest.mark.parametrize("version", ["2026-04", "2026-07"])
def test_the_queries_also_hold_in_the_neighbouring_api_versions(version: str) -> None:
    other = build_schema(spec_path(f"monday-{version}.graphql").read_text("utf-8"))
    for name, text in QUERIES.items():
        assert [e.message for e in validate(other, parse(text))] == [], name


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_query_records_its_complexity(name: str) -> None:
    assert "complexity { query before after reset_in_x_seconds }" in QUERIES[name]


def test_the_item_query_reads_every_value_kind_it_converts() -> None:
    q = QUERIES["BoardItems"]
    for fragment in (
        "PeopleValue { persons_and_teams { id kind } }",
        "StatusValue { label is_done index }",
        "... on BatteryValue { battery_value { key count } }",
        "rollups: column_values(types: [status], capabilities: [CALCULATED])",
        "status_columns: columns(types: [status]) { id settings }",
        "DateValue { date time }",
        "TimelineValue { from to }",
        "NumbersValue { number }",
        "items_page(limit: $limit)",
        "subitems {",
    ):
        assert fragment in q


@pytest.mark.parametrize("name", ["ChangedItems", "ChangedItemsAndSubitems"])
def test_incremental_queries_filter_on_the_server_by_last_update(name: str) -> None:
    """The documented rule (notes §1): compare_attribute is a String, the value a day."""
    q = QUERIES[name]
    rule = (
        '{rules: [{column_id: "__last_updated__", compare_value: $since, '
        'operator: greater_than_or_equals, compare_attribute: "UPDATED_AT"}]}'
    )
    assert q.count(f"items_page(limit: $limit, query_params: {rule})") == q.count("items_page(")
    assert "$since: CompareValue!" in q and "order_by" not in q
    variables = {"boardId": "1", "subitemsBoardId": "2", "limit": 100}
    variables["since"] = ["EXACT", "2026-11-30"]
    declared = {k: v for k, v in variables.items() if f"${k}:" in q}
    for version in ("2026-04", "2026-07", "2026-10"):
        assert query_errors(q, declared, version) == []
    bare = q.replace('compare_attribute: "UPDATED_AT"', "compare_attribute: UPDATED_AT")
    assert query_errors(bare, declared)  # an enum-like value is no String: invalid


def test_items_page_cannot_list_archived_or_deleted_items() -> None:
    """Why deletions need the periodic full read: no state filter on items_page."""
    board_items_page = schema().type_map["Board"].fields["items_page"]  # type: ignore[union-attr]
    assert "state" not in board_items_page.args
    assert "state" not in schema().type_map["ItemsQuery"].fields  # type: ignore[union-attr]
    assert "state" in schema().query_type.fields["boards"].args  # type: ignore[union-attr]


@pytest.mark.parametrize("fixture", sorted(FIXTURE_QUERIES))
def test_recorded_fixture_bodies_have_the_schema_shape(fixture: str) -> None:
    name, variables = FIXTURE_QUERIES[fixture]
    body = json.loads((FIXTURES / fixture).read_text(encoding="utf-8"))
    assert_conforms(QUERIES[name], variables, body)


def test_every_data_fixture_is_checked() -> None:
    data = {p.name for p in FIXTURES.glob("*.json") if not p.name.startswith("error_")}
    assert data == set(FIXTURE_QUERIES)


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.glob("error_*.json")))
def test_error_fixtures_have_the_documented_shape(fixture: str) -> None:
    body = json.loads((FIXTURES / fixture).read_text(encoding="utf-8"))
    if "errors" not in body:  # the pre-2025-01 top-level shape
        assert {"error_code", "error_message", "status_code"} <= set(body)
        return
    for e in body["errors"]:
        assert isinstance(e["message"], str)
        assert isinstance(e["extensions"]["code"], str)


def test_the_demo_recording_has_the_schema_shape_and_valid_requests() -> None:
    data = json.loads(RECORDING.read_text(encoding="utf-8"))
    assert data["base_url"] == DEFAULT_BASE_URL
    by_first_line = {q.strip().splitlines()[0]: q for q in QUERIES.values()}
    assert data["interactions"]
    for it in data["interactions"]:
        query = by_first_line[it["match"]["$query"]]
        variables = it["variables"]  # as sent; ``match`` leaves out the clock-bound ``since``
        assert {k[5:]: v for k, v in it["match"].items() if k.startswith("$var.")}.items() <= (
            variables.items()
        )
        assert query_errors(query, variables) == []
        assert_conforms(query, variables, it["body"])


# -- raci fix's writes --------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(WRITES))
def test_every_write_request_of_the_module_validates(name: str) -> None:
    assert query_errors(WRITES[name]) == []
    for version in ("2026-04", "2026-07"):
        assert query_errors(WRITES[name], version=version) == [], version
    assert "complexity { query before after reset_in_x_seconds }" in WRITES[name]


def test_the_write_is_a_mutation_of_the_people_columns_in_the_sdl() -> None:
    mutation = schema().mutation_type
    assert mutation is not None
    change = mutation.fields["change_multiple_column_values"]
    assert {"board_id", "item_id", "column_values"} <= set(change.args)
    assert str(change.args["column_values"].type) == "JSON!"
    assert WRITES["SetPeople"].lstrip().startswith("mutation SetPeople(")
    assert WRITES["ReadItem"].lstrip().startswith("query ReadItem(")


@pytest.fixture(scope="module")
def writes() -> Scenario:
    return write_scenario("monday")


def test_every_write_request_sent_validates_against_the_pinned_sdl(writes: Scenario) -> None:
    names = []
    for sent in writes.sent:
        assert (sent.method, sent.path) == ("POST", "")
        query, variables = sent.body["query"], sent.body["variables"]
        assert query_errors(query, variables) == [], query.splitlines()[1]
        name = query.split("(", 1)[0].split()[-1]
        names.append(name)
        if name == "SetPeople":
            values = json.loads(variables["values"])  # JSON text, as the docs send it
            for column, value in values.items():
                assert isinstance(column, str)
                assert value is None or (
                    set(value) == {"personsAndTeams"}
                    and all(
                        set(e) == {"id", "kind"}
                        and isinstance(e["id"], int)
                        and e["kind"] == "person"
                        for e in value["personsAndTeams"]
                    )
                )
    assert set(names) == {"ReadItem", "SetPeople"}  # teams came from the snapshot: no directory
    assert writes.violations["monday"] == []


def test_a_refused_write_names_the_permission_and_the_scope(writes: Scenario) -> None:
    assert "UserUnauthorizedException" in writes.refusal
    assert "edit rights on the board" in writes.refusal and repr(WRITE_SCOPE) in writes.refusal


class TestMondayContract(ConnectorContract):
    """The connector contract (tests/connectors/contract.py) against the spec-built fake
    monday.com of tests/fakes."""

    kind = "monday"

    def world(self, size: str) -> World:
        return tool_world(self.kind, size)
