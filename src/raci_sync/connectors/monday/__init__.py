"""monday.com: boards, their items and subitems over GraphQL (``client.MondayConnector``)."""

from raci_sync.connectors.kind import Kind

KIND = Kind(
    name="monday",
    title="monday.com",
    entry="raci_sync.connectors.monday.client:MondayConnector",
    base_url="https://api.monday.com/v2",
    secrets=("token",),
    env={"token": "MONDAY_TOKEN"},
    scope_keys=("boards", "api_version"),
    people_fields=("subscribers", "first_people_column"),
    default_roles={
        "R": ("first_people_column",),
        "A": ("field:Accountable",),
        "C": ("field:Consulted",),
        "I": (),
    },
    writable=("first_people_column",),  # raci fix: R is written here, A and C into their fields
    account_hint="monday:<id>",
    container="board",
    item="item",
    budget=None,  # monday meters complexity, read from every answer, not requests
    defaults={"api_version": "2026-10"},
    # monday lets a call run 60 s: a client that gives up first never sees its answer
    timeout=65.0,  # Current since 2026-10-26 (2026-07: Maintenance)
)
