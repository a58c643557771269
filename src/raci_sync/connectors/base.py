"""The seam every connector fills in, and the registry that finds them by kind."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import datetime
from typing import ClassVar, Protocol

import requests

from raci_sync.config import SourceConfig
from raci_sync.connectors.http import HttpClient
from raci_sync.model import Snapshot

CONNECTORS = {
    "asana": "raci_sync.connectors.asana:AsanaConnector",
    "trello": "raci_sync.connectors.trello:TrelloConnector",
    "monday": "raci_sync.connectors.monday:MondayConnector",
}


class Connector(Protocol):
    """Knows one API; returns normalized objects, complete or raising a SourceError."""

    kind: ClassVar[str]

    def __init__(self, source: SourceConfig, http: HttpClient) -> None: ...

    def check(self) -> str:
        """One cheap authenticated call; returns who the token belongs to."""
        ...

    def fetch(self, since: datetime | None = None) -> Snapshot:
        """People and tasks of the configured scope; raise rather than return a partial read."""
        ...


def connector_class(kind: str) -> type[Connector]:
    """The connector class for a source kind (imported lazily)."""
    module, _, name = CONNECTORS[kind].partition(":")
    cls: type[Connector] = getattr(importlib.import_module(module), name)
    return cls


def make_http(
    source: SourceConfig,
    *,
    mount: Callable[[requests.Session], None] | None = None,
    sleep: Callable[[float], None] | None = None,
) -> HttpClient:
    """The HTTP client of one source: its timeout, its secrets to scrub, an optional transport."""
    secrets = tuple(s.reveal() for s in (source.token, source.key) if s is not None)
    http = HttpClient(
        describe=f"source {source.name!r} ({source.kind})",
        timeout=source.timeout,
        mount=mount,
        secrets=secrets,
    )
    if sleep is not None:
        http.sleep = sleep
    return http


def make_connector(source: SourceConfig, http: HttpClient | None = None) -> Connector:
    """Build the connector for a configured source over its HTTP client."""
    return connector_class(source.kind)(source, http or make_http(source))
