"""Where the vendors' API specs are: ../shared/specs beside the repo, or $RACI_SPECS_DIR."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes import specs_dir


def spec_path(*parts: str) -> Path:
    """Path to a file under the specs folder; fails (never skips) when it is missing."""
    try:
        path = specs_dir().joinpath(*parts)
    except FileNotFoundError as exc:
        pytest.fail(str(exc))
    if not path.exists():
        pytest.fail(
            f"vendor spec {path} is missing: the contract tests need the specs folder "
            "(../shared/specs beside the repository, or set RACI_SPECS_DIR)"
        )
    return path
