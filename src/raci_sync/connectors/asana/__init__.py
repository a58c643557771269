"""Asana: one workspace, its projects, their tasks and subtasks (``client.AsanaConnector``)."""

from raci_sync.connectors.kind import Budget, Kind

KIND = Kind(
    name="asana",
    title="Asana",
    entry="raci_sync.connectors.asana.client:AsanaConnector",
    base_url="https://app.asana.com/api/1.0",
    secrets=("token",),
    env={"token": "ASANA_TOKEN"},
    scope_keys=("workspace", "projects"),
    people_fields=("assignee", "followers"),
    default_roles={
        "R": ("assignee",),
        "A": ("field:Accountable",),
        "C": ("field:Consulted",),
        "I": (),
    },
    writable=("assignee",),  # raci fix: R is written here, A and C into their fields
    account_hint="asana:<gid>",
    container="project",
    item="task",
    budget=Budget(150, 60.0),  # free plans; paid plans allow 1,500 (requests_per_minute)
)
