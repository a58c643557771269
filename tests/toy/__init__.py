"""Toy: a fourth connector that lives only in the tests, written by CONTRIBUTING.md's walkthrough
("Adding a connector") against the tiny API of tests/fakes/toy.py (``client.ToyConnector``).

The tests register this record in ``raci_sync.connectors.KINDS`` while they run; a real tool's
package is listed in ``connectors/__init__.py`` instead.
"""

from raci_sync.connectors.kind import Kind

KIND = Kind(
    name="toy",
    title="Toy",
    entry="tests.toy.client:ToyConnector",
    base_url="https://toy.invalid/api",
    secrets=("token",),
    env={"token": "TOY_TOKEN"},
    scope_keys=("boards",),
    people_fields=("owner",),
    default_roles={"R": ("owner",), "A": ("field:Accountable",), "C": (), "I": ()},
    account_hint="toy:<id>",
    container="list",
    item="task",
    budget=None,  # the toy API has no documented request budget
)
