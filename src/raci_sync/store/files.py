"""The store as a file: created owner-only, recognised before anything is written, checked for
damage, and backed up (PRODUCT §6, §9).

- A new store is created readable by its owner only (0600, or stricter by the umask); SQLite
  gives its ``-wal`` and ``-shm`` files the same mode, and the backup is made the same way.
- A database that is not a raci store (tables, but no raci migrations) is refused untouched.
- A store opened for writing is checked with ``PRAGMA quick_check``; a damaged one is refused
  before anything is written into it, with the way back (the backup, or a fresh store).
- One rolling backup, ``<store>.backup``, is taken with SQLite's online backup API before each
  migration and once a day.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from raci_sync.errors import StoreError

BACKUP_EVERY_S = 24 * 3600
RACI_FIRST_MIGRATION = "0001_initial"


def backup_path(path: str | Path) -> Path:
    """``<store>.backup``, beside the store."""
    return Path(f"{path}.backup")


def create_private(path: Path) -> None:
    """Create an empty file readable by its owner only (the umask may make it stricter)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise StoreError(f"cannot create the store {path}: {exc.strerror}") from None
    os.close(fd)


def refuse_foreign(db: sqlite3.Connection, path: str) -> None:
    """Raise unless the database is empty or a raci store (read-only queries only)."""
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not tables:
        return
    ours = (
        "migrations" in tables
        and db.execute(
            "SELECT 1 FROM migrations WHERE name = ?", (RACI_FIRST_MIGRATION,)
        ).fetchone()
    )
    if not ours:
        shown = ", ".join(sorted(tables)[:5]) + (" …" if len(tables) > 5 else "")
        raise StoreError(
            f"{path} is a database of another application (tables: {shown}), not a raci-sync "
            "store; it was left untouched. Point `store` in the config at a new file"
        )


def check_intact(db: sqlite3.Connection, path: str) -> None:
    """Raise a StoreError that says how to recover when ``quick_check`` finds damage."""
    try:
        rows = [r[0] for r in db.execute("PRAGMA quick_check(5)")]
    except sqlite3.DatabaseError as exc:
        rows = [str(exc)]
    if rows == ["ok"]:
        return
    raise StoreError(damaged(path, "; ".join(str(r) for r in rows)))


def damaged(path: str, detail: str) -> str:
    """The message for a damaged store: what SQLite found and the two ways back."""
    backup = backup_path(path)
    way_back = (
        f"restore the last backup: mv {backup} {path} (and delete {path}-wal and {path}-shm)"
        if backup.exists()
        else "there is no backup beside it"
    )
    return (
        f"the store {path} is damaged ({detail[:200]}); nothing was written into it. To recover: "
        f"{way_back}; or move it away and run `raci sync --full` to start afresh"
    )


def backup(db: sqlite3.Connection, path: str) -> Path:
    """Copy the store to ``<store>.backup`` with the online backup API (atomic replace)."""
    target = backup_path(path)
    partial = Path(f"{target}.partial")
    partial.unlink(missing_ok=True)
    create_private(partial)
    try:
        with sqlite3.connect(partial) as copy:
            db.backup(copy)
        copy.close()
        os.replace(partial, target)
    except (OSError, sqlite3.DatabaseError) as exc:
        partial.unlink(missing_ok=True)
        raise StoreError(f"cannot write the backup {target}: {exc}") from None
    return target


def backup_due(path: str, now: float | None = None) -> bool:
    """True when the store has no backup, or its backup is older than a day."""
    try:
        age = (now or time.time()) - backup_path(path).stat().st_mtime
    except OSError:
        return True
    return age >= BACKUP_EVERY_S or age < 0
