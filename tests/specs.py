"""The repository's extract of the vendors' API specs (``specs/``, see tools/extract_specs.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes import spec_file


def spec_path(name: str) -> Path:
    """Path to one file of the spec extract; fails (never skips) when it is missing."""
    try:
        return spec_file(name)
    except FileNotFoundError as exc:
        pytest.fail(str(exc))
