"""Serve recorded API responses through ``requests``, so the demo runs the real connectors.

A recording ("cassette") is JSON::

    {"api": "asana", "base_url": "https://app.asana.com/api/1.0",
     "interactions": [{"method": "GET", "path": "/projects/1/tasks",
                       "match": {"offset": "abc"}, "status": 200, "headers": {}, "body": {...}}]}

A request matches an interaction when method and path are equal and every ``match`` entry
holds: a query parameter with that exact value, ``$var.NAME`` a GraphQL variable equal to the
value, or ``$query`` a text contained in the GraphQL query. The most specific match wins. A
request nothing matches is answered 404 with a body that says so, and is remembered in
``misses`` so a demo or test can fail loudly.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

Handler = Callable[[requests.PreparedRequest], tuple[int, dict[str, str], Any]]


class HandlerAdapter(BaseAdapter):
    """A transport adapter that answers every request from a Python function."""

    def __init__(self, handler: Handler) -> None:
        super().__init__()
        self.handler = handler
        self.calls: list[requests.PreparedRequest] = []

    def send(  # type: ignore[override]  # the transport takes and ignores every option
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        self.calls.append(request)
        status, headers, body = self.handler(request)
        resp = requests.Response()
        resp.status_code = status
        resp.headers = CaseInsensitiveDict(headers)
        if isinstance(body, bytes):
            raw = body
        elif isinstance(body, str):
            raw = body.encode()
        else:
            raw = json.dumps(body).encode()
            resp.headers.setdefault("Content-Type", "application/json")
        resp._content = raw
        resp.encoding = "utf-8"
        resp.url = request.url or ""
        resp.request = request
        resp.reason = "OK" if status < 400 else "Error"
        return resp

    def close(self) -> None:
        pass


def request_parts(request: requests.PreparedRequest) -> tuple[str, str, dict[str, str], Any]:
    """(method, path, query, json body) of a prepared request."""
    parts = urlsplit(request.url or "")
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    body: Any = None
    if request.body:
        raw = request.body.decode() if isinstance(request.body, bytes) else request.body
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw
    return (request.method or "GET").upper(), parts.path, query, body


@dataclass
class Cassette:
    """Recorded interactions of one API."""

    api: str
    base_url: str
    interactions: list[dict[str, Any]]

    @classmethod
    def load(cls, path: Path) -> Cassette:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data["api"], data["base_url"].rstrip("/"), data["interactions"])

    def to_json(self) -> str:
        return json.dumps(
            {"api": self.api, "base_url": self.base_url, "interactions": self.interactions},
            ensure_ascii=False,
            indent=1,
        )


class Replay:
    """Answers requests from one or more cassettes; unknown requests are 404 and recorded."""

    def __init__(self, cassettes: list[Cassette]) -> None:
        self.cassettes = cassettes
        self.misses: list[str] = []

    def __call__(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], Any]:
        return self.answer(*request_parts(request))

    def answer(
        self, method: str, path: str, query: dict[str, str], body: Any
    ) -> tuple[int, dict[str, str], Any]:
        """The recorded answer to a request given by its parts (for a local server, too)."""
        best: dict[str, Any] | None = None
        for c in self.cassettes:
            prefix = urlsplit(c.base_url).path
            if not path.startswith(prefix):
                continue
            rel = path[len(prefix) :] or "/"
            for it in c.interactions:
                if (
                    it["method"] == method
                    and it["path"] == rel
                    and _matches(it, query, body)
                    and (best is None or len(it.get("match", {})) > len(best.get("match", {})))
                ):
                    best = it
        if best is None:
            self.misses.append(f"{method} {path} {sorted(query)}")
            return 404, {}, {"errors": [{"message": f"no recording for {method} {path}"}]}
        return best.get("status", 200), dict(best.get("headers", {})), best["body"]


def _matches(it: dict[str, Any], query: dict[str, str], body: Any) -> bool:
    for k, v in it.get("match", {}).items():
        if k == "$query":
            if not isinstance(body, dict) or v not in str(body.get("query", "")):
                return False
        elif k.startswith("$var."):
            variables = body.get("variables") or {} if isinstance(body, dict) else {}
            if variables.get(k[5:]) != v:
                return False
        elif query.get(k) != v:
            return False
    return True


def mount_handler(handler: Handler, prefixes: list[str]) -> Callable[[requests.Session], None]:
    """A ``mount`` hook for HttpClient that routes the given URL prefixes to ``handler``."""
    adapter = HandlerAdapter(handler)

    def mount(session: requests.Session) -> None:
        for p in prefixes:
            session.mount(p, adapter)

    return mount
