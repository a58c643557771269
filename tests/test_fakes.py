"""The local fakes of the three APIs (tests/fakes) themselves: they page, reject and fail as the
specs and docs say, and the fault hook does what it promises, through ``sync``.

What every connector must do against them (a full read returns exactly the generated workspace,
an unchanged incremental read costs the documented requests, a change is seen, every request
fits the spec) is the connector contract: tests/connectors/contract.py.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from raci_sync.config import Config
from raci_sync.store import Store
from raci_sync.sync import SyncOptions, sync
from tests.fakes import asana as fake_asana
from tests.fakes import trello as fake_trello
from tests.fakes.monday import MondayFake
from tests.fakes.server import DROP, FakeServer, Reply, Stall, fail_first
from tests.fakes.workspace import Workspace, generate
from tests.fakes.world import ToolWorld, sync_once


def test_trello_full_sync_with_the_live_apis_shapes(tmp_path: Path) -> None:
    """Custom fields with top-level name/options and date-times where the spec has dates, as
    the guides and the live API show them: the connector reads both shapes."""
    ws = generate(120, containers=2, people=6, seed=13, subtask_share=0.0)
    live = {"custom_field_shape": "guide", "dates": "live"}
    with ToolWorld("trello", ws, trello=live) as world, Store(tmp_path / "s.sqlite") as store:
        sync_once(world, store, full=True)
        snap = store.current_snapshot("t")
    assert snap is not None
    got = {t.id: t for t in snap.tasks}
    for tid, want in ws.expected("trello").items():
        assert got[tid].state.value == want.state
        assert world.accountable(got[tid]) == want.accountable
        assert world.effort(got[tid]) == want.effort


# -- fault injection -------------------------------------------------------------------------


def test_fault_hook_503_twice_then_the_sync_completes_with_two_more_requests(
    tmp_path: Path,
) -> None:
    # 400 tasks: each project lists over 100 after the history cutoff, so they page
    ws = generate(400, containers=2, people=6, seed=5, subtask_share=0.0)
    with ToolWorld("asana", ws) as world, Store(tmp_path / "s.sqlite") as store:
        baseline = sync_once(world, store, full=True)
        world.server.fault = fail_first(
            2,
            Reply(503, {"errors": [{"message": "Service Unavailable"}]}),
            api="asana",
            when=lambda r: r.path.endswith("/tasks") and "offset" in r.query,
        )
        made = sync_once(world, store, full=True)
        failed = [s for s in world.server.requests("asana") if s.status == 503]
        snap = store.current_snapshot("a")
    assert made == baseline + 2 and len(failed) == 2
    assert snap is not None and len(snap.tasks) == len(ws.expected("asana"))


def test_fault_hook_drops_a_connection_and_the_client_retries(tmp_path: Path) -> None:
    ws = generate(30, containers=1, people=5, seed=5, subtask_share=0.0)
    with ToolWorld("trello", ws) as world, Store(tmp_path / "s.sqlite") as store:
        world.server.fault = fail_first(1, DROP, api="trello", when=lambda r: "/cards" in r.path)
        made = sync_once(world, store, full=True)
        dropped = [s for s in world.server.requests("trello") if s.status is None]
    assert len(dropped) == 1 and made == world.minimum_cost() + 2  # listing + retry


@pytest.mark.parametrize("outcome", [Stall(0.6), Reply(close_after=100)], ids=["stall", "cut"])
def test_fault_hook_stall_or_broken_transfer_is_retried(outcome: Any, tmp_path: Path) -> None:
    ws = generate(30, containers=1, people=5, seed=5, subtask_share=0.0)
    with ToolWorld("trello", ws) as world, Store(tmp_path / "s.sqlite") as store:
        world.server.fault = fail_first(1, outcome, api="trello", when=lambda r: "/cards" in r.path)
        config = Config(path=None, sources=(world.source(timeout=0.2),))
        run = sync(config, store, SyncOptions(full=True, rate_limits=False, sleep=lambda s: None))
        made = world.server.counts["trello"]
    assert run.sources[0].status == "ok", run.sources[0].error
    assert made == world.minimum_cost() + 2  # the board listing and one retry


def test_fault_hook_can_truncate_the_fakes_own_answer() -> None:
    with FakeServer(generate(5, containers=1, people=4, seed=2)) as server:
        server.fault = fail_first(1, Reply(truncate=40), api="asana")
        url = server.base_urls["asana"] + "/workspaces"
        headers = {"Authorization": f"Bearer {fake_asana.TOKEN}"}
        cut = requests.get(url, headers=headers, timeout=5)
        whole = requests.get(url, headers=headers, timeout=5)
    assert len(cut.content) == 40 and whole.content.startswith(cut.content)
    with pytest.raises(ValueError):
        cut.json()


# -- the fakes follow the specs ------------------------------------------------------------------


def asana_get(ws: Workspace, path: str, **query: str) -> tuple[int, Any]:
    fake = fake_asana.AsanaFake(ws)
    status, _, body = fake.handle(
        "GET", path, query, None, {"Authorization": "Bearer " + fake.token}
    )
    return status, body


def test_asana_pages_by_offset_and_rejects_limit_over_100() -> None:
    ws = generate(250, containers=1, people=5, seed=2, subtask_share=0.0)
    project = ws.asana.containers[0].id
    status, body = asana_get(ws, f"/projects/{project}/tasks", limit="101")
    assert status == 400 and "limit" in body["errors"][0]["message"]
    fake = fake_asana.AsanaFake(ws)
    seen: list[str] = []
    query = {"limit": "100", "opt_fields": "name,assignee.name"}
    while True:
        status, _, page = fake.handle("GET", f"/projects/{project}/tasks", query)
        assert status == 200
        seen += [t["gid"] for t in page["data"]]
        assert all(set(t) <= {"gid", "name", "assignee"} for t in page["data"])
        if page["next_page"] is None:
            break
        query = {**query, "offset": page["next_page"]["offset"]}
    assert seen == [t.id for t in ws.asana.top_level(ws.asana.containers[0])]
    status, body = asana_get(ws, f"/projects/{project}/tasks")  # no limit: one answer
    assert status == 200 and "next_page" not in body and len(body["data"]) == 250
    assert set(body["data"][0]) == {
        "gid",
        "resource_type",
        "name",
        "resource_subtype",
        "created_by",
    }


def test_asana_reports_what_the_spec_does_not_allow() -> None:
    ws = generate(5, containers=1, people=4, seed=2)
    fake = fake_asana.AsanaFake(ws)
    project = ws.asana.containers[0].id
    assert (
        fake.handle("GET", f"/projects/{project}/tasks", {"opt_fields": "name,assignee.email"})[0]
        == 400
    )
    assert (
        fake.handle("GET", "/projects", {"workspace": ws.workspace_gid, "sort": "name"})[0] == 400
    )
    assert fake.handle("GET", "/no/such/path", {})[0] == 404
    assert len(fake.violations) == 3, fake.violations
    modified = fake.handle(
        "GET", "/tasks", {"project": project, "modified_since": "2030-01-01T00:00:00Z"}
    )
    assert modified[0] == 200 and modified[2]["data"] == []


def test_trello_cards_page_newest_first_with_before_and_at_most_1000() -> None:
    ws = generate(1500, containers=1, people=4, seed=3, subtask_share=0.0)
    fake = fake_trello.TrelloFake(ws)
    board = ws.trello.containers[0].id
    auth = {"key": fake.key, "token": fake.token}
    assert fake.handle("GET", f"/boards/{board}/cards", {**auth, "limit": "1001"})[0] == 400
    status, _, first = fake.handle(
        "GET", f"/boards/{board}/cards", {**auth, "filter": "all", "limit": "1000"}
    )
    assert status == 200 and len(first) == 1000
    assert [c["id"] for c in first] == sorted((c["id"] for c in first), reverse=True)
    oldest = first[-1]["id"]
    _, _, rest = fake.handle(
        "GET",
        f"/boards/{board}/cards",
        {**auth, "filter": "all", "limit": "1000", "before": oldest},
    )
    assert len(rest) == 500 and all(int(c["id"][:8], 16) < int(oldest[:8], 16) for c in rest)
    assert fake.handle("GET", f"/boards/{board}/cards", {"limit": "1"})[0] == 401
    assert fake.violations == []


def monday_post(fake: MondayFake, query: str, **variables: Any) -> dict[str, Any]:
    status, _, body = fake.handle(
        "POST",
        "/",
        {},
        {"query": query, "variables": variables},
        {"Authorization": fake.token, "API-Version": "2026-07"},
    )
    assert status == 200
    return body


PAGE = "query ($b: ID!, $n: Int!) { boards(ids: [$b]) { items_page(limit: $n) { cursor items { id } } } }"
NEXT = "query ($c: String!) { next_items_page(cursor: $c, limit: 500) { cursor items { id } } }"


def test_monday_pages_with_cursors_of_at_most_500_that_expire() -> None:
    ws = generate(700, containers=1, people=4, seed=4, subtask_share=0.0)
    now = [1000.0]
    fake = MondayFake(ws, clock=lambda: now[0])
    board = ws.monday.containers[0].id
    assert monday_post(fake, PAGE, b=board, n=501)["errors"][0]["extensions"]["code"]
    first = monday_post(fake, PAGE, b=board, n=500)["data"]["boards"][0]["items_page"]
    assert len(first["items"]) == 500 and first["cursor"]
    second = monday_post(fake, NEXT, c=first["cursor"])["data"]["next_items_page"]
    assert len(second["items"]) == 200 and second["cursor"] is None
    ids = [i["id"] for i in first["items"] + second["items"]]
    assert ids == [t.id for t in ws.monday.top_level(ws.monday.containers[0])]
    now[0] += 3601
    expired = monday_post(fake, NEXT, c=first["cursor"])
    assert expired["errors"][0]["extensions"]["code"] == "CursorExpiredError"


def test_monday_rejects_a_query_the_schema_does_not_have() -> None:
    fake = MondayFake(generate(3, containers=1, people=4, seed=4))
    body = monday_post(fake, "query { boards { id itemz { id } } }")
    assert body["data"] is None and "itemz" in body["errors"][0]["message"]
    assert fake.violations and "itemz" in fake.violations[0]


def test_monday_complexity_budget_is_charged_and_refused_when_spent() -> None:
    fake = MondayFake(generate(3, containers=1, people=4, seed=4), budget=2000)
    query = "query { complexity { query before after } users(limit: 5) { id } }"
    first = monday_post(fake, query)["data"]["complexity"]
    assert first["before"] == 2000 and first["after"] == 2000 - first["query"]
    refused = monday_post(fake, "query { users(limit: 1000) { id name email } }")
    assert refused["errors"][0]["extensions"]["code"] == "COMPLEXITY_BUDGET_EXHAUSTED"
    assert refused["errors"][0]["extensions"]["retry_in_seconds"] > 0


def test_fast_executor_answers_the_connector_queries_as_graphql_core_does() -> None:
    from raci_sync.connectors.monday.queries import QUERIES  # the connector's own queries

    ws = generate(40, containers=1, people=6, seed=9, subtask_share=0.3)
    board = ws.monday.containers[0]
    values = {
        "boardId": board.id,
        "boardIds": [board.id],
        "subitemsBoardId": board.subitems_board_id,
        "limit": 500,
        "page": 1,
        "since": ["EXACT", "2026-01-01"],  # monday's incremental rule: on or after a day
    }
    for name, text in QUERIES.items():
        if "cursor" in text.split("{", 1)[0]:
            continue  # a cursor comes only from a first page
        declared = re.findall(r"\$(\w+)\s*:", text.split("{", 1)[0])
        variables = {k: values[k] for k in declared}
        slow = MondayFake(ws).run(text, variables)
        fast = MondayFake(ws, fast=True).run(text, variables)
        for body in (slow, fast):
            for e in body.get("errors", []):
                e["extensions"].pop("request_id", None)
        assert _without_cursors(slow) == _without_cursors(fast), name
        assert "errors" not in slow, (name, slow.get("errors"))


def _without_cursors(body: Any) -> str:
    return re.sub(r'"cursor": "[^"]*"', '"cursor": "…"', json.dumps(body, sort_keys=True))


def test_workspace_is_deterministic_from_its_seed() -> None:
    a, b = generate(50, seed=3), generate(50, seed=3)
    assert [t.id for t in a.trello.tasks] == [t.id for t in b.trello.tasks]
    assert a.expected("monday") == b.expected("monday")
    assert generate(50, seed=4).asana.tasks[0].id != a.asana.tasks[0].id
    assert all(t.updated <= datetime.now(UTC) for t in a.asana.tasks)
