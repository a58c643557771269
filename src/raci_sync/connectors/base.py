"""The seam every connector fills in, and how a source's connector and HTTP client are built."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import datetime
from typing import ClassVar, Protocol

import requests

from raci_sync.config import SourceConfig
from raci_sync.connectors import KINDS
from raci_sync.connectors.http import HttpClient
from raci_sync.connectors.limits import RateLimiter, limiter_for
from raci_sync.connectors.references import ScopeReport
from raci_sync.model import Snapshot


class Connector(Protocol):
    """Knows one API; returns normalized objects, complete or raising a SourceError."""

    kind: ClassVar[str]

    def __init__(self, source: SourceConfig, http: HttpClient, *, max_workers: int = 4) -> None: ...

    def check(self) -> str:
        """One cheap authenticated call; returns who the token belongs to."""
        ...

    def check_scope(self) -> ScopeReport:
        """What ``raci check-config --online`` shows: whose token, the boards/projects the scope
        resolves to and their fields, and *every* reference of the config that matches nothing
        (a board, project or workspace name; each written ``field:`` role and ``[source.fields]``
        entry; Trello ``done_lists``) as a problem naming it, where it was looked for and the
        closest names (``connectors.references``). Raises SourceError only when the API cannot
        be asked at all (no network, a refused token)."""
        ...

    def fetch(self, since: datetime | None = None, previous: Snapshot | None = None) -> Snapshot:
        """People and tasks of the configured scope; raise rather than return a partial read.

        Every reference the config wrote must resolve: a full read checks them against the
        definitions it reads, an incremental one against those cached at the last full read,
        and raises ``references.UnresolvedReferences`` with all of them (PRODUCT §9, §12).

        With ``since`` and ``previous`` (the last good snapshot, whose ``state`` holds what the
        connector kept for itself), read only what changed since then and return the previous
        snapshot updated with it: still complete. Without them, read everything. ``fetched_at``
        is when the read started, so a change made during the read is seen next time.
        """
        ...


def connector_class(kind: str) -> type[Connector]:
    """The connector class for a source kind (imported lazily, from its Kind's entry)."""
    module, _, name = KINDS[kind].entry.partition(":")
    cls: type[Connector] = getattr(importlib.import_module(module), name)
    return cls


def make_http(
    source: SourceConfig,
    *,
    mount: Callable[[requests.Session], None] | None = None,
    sleep: Callable[[float], None] | None = None,
    rate_limits: bool = True,
) -> HttpClient:
    """The HTTP client of one source: its timeout (one whole request), its bounds from
    ``[sync]`` (deadline, longest wait, largest answer), its secrets to scrub, an optional
    transport.

    ``rate_limits=False`` drops the client-side budget (for recorded or local fake APIs).
    """
    secrets = tuple(s.reveal() for s in (source.token, source.key) if s is not None)
    http = HttpClient(
        limiter=default_limiter(source) if rate_limits else None,
        describe=f"source {source.name!r} ({source.kind})",
        timeout=source.timeout or KINDS[source.kind].timeout,
        bounds=source.bounds,
        mount=mount,
        secrets=secrets,
    )
    if sleep is not None:
        http.sleep = sleep
    return http


def default_limiter(source: SourceConfig) -> RateLimiter | None:
    """The documented request budget of the source's API, shared by all users of its token.

    From the source's Kind (Trello: 100 requests per 10 s per token; Asana: 150 per minute on
    free plans); ``requests_per_minute`` rescales it (Asana's paid plans allow 1,500). A kind
    with no request budget (monday meters complexity) has none unless one is configured.
    """
    credential = source.token.reveal() if source.token else source.name
    budget = KINDS[source.kind].budget
    rpm = source.requests_per_minute
    if budget is None and not rpm:
        return None
    if budget is None:
        return limiter_for(source.kind, credential, rpm or 1, 60.0)
    if rpm:
        budget = budget.per_minute(rpm)
    return limiter_for(source.kind, credential, budget.limit, budget.window)


def make_connector(
    source: SourceConfig, http: HttpClient | None = None, *, max_workers: int = 4
) -> Connector:
    """Build the connector for a configured source over its HTTP client.

    ``max_workers`` bounds how many boards/projects the connector reads at once.
    """
    return connector_class(source.kind)(source, http or make_http(source), max_workers=max_workers)
