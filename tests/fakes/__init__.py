"""Local fakes of the Asana, Trello and monday.com APIs, built from the vendors' specs.

- ``workspace``: a generated workspace (people, boards/projects, tasks), deterministic from a seed.
- ``asana``, ``trello``, ``monday``: one handler per API, built from the repository's extract of
  the vendor specs (``specs/``, printed by ``tools/extract_specs.py``). ``fake.handle(method, path, query,
  body, headers)`` answers one request (``path`` below the API's base path) with
  ``(status, headers, body)``; the body is JSON-able, ``str`` (text) or ``bytes``. Every
  request is checked against the vendor's spec first: what the spec does not have is recorded
  in ``fake.violations`` (and, for Asana's strict parameters and monday's schema, answered with
  the vendor's error), so a connector that drifts from the spec is reported, never silently
  served.
- ``server``: one threaded HTTP server on 127.0.0.1 serving all three under path prefixes, with
  added latency, request counters and a fault hook.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]

Answer = tuple[int, dict[str, str], Any]  # status, headers, body (JSON-able, str or bytes)


SPECS = REPO / "specs"  # the extract of the vendors' specs (tools/extract_specs.py)


def spec_file(name: str) -> Path:
    """One file of the repository's spec extract (``specs/``); a missing one is an error."""
    path = SPECS / name
    if not path.is_file():
        raise FileNotFoundError(
            f"spec extract {path} is missing: it is part of the repository; restore it with "
            "git, or print it again with tools/extract_specs.py"
        )
    return path


def iso(moment: datetime | None) -> str | None:
    """``2026-01-05T08:00:00.000Z`` (the form all three APIs use), or None."""
    if moment is None:
        return None
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def day(d: date | None) -> str | None:
    return d.isoformat() if d else None


def parse_moment(text: str) -> datetime | None:
    """An ISO 8601 date or date-time (``Z`` allowed) as an aware datetime, or None if invalid."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
