"""The small monday.com of the per-tool tests, at the HTTP edge: the recorded bodies of
``tests/fixtures/monday/``.

:class:`MondayStub` answers each POST by its GraphQL operation name from queued (status, body)
pairs (``responses``); :func:`standard` queues the recorded answers of a full read;
:func:`assert_valid_request` checks a request the connector sent against the pinned SDL.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests
import responses

from raci_sync.config import Secret, SourceConfig
from raci_sync.connectors.http import HttpClient
from raci_sync.connectors.monday.client import DEFAULT_BASE_URL, MondayConnector
from raci_sync.connectors.monday.queries import QUERIES
from tests.fakes.monday import query_errors

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "monday"
TOKEN = "tok-monday-S3CRET"
BOARD = "4471203958"
ANNA, BO, CARL, GONE = "51230011", "51230012", "51230013", "51239999"


def load(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return body


def source(**kw: Any) -> SourceConfig:
    kw.setdefault("boards", (BOARD,))
    return SourceConfig(name="kampagner", kind="monday", token=Secret(TOKEN), **kw)


class MondayStub:
    """Answers POSTs by GraphQL operation name from queued (status, body) pairs."""

    def __init__(self, rsps: responses.RequestsMock, url: str = DEFAULT_BASE_URL) -> None:
        self.queues: dict[str, list[tuple[int, Any]]] = {}
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.waits: list[float] = []
        self.rsps = rsps
        rsps.add_callback(responses.POST, url, callback=self._answer)

    def on(self, op: str, *bodies: Any) -> MondayStub:
        """Answer an operation with these bodies in turn (the last repeats); a ``(status,
        body)`` tuple gives another status than 200."""
        self.queues[op] = [b if isinstance(b, tuple) else (200, b) for b in bodies]
        return self

    def _answer(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body or b"{}")
        op = next(n for n, q in QUERIES.items() if q == body["query"])
        self.sent.append((op, body["variables"]))
        queue = self.queues.get(op)
        assert queue, f"no answer queued for {op}"
        status, answer = queue.pop(0) if len(queue) > 1 else queue[0]
        text = answer if isinstance(answer, str) else json.dumps(answer)
        return status, {"Content-Type": "application/json"}, text

    @property
    def ops(self) -> list[str]:
        return [op for op, _ in self.sent]

    def connector(
        self, src: SourceConfig | None = None, max_workers: int = 1, **attrs: Any
    ) -> MondayConnector:
        """A connector over this fake; one worker, so requests go in a fixed order."""
        http = HttpClient(
            describe="source 'kampagner' (monday)", secrets=(TOKEN,), sleep=self.waits.append
        )
        c = MondayConnector(src or source(), http, max_workers=max_workers)
        for k, v in attrs.items():
            setattr(c, k, v)
        return c


def standard(api: MondayStub) -> MondayStub:
    return (
        api.on("ListBoards", load("boards_list.json"))
        .on("Directory", load("directory.json"))
        .on("BoardItems", load("board_items.json"))
        .on("NextItems", load("next_items.json"))
    )


def assert_valid_request(method: str, url: str, headers: Any, raw_body: Any) -> None:
    """One request the connector sent: a POST of a module query with valid variables."""
    assert method == "POST", f"monday takes POSTs only, got {method}"
    body = json.loads(raw_body)
    assert set(body) == {"query", "variables"}, body.keys()
    assert body["query"] in QUERIES.values(), "sent a query text the module does not define"
    assert query_errors(body["query"], body["variables"]) == []
    assert headers["Content-Type"] == "application/json"
    assert headers["API-Version"]
