"""One run at a time: the lock of a store, whatever path reaches it."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from raci_sync.errors import LockedError, StoreError
from raci_sync.lock import lock_path, run_lock


def test_a_second_run_is_refused_at_once(tmp_path: Path) -> None:
    store = tmp_path / "raci.sqlite"
    with run_lock(store), pytest.raises(LockedError, match="another raci run"), run_lock(store):
        pass
    with run_lock(store):  # released after the first
        pass


def test_a_symlink_to_the_store_shares_its_lock(tmp_path: Path) -> None:
    real = tmp_path / "data" / "raci.sqlite"
    real.parent.mkdir()
    real.touch()
    link = tmp_path / "raci.sqlite"
    link.symlink_to(real)
    assert lock_path(link) == lock_path(real)
    with run_lock(real), pytest.raises(LockedError), run_lock(link):
        pass


def test_the_lock_file_is_owner_only(tmp_path: Path) -> None:
    store = tmp_path / "raci.sqlite"
    with run_lock(store):
        assert stat.S_IMODE(lock_path(store).stat().st_mode) & 0o077 == 0


def test_a_lock_that_cannot_be_created_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the store's folder should be")
    fails = pytest.raises(StoreError, match=r"cannot create the lock .*write access")
    with fails, run_lock(blocker / "raci.sqlite"):
        pass
