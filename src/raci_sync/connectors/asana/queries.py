"""What the Asana connector asks for: page size and the ``opt_fields`` of each listing.

Every entry of TASK_FIELDS is in the opt_fields enum of getTasksForProject, getTasks and
getSubtasksForTask, FIELD_SETTING_FIELDS in getCustomFieldSettingsForProject's, COUNT_FIELDS in
getTaskCountsForProject's (checked by tests/connectors/test_asana_contract.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

PAGE_SIZE = 100  # the API maximum
TASK_FIELDS = (
    "name",
    "completed",
    "completed_at",  # a task completed before the history cutoff: its subtasks are not listed
    "due_on",
    "due_at",
    "start_on",
    "start_at",
    "modified_at",
    "permalink_url",
    "assignee",
    "assignee.name",
    "followers",
    "followers.name",
    "memberships.project.name",
    "memberships.section.name",
    "tags.name",
    "parent",
    "num_subtasks",
    "custom_fields.name",
    "custom_fields.resource_subtype",
    "custom_fields.display_value",
    "custom_fields.people_value.name",
    "custom_fields.number_value",
    "custom_fields.enum_value.name",
    "custom_fields.multi_enum_values.name",
    "custom_fields.text_value",
    "custom_fields.date_value",
)
USER_FIELDS = ("name", "email")
PROJECT_FIELDS = ("name", "archived")
# a project's custom field definitions (the references of the config must resolve on them)
FIELD_SETTING_FIELDS = ("custom_field.name", "custom_field.resource_subtype")
COUNT_FIELDS = ("num_incomplete_tasks", "num_completed_tasks")  # check_scope's cost estimate
# raci fix: the OAuth scope that `PUT /tasks/{task_gid}` (updateTask) declares in the spec; a
# personal access token instead needs its user to be allowed to edit the task
WRITE_SCOPE = "tasks:write"


def task_params(completed_since: datetime | None = None) -> dict[str, Any]:
    """The parameters of every task listing: a full page of TASK_FIELDS; with
    ``completed_since``, only open tasks and those completed since then (a project listing)."""
    params: dict[str, Any] = {"limit": PAGE_SIZE, "opt_fields": ",".join(TASK_FIELDS)}
    if completed_since is not None:
        moment = completed_since.astimezone(UTC).isoformat(timespec="milliseconds")
        params["completed_since"] = moment.replace("+00:00", "Z")
    return params


def field_setting_params() -> dict[str, Any]:
    """A project's custom field settings: each field's name and type."""
    return {"limit": PAGE_SIZE, "opt_fields": ",".join(FIELD_SETTING_FIELDS)}


def user_params(workspace_gid: str) -> dict[str, Any]:
    """The user directory of a workspace, with emails."""
    return {"workspace": workspace_gid, "limit": PAGE_SIZE, "opt_fields": ",".join(USER_FIELDS)}


def project_params(workspace_gid: str, *, every_active: bool) -> dict[str, Any]:
    """The projects of a workspace; ``every_active`` when the config names none."""
    params: dict[str, Any] = {
        "workspace": workspace_gid,
        "limit": PAGE_SIZE,
        "opt_fields": ",".join(PROJECT_FIELDS),
    }
    if every_active:
        params["archived"] = "false"
    return params


def one_task_params() -> dict[str, Any]:
    """``GET /tasks/{gid}`` and ``PUT /tasks/{gid}`` (raci fix): the task as a listing reads
    it, so it converts the same way."""
    return {"opt_fields": ",".join(TASK_FIELDS)}
