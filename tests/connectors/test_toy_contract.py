"""A fourth connector living only in the tests (tests/toy/, over the fake of tests/fakes/toy.py)
passes the whole connector contract: CONTRIBUTING.md's "Adding a connector", checked. And the
contract fails, never skips, a world or connector that lacks a part of it."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, cast

import pytest

from raci_sync.connectors import KINDS
from raci_sync.connectors.base import Connector
from tests.connectors.contract import ConnectorContract, hooked, scoped
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


class Unfinished(ToyWorld):
    """A world whose author left a hook for later."""

    def bounded(self, max_pages: int) -> dict[str, Any]:
        raise NotImplementedError("later")


def test_a_world_or_connector_lacking_a_hook_fails_the_contract_never_skips_it() -> None:
    with pytest.raises(pytest.fail.Exception, match=r"Unfinished.bounded\(\) for toy is not"):
        hooked(Unfinished(), "bounded", 1)
    with pytest.raises(pytest.fail.Exception, match=r"has no misreferenced\(\)"):
        hooked(cast(World, SimpleNamespace(kind="toy")), "misreferenced")
    with pytest.raises(pytest.fail.Exception, match=r"the toy connector has no check_scope\(\)"):
        scoped(cast(Connector, SimpleNamespace(kind="toy")))
