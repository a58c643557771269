"""The weekly email without SMTP: structure, sections, caps, trends, the all-clear week."""

from __future__ import annotations

import email
import email.policy
import io
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pytest

from raci_sync.config import EmailConfig
from raci_sync.model import (
    Assignment,
    Finding,
    ReportData,
    Severity,
    SourceStatus,
    Task,
    Trends,
    WeekPoint,
    WorkloadLine,
)
from raci_sync.reports.email.chart import COLOURS
from raci_sync.reports.email.digest import CAP, build_digest, trend_text
from raci_sync.reports.email.message import build_email, render_html, render_text, write_eml
from tests.reports import (
    FREJA,
    IGNORED,
    NOTE,
    SOURCES,
    TASKS,
    _trello,
    changed_report,
    empty_report,
    sample_report,
)

CONFIG = EmailConfig(sender="RACI <raci@nordlyskaffe.dk>", to=("marketing@nordlyskaffe.dk",))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def week(name: str, start: date, **utilisation: float | None) -> WeekPoint:
    names = {"freja": "Freja Nørgaard", "anders": "Anders Holm"}
    return WeekPoint(
        name,
        start,
        open_without_owner=2,
        findings={"no-owner": 2, "overloaded": 1},
        utilisation={names[k]: v for k, v in utilisation.items()},
    )


TRENDS = Trends(
    (
        week("2026-W46", date(2026, 11, 9), freja=1.1, anders=0.8),
        week("2026-W47", date(2026, 11, 16), freja=1.2, anders=0.9),
        week("2026-W48", date(2026, 11, 23), freja=1.3, anders=1.3),
        week("2026-W49", date(2026, 11, 30), freja=0.95, anders=1.2345),
    )
)


def parts(msg: EmailMessage) -> list[str]:
    return [part.get_content_type() for part in msg.walk()]


def bodies(msg: EmailMessage) -> tuple[str, str]:
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


@pytest.fixture(scope="module")
def sample_msg() -> EmailMessage:
    msg = build_email(sample_report(trends=TRENDS), CONFIG)
    assert msg is not None
    return msg


# -- structure -----------------------------------------------------------------------------


def test_message_structure(sample_msg: EmailMessage) -> None:
    assert parts(sample_msg) == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "multipart/related",
        "text/html",
        "image/png",
        XLSX,
    ]
    image = next(p for p in sample_msg.walk() if p.get_content_type() == "image/png")
    _, html = bodies(sample_msg)
    assert f'<img src="cid:{image["Content-ID"][1:-1]}"' in html


def test_subject_has_week_status_and_counts(sample_msg: EmailMessage) -> None:
    # a failed and a stale source come first, then 3 tasks with an ownership error
    assert sample_msg["Subject"] == (
        "RACI 2026-W50: RED — 1 source failed, 1 source stale, 3 ownership errors"
    )
    trusted = build_email(sample_report(sources=SOURCES[:1]), CONFIG, attach_matrix=False)
    assert trusted is not None
    # 3 tasks with an ownership error, Freja and Anders over capacity, 2 unmatched accounts
    assert trusted["Subject"] == (
        "RACI 2026-W50: RED — 3 ownership errors, 2 overloaded, 2 unmatched accounts"
    )


@pytest.mark.parametrize(
    ("findings", "sources", "status"),
    [
        ((), SOURCES[:1], "GREEN"),
        (
            (Finding("too-many-consulted", Severity.WARNING, "4 C", "indhold", "c2"),),
            SOURCES[:1],
            "AMBER",
        ),
        ((), SOURCES, "RED"),  # a failed and a stale source: the report cannot be trusted
        ((Finding("no-owner", Severity.ERROR, "none", "indhold", "c1"),), SOURCES[:1], "RED"),
    ],
)
def test_status_is_red_amber_green(
    findings: tuple[Finding, ...], sources: tuple[SourceStatus, ...], status: str
) -> None:
    data = replace(empty_report(), findings=findings, sources=sources)
    msg = build_email(data, CONFIG, attach_matrix=False)
    assert msg is not None
    assert msg["Subject"].startswith(f"RACI 2026-W50: {status} — ")


