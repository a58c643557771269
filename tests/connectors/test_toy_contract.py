"""A fourth connector living only in the tests (tests/toy/, over the fake of tests/fakes/toy.py)
passes the connector contract: CONTRIBUTING.md's "Adding a connector", checked."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from raci_sync.connectors import KINDS
from tests.connectors.contract import ConnectorContract
from tests.fakes.toy import ToyWorld
from tests.fakes.world import World
from tests.toy import KIND


class TestToyContract(ConnectorContract):
    kind = "toy"

    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def registered(cls) -> Iterator[None]:
        """The toy's Kind record is in KINDS while the class runs, and only then."""
        with pytest.MonkeyPatch.context() as mp:
            mp.setitem(KINDS, KIND.name, KIND)
            yield

    def world(self, size: str) -> World:
        return ToyWorld(tasks=25 if size == "paged" else 12)
