"""What the store keeps for issue 12: each successful post to a chat target with what was open
then (so the next post carries only what is new since), and who had their personal digest in
which ISO week (once a week, like the team email)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from raci_sync.model import FindingKey

KEEP_POSTS = 10  # per target: only the last one is read; a few more help whoever debugs


@dataclass(frozen=True)
class Notified:
    """The last successful post to one target: when, and what was open then."""

    target: str
    posted_at: datetime
    errors: frozenset[FindingKey]  # the ownership errors open at the post
    overloaded: frozenset[str]  # Person keys over capacity at the post


def last_post(db: sqlite3.Connection, target: str) -> Notified | None:
    """The last successful post to ``target``, or None if there was none."""
    row = db.execute(
        "SELECT posted_at, errors, overloaded FROM notify_posts WHERE target = ? "
        "ORDER BY id DESC LIMIT 1",
        (target,),
    ).fetchone()
    if row is None:
        return None
    posted_at, errors, overloaded = row
    return Notified(
        target=target,
        posted_at=datetime.fromisoformat(posted_at),
        errors=frozenset(_key(k) for k in json.loads(errors)),
        overloaded=frozenset(str(p) for p in json.loads(overloaded)),
    )


def record_post(
    db: sqlite3.Connection,
    target: str,
    kind: str,
    at: datetime,
    errors: Iterable[FindingKey],
    overloaded: Iterable[str],
) -> None:
    """Record a successful post (inside the caller's transaction); older ones beyond
    ``KEEP_POSTS`` for the target go."""
    db.execute(
        "INSERT INTO notify_posts (target, kind, posted_at, errors, overloaded) "
        "VALUES (?, ?, ?, ?, ?)",
        (
            target,
            kind,
            at.isoformat(),
            json.dumps([list(k) for k in sorted(errors, key=_order)], separators=(",", ":")),
            json.dumps(sorted(overloaded), separators=(",", ":")),
        ),
    )
    db.execute(
        "DELETE FROM notify_posts WHERE target = ? AND id NOT IN "
        "(SELECT id FROM notify_posts WHERE target = ? ORDER BY id DESC LIMIT ?)",
        (target, target, KEEP_POSTS),
    )


def _order(key: FindingKey) -> tuple[str, ...]:
    return tuple(part or "" for part in key)


def _key(raw: Sequence[str | None]) -> FindingKey:
    check, source, task_id, person = raw
    return (str(check), source, task_id, person)


def digest_sends(db: sqlite3.Connection, week: str) -> dict[str, datetime]:
    """Who had their personal digest in ISO ``week`` (lower-case address → when)."""
    rows = db.execute(
        "SELECT recipient, sent_at FROM digest_sends WHERE week = ? ORDER BY recipient", (week,)
    )
    return {recipient: datetime.fromisoformat(at) for recipient, at in rows}


def record_digest_sends(
    db: sqlite3.Connection, week: str, recipients: Sequence[str], at: datetime, kind: str
) -> None:
    """Record that ``recipients`` have ISO ``week``'s digest (inside the caller's transaction)."""
    db.executemany(
        "INSERT OR REPLACE INTO digest_sends VALUES (?, ?, ?, ?)",
        [(week, r.lower(), at.isoformat(), kind) for r in recipients],
    )