def test_sections_in_product_order(sample_msg: EmailMessage) -> None:
    text, html = bodies(sample_msg)
    text_headings = [line for line in text.splitlines() if re.fullmatch(r"[A-Z ]+(\(.*\))?", line)]
    assert [h.split(" (")[0] for h in text_headings] == [
        "OWNERSHIP ERRORS",
        "OVERLOADED PEOPLE",
        "DUE AND OVERDUE BY OWNER",
        "UNMATCHED ACCOUNTS",
        "WORKLOAD",
    ]
    html_headings = re.findall(r"<h2[^>]*>([^<]+)", html)
    assert [h.strip() for h in html_headings] == [
        "Ownership errors",
        "Overloaded people",
        "Due and overdue by owner",
        "Unmatched accounts",
        "Workload",
    ]
    missing, summary = (block.splitlines() for block in text.split("\n\n")[1:3])
    assert missing[0].startswith("Missing data: 2 of 3 sources")
    assert summary[0].startswith("Red: ") and len(summary) == 3


def test_ownership_errors_show_task_tool_link_and_suggestion(sample_msg: EmailMessage) -> None:
    text, html = bodies(sample_msg)
    assert "Skriv nyhedsbrev til december" in text
    assert "Trello · Indhold & SoMe › Idéer · error" in text
    assert "→ suggested A: Mette Sørensen (strategist)" in text
    assert "https://trello.com/c/c1" in text
    assert '<a href="https://trello.com/c/c1"' in html
    assert "Indhold &amp; SoMe" in html
    # a finding without a title still names its task from the task list
    assert "Årsplan 2027" in text


def test_ownership_warnings_follow_the_errors() -> None:
    extra = Finding(
        "too-many-consulted", Severity.WARNING, "4 Consulted", "indhold", "c2", "Instagram"
    )
    digest = build_digest(sample_report(findings=(extra, *sample_report().findings)))
    assert [item.severity for item in digest.ownership.items] == [
        "error",
        "error",
        "error",
        "warning",
    ]
    assert digest.ownership_counts == (3, 1)
    assert "OWNERSHIP ERRORS (3, and 1 warning)" in render_text(digest)
    assert "3 ownership errors" in digest.subject


def test_overloaded_people_with_utilisation_and_trend(sample_msg: EmailMessage) -> None:
    text, html = bodies(sample_msg)
    assert "Freja Nørgaard: 145 % of capacity (14.5 of 10), ↑ from 95 % last week" in text
    assert "Anders Holm: 123 % of capacity (12.35 of 10), → unchanged from last week" in text
    assert "over capacity 3 weeks in a row" in text  # Anders: W48, W49 and now
    assert "W46 110 % · W47 120 % · W48 130 % · W49 95 %" in text
    assert "↑ from 95 % last week" in html


def test_trend_text() -> None:
    (last,) = TRENDS.last(1)
    assert trend_text(1.45, last, "Freja Nørgaard", "2026-W49") == "↑ from 95 % last week"
    assert trend_text(0.5, last, "Freja Nørgaard", "2026-W49") == "↓ from 95 % last week"
    assert trend_text(0.951, last, "Freja Nørgaard", "2026-W49") == "→ unchanged from last week"
    assert trend_text(1.45, last, "Freja Nørgaard", "2026-W48") == "↑ from 95 % in 2026-W49"
    assert trend_text(1.45, last, "Sofie Lund", "2026-W49") == "not measured last week"
    assert trend_text(1.45, None, "Freja Nørgaard", "2026-W49") == "no earlier week stored"


def test_streak_counts_weeks_over_capacity_in_a_row() -> None:
    digest = build_digest(sample_report(trends=TRENDS))
    streaks = {item.name: item.streak for item in digest.overloaded.items}
    assert streaks == {"Freja Nørgaard": 1, "Anders Holm": 3}


