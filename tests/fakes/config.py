"""The ``[[source]]`` tables of a raci.toml that points at the fakes (tests and the bench)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

DEFAULT_NAMES = {"trello": "indhold", "asana": "kampagner", "monday": "events"}


def env_refs(prefix: str) -> dict[str, str]:
    """Credentials as ``${PREFIX_…}`` references, for tests that keep secrets out of the file."""
    return {
        "trello.key": f"${{{prefix}_TRELLO_KEY}}",
        "trello.token": f"${{{prefix}_TRELLO_TOKEN}}",
        "asana.token": f"${{{prefix}_ASANA_TOKEN}}",
        "monday.token": f"${{{prefix}_MONDAY_TOKEN}}",
    }


def fake_credentials() -> dict[str, str]:
    """The fakes' own tokens, written literally (raci warns about that, which is harmless)."""
    from tests.fakes import asana, monday, trello

    return {
        "trello.key": trello.KEY,
        "trello.token": trello.TOKEN,
        "asana.token": asana.TOKEN,
        "monday.token": monday.TOKEN,
    }


def sources_toml(
    server: Any,
    ws: Any,
    *,
    names: Mapping[str, str] = DEFAULT_NAMES,
    credentials: Mapping[str, str] | None = None,
    effort: str | None = "Timer",
) -> str:
    """One ``[[source]]`` per kind in ``names`` (in that order), boards/projects by name, base
    URLs on ``server``; ``credentials`` maps "trello.key", "<kind>.token" to file values."""
    creds = credentials or fake_credentials()
    out = []
    for kind, name in names.items():
        scope = "projects" if kind == "asana" else "boards"
        lines = [
            "[[source]]",
            f'name = "{name}"',
            f'kind = "{kind}"',
            f'base_url = "{server.base_urls[kind]}"',
            f'token = "{creds[kind + ".token"]}"',
            f"{scope} = {json.dumps([c.name for c in ws.tools[kind].containers])}",
        ]
        if kind == "trello":
            lines += [f'key = "{creds["trello.key"]}"', 'done_lists = ["Udgivet"]']
        if effort:
            lines.append(f'fields = {{ effort = "{effort}" }}')
        out.append("\n".join(lines) + "\n")
    return "\n".join(out)
