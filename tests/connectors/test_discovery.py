"""``discover()`` and ``discover_details()`` of the three connectors (``raci init``), against the
spec-built fakes: what the token sees, the ref that names each container (its name, or its id
where the name would not find it alone), each chosen container's fields and its people — and
not one request the vendor's spec does not have."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from raci_sync.config import Secret, SourceConfig
from raci_sync.connectors import KINDS
from raci_sync.connectors.base import make_connector, make_http
from raci_sync.connectors.discovery import Discoverable
from tests.fakes import asana, monday, trello
from tests.fakes.server import FakeServer
from tests.fakes.workspace import Workspace, generate

TOOLS = ("trello", "asana", "monday")


def secrets(kind: str) -> dict[str, Secret]:
    if kind == "trello":
        return {"key": Secret(trello.KEY), "token": Secret(trello.TOKEN)}
    return {"token": Secret(asana.TOKEN if kind == "asana" else monday.TOKEN)}


@pytest.fixture
def ws() -> Workspace:
    ws = generate(20, containers=4, people=5, seed=4)
    for tool in TOOLS:
        boxes = ws.tools[tool].containers
        boxes[1].name = boxes[0].name.upper()  # two of one name (case folded): ids for both
        # a name that reads as an id is named by its id (a Trello id is 24 hex digits)
        boxes[2].name = "5f0c0ffee0c0ffee0c0ffee0" if tool == "trello" else "2027"
    return ws


@pytest.fixture
def server(ws: Workspace) -> Iterator[FakeServer]:
    with FakeServer(ws, monday={"fast": True}) as srv:
        yield srv


def connector(server: FakeServer, kind: str) -> Discoverable:
    source = SourceConfig(name="x", kind=kind, base_url=server.base_urls[kind], **secrets(kind))
    found = make_connector(source, make_http(source, rate_limits=False))
    assert isinstance(found, Discoverable)
    return found


@pytest.mark.parametrize("kind", TOOLS)
def test_discover_lists_what_the_token_sees_named_so_the_scope_finds_it(
    server: FakeServer, ws: Workspace, kind: str
) -> None:
    found = connector(server, kind).discover()
    assert ws.people[ws.me].name in found.who
    assert found.scope_key == f"{KINDS[kind].container}s"
    boxes = ws.tools[kind].containers
    assert [c.id for c in found.containers] == [c.id for c in boxes]
    refs = [c.ref for c in found.containers]
    assert refs == [boxes[0].id, boxes[1].id, boxes[2].id, boxes[3].name]
    assert not any(server.violations.values()), server.violations


@pytest.mark.parametrize("kind", TOOLS)
def test_the_refs_resolve_to_the_containers_through_the_connectors_own_scope(
    server: FakeServer, kind: str
) -> None:
    """What init writes is what a sync resolves: each ref finds its container alone."""
    found = connector(server, kind).discover()
    scope = {found.scope_key: tuple(c.ref for c in found.containers)}
    space = found.containers[0].space
    if space is not None:
        scope[space.key] = space.ref  # type: ignore[assignment]
    source = SourceConfig(
        name="x", kind=kind, base_url=server.base_urls[kind], **secrets(kind), **scope
    )
    report = make_connector(source, make_http(source, rate_limits=False)).check_scope()
    assert report.problems == ()
    assert len(report.containers) == len(found.containers)


@pytest.mark.parametrize("kind", TOOLS)
def test_details_give_the_fields_and_people_of_the_chosen_containers(
    server: FakeServer, ws: Workspace, kind: str
) -> None:
    discoverable = connector(server, kind)
    chosen = discoverable.discover().containers[2:]
    details = discoverable.discover_details(chosen)
    assert set(details.fields) == {c.id for c in chosen}
    for defs in details.fields.values():
        names = {d.name for d in defs}
        assert {"Accountable", "Consulted", "Timer"} <= names
        assert any(d.name == "Timer" and d.type.startswith("number") for d in defs)
    by_id = {a.id: a for a in details.people}
    for person in ws.people:
        account = by_id[person.account(kind)]
        assert account.name == person.name
        if kind == "trello":
            assert account.username == person.username and account.email is None
        else:
            assert account.email == person.email
    assert not any(server.violations.values()), server.violations