def test_due_and_overdue_grouped_by_owner() -> None:
    late = _trello("c7", "Julekalender på Instagram", "I gang", due=date(2026, 12, 4))
    data = sample_report(
        sources=SOURCES[:1],  # no missing data: the subject has room for the overdue task
        tasks=(*TASKS, late),
        assignments=(
            *sample_report().assignments,
            Assignment("indhold", "c7", FREJA, "Freja Nørgaard", "R", "members"),
            Assignment("indhold", "c7", FREJA, "Freja Nørgaard", "A", "custom_field:Accountable"),
        ),
    )
    digest = build_digest(data)
    owners = {owner.name: owner for owner in digest.due.items}
    assert list(owners) == ["Freja Nørgaard", "Jonas Kristensen", "Mette Sørensen"]
    freja = owners["Freja Nørgaard"]
    assert [(i.task.title, i.letters, i.days_late) for i in freja.tasks.items] == [
        ("Julekalender på Instagram", "R/A", 3),
        ("Instagram-kampagne: julekaffe ☕", "R", 0),
    ]
    assert freja.overdue == 1
    assert "1 overdue task" in digest.subject
    text = render_text(digest)
    assert "Freja Nørgaard (1 overdue)" in text
    assert "Julekalender på Instagram (Trello) — OVERDUE by 3 days" in text
    html = render_html(digest, None)
    assert "overdue by 3 days" in html


def test_tasks_without_an_owner_or_beyond_the_window_are_not_due() -> None:
    far = _trello("c8", "Påskekampagne", "Idéer", due=date(2027, 3, 1))
    data = sample_report(
        tasks=(*TASKS, far),
        assignments=(
            *sample_report().assignments,
            Assignment("indhold", "c8", FREJA, "Freja Nørgaard", "R", "members"),
        ),
    )
    titles = {i.task.title for o in build_digest(data).due.items for i in o.tasks.items}
    assert "Påskekampagne" not in titles
    assert "Skriv nyhedsbrev til december" not in titles  # due, but nobody holds R or A


def test_unmatched_accounts_with_their_fix() -> None:
    data = sample_report(
        findings=(
            Finding(
                "unmatched-person",
                Severity.WARNING,
                "Kasper Vinther matches nobody",
                source="indhold",
                person="indhold:5a5a5a5a5a5a5a5a5a5a5a5a",
                suggestion='add "trello:kasperfoto" to the accounts of a [[person]]',
            ),
        )
    )
    text = render_text(build_digest(data))
    assert "Kasper Vinther (Trello account kasperfoto in indhold): letters on 3 open tasks" in text
    assert '→ add "trello:kasperfoto" to the accounts of a [[person]]' in text
    assert "Line Bech (drift account 77001234 in drift)" not in text
    assert "Line Bech (monday.com account 77001234 in drift)" in text


# -- caps ----------------------------------------------------------------------------------


def many_owner_errors(count: int) -> ReportData:
    tasks = tuple(
        _trello(f"x{i:02d}", f"Opgave {i:02d}", "Idéer", due=date(2026, 12, 10))
        for i in range(count)
    )
    findings = tuple(
        Finding("no-owner", Severity.ERROR, "no owner", "indhold", t.id, t.title) for t in tasks
    )
    return sample_report(tasks=tasks, findings=findings, assignments=())


def test_lists_are_capped_with_and_n_more() -> None:
    digest = build_digest(many_owner_errors(CAP + 15))
    assert len(digest.ownership.items) == CAP and digest.ownership.more == 15
    text = render_text(digest)
    assert "OWNERSHIP ERRORS (25)" in text
    assert "… and 15 more" in text
    assert "Opgave 09" in text and "Opgave 10" not in text
    html = render_html(digest, None)
    assert "… and 15 more" in html
    assert "25 ownership errors" in digest.subject


def test_due_list_per_person_is_capped() -> None:
    tasks = tuple(
        _trello(
            f"d{i:02d}", f"Opslag {i:02d}", "I gang", due=date(2026, 12, 8) + timedelta(days=i % 5)
        )
        for i in range(14)
    )
    assignments = tuple(
        Assignment("indhold", t.id, FREJA, "Freja Nørgaard", "R", "members") for t in tasks
    )
    digest = build_digest(sample_report(tasks=tasks, assignments=assignments, findings=()))
    (freja,) = digest.due.items
    assert len(freja.tasks.items) == CAP and freja.tasks.more == 4
    assert "    … and 4 more" in render_text(digest)


# -- the all-clear week --------------------------------------------------------------------


