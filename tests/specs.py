"""Where the vendors' API specs are: ../shared/specs beside the repo, or $RACI_SPECS_DIR."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def spec_path(*parts: str) -> Path:
    """Path to a file under the specs folder; fails (never skips) when it is missing."""
    root = Path(os.environ.get("RACI_SPECS_DIR") or REPO.parent / "shared" / "specs")
    path = root.joinpath(*parts)
    if not path.exists():
        pytest.fail(
            f"vendor spec {path} is missing: the contract tests need the specs folder "
            "(../shared/specs beside the repository, or set RACI_SPECS_DIR)"
        )
    return path
