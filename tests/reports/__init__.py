"""Report tests, and the hand-built ReportData they all render."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

from raci_sync.model import (
    Assignment,
    Changes,
    Finding,
    IgnoredFinding,
    LoadItem,
    Person,
    ReportData,
    Severity,
    SourceStatus,
    State,
    Task,
    UnmatchedAccount,
    WorkloadLine,
)

CPH = timezone(timedelta(hours=1))
GENERATED = datetime(2026, 12, 7, 7, 0, tzinfo=CPH)
LONG_TITLE = (
    "Fotoshoot til forårskampagnen med nye kaffeposer, ristemester-portrætter og "
    "produktbilleder til webshoppen, nyhedsbrevet og Instagram"
)

SOURCES = (
    SourceStatus(
        "indhold", "trello", "ok", datetime(2026, 12, 7, 6, 58, tzinfo=CPH), 5, kind_title="Trello"
    ),
    SourceStatus(
        "kampagner",
        "asana",
        "failed",
        None,
        0,
        "source 'kampagner': Asana answered 401 — the token in $ASANA_TOKEN is invalid or "
        "expired; create a new one under My Settings › Apps › Developer apps",
        kind_title="Asana",
    ),
    SourceStatus(
        "drift",
        "monday",
        "stale",
        datetime(2026, 12, 1, 7, 0, tzinfo=CPH),
        1,
        kind_title="monday.com",
    ),
)


def _trello(task_id: str, title: str, group: str, **kwargs: object) -> Task:
    return Task(
        source="indhold",
        id=task_id,
        title=title,
        url=f"https://trello.com/c/{task_id}",
        container="Indhold & SoMe",
        container_id="5f1a2b3c4d5e6f7a8b9c0d1e",
        group=group,
        **kwargs,  # type: ignore[arg-type]
    )


TASKS = (
    _trello("c3", "Blogindlæg om ny høst", "Udgivet", state=State.DONE),
    _trello("c1", "Skriv nyhedsbrev til december", "Idéer", due=date(2026, 12, 10)),
    _trello("c2", "Instagram-kampagne: julekaffe ☕", "I gang", due=date(2026, 12, 14)),
    _trello("c4", LONG_TITLE, "I gang", start=date(2026, 12, 1), parent_id="c2"),
    _trello("c5", "Kundecase: Café Solsikke", "Arkiv", state=State.ARCHIVED),
    Task(
        source="drift",
        id="1234567890",
        title="Årsplan 2027",
        url="https://nordlys.monday.com/boards/111/pulses/1234567890",
        container="Marketing drift",
        group="Strategi",
        updated=datetime(2026, 12, 2, 9, 30, 15, tzinfo=CPH),
    ),
)

FREJA, METTE, JONAS = "roster:Freja Nørgaard", "roster:Mette Sørensen", "roster:Jonas Kristensen"
ANDERS, SOFIE = "roster:Anders Holm", "roster:Sofie Lund"
KASPER = "indhold:5a5a5a5a5a5a5a5a5a5a5a5a"

PEOPLE = (
    Person(FREJA, "Freja Nørgaard", hats=("social-media", "content-producer"), capacity=10),
    Person(METTE, "Mette Sørensen", hats=("strategist",), capacity=10),
    Person(JONAS, "Jonas Kristensen", hats=("project-manager",)),
    Person(ANDERS, "Anders Holm", hats=("content-producer",), capacity=10),
    Person(SOFIE, "Sofie Lund", hats=("analyst",)),
    Person(KASPER, "Kasper Vinther", matched=False),
)

ASSIGNMENTS = (
    Assignment("indhold", "c2", METTE, "Mette Sørensen", "A", "custom_field:Accountable"),
    Assignment("indhold", "c2", FREJA, "Freja Nørgaard", "R", "members"),
    Assignment("indhold", "c2", JONAS, "Jonas Kristensen", "A", "rule:hat:project-manager"),
    Assignment("indhold", "c2", SOFIE, "Sofie Lund", "C", "custom_field:Consulted"),
    Assignment("indhold", "c4", KASPER, "Kasper Vinther", "R", "members"),
    Assignment("indhold", "c4", METTE, "Mette Sørensen", "A", "custom_field:Accountable"),
    Assignment("drift", "1234567890", ANDERS, "Anders Holm", "R", "custom_field:Person"),
)

SUGGEST_METTE = "suggested A: Mette Sørensen (strategist)"
FINDINGS = (
    Finding("person-without-role", Severity.INFO, "Sofie Lund has no R or A.", person=SOFIE),
    Finding(
        "overloaded",
        Severity.WARNING,
        "Freja Nørgaard is at 145% of capacity (14.5 of 10).",
        person=FREJA,
    ),
    Finding(
        "multiple-accountable",
        Severity.ERROR,
        "2 people are accountable: Jonas Kristensen, Mette Sørensen.",
        source="indhold",
        task_id="c2",
        task="Instagram-kampagne: julekaffe ☕",
    ),
    Finding(
        "no-accountable",
        Severity.ERROR,
        "Nobody is accountable.",
        source="drift",
        task_id="1234567890",
        suggestion=SUGGEST_METTE,
    ),
    Finding(
        "no-owner",
        Severity.ERROR,
        "Nobody is responsible or accountable.",
        source="indhold",
        task_id="c1",
        task="Skriv nyhedsbrev til december",
        suggestion=SUGGEST_METTE,
    ),
    Finding(
        "unmatched-person",
        Severity.WARNING,
        "Trello member kasperfoto (Kasper Vinther) matches nobody on the roster.",
        source="indhold",
        person=KASPER,
    ),
    Finding(
        "accountability-bottleneck",
        Severity.INFO,
        "Mette Sørensen is accountable for 9 of 14 open tasks.",
        person=METTE,
    ),
)

# The tasks behind Freja's and Anders's load (PRODUCT §10 "Why"), largest first.
FREJA_LOAD = (
    LoadItem(
        "indhold", "c2", "Instagram-kampagne: julekaffe ☕", "R", 6.0, 6.0, date(2026, 12, 14)
    ),
    LoadItem("kampagner", "a101", "Pressemeddelelse om ny høst", "R", 4.0, 4.0, date(2026, 12, 9)),
    LoadItem("indhold", "c6", "Reels: bag om risteriet", "R", 3.0, 3.0, date(2026, 12, 11)),
    LoadItem("kampagner", "a102", "Julekampagne: annoncer", "R", 3.0, 1.5, None),
)
ANDERS_LOAD = (LoadItem("drift", "1234567890", "Årsplan 2027", "R", 12.345, 12.345, None),)

WORKLOAD = (
    WorkloadLine(METTE, 3.25, 10.0, 0.325, "ok", 5),
    WorkloadLine(KASPER, 2.0, None, None, "unmonitored", 2),
    WorkloadLine(
        FREJA, 14.5, 10.0, 1.45, "over", 12, {"indhold": 9.0, "kampagner": 5.5}, FREJA_LOAD
    ),
    WorkloadLine(ANDERS, 12.345, 10.0, 1.2345, "critical", 7, {"drift": 12.35}, ANDERS_LOAD),
)

UNMATCHED = (
    UnmatchedAccount("indhold", "kasperfoto", "Kasper Vinther", 3),
    UnmatchedAccount("drift", "77001234", "Line Bech", 1),
)


def sample_report(**changes: object) -> ReportData:
    """The Nordlys Kaffe report every renderer test uses; ``changes`` replace fields."""
    values: dict[str, object] = {
        "generated_at": GENERATED,
        "window_start": date(2026, 12, 7),
        "window_end": date(2026, 12, 20),
        "sources": SOURCES,
        "tasks": TASKS,
        "assignments": ASSIGNMENTS,
        "findings": FINDINGS,
        "workload": WORKLOAD,
        "unmatched": UNMATCHED,
        "people": PEOPLE,
    }
    values.update(changes)
    return ReportData(**values)  # type: ignore[arg-type]


def empty_report() -> ReportData:
    """A clean week: one source, one well-owned task, nothing to report."""
    task = _trello("c9", "Julekort til kunder", "I gang")
    return sample_report(
        sources=SOURCES[:1],
        tasks=(task,),
        assignments=(
            Assignment("indhold", "c9", FREJA, "Freja Nørgaard", "R", "members"),
            Assignment("indhold", "c9", METTE, "Mette Sørensen", "A", "custom_field:Accountable"),
        ),
        findings=(),
        workload=(WorkloadLine(FREJA, 1.0, 10.0, 0.1, "ok", 1),),
        unmatched=(),
    )


BASELINE = date(2026, 11, 30)
IGNORED = IgnoredFinding(
    Finding(
        "too-many-consulted",
        Severity.WARNING,
        "'Instagram-kampagne: julekaffe ☕' (indhold) has 4 Consulted (more than 3): …",
        source="indhold",
        task_id="c2",
        task="Instagram-kampagne: julekaffe ☕",
    ),
    rule=1,
)
NOTE = "[[ignore]] 0 (task = 'c77') matches no task: remove it, or correct the id"


def changed_report(**changes: object) -> ReportData:
    """The sample report a week after the last one: each finding with the day it was first seen
    (the multiple-accountable one for four weeks: chronic), two new, one resolved since the
    baseline, one finding ignored and one note."""
    since = {
        "no-owner": date(2026, 12, 7),
        "overloaded": date(2026, 12, 7),
        "multiple-accountable": date(2026, 11, 9),
    }
    findings = tuple(replace(f, since=since.get(f.check, BASELINE)) for f in FINDINGS)
    new = tuple(f.key for f in findings if f.check in ("no-owner", "overloaded"))
    values: dict[str, object] = {
        "findings": findings,
        "changes": Changes(BASELINE, new, (("no-responsible", "indhold", "c9", None),)),
        "ignored": (IGNORED,),
        "notes": (NOTE,),
    }
    values.update(changes)
    return sample_report(**values)
