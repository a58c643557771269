"""The store's records of issue 12: the last successful post per [[notify]] target with what was
open then, and the personal digests sent per ISO week — in a real SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from raci_sync.store import Store
from raci_sync.store.notifications import KEEP_POSTS

AT = datetime(2026, 12, 10, 8, 0, tzinfo=UTC)
NO_OWNER = ("no-owner", "indhold", "c1", None)
TWO_A = ("multiple-accountable", "indhold", "c2", None)


def test_the_last_post_per_target_and_what_was_open_then(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        assert store.last_notification("chat") is None
        store.record_notification("chat", "slack", AT, [NO_OWNER, TWO_A], ["roster:Freja"])
        store.record_notification("ops", "webhook", AT + timedelta(hours=1), [], [])
        later = AT + timedelta(days=1)
        store.record_notification("chat", "slack", later, [TWO_A], [])
    with Store(tmp_path / "s.sqlite") as store:  # read back from the file
        chat, ops = store.last_notification("chat"), store.last_notification("ops")
    assert chat is not None and ops is not None
    assert chat.posted_at == later and chat.errors == {TWO_A} and chat.overloaded == frozenset()
    assert ops.errors == frozenset() and ops.posted_at == AT + timedelta(hours=1)


def test_keys_with_nulls_survive_and_old_posts_are_thinned(tmp_path: Path) -> None:
    about_person = ("overloaded", None, None, "roster:Freja")
    with Store(tmp_path / "s.sqlite") as store:
        for i in range(KEEP_POSTS + 5):
            errors = [NO_OWNER, about_person] if i % 2 else [about_person, NO_OWNER]
            store.record_notification("chat", "teams", AT + timedelta(hours=i), errors, ["b", "a"])
        last = store.last_notification("chat")
        kept = store.db.execute("SELECT count(*) FROM notify_posts").fetchone()[0]
    assert kept == KEEP_POSTS
    assert last is not None and last.errors == {NO_OWNER, about_person}
    assert last.overloaded == {"a", "b"}


def test_personal_digest_sends_per_week_apart_from_the_team_email(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        store.record_email_sends("2026-W50", ["Freja@Nordlys.dk"], AT)
        assert store.digest_sends("2026-W50") == {}
        store.record_digest_sends("2026-W50", ["Freja@Nordlys.dk"], AT)
        store.record_digest_sends("2026-W50", ["mette@nordlys.dk"], AT, kind="skipped")
        assert store.digest_sends("2026-W50") == {"freja@nordlys.dk": AT, "mette@nordlys.dk": AT}
        assert store.digest_sends("2026-W51") == {}
