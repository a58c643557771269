"""What a connector declares about its tool: one :class:`Kind` record per tool.

The config reader, the mapping defaults, the reports and the tests learn the tools from these
records (``raci_sync.connectors.KINDS``); nothing outside ``connectors/`` names a tool. A record
is plain data: importing it never imports the connector's client.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Budget:
    """A request budget: at most ``limit`` requests in any ``window`` seconds, per token."""

    limit: int
    window: float

    def per_minute(self, rpm: int) -> Budget:
        """The same window holding ``rpm`` requests a minute (``requests_per_minute``)."""
        return Budget(max(1, round(rpm * self.window / 60)), self.window)


@dataclass(frozen=True)
class Kind:
    """One tool a source can be: its name in the config and everything tool-specific about it."""

    name: str  # the config's `kind = "…"`
    title: str  # how people name the tool ("monday.com")
    entry: str  # "module:Class" of its Connector, imported only when a source of it is read
    base_url: str  # the vendor's API root (a source's base_url overrides it)
    secrets: tuple[str, ...]  # config keys that hold credentials, in the order to ask for them
    env: Mapping[str, str]  # secret key → the environment variable the examples use
    scope_keys: tuple[str, ...]  # config keys only this kind takes (boards, projects, …)
    people_fields: tuple[str, ...]  # the tool's built-in people fields a role may name
    default_roles: Mapping[str, tuple[str, ...]]  # PRODUCT §3: letter → field references
    account_hint: str  # the roster's account form: "trello:username"
    container: str = "board"  # what a scope entry is called: board, project
    item: str = "task"  # what a task is called: card, task, item
    budget: Budget | None = None  # the documented request budget; None = none by requests
    timeout: float = 30.0  # seconds per request when the source sets none
    defaults: Mapping[str, str] = field(default_factory=dict)  # defaults of its scope keys
    # the built-in people fields `raci fix` writes a letter into (`field:` references are
    # written where the tool allows their type); the others (followers) are never written
    writable: tuple[str, ...] = ()
