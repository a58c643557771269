"""Trello: boards, their cards, members and custom fields (``client.TrelloConnector``)."""

from raci_sync.connectors.kind import Budget, Kind

KIND = Kind(
    name="trello",
    title="Trello",
    entry="raci_sync.connectors.trello.client:TrelloConnector",
    base_url="https://api.trello.com/1",
    secrets=("key", "token"),
    env={"key": "TRELLO_KEY", "token": "TRELLO_TOKEN"},
    scope_keys=("boards", "done_lists"),
    people_fields=("members",),
    default_roles={
        "R": ("members",),
        "A": ("field:Accountable",),
        "C": ("field:Consulted",),
        "I": (),
    },
    writable=("members",),  # raci fix: R is written here, A and C into their fields
    account_hint="trello:username",
    container="board",
    item="card",
    budget=Budget(100, 10.0),  # 100 requests per 10 s per token
)