def test_all_clear_week_is_short() -> None:
    msg = build_email(empty_report(), CONFIG)
    assert msg is not None
    assert msg["Subject"] == "RACI 2026-W50: GREEN — all clear"
    assert "image/png" not in parts(msg)  # short: no chart
    text, html = bodies(msg)
    assert "All clear: every open task has an owner" in text
    assert "OWNERSHIP ERRORS" not in text
    assert "All clear" in html and "<h2" not in html
    assert [a.get_filename() for a in msg.iter_attachments()] == ["raci-report-2026-W50.xlsx"]


def test_all_clear_week_is_skipped_when_asked() -> None:
    assert build_email(empty_report(), replace(CONFIG, skip_empty=True)) is None


def test_a_week_with_something_to_say_is_never_skipped() -> None:
    assert build_email(sample_report(), replace(CONFIG, skip_empty=True)) is not None
    stale = replace(empty_report(), sources=SOURCES)  # nothing found, but the data is old
    assert build_email(stale, replace(CONFIG, skip_empty=True), attach_matrix=False) is not None
    late = _trello("c9", "Julekort til kunder", "I gang", due=date(2026, 12, 1))
    overdue = replace(empty_report(), tasks=(late,))
    msg = build_email(overdue, replace(CONFIG, skip_empty=True), attach_matrix=False)
    assert msg is not None and "1 overdue task" in msg["Subject"]


# -- safety --------------------------------------------------------------------------------


def test_only_http_links_and_nothing_external() -> None:
    hostile = Task(
        source="indhold",
        id="evil",
        title='"><script>alert(1)</script>',
        url="javascript:alert(document.cookie)",
        container="Indhold & SoMe",
        group="Idéer",
        due=date(2026, 12, 9),
    )
    data = sample_report(
        tasks=(*TASKS, hostile),
        findings=(Finding("no-owner", Severity.ERROR, "x", "indhold", "evil", hostile.title),),
    )
    msg = build_email(data, CONFIG, attach_matrix=False)
    assert msg is not None
    _, html = bodies(msg)
    assert "javascript:" not in html and "<script" not in html
    assert "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert hrefs and all(h.startswith(("https://", "http://")) for h in hrefs)
    sources = re.findall(r'src="([^"]*)"', html)
    assert sources and all(s.startswith("cid:") for s in sources)
    assert "<link" not in html and "@import" not in html and "url(" not in html
    assert html.count("<style") == 1  # the one block that makes it one column on a phone


def test_titles_never_reach_a_header() -> None:
    title = "Kampagne\r\nBcc: evil@example.com\r\nSubject: hacked"
    task = _trello("c1", title, "Idéer", due=date(2026, 12, 10))
    data = sample_report(
        tasks=(task,),
        findings=(Finding("no-owner", Severity.ERROR, "x", "indhold", "c1", title),),
    )
    msg = build_email(data, CONFIG, attach_matrix=False)
    assert msg is not None
    raw = msg.as_bytes()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Bcc"] is None and parsed.get_all("Subject") == [msg["Subject"]]
    assert "Kampagne Bcc: evil@example.com Subject: hacked" in bodies(parsed)[0]


def test_no_matrix_when_not_asked() -> None:
    msg = build_email(sample_report(), CONFIG, attach_matrix=False)
    assert msg is not None
    assert XLSX not in parts(msg)
    text, html = bodies(msg)
    assert "raci-report" not in text and "raci-report" not in html


def test_write_eml_round_trips(sample_msg: EmailMessage, tmp_path: Path) -> None:
    path = write_eml(sample_msg, tmp_path / "report.eml")
    raw = path.read_bytes()
    assert b"\r\n" in raw and b"\n\n" not in raw.replace(b"\r\n", b"")
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Subject"] == sample_msg["Subject"]
    assert parts(parsed) == parts(sample_msg)


def test_unmonitored_people_are_named_in_the_text(sample_msg: EmailMessage) -> None:
    text, _ = bodies(sample_msg)
    assert re.search(r"Kasper Vinther +unmonitored", text)


def test_overload_section_caps_and_ignores_unmonitored() -> None:
    lines = tuple(WorkloadLine(f"roster:P{i:02d}", 15, 10, 1.5, "over", 3) for i in range(CAP + 2))
    digest = build_digest(
        sample_report(workload=(*lines, WorkloadLine("x", 9, None, None, "unmonitored", 1)))
    )
    assert len(digest.overloaded.items) == CAP and digest.overloaded.more == 2


