"""The JSON report matches the PRODUCT §5 contract key for key."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import date, datetime

import pytest

from raci_sync.model import SourceStatus
from raci_sync.reports.json import render_json, to_dict
from tests.reports import (
    BASELINE,
    GENERATED,
    IGNORED,
    NOTE,
    changed_report,
    empty_report,
    sample_report,
)

TOP = {"generated_at", "window", "sources", "tasks", "findings", "workload", "unmatched"}
TOP_ADDED = {"status", "changes", "ignored", "ignored_count", "notes"}
STATUS = {"rag", "reason", "no_data", "missing"}
WINDOW = {"start", "end"}
SOURCE = {"name", "kind", "status", "synced_at", "tasks", "error"}
SOURCE_ADDED = {"stale_since", "missing", "why"}
TASK = {"source", "id", "title", "url", "container", "group", "state", "due", "assignments"}
TASK_ADDED = {"start", "parent_id", "updated", "parent"}
ASSIGNMENT = {"person", "role", "via"}
FINDING = {"check", "severity", "source", "task_id", "task", "person", "message", "suggestion"}
FINDING_ADDED = {"since"}
WORKLOAD = {"person", "load", "capacity", "utilisation", "status", "open_tasks"}
WORKLOAD_ADDED = {"by_source", "tasks"}
LOAD_ITEM = {"source", "task_id", "title", "role", "effort", "load", "due"}
CHANGES = {"baseline", "new", "resolved", "still_open"}
KEY = {"check", "source", "task_id", "person"}
UNMATCHED = {"source", "account", "name", "tasks"}

OPT_STR = (str, type(None))
NUMBER = (int, float)


@pytest.fixture(scope="module")
def report() -> dict:
    return json.loads(render_json(sample_report()))


def test_key_sets_at_every_level(report: dict) -> None:
    assert set(report) == TOP | TOP_ADDED
    assert set(report["window"]) == WINDOW
    assert set(report["status"]) == STATUS
    assert all(set(source) == SOURCE | SOURCE_ADDED for source in report["sources"])
    assert all(set(task) == TASK | TASK_ADDED for task in report["tasks"])
    assignments = [a for task in report["tasks"] for a in task["assignments"]]
    assert assignments
    assert all(set(assignment) == ASSIGNMENT for assignment in assignments)
    assert all(set(finding) == FINDING | FINDING_ADDED for finding in report["findings"])
    assert all(set(line) == WORKLOAD | WORKLOAD_ADDED for line in report["workload"])
    items = [item for line in report["workload"] for item in line["tasks"]]
    assert items and all(set(item) == LOAD_ITEM for item in items)
    assert set(report["changes"]) == CHANGES
    assert all(set(account) == UNMATCHED for account in report["unmatched"])


def test_value_types(report: dict) -> None:
    assert isinstance(report["generated_at"], str)
    for source in report["sources"]:
        assert isinstance(source["tasks"], int)
        assert isinstance(source["synced_at"], OPT_STR)
        assert isinstance(source["error"], OPT_STR)
    for task in report["tasks"]:
        assert all(isinstance(task[key], str) for key in ("source", "id", "title", "state"))
        assert all(isinstance(task[key], OPT_STR) for key in ("url", "container", "group", "due"))
        assert all(isinstance(a[key], str) for a in task["assignments"] for key in ASSIGNMENT)
    for finding in report["findings"]:
        assert finding["severity"] in {"error", "warning", "info"}
        assert all(isinstance(finding[key], OPT_STR) for key in FINDING | FINDING_ADDED)
    for line in report["workload"]:
        assert all(isinstance(v, NUMBER) for v in line["by_source"].values())
        for item in line["tasks"]:
            assert all(isinstance(item[k], str) for k in ("source", "task_id", "title", "role"))
            assert isinstance(item["effort"], NUMBER) and isinstance(item["load"], NUMBER)
            assert isinstance(item["due"], OPT_STR)
        assert isinstance(line["load"], NUMBER)
        assert isinstance(line["capacity"], (*NUMBER, type(None)))
        assert isinstance(line["utilisation"], (float, type(None)))
        assert isinstance(line["open_tasks"], int)
    for account in report["unmatched"]:
        assert isinstance(account["tasks"], int)


def test_dates_and_datetimes_are_iso(report: dict) -> None:
    assert report["generated_at"] == "2026-12-07T07:00:00+01:00"
    assert datetime.fromisoformat(report["generated_at"]) == GENERATED
    assert report["window"] == {"start": "2026-12-07", "end": "2026-12-20"}
    sources = {source["name"]: source for source in report["sources"]}
    assert sources["indhold"]["synced_at"] == "2026-12-07T06:58:00+01:00"
    tasks = {task["id"]: task for task in report["tasks"]}
    assert tasks["c1"]["due"] == "2026-12-10"
    assert tasks["c4"]["due"] is None
    assert tasks["c4"]["start"] == "2026-12-01"
    assert tasks["1234567890"]["updated"] == "2026-12-02T09:30:15+01:00"


def test_naive_datetime_is_written_as_utc() -> None:
    data = sample_report(generated_at=datetime(2026, 12, 7, 6, 0, 0, 123456))
    assert to_dict(data)["generated_at"] == "2026-12-07T06:00:00+00:00"


def test_failed_source_carries_its_error(report: dict) -> None:
    failed = next(source for source in report["sources"] if source["status"] == "failed")
    assert failed["name"] == "kampagner"
    assert failed["synced_at"] is None
    assert "401" in failed["error"]
    assert [source["name"] for source in report["sources"]] == ["indhold", "kampagner", "drift"]


def test_sources_say_which_data_is_missing_and_why(report: dict) -> None:
    sources = {source["name"]: source for source in report["sources"]}
    assert {name: s["status"] for name, s in sources.items()} == {
        "indhold": "ok",
        "kampagner": "failed",
        "drift": "stale",
    }
    assert [s["missing"] for s in sources.values()] == [False, True, True]
    assert sources["indhold"]["why"] is None
    assert sources["drift"]["why"].startswith("not synced since 2026-12-01 07:00")
    assert "no data from it at all" in sources["kampagner"]["why"]
    assert report["status"] == {
        "rag": "red",
        "reason": "1 source failed, 1 source stale",
        "no_data": False,
        "missing": ["kampagner", "drift"],
    }


def test_no_data_is_red_and_every_status_is_one_of_five() -> None:
    statuses = ("ok", "failed", "stale", "never", "skipped")
    sources = tuple(SourceStatus(f"s-{s}", "trello", s, None, 0) for s in statuses)
    report = to_dict(replace(empty_report(), sources=sources, tasks=(), assignments=()))
    assert [source["status"] for source in report["sources"]] == list(statuses)
    assert report["status"]["rag"] == "red" and report["status"]["no_data"] is True
    assert report["status"]["reason"] == "no data"
    assert report["status"]["missing"] == ["s-failed", "s-stale", "s-never"]


def test_tasks_in_order_with_their_assignments(report: dict) -> None:
    keys = [(t["source"], t["container"], t["group"], t["title"]) for t in report["tasks"]]
    assert keys == sorted(keys, key=lambda k: (k[0], k[1].casefold(), k[2].casefold(), k[3]))
    task = next(t for t in report["tasks"] if t["id"] == "c2")
    assert task["state"] == "open"
    assert task["assignments"] == [
        {"person": "Freja Nørgaard", "role": "R", "via": "members"},
        {"person": "Jonas Kristensen", "role": "A", "via": "rule:hat:project-manager"},
        {"person": "Mette Sørensen", "role": "A", "via": "custom_field:Accountable"},
        {"person": "Sofie Lund", "role": "C", "via": "custom_field:Consulted"},
    ]
    states = {t["id"]: t["state"] for t in report["tasks"]}
    assert (states["c3"], states["c5"]) == ("done", "archived")
    assert next(t for t in report["tasks"] if t["id"] == "c1")["assignments"] == []


def test_findings_worst_first_with_names_and_titles(report: dict) -> None:
    findings = report["findings"]
    assert [f["severity"] for f in findings] == ["error"] * 3 + ["warning"] * 2 + ["info"] * 2
    assert [f["check"] for f in findings[:3]] == [
        "no-owner",
        "no-accountable",
        "multiple-accountable",
    ]
    no_accountable = findings[1]
    assert no_accountable["task"] == "Årsplan 2027"  # looked up: the finding had no title
    assert no_accountable["task_id"] == "1234567890"
    assert no_accountable["suggestion"] == "suggested A: Mette Sørensen (strategist)"
    overloaded = next(f for f in findings if f["check"] == "overloaded")
    assert overloaded["person"] == "Freja Nørgaard"  # a person key reads as a name
    assert overloaded["task"] is None and overloaded["task_id"] is None


def test_workload_numbers(report: dict) -> None:
    lines = {line["person"]: line for line in report["workload"]}
    freja = {k: v for k, v in lines["Freja Nørgaard"].items() if k not in WORKLOAD_ADDED}
    assert freja == {
        "person": "Freja Nørgaard",
        "load": 14.5,
        "capacity": 10,
        "utilisation": 1.45,
        "status": "over",
        "open_tasks": 12,
    }
    assert lines["Anders Holm"]["load"] == 12.35
    assert lines["Anders Holm"]["utilisation"] == 1.23
    assert lines["Mette Sørensen"]["utilisation"] == 0.33
    kasper = lines["Kasper Vinther"]
    assert (kasper["capacity"], kasper["utilisation"], kasper["status"]) == (
        None,
        None,
        "unmonitored",
    )
    assert list(lines) == sorted(lines, key=str.casefold)


def test_unmatched(report: dict) -> None:
    assert report["unmatched"] == [
        {"source": "drift", "account": "77001234", "name": "Line Bech", "tasks": 1},
        {"source": "indhold", "account": "kasperfoto", "name": "Kasper Vinther", "tasks": 3},
    ]


def test_round_trip_and_text_shape() -> None:
    data = sample_report()
    text = render_json(data)
    assert json.loads(text) == to_dict(data)
    assert "Nørgaard" in text and "\\u00f8" not in text
    assert text.startswith('{\n  "generated_at"')
    assert text.endswith("}\n")


def test_output_does_not_depend_on_input_order() -> None:
    data = sample_report()
    rng = random.Random(7)

    def shuffled(items: tuple) -> tuple:
        items = list(items)
        rng.shuffle(items)
        return tuple(items)

    mixed = replace(
        data,
        tasks=shuffled(data.tasks),
        assignments=shuffled(data.assignments),
        findings=shuffled(data.findings),
        workload=shuffled(data.workload),
        unmatched=shuffled(data.unmatched),
    )
    assert render_json(mixed) == render_json(data)


def test_empty_report() -> None:
    report = to_dict(empty_report())
    assert report["findings"] == []
    assert report["unmatched"] == []
    assert set(report) == TOP | TOP_ADDED
    assert report["status"] == {"rag": "green", "reason": None, "no_data": False, "missing": []}
    assert report["window"]["end"] == date(2026, 12, 20).isoformat()


def test_a_large_report_is_the_same_json_one_record_per_line(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from raci_sync.reports import json as json_report

    data = sample_report()
    pretty = json_report.render_json(data)
    monkeypatch.setattr(json_report, "PRETTY_LIMIT", 0)
    compact = json_report.render_json(data)
    assert json.loads(compact) == json.loads(pretty)
    assert compact != pretty and len(compact.splitlines()) > len(data.tasks)


# -- Why, what changed, what was left out (PRODUCT §10, §12) -------------------------------


def test_workload_carries_the_load_per_source_and_the_tasks_behind_it(report: dict) -> None:
    lines = {line["person"]: line for line in report["workload"]}
    freja = lines["Freja Nørgaard"]
    assert freja["by_source"] == {"indhold": 9, "kampagner": 5.5}
    assert freja["tasks"][:2] == [
        {
            "source": "indhold",
            "task_id": "c2",
            "title": "Instagram-kampagne: julekaffe ☕",
            "role": "R",
            "effort": 6,
            "load": 6,
            "due": "2026-12-14",
        },
        {
            "source": "kampagner",
            "task_id": "a101",
            "title": "Pressemeddelelse om ny høst",
            "role": "R",
            "effort": 4,
            "load": 4,
            "due": "2026-12-09",
        },
    ]
    assert [item["load"] for item in freja["tasks"]] == [6, 4, 3, 1.5]
    assert freja["tasks"][-1]["due"] is None
    assert lines["Anders Holm"]["tasks"][0]["load"] == 12.35  # rounded like every load
    assert lines["Mette Sørensen"]["by_source"] == {} and lines["Mette Sørensen"]["tasks"] == []


def test_subtasks_name_their_parent_and_keep_their_own_title(report: dict) -> None:
    tasks = {task["id"]: task for task in report["tasks"]}
    assert tasks["c4"]["parent"] == {"id": "c2", "title": "Instagram-kampagne: julekaffe ☕"}
    assert tasks["c4"]["title"].startswith("Fotoshoot til forårskampagnen")
    assert tasks["c4"]["parent_id"] == "c2"
    assert tasks["c2"]["parent"] is None
    orphan = replace(sample_report().tasks[3], parent_id="gone")
    data = sample_report(tasks=(*sample_report().tasks[:3], orphan))
    (task,) = [t for t in to_dict(data)["tasks"] if t["id"] == "c4"]
    assert task["parent"] == {"id": "gone", "title": None}


def test_findings_say_since_when_and_changes_list_keys() -> None:
    report = to_dict(changed_report())
    since = {f["check"]: f["since"] for f in report["findings"]}
    assert since["no-owner"] == "2026-12-07"
    assert since["multiple-accountable"] == "2026-11-09"
    assert report["changes"] == {
        "baseline": BASELINE.isoformat(),
        "new": [
            {"check": "no-owner", "source": "indhold", "task_id": "c1", "person": None},
            {"check": "overloaded", "source": None, "task_id": None, "person": "Freja Nørgaard"},
        ],
        "resolved": [
            {"check": "no-responsible", "source": "indhold", "task_id": "c9", "person": None}
        ],
        "still_open": 5,
    }
    # a key's fields are those of the finding it stands for: a consumer can match them
    fields = [{k: f[k] for k in KEY} for f in report["findings"]]
    assert all(key in fields for key in report["changes"]["new"])


def test_no_baseline_means_nothing_new_or_resolved() -> None:
    report = to_dict(sample_report())
    assert report["changes"] == {"baseline": None, "new": [], "resolved": [], "still_open": 7}
    assert all(f["since"] is None for f in report["findings"])


def test_changes_follow_a_filtered_report() -> None:
    data = changed_report()
    only_errors = replace(data, findings=tuple(f for f in data.findings if f.severity == "error"))
    changes = to_dict(only_errors)["changes"]
    assert [key["check"] for key in changes["new"]] == ["no-owner"]  # overloaded is not shown
    assert changes["still_open"] == 2


def test_ignored_findings_are_listed_with_their_rule_and_counted() -> None:
    report = to_dict(changed_report())
    assert report["ignored_count"] == 1
    (ignored,) = report["ignored"]
    assert set(ignored) == FINDING | FINDING_ADDED | {"rule"}
    assert ignored["rule"] == IGNORED.rule == 1
    assert ignored["check"] == "too-many-consulted" and ignored["task_id"] == "c2"
    assert ignored["task"] == "Instagram-kampagne: julekaffe ☕"
    # ignored findings are never findings: not listed there, not counted as new or open
    assert "too-many-consulted" not in {f["check"] for f in report["findings"]}
    assert report["changes"]["still_open"] + len(report["changes"]["new"]) == len(
        report["findings"]
    )
    empty = to_dict(sample_report())
    assert (empty["ignored"], empty["ignored_count"]) == ([], 0)


def test_notes() -> None:
    assert to_dict(changed_report())["notes"] == [NOTE]
    assert to_dict(sample_report())["notes"] == []


def test_compact_json_keeps_the_per_person_lists(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from raci_sync.reports import json as json_report

    monkeypatch.setattr(json_report, "PRETTY_LIMIT", 0)
    compact = json.loads(json_report.render_json(changed_report()))
    assert compact == to_dict(changed_report())
