"""Shared fixtures: a clean environment for every test."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test sees the developer's config, tokens or data dir."""
    monkeypatch.delenv("RACI_CONFIG", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    """Each test starts with empty request budgets (they are shared per token otherwise)."""
    from raci_sync.connectors import limits

    limits._REGISTRY.clear()