# -- rendered in a real browser ------------------------------------------------------------


@pytest.mark.slow
def test_html_renders_in_headless_chromium(sample_msg: EmailMessage, tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.fail("headless Chromium is needed: apt-get install chromium")
    image = next(p for p in sample_msg.walk() if p.get_content_type() == "image/png")
    (tmp_path / "workload.png").write_bytes(image.get_content())
    _, html = bodies(sample_msg)
    page = tmp_path / "email.html"
    page.write_text(html.replace(f"cid:{image['Content-ID'][1:-1]}", "workload.png"), "utf-8")
    shot = tmp_path / "shot.png"
    result = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=900,2200",  # the missing-data block comes first: the chart is lower
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.exists() and shot.stat().st_size > 10_000
    console = [line for line in result.stderr.splitlines() if "CONSOLE" in line]
    assert console == [], console
    assert _pixels_of(shot, COLOURS["ok"]) > 500  # the chart loaded: Mette's green bar shows


def _pixels_of(png: Path, colour: str) -> int:
    """How many pixels of ``png`` have (nearly) the colour ``#rrggbb``."""
    import matplotlib.image
    import numpy as np

    pixels = (matplotlib.image.imread(png)[:, :, :3] * 255).round().astype(int)
    wanted = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(pixels - wanted).sum(axis=2) <= 6).sum())


# -- what changed, why, and where "and N more" leads (issue 11) -------------------------------


def test_summary_says_what_changed_after_the_missing_data() -> None:
    msg = build_email(changed_report(), CONFIG, attach_matrix=False)
    assert msg is not None
    text, html = bodies(msg)
    first = "Red: 3 errors, 2 warnings, 2 info (1 ignored) on 4 open tasks from 3 sources; "
    changes = "2 new, 1 resolved, 5 still open since last week."
    assert f"{first}{changes}" in text and changes in html
    assert text.index("Missing data: 2 of 3 sources") < text.index(changes)
    assert html.index("Missing data: 2 of 3 sources") < html.index(changes)
    plain, _ = bodies(build_email(sample_report(), CONFIG, attach_matrix=False))  # type: ignore[arg-type]
    assert "sources; no earlier week to compare with." in plain


def test_new_errors_come_first_and_chronic_ones_are_marked() -> None:
    digest = build_digest(changed_report())
    items = digest.ownership.items
    assert [(i.task.title, i.new, i.chronic) for i in items] == [
        ("Skriv nyhedsbrev til december", True, ""),
        ("Årsplan 2027", False, ""),
        ("Instagram-kampagne: julekaffe ☕", False, "open 4 weeks"),
    ]
    text = render_text(digest)
    assert " 1. [NEW] Skriv nyhedsbrev til december\n" in text
    assert " 3. Instagram-kampagne: julekaffe ☕ [open 4 weeks]\n" in text
    html = render_html(digest, None)
    assert '>NEW</span> <a href="https://trello.com/c/c1"' in html
    assert ">OPEN 4 WEEKS</span>" in html
    # a new error comes before older errors even when the report order puts it later
    data = changed_report()
    late = tuple(f.key for f in data.findings if f.check == "multiple-accountable")
    newer = build_digest(replace(data, changes=replace(data.changes, new=late)))
    assert newer.ownership.items[0].task.title == "Instagram-kampagne: julekaffe ☕"


def test_overloaded_people_show_the_tasks_behind_the_load_and_the_split_per_tool() -> None:
    msg = build_email(changed_report(), CONFIG)
    assert msg is not None
    text, html = bodies(msg)
    assert "    by tool: indhold (Trello) 9 · kampagner (Asana) 5.5\n" in text
    freja = text[text.index("  - Freja Nørgaard: 145 %") : text.index("  - Anders Holm")]
    assert [line.split()[0] for line in freja.splitlines()[3:6]] == ["6", "4", "3"]
    assert "Instagram-kampagne: julekaffe ☕ (Trello, due 2026-12-14)" in freja
    assert "Pressemeddelelse om ny høst (Asana, due 2026-12-09)" in freja
    assert "Julekampagne: annoncer" not in freja  # the fourth: in the workbook
    assert "… and 1 more: sheet Workload of the attached raci-report-2026-W50.xlsx" in freja
    assert "By tool: indhold (Trello) 9 · kampagner (Asana) 5.5" in html
    assert "Largest tasks:" in html and "Reels: bag om risteriet" in html


