"""The JSON report: the machine contract of PRODUCT §5 (keys may be added, never renamed).

``sources[].status`` is one of ok | failed | stale | never | skipped (PRODUCT §12).

Added to §5 (PRODUCT §10, §12): ``tasks[].parent`` (``{"id", "title"}`` for a subtask, the
title null when the parent is not in the report; null for other tasks; ``title`` stays the
task's own), ``findings[].since`` (the first day it was seen), ``workload[].by_source``
(source name → load) and ``workload[].tasks`` (the open tasks behind the load, largest first),
``changes`` (``baseline``: the day of last week's run compared with, null when there is none;
``new`` and ``resolved``: finding keys ``{check, source, task_id, person}``; ``still_open``),
``ignored`` (each finding an ``[[ignore]]`` left out, with ``rule``: the index of that
``[[ignore]]`` table), ``ignored_count`` and ``notes``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from raci_sync.model import (
    Assignment,
    Finding,
    FindingKey,
    IgnoredFinding,
    LoadItem,
    ReportData,
    SourceStatus,
    Task,
    UnmatchedAccount,
    WorkloadLine,
)
from raci_sync.reports.common import (
    display_person,
    finding_sort_key,
    iso_date,
    iso_datetime,
    json_number,
    round_half_up,
    sorted_findings,
    sorted_tasks,
)
from raci_sync.reports.summary import change_counts, rag_reason, rag_status

PRETTY_LIMIT = 10_000  # tasks; above it, one record per line (same JSON, a third the memory)
# The one-record-per-line form: one encoder for every record (json.dumps would build one per
# call), no spaces after separators.
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def render_json(data: ReportData) -> str:
    """The report as JSON (UTF-8 text, names such as "Sørensen" kept as they are).

    Pretty-printed up to ``PRETTY_LIMIT`` tasks; above, every list item is one compact line:
    the same document, written by the C encoder (json's indenting encoder is pure Python and
    held 760 MiB for 100k tasks in bench/report_bench.py, against under 300 MiB this way).
    The long lists (tasks, findings) are then made and written one record at a time, so the
    records as Python dicts never exist all at once.
    """
    if len(data.tasks) <= PRETTY_LIMIT:
        return json.dumps(to_dict(data), indent=2, ensure_ascii=False) + "\n"
    parts = []
    for key, value in _document(data).items():
        name = json.dumps(key)
        if isinstance(value, (list, Iterator)):
            items = ",\n    ".join(map(_COMPACT.encode, value))
            parts.append(f"  {name}: [\n    {items}\n  ]" if items else f"  {name}: []")
        else:
            parts.append(f"  {name}: {_COMPACT.encode(value)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def to_dict(data: ReportData) -> dict[str, Any]:
    """The report as plain JSON-ready data, in a deterministic order."""
    return {
        key: list(value) if isinstance(value, Iterator) else value
        for key, value in _document(data).items()
    }


def _document(data: ReportData) -> dict[str, Any]:
    """The document's keys in order; the long lists as iterators that make each record when
    it is written."""
    names = data.person_names
    return {
        "generated_at": iso_datetime(data.generated_at),
        "window": {"start": iso_date(data.window_start), "end": iso_date(data.window_end)},
        "sources": [_source(source) for source in data.sources],
        "tasks": _tasks(data),
        "findings": _findings(data, names),
        "workload": [_workload(line, names) for line in _by_person(data.workload, names)],
        "unmatched": [_unmatched(account) for account in _sorted_unmatched(data.unmatched)],
        # Added: the status colour and the data it could not see (PRODUCT §9).
        "status": {
            "rag": rag_status(data),
            "reason": rag_reason(data) or None,
            "no_data": data.no_data,
            "missing": [source.name for source in data.missing],
        },
        # Added: what changed since last week, what was left out, and notes (PRODUCT §10, §12).
        "changes": _changes(data, names),
        "ignored": _ignored(data, names),
        "ignored_count": len(data.ignored),
        "notes": list(data.notes),
    }


def _source(source: SourceStatus) -> dict[str, Any]:
    return {
        "name": source.name,
        "kind": source.kind,
        "status": source.status,
        "synced_at": iso_datetime(source.synced_at),
        "tasks": source.tasks,
        "error": source.error,
        "stale_since": iso_datetime(source.stale_since),  # added: first failure since synced_at
        "missing": source.missing,  # added: failed, stale or never synced
        "why": source.why or None,  # added: why its data is missing, and since when
    }


def _tasks(data: ReportData) -> Iterator[dict[str, Any]]:
    assignments = data.assignments_by_task
    # One dict per distinct (person, letter, via): a team has a few hundred, a large report
    # hundreds of thousands of assignments, and the encoder writes a shared dict each time.
    shared: dict[tuple[str, str, str], dict[str, str]] = {}
    for task in sorted_tasks(data.tasks):
        held = [_assignment(a, shared) for a in assignments.get(task.key, ())]
        yield _task(task, held, _parent(task, data) if task.parent_id else None)


def _parent(task: Task, data: ReportData) -> dict[str, Any] | None:
    if task.parent_id is None:
        return None
    parent = data.parent_of(task)
    return {"id": task.parent_id, "title": parent.title if parent else None}


def _task(
    task: Task, assignments: list[dict[str, str]], parent: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "source": task.source,
        "id": task.id,
        "title": task.title,
        "url": task.url,
        "container": task.container,
        "group": task.group,
        "state": str(task.state),
        "due": iso_date(task.due),
        "assignments": assignments,
        # Additions to the contract (allowed: keys may be added).
        "start": iso_date(task.start),
        "parent_id": task.parent_id,
        "updated": iso_datetime(task.updated),
        "parent": parent,  # {"id", "title"} for a subtask; "title" stays the task's own
    }


def _assignment(
    assignment: Assignment, shared: dict[tuple[str, str, str], dict[str, str]]
) -> dict[str, str]:
    key = (assignment.person_name, assignment.letter, assignment.via)
    found = shared.get(key)
    if found is None:
        found = shared[key] = {"person": key[0], "role": key[1], "via": key[2]}
    return found


def _findings(data: ReportData, names: Mapping[str, str]) -> Iterator[dict[str, Any]]:
    for finding in sorted_findings(data.findings):
        yield _finding(finding, data.task_of(finding), names)


def _finding(finding: Finding, task: Task | None, names: Mapping[str, str]) -> dict[str, Any]:
    return {
        "check": finding.check,
        "severity": str(finding.severity),
        "source": finding.source,
        "task_id": finding.task_id,
        "task": finding.task if finding.task is not None else (task.title if task else None),
        "person": display_person(finding.person, names),
        "message": finding.message,
        "suggestion": finding.suggestion,
        "since": iso_date(finding.since),  # added: the first day it was seen
    }


def _key(key: FindingKey, names: Mapping[str, str]) -> dict[str, Any]:
    """A finding key as JSON: the person as ``findings[].person`` names them."""
    check, source, task_id, person = key
    return {
        "check": check,
        "source": source,
        "task_id": task_id,
        "person": display_person(person, names),
    }


def _changes(data: ReportData, names: Mapping[str, str]) -> dict[str, Any]:
    changes = data.changes
    shown = {finding.key for finding in data.findings}
    new = [key for key in changes.new if key in shown]  # what a filtered report still shows
    return {
        "baseline": iso_date(changes.baseline),
        "new": [_key(key, names) for key in sorted(new, key=_key_order)],
        "resolved": [_key(key, names) for key in sorted(changes.resolved, key=_key_order)],
        "still_open": change_counts(data).still_open,
    }


def _key_order(key: FindingKey) -> tuple[str, ...]:
    return tuple(part or "" for part in key)


def _ignored(data: ReportData, names: Mapping[str, str]) -> list[dict[str, Any]]:
    ordered = sorted(data.ignored, key=lambda item: (item.rule, finding_sort_key(item.finding)))
    return [_ignored_finding(item, data, names) for item in ordered]


def _ignored_finding(
    item: IgnoredFinding, data: ReportData, names: Mapping[str, str]
) -> dict[str, Any]:
    return {**_finding(item.finding, data.task_of(item.finding), names), "rule": item.rule}


def _by_person(lines: tuple[WorkloadLine, ...], names: Mapping[str, str]) -> list[WorkloadLine]:
    return sorted(lines, key=lambda line: (display_person(line.person, names) or "").casefold())


def _workload(line: WorkloadLine, names: Mapping[str, str]) -> dict[str, Any]:
    utilisation = None
    if line.utilisation is not None and line.status != "unmonitored":
        utilisation = round_half_up(line.utilisation)
    return {
        "person": display_person(line.person, names),
        "load": json_number(line.load),
        "capacity": json_number(line.capacity),
        "utilisation": utilisation,
        "status": line.status,
        "open_tasks": line.open_tasks,
        # added: the load per source and the tasks behind it, largest first (PRODUCT §10)
        "by_source": {source: json_number(load) for source, load in line.by_source.items()},
        "tasks": [_load_item(item) for item in line.tasks],  # the mapping's order: largest first
    }


def _load_item(item: LoadItem) -> dict[str, Any]:
    return {
        "source": item.source,
        "task_id": item.task_id,
        "title": item.title,
        "role": item.role,
        "effort": json_number(item.effort),
        "load": json_number(item.load),
        "due": iso_date(item.due),
    }


def _sorted_unmatched(accounts: tuple[UnmatchedAccount, ...]) -> list[UnmatchedAccount]:
    return sorted(accounts, key=lambda account: (account.source, account.account.casefold()))


def _unmatched(account: UnmatchedAccount) -> dict[str, Any]:
    return {
        "source": account.source,
        "account": account.account,
        "name": account.name,
        "tasks": account.tasks,
    }
