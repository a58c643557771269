"""Shared fixtures: a clean environment for every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test sees the developer's config, tokens or data dir."""
    monkeypatch.delenv("RACI_CONFIG", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))


@pytest.fixture
def demo_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The variables the demo config's secrets refer to (tests/cli_runs.py)."""
    from tests.cli_runs import DEMO_KEY, DEMO_TOKEN

    monkeypatch.setenv("RACI_DEMO_TOKEN", DEMO_TOKEN)
    monkeypatch.setenv("RACI_DEMO_KEY", DEMO_KEY)


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    """Each test starts with empty request budgets (they are shared per token otherwise)."""
    from raci_sync.connectors import limits

    limits._REGISTRY.clear()


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """The CLI installs root log handlers on the test's captured stderr: take them away after
    the test, so a server thread of a later test never writes to a closed capture stream."""
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)


@pytest.fixture(autouse=True)
def _english_afterwards() -> Iterator[None]:
    """The CLI activates the config's language for the process: every test starts and ends in
    English, the source language."""
    from raci_sync import i18n

    i18n.activate("en")
    yield
    i18n.activate("en")