def test_and_n_more_leads_to_a_sheet_of_the_attachment() -> None:
    data = many_owner_errors(CAP + 15)
    msg = build_email(data, CONFIG)
    assert msg is not None
    text, html = bodies(msg)
    assert "… and 15 more: sheet Findings of the attached raci-report-2026-W50.xlsx" in text
    assert "… and 15 more: sheet <strong" in html and ">Findings</strong> of the attached" in html
    (attachment,) = [p for p in msg.iter_attachments() if p.get_content_type() == XLSX]
    book = openpyxl.load_workbook(io.BytesIO(attachment.get_content()), read_only=True)
    assert book.sheetnames == ["Findings", "Workload", "Unmatched", "Matrix"]
    findings = list(book["Findings"].iter_rows(min_row=2, values_only=True))
    assert len(findings) == CAP + 15 + len(data.findings) - (CAP + 15)  # every one of them
    assert {row[5] for row in findings} >= {"Opgave 24", "Opgave 10"}
    book.close()
    without = build_email(data, CONFIG, attach_matrix=False)
    assert without is not None
    assert "… and 15 more: raci report -f json lists them all" in bodies(without)[0]


def test_the_workload_sheet_lists_the_tasks_behind_each_load() -> None:
    msg = build_email(changed_report(), CONFIG)
    assert msg is not None
    (attachment,) = [p for p in msg.iter_attachments() if p.get_content_type() == XLSX]
    book = openpyxl.load_workbook(io.BytesIO(attachment.get_content()), read_only=True)
    rows = list(book["Workload"].iter_rows(values_only=True))
    book.close()
    assert rows[0] == (
        "person", "status", "utilisation", "person load", "capacity", "source", "task", "url",
        "letter", "effort", "load", "due",
    )  # fmt: skip
    freja = [row for row in rows[1:] if row[0] == "Freja Nørgaard"]
    assert [(row[5], row[6], row[10]) for row in freja] == [
        ("indhold", "Instagram-kampagne: julekaffe ☕", 6),
        ("kampagner", "Pressemeddelelse om ny høst", 4),
        ("indhold", "Reels: bag om risteriet", 3),
        ("kampagner", "Julekampagne: annoncer", 1.5),
    ]
    assert freja[0][:5] == ("Freja Nørgaard", "over", 1.45, 14.5, 10)
    assert freja[0][7] == "https://trello.com/c/c2"  # a task of the report: its link
    mette = [row for row in rows[1:] if row[0] == "Mette Sørensen"]
    assert len(mette) == 1 and mette[0][5:] == (None,) * 7  # nothing listed behind her load


def test_notes_and_ignored_findings() -> None:
    msg = build_email(changed_report(), CONFIG, attach_matrix=False)
    assert msg is not None
    text, html = bodies(msg)
    assert f"NOTES\n  - {NOTE}\n" in text
    assert re.search(r"<h2[^>]*>Notes</h2>", html) and "matches no task" in html
    # an ignored error counts nowhere: not listed, not in the colour, not as new or open
    clean = replace(
        changed_report(sources=SOURCES[:1]),
        findings=(),
        workload=(),
        changes=replace(changed_report().changes, new=()),
    )
    error = replace(IGNORED, finding=replace(IGNORED.finding, severity=Severity.ERROR))
    quiet = build_email(replace(clean, ignored=(error,)), CONFIG, attach_matrix=False)
    assert quiet is not None and quiet["Subject"].startswith("RACI 2026-W50: GREEN")
    assert (
        "(1 ignored)" in bodies(quiet)[0] and "0 new, 1 resolved, 0 still open" in bodies(quiet)[0]
    )


def test_subtasks_show_their_parent_in_the_email() -> None:
    data = sample_report(sources=SOURCES[:1])
    child = Finding("no-responsible", Severity.ERROR, "x", "indhold", "c4", data.tasks[3].title)
    text = render_text(build_digest(replace(data, findings=(child,))))
    assert "Instagram-kampagne: julekaffe ☕ › Fotoshoot til forårskampagnen" in text
