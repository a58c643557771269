"""A report whose texts try to run code in a browser or a spreadsheet."""

from __future__ import annotations

from datetime import date

from raci_sync.model import (
    Assignment,
    Finding,
    Person,
    ReportData,
    Severity,
    State,
    Task,
    UnmatchedAccount,
    WorkloadLine,
)
from tests.reports import FREJA, METTE, sample_report

SCRIPT = "<script>alert(1)</script>"
HYPERLINK = '=HYPERLINK("http://x","y")'
RTL = "\u202eexe.txt\u202c"  # RIGHT-TO-LEFT OVERRIDE … POP DIRECTIONAL FORMATTING
EMOJI = "Kaffe ☕ 🎉 👩🏽‍💻"
IMG = '"><img src=x onerror=alert(1)>'
FORMULAS = (HYPERLINK, "+cmd", "@SUM(A1)", "-2+3", "\t=1+1", "\r=1+1")
TITLES = (SCRIPT, *FORMULAS, "Linje et\r\nLinje to", RTL, EMOJI, IMG)
EVIL_PERSON = "=cmd|' /C calc'!A0"
EVIL = "indhold:evil"


def hostile_tasks() -> tuple[Task, ...]:
    """One open task per hostile title, and one whose URL is a javascript: URL."""
    tasks = [
        Task(
            source="indhold",
            id=f"h{n}",
            title=title,
            url=f"https://trello.com/c/h{n}",
            container="=Board",
            group="+List",
            due=date(2026, 12, 9),
        )
        for n, title in enumerate(TITLES)
    ]
    tasks.append(Task("indhold", "js", "Klik her", url="javascript:alert(1)", state=State.OPEN))
    return tuple(tasks)


def hostile_report() -> ReportData:
    """The sample report plus the hostile tasks, a formula-named person and hostile findings."""
    base = sample_report()
    tasks = hostile_tasks()
    assignments = [
        Assignment("indhold", task.id, FREJA, "Freja Nørgaard", "R", "members") for task in tasks
    ]
    assignments += [
        Assignment("indhold", "h0", METTE, "Mette Sørensen", "A", "custom_field:Accountable"),
        Assignment("indhold", "h1", EVIL, EVIL_PERSON, "C", "custom_field:Consulted"),
    ]
    findings = [
        Finding(
            "no-accountable",
            Severity.ERROR,
            f"Nobody is accountable for {task.title}",
            source="indhold",
            task_id=task.id,
            task=task.title,
            suggestion="@suggested A: " + SCRIPT,
        )
        for task in tasks
    ]
    people = (
        *base.people,
        Person(EVIL, EVIL_PERSON, matched=False),
        Person("roster:Evil Hat", "Evil Hat", hats=("<b>hat</b>", "=hat")),
    )
    return sample_report(
        tasks=base.tasks + tasks,
        assignments=base.assignments + tuple(assignments),
        findings=base.findings + tuple(findings),
        workload=(*base.workload, WorkloadLine(EVIL, 1.5, 10.0, 0.15, "ok", 1)),
        unmatched=(*base.unmatched, UnmatchedAccount("indhold", "-evil", EVIL_PERSON, 1)),
        people=people,
    )
