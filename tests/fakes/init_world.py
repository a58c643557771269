"""The three fake APIs as ``raci init`` meets them: served with tokens of their own, and the
environment and ``--base-url`` arguments that point ``raci init`` at them.

Every world draws new token values, so a test can assert that none of them reaches a file or an
output, and no two tests share a client-side request budget (the limiter is per token).
"""

from __future__ import annotations

import secrets
from typing import Any

from raci_sync.connectors import KINDS
from tests.fakes.server import FakeServer, ServedWorld
from tests.fakes.workspace import Workspace, generate


def small_workspace(seed: int = 21) -> Workspace:
    """Three boards/projects per tool, six people who have an account in every tool."""
    return generate(40, containers=3, people=6, seed=seed, subtask_share=0.05)


class InitWorld(ServedWorld):
    """A FakeServer over ``ws`` whose credentials are fresh random values."""

    def __init__(self, ws: Workspace | None = None, *, kinds: tuple[str, ...] = tuple(KINDS)):
        self.ws = ws or small_workspace()
        self.kinds = kinds  # the tools whose variables ``env()`` sets
        self.secrets = {
            f"{kind}.{secret}": f"{kind}-{secret}-{secrets.token_hex(12)}"
            for kind in KINDS
            for secret in KINDS[kind].secrets
        }
        options: dict[str, dict[str, Any]] = {
            kind: {s: self.secrets[f"{kind}.{s}"] for s in KINDS[kind].secrets} for kind in KINDS
        }
        options["monday"]["fast"] = True
        self.server = FakeServer(self.ws, **options)

    def env(self) -> dict[str, str]:
        """The variables each Kind names (TRELLO_KEY, …), for the tools of ``kinds``."""
        return {
            KINDS[kind].env[secret]: self.secrets[f"{kind}.{secret}"]
            for kind in self.kinds
            for secret in KINDS[kind].secrets
        }

    def base_url_args(self) -> list[str]:
        """``--base-url KIND=URL`` for every tool."""
        args = []
        for kind in KINDS:
            args += ["--base-url", f"{kind}={self.server.base_urls[kind]}"]
        return args

    def secret_values(self) -> list[str]:
        return list(self.secrets.values())

    def hand_roster(self) -> str:
        """The roster a person would write by hand: every person's name and email, and the
        Trello username (Trello gives no emails)."""
        out = []
        for p in self.ws.people:
            out += [
                "[[person]]",
                f'name = "{p.name}"',
                f'emails = ["{p.email}"]',
                f'accounts = ["trello:{p.username}"]',
                "",
            ]
        return "\n".join(out)
