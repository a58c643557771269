"""The Asana connector against Asana's OpenAPI spec (its extract ``specs/asana.openapi.json``).

Every request the connector makes in the scenarios below (full reads, incremental reads with
changes, subtasks and a user directory re-read, checks of the token and of the scope, the demo's
full and incremental replay)
must name a path and method of the spec, send every required and only declared query parameters,
with integers in range and date-times parseable, and ask only for ``opt_fields`` in that
operation's enum. Every recorded body (test fixtures and the demo recording) must have the
shape the spec gives: known field names, the declared types, nesting and enums.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import responses
from pytest_httpserver import HTTPServer

from raci_sync.config import Secret, SourceConfig
from raci_sync.connectors.asana.client import DEFAULT_BASE_URL
from raci_sync.connectors.asana.queries import PAGE_SIZE, WRITE_SCOPE
from raci_sync.connectors.base import make_connector, make_http
from raci_sync.demo.replay import Cassette, Replay, mount_handler, request_parts
from tests.connectors.contract import ConnectorContract
from tests.fakes.asana import AsanaSpec, asana_spec
from tests.fakes.asana_fixtures import (
    FIXTURES,
    FREJA,
    P1,
    SINCE,
    T2,
    T6,
    WS,
    AsanaStub,
    FakeAsana,
    connector,
    full_workspace,
    server_connector,
)
from tests.fakes.world import World, tool_world
from tests.fakes.writes import Scenario, Sent, write_scenario
from tests.specs import spec_path

RECORDING = (
    Path(__file__).resolve().parents[2] / "src" / "raci_sync" / "demo" / "recordings" / "asana.json"
)
Request = tuple[str, str, dict[str, str]]  # method, path below the base URL, query


Spec = AsanaSpec  # the fakes' spec reader: one parser, loaded once per process


@pytest.fixture(scope="module")
def spec() -> Spec:
    spec_path("asana.openapi.json")  # fails (never skips) with a clear message if missing
    return asana_spec()


# -- the requests -------------------------------------------------------------------------------


def request_problems(spec: Spec, method: str, path: str, query: dict[str, str]) -> list[str]:
    """Everything about one request that the spec does not allow."""
    template, _, _ = spec.operation(method, path)
    where = f"{method} {template}"
    allowed = spec.query_params(template, method)
    problems = [
        f"{where}: query parameter {k!r} is not in the spec" for k in query if k not in allowed
    ]
    problems += [
        f"{where}: required parameter {n!r} missing"
        for n, p in allowed.items()
        if p.get("required") and n not in query
    ]
    for name, value in query.items():
        schema = spec.resolve(allowed.get(name, {}).get("schema", {}))
        if name == "opt_fields":
            enum = set(schema["items"]["enum"])
            problems += [
                f"{where}: opt_fields entry {f!r} is not in the operation's enum"
                for f in value.split(",")
                if f not in enum
            ]
        elif schema.get("type") == "integer":
            lo, hi = schema.get("minimum", -(10**9)), schema.get("maximum", 10**9)
            if not (value.isdigit() and lo <= int(value) <= hi):
                problems.append(f"{where}: {name}={value} outside {lo}..{hi}")
        elif schema.get("type") == "boolean" and value not in ("true", "false"):
            problems.append(f"{where}: {name}={value} is not a boolean")
        elif schema.get("format") == "date-time" and not is_moment(value):
            problems.append(f"{where}: {name}={value} is not a date-time")
    return problems


def is_moment(value: str) -> bool:
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def scenario_requests() -> Iterator[Request]:
    """Every request the connector makes across the fetch and check scenarios."""
    scenarios: list[Callable[[], Any]] = [
        lambda: connector().fetch(),  # workspace by name, every project (archived=false)
        lambda: connector(workspace=WS, projects=("Analyse & Rapportering", P1)).fetch(),
        lambda: connector().check(),
        lambda: connector().check_scope(),
    ]
    for run in scenarios:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            stub = full_workspace(AsanaStub(rsps))
            run()
        yield from (("GET", path, query) for path, query in stub.seen)


def incremental_requests(server: HTTPServer) -> list[Request]:
    """Every request of a full read and of incremental reads: unchanged, then with a changed
    task that has subtasks, a new task and an assignee the directory has to be read for."""
    fake = FakeAsana(server)
    conn = server_connector(fake)
    previous = conn.fetch(SINCE, conn.fetch())
    fake.users.append({"gid": "1201987650000016", "name": "Mads Jensen", "email": "m@n.dk"})
    fake.change(T2, assignee={"gid": "1201987650000016", "name": "Mads Jensen"})
    fake.create("1208421907315507", like=T6, assignee={"gid": FREJA, "name": "Freja"})
    conn.fetch(datetime(2026, 12, 5, tzinfo=UTC), previous)
    paths = [p for p, _ in fake.seen]
    assert {"/tasks", "/users", f"/tasks/{T2}/subtasks"} <= set(paths[paths.index("/tasks") :])
    return [("GET", path, query) for path, query in fake.seen]


def demo_requests() -> tuple[list[Request], Replay]:
    """Every request a fetch and a check make against the demo recording."""
    replay = Replay([Cassette.load(RECORDING)])
    seen: list[Request] = []

    def handler(request: requests.PreparedRequest) -> Any:
        method, path, query, _ = request_parts(request)
        seen.append((method, path.removeprefix(urlsplit(DEFAULT_BASE_URL).path), query))
        return replay(request)

    source = SourceConfig(
        name="kampagner",
        kind="asana",
        token=Secret("demo"),
        workspace="Nordlys Kaffe",
        projects=("Kampagne Q1 2027", "Analyse & Rapportering"),
    )
    http = make_http(source, mount=mount_handler(handler, ["https://app.asana.com/"]))
    conn = make_connector(source, http)
    conn.check()
    conn.check_scope()
    full = conn.fetch()
    conn.fetch(full.fetched_at, full)
    return seen, replay


def test_every_request_is_in_the_spec(spec: Spec, httpserver: HTTPServer) -> None:
    seen = list(scenario_requests()) + incremental_requests(httpserver)
    demo, replay = demo_requests()
    assert not replay.misses
    problems = [p for m, path, q in seen + demo for p in request_problems(spec, m, path, q)]
    assert problems == []
    operations = {(m, spec.template(p)) for m, p, _ in seen + demo}
    assert operations == {
        ("GET", "/users/{user_gid}"),
        ("GET", "/workspaces"),
        ("GET", "/projects"),
        ("GET", "/users"),
        ("GET", "/projects/{project_gid}/tasks"),
        ("GET", "/projects/{project_gid}/custom_field_settings"),
        ("GET", "/projects/{project_gid}/task_counts"),
        ("GET", "/tasks"),
        ("GET", "/tasks/{task_gid}/subtasks"),
    }


def test_every_list_request_asks_for_full_pages(spec: Spec, httpserver: HTTPServer) -> None:
    for method, path, query in [*scenario_requests(), *incremental_requests(httpserver)]:
        template, _, _ = spec.operation(method, path)
        if "limit" in spec.query_params(template, method):
            assert query.get("limit") == str(PAGE_SIZE), f"{path} without limit={PAGE_SIZE}"


def test_the_checker_catches_what_the_spec_forbids(spec: Spec) -> None:
    bad = request_problems(
        spec,
        "GET",
        f"/projects/{P1}/tasks",
        {"limit": "500", "opt_fields": "name,assignee.email", "project": P1},
    )
    assert any("'project' is not in the spec" in p for p in bad)
    assert any("'assignee.email'" in p for p in bad)
    assert any("limit=500" in p for p in bad)
    bad = request_problems(
        spec,
        "GET",
        "/tasks",
        {"project": P1, "modified_since": "yesterday", "opt_fields": "name"},
    )
    assert any("modified_since=yesterday is not a date-time" in p for p in bad)
    assert (
        request_problems(
            spec, "GET", "/tasks", {"project": P1, "modified_since": "2026-12-05T11:59:00.000Z"}
        )
        == []
    )
    with pytest.raises(AssertionError, match="no such path"):
        request_problems(spec, "GET", "/projects/1/cards", {})


# -- the bodies ---------------------------------------------------------------------------------


def shape_problems(spec: Spec, schema: Any, value: Any, where: str) -> list[str]:
    """How ``value`` departs from ``schema``: unknown keys, wrong types, values not in an enum."""
    s = flatten(spec, schema)
    if value is None:
        return [] if s["nullable"] or not s["type"] else [f"{where}: null but not nullable"]
    kind = s["type"] or ("object" if s["properties"] else None)
    checks: dict[str, Callable[[Any], bool]] = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "array": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, dict),
    }
    if kind and not checks[kind](value):
        return [f"{where}: {value!r:.40} is not a {kind}"]
    if kind == "string":
        return string_problems(s, value, where)
    if kind == "array":
        return [
            p
            for i, v in enumerate(value)
            for p in shape_problems(spec, s["items"], v, f"{where}[{i}]")
        ]
    if kind == "object":
        out = [f"{where}: unknown field {k!r}" for k in value if k not in s["properties"]]
        for k, v in value.items():
            if k in s["properties"]:
                out += shape_problems(spec, s["properties"][k], v, f"{where}.{k}")
        return out
    return []


def string_problems(s: dict[str, Any], value: str, where: str) -> list[str]:
    if s["enum"] and value not in s["enum"]:
        return [f"{where}: {value!r} not one of {s['enum']}"]
    parse = {"date": date.fromisoformat, "date-time": datetime.fromisoformat}.get(s["format"])
    try:
        if parse:
            parse(value)
    except ValueError:
        return [f"{where}: {value!r} is not a {s['format']}"]
    return []


def flatten(spec: Spec, schema: Any) -> dict[str, Any]:
    """A schema with its $refs and allOf parts merged into one flat description."""
    schema = spec.resolve(schema)
    out: dict[str, Any] = {
        "type": schema.get("type"),
        "nullable": bool(schema.get("nullable")),
        "properties": dict(schema.get("properties", {})),
        "items": schema.get("items"),
        "enum": schema.get("enum"),
        "format": schema.get("format"),
    }
    for part in schema.get("allOf", []):
        sub = flatten(spec, part)
        out["properties"].update(sub["properties"])
        out["nullable"] = out["nullable"] or sub["nullable"]
        for key in ("type", "items", "enum", "format"):
            out[key] = out[key] or sub[key]
    return out


def response_schema(spec: Spec, method: str, path: str, status: int) -> Any:
    """The body schema of an answer; list items are the full *Response schema, because
    ``opt_fields`` may ask for any field of it (the spec lists only the compact form)."""
    if status >= 400:
        return {"$ref": "#/components/schemas/ErrorResponse"}
    _, _, op = spec.operation(method, path)
    schema = spec.resolve(op["responses"]["200"])["content"]["application/json"]["schema"]
    props = dict(flatten(spec, schema)["properties"])
    data = spec.resolve(props["data"])
    ref = (data.get("items") or data).get("$ref", "")
    full = ref.replace("Compact", "Response")
    if ref.endswith("Compact") and full.rsplit("/", 1)[1] in spec.doc["components"]["schemas"]:
        full_ref = {"$ref": full}
        props["data"] = {"type": "array", "items": full_ref} if "items" in data else full_ref
    return {"type": "object", "properties": props}


FIXTURE_PATHS = {  # fixture file → the request it answers
    "workspaces": "/workspaces",
    "projects": "/projects",
    "users_page1": "/users",
    "users_page2": "/users",
    "user_me": "/users/me",
    "tasks_kampagne_page1": f"/projects/{P1}/tasks",
    "tasks_kampagne_page2": f"/projects/{P1}/tasks",
    "tasks_analyse": f"/projects/{P1}/tasks",
    "subtasks_video": "/tasks/1/subtasks",
    "subtasks_manuskript": "/tasks/1/subtasks",
    "field_settings_kampagne": f"/projects/{P1}/custom_field_settings",
    "field_settings_analyse": f"/projects/{P1}/custom_field_settings",
    "task_counts_kampagne": f"/projects/{P1}/task_counts",
    "task_counts_analyse": f"/projects/{P1}/task_counts",
}


@pytest.mark.parametrize("name", sorted(p.stem for p in FIXTURES.glob("*.json")))
def test_fixture_has_the_shape_the_spec_gives(spec: Spec, name: str) -> None:
    body = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    status = 400 if name.startswith("error_") else 200
    path = FIXTURE_PATHS.get(name, "/workspaces")
    assert name.startswith("error_") or name in FIXTURE_PATHS, f"map {name} to its request"
    assert shape_problems(spec, response_schema(spec, "GET", path, status), body, name) == []


def test_demo_recording_has_the_shape_the_spec_gives(spec: Spec) -> None:
    cassette = Cassette.load(RECORDING)
    assert cassette.base_url == DEFAULT_BASE_URL
    problems = []
    for it in cassette.interactions:
        schema = response_schema(spec, it["method"], it["path"], it["status"])
        problems += shape_problems(spec, schema, it["body"], f"{it['method']} {it['path']}")
    assert problems == []


def test_the_shape_checker_catches_wrong_bodies(spec: Spec) -> None:
    schema = response_schema(spec, "GET", f"/projects/{P1}/tasks", 200)
    bad = {
        "data": [
            {
                "gid": 1,
                "nmae": "x",
                "completed": "no",
                "due_on": "12/11",
                "custom_fields": [{"gid": "1", "resource_subtype": "person"}],
            }
        ]
    }
    problems = "\n".join(shape_problems(spec, schema, bad, "body"))
    for expected in (
        "data[0].gid: 1 is not a string",
        "unknown field 'nmae'",
        "completed: 'no' is not a boolean",
        "'12/11' is not a date",
        "'person' not one of",
    ):
        assert expected in problems


# -- raci fix's writes --------------------------------------------------------------------------


def write_problems(spec: Spec, sent: Sent) -> list[str]:
    """A request of raci fix against its operation: path, method, query, and the body's fields
    (``{"data": …}`` holding only writable properties of the request schema, of their types;
    ``custom_fields`` values as the spec's description allows: a people field's an array of
    user gids, a text field's a string)."""
    problems = request_problems(spec, sent.method, sent.path, sent.query)
    if sent.method == "GET":
        return problems + ([f"GET {sent.path}: a body"] if sent.body else [])
    template, _, _ = spec.operation(sent.method, sent.path)
    where = f"{sent.method} {template}"
    body = sent.body
    if not isinstance(body, dict) or set(body) != {"data"} or not isinstance(body["data"], dict):
        return [*problems, f"{where}: the body {body!r} is not {{'data': {{…}}}}"]
    props = spec.body_properties(template, sent.method)
    for key, value in body["data"].items():
        prop = spec.resolve(props.get(key, {}))
        if key not in props or prop.get("readOnly"):
            problems.append(f"{where}: data.{key} is no writable property of the request")
        elif key == "custom_fields":
            ok = isinstance(value, dict) and prop.get("type") == "object"
            ok = ok and all(
                isinstance(v, str) or (isinstance(v, list) and all(isinstance(g, str) for g in v))
                for v in value.values()
            )
            problems += [] if ok else [f"{where}: data.custom_fields = {value!r}"]
        elif prop.get("type") == "string" and not (
            isinstance(value, str) or (value is None and prop.get("nullable"))
        ):
            problems.append(f"{where}: data.{key} = {value!r} is not a string")
    return problems


@pytest.fixture(scope="module")
def writes() -> Scenario:
    return write_scenario("asana")


def test_every_write_request_is_in_the_spec(spec: Spec, writes: Scenario) -> None:
    assert [p for sent in writes.sent for p in write_problems(spec, sent)] == []
    assert {(s.method, spec.template(s.path)) for s in writes.sent} == {
        ("GET", "/tasks/{task_gid}"),
        ("PUT", "/tasks/{task_gid}"),
    }
    bodies = [s.body["data"] for s in writes.sent if s.method == "PUT"]
    assert any("assignee" in b for b in bodies) and any("custom_fields" in b for b in bodies)
    assert writes.violations["asana"] == []


def test_the_write_checker_catches_what_the_spec_forbids(spec: Spec) -> None:
    bad = Sent(
        "PUT",
        "/tasks/1",
        {"opt_fields": "name,assignee.email"},
        {"data": {"gid": "2", "assignee": 5, "followers": ["1"], "custom_fields": {"3": [4]}}},
    )
    problems = "\n".join(write_problems(spec, bad))
    for expected in (
        "'assignee.email'",
        "data.gid is no writable property",
        "data.assignee = 5 is not a string",
        "data.followers is no writable property",
        "data.custom_fields = {'3': [4]}",
    ):
        assert expected in problems
    assert write_problems(spec, Sent("PUT", "/tasks/1", {}, {"name": "x"}))


def test_a_refused_write_names_the_scope_the_spec_declares(spec: Spec, writes: Scenario) -> None:
    _, _, op = spec.operation("PUT", "/tasks/1")
    assert WRITE_SCOPE in {scope for s in op["security"] for scope in s.get("oauth2", [])}
    assert "403" in writes.refusal and repr(WRITE_SCOPE) in writes.refusal
    assert "Nothing was changed" in writes.refusal


class TestAsanaContract(ConnectorContract):
    """The connector contract (tests/connectors/contract.py) against the spec-built fake
    Asana of tests/fakes."""

    kind = "asana"

    def world(self, size: str) -> World:
        return tool_world(self.kind, size)
