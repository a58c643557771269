"""The HTML report: self-contained, every text escaped, the sections people read."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import replace
from datetime import date
from html import escape
from html.parser import HTMLParser
from importlib import resources

import pytest

from raci_sync.model import (
    Finding,
    LoadItem,
    Severity,
    SourceStatus,
    Trends,
    WeekPoint,
    WorkloadLine,
)
from raci_sync.reports.html import render_html, render_matrix_page, safe_url
from raci_sync.reports.summary import rag_status
from tests.reports import (
    GENERATED,
    LONG_TITLE,
    NOTE,
    SOURCES,
    changed_report,
    empty_report,
    sample_report,
)
from tests.reports.hostile import EMOJI, hostile_report

ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "main", "section", "footer",
    "div", "h1", "h2", "h3", "p", "ul", "li", "span", "table", "thead", "tbody", "tr", "th",
    "td", "a", "code", "bdi", "label", "input", "select", "option", "output", "script",
}  # fmt: skip


class _Page(HTMLParser):
    """Every start tag with its attributes, the text of headings, and unclosed tags."""

    VOID = frozenset({"meta", "input"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.headings: list[str] = []
        self.text: list[str] = []
        self._open: list[str] = []
        self._heading: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self._open.append(tag)
        if tag in ("h1", "h2", "h3"):
            self._heading = []

    def handle_endtag(self, tag: str) -> None:
        assert self._open and self._open[-1] == tag, (tag, self._open[-5:])
        self._open.pop()
        if tag in ("h1", "h2", "h3") and self._heading is not None:
            self.headings.append(f"{tag}:{' '.join(''.join(self._heading).split())}")
            self._heading = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._heading is not None:
            self._heading.append(data)


def parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    assert parser._open == [], parser._open
    return parser


@pytest.fixture(scope="module")
def page() -> str:
    return render_html(sample_report())


@pytest.fixture(scope="module")
def hostile() -> str:
    return render_html(hostile_report())


def test_sections_in_order(page: str) -> None:
    headings = parse(page).headings
    assert headings == [
        "h1:Red — 1 source failed, 1 source stale RACI report 2026-W50",
        "h2:Sources",
        "h2:Findings",
        "h3:By check",
        "h3:Every finding (7)",
        "h2:Workload",
        "h3:Freja Nørgaard: 145% of capacity (14.5 of 10) over",
        "h3:Anders Holm: 123% of capacity (12.35 of 10) critical",
        "h2:Unmatched accounts",
        "h2:RACI matrix",
    ]
    notes = parse(render_html(changed_report())).headings
    assert notes[-1] == "h2:Notes"


def test_self_contained_and_only_its_own_script_runs(page: str, hostile: str) -> None:
    script = (resources.files("raci_sync.reports") / "templates" / "report.js").read_text()
    for html in (page, hostile):
        lowered = html.lower()
        for needle in ("<link", "<img", "<iframe", "url(", "@import"):
            assert needle not in lowered, needle
        assert lowered.count("<script") == 1  # the shipped one, inline, nothing fetched
        assert f"<script>{script}</script>" in html
        tags = parse(html).tags
        assert {tag for tag, _ in tags} <= ALLOWED_TAGS
        for _, attrs in tags:
            assert not [name for name in attrs if name.startswith("on") or name == "src"]
        csp = [
            a for t, a in tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"
        ]
        policy = csp[0]["content"] or ""
        assert "default-src 'none'" in policy
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"script-src 'sha256-{digest}';" in policy  # that text and nothing else runs
        assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]


def test_hostile_titles_are_escaped(hostile: str) -> None:
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in hostile
    assert "=HYPERLINK(&#34;http://x&#34;,&#34;y&#34;)" in hostile  # shown as text, as is
    assert "Linje et Linje to" in hostile and "\r" not in hostile
    assert "\u202e" not in hostile and "\u202c" not in hostile
    assert "exe.txt" in hostile
    assert EMOJI in hostile
    assert "&lt;b&gt;hat&lt;/b&gt;" in hostile  # a hat in the matrix header
    text = "".join(parse(hostile).text)
    assert "<script>alert(1)</script>" in text  # the browser shows the title as text
    assert hostile.count("<script") == 1  # and never as a script


def test_only_http_urls_become_links(hostile: str) -> None:
    hrefs = [attrs["href"] for tag, attrs in parse(hostile).tags if tag == "a"]
    assert hrefs and all(re.match(r"https?://", href or "") for href in hrefs)
    assert "javascript:" not in hostile.lower()
    assert "Klik her</bdi></a>" not in hostile


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://trello.com/c/abc", "https://trello.com/c/abc"),
        ("HTTP://example.com/x?a=1&b=2", "HTTP://example.com/x?a=1&b=2"),
        ("javascript:alert(1)", None),
        ("JaVaScRiPt:alert(1)", None),
        ("data:text/html,<script>", None),
        ("//evil.example/x", None),
        ("/relative", None),
        ("https://exa mple.com", None),
        ("https://example.com/\nx", None),
        ("http://[::1", None),
        ("https://", None),
        (None, None),
        ("", None),
    ],
)
def test_safe_url(url: str | None, expected: str | None) -> None:
    assert safe_url(url) == expected


def test_summary_with_rag_status(page: str) -> None:
    assert 'class="top rag-red"' in page
    assert (
        "<li>Red: 3 errors, 2 warnings, 2 info on 4 open tasks from 3 sources; "
        "no earlier week to compare with.</li>"
    ) in page
    assert "2 people over capacity: Freja Nørgaard 145%, Anders Holm 123%." in page


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({}, "red"),
        ({"findings": (Finding("overloaded", Severity.WARNING, "x"),)}, "red"),  # missing data
        ({"findings": (Finding("person-without-role", Severity.INFO, "x"),)}, "red"),
        (
            {
                "findings": (Finding("overloaded", Severity.WARNING, "x"),),
                "sources": SOURCES[:1],
            },
            "amber",
        ),
        (
            {
                "findings": (Finding("person-without-role", Severity.INFO, "x"),),
                "sources": SOURCES[:1],
            },
            "green",
        ),
    ],
)
def test_rag_status(changes: dict, status: str) -> None:
    assert rag_status(sample_report(**changes)) == status


def test_green_when_all_clear() -> None:
    page = render_html(empty_report())
    assert 'class="badge rag-green"' in page
    assert "No findings: every open task has an owner" in page
    assert "Every open task has a clear owner." in page


def test_failed_and_stale_sources_are_marked(page: str) -> None:
    assert '<span class="pill failed">failed</span>' in page
    assert "Asana answered 401" in page
    assert '<span class="pill stale">stale since 2026-12-01 07:00 +0100</span>' in page
    failed_with_data = SourceStatus(
        "indhold", "trello", "failed", GENERATED, 5, "boom", stale_since=GENERATED
    )
    page = render_html(sample_report(sources=(failed_with_data,)))
    assert "failed — stale since 2026-12-07 07:00 +0100" in page


def test_findings_link_to_their_task(page: str) -> None:
    assert (
        '<a href="https://trello.com/c/c1" rel="noopener noreferrer">'
        "<bdi>Skriv nyhedsbrev til december</bdi></a>"
    ) in page
    assert "suggested A: Mette Sørensen (strategist)" in page


def test_findings_are_capped_per_severity() -> None:
    page = render_html(sample_report(), max_findings=1)
    assert "… and 2 more errors — see the CSV or XLSX report." in page
    assert page.count("<code>no-owner</code>") == 2  # the by-check table and the one row


def test_workload_bars(page: str) -> None:
    # 145 % of a 200 % bar; the 100 % mark sits in the middle
    assert '<div class="fill over" style="width: 72.5%"></div>' in page
    assert '<div class="fill critical" style="width: 61.72%"></div>' in page
    assert '<div class="fill ok" style="width: 16.25%"></div>' in page
    assert "unmonitored</span>" in page
    assert "Last week" not in page  # no history yet


def _weeks() -> Trends:
    def week(n: int, freja: float, owners: int) -> WeekPoint:
        return WeekPoint(
            f"2026-W{45 + n}",
            date(2026, 11, 2 + 7 * n),
            owners,
            {"no-owner": owners, "overloaded": 1},
            {"Freja Nørgaard": freja, "Mette Sørensen": None},
        )

    return Trends(tuple(week(n, 1.0 + n / 10, 5 - n) for n in range(5)))


def test_trend_against_last_week_and_last_four() -> None:
    page = render_html(sample_report(trends=_weeks()))
    # Freja: 145 % now, 140 % last week; the last four weeks 110 … 140 %
    assert (
        '<td class="num" data-label="Last week">140%</td>'
        '<td class="num worse" data-label="Change">+5 pp</td>'
    ) in page
    assert "110% · 120% · 130% · 140%" in page
    assert 'title="2026-W46: 110%; 2026-W47: 120%; 2026-W48: 130%; 2026-W49: 140%"' in page
    # no-owner: 1 now, 1 last week (5 - 4)
    assert "1 has no owner at all (last week 1)." in page
    assert re.search(
        r"<code>no-owner</code>.*?<td class=\"num\" data-label=\"Last week\">1</td>"
        r"<td class=\"num \" data-label=\"Change\">±0</td>",
        page,
        re.S,
    )
    assert "4 · 3 · 2 · 1" in page


def test_matrix_in_the_report(page: str) -> None:
    assert '<th colspan="10"><bdi>indhold</bdi> › <bdi>Indhold &amp; SoMe</bdi></th>' in page
    assert '<td class="l l-R">R</td>' in page
    assert 'Kasper Vinther</bdi> <span class="hats">(unmatched)</span>' in page
    assert "more — see the XLSX matrix" not in page


def test_matrix_is_capped() -> None:
    page = render_html(sample_report(), max_matrix_rows=1)
    assert "Showing the first 1 of 4 tasks; and 3 more — see the XLSX matrix" in page


def test_matrix_page() -> None:
    page = render_matrix_page(sample_report(), include_closed=True)
    parsed = parse(page)
    assert parsed.headings == ["h1:RACI matrix"]
    assert "Kundecase: Café Solsikke" in page  # archived, shown with include_closed
    assert "<script" not in page


def test_overdue_due_dates_stand_out() -> None:
    data = sample_report()
    late = replace(data.tasks[1], due=date(2026, 12, 1))
    page = render_html(replace(data, tasks=(*data.tasks[:1], late, *data.tasks[2:])))
    assert '<td class="nowrap overdue">2026-12-01</td>' in page


def test_templates_ship_with_the_package() -> None:
    templates = resources.files("raci_sync.reports") / "templates"
    names = {entry.name for entry in templates.iterdir()}
    assert {"report.html.j2", "matrix.html.j2", "_head.html.j2", "_matrix.html.j2"} <= names
    email = resources.files("raci_sync.reports.email") / "templates"
    assert {"email.html.j2", "email.txt.j2"} <= {entry.name for entry in email.iterdir()}


def test_never_synced_and_skipped_sources() -> None:
    never = SourceStatus("nyt", "asana", "never", None, 0)
    skipped = SourceStatus("indhold", "trello", "skipped", GENERATED, 5)
    data = sample_report(sources=(never, skipped), findings=())
    page = render_html(data)
    assert '<span class="pill failed">never synced</span>' in page
    assert '<span class="pill">skipped</span>' in page
    assert rag_status(data) == "red"  # a source that never synced: the report cannot be trusted
    assert "Missing data: 1 of 2 sources." in page
    assert (
        '<tr><td data-label="Source"><bdi>nyt</bdi></td><td data-label="Tool">asana</td>'
        '<td class="nowrap" data-label="Data from">no data</td>'
    ) in page


# -- why, what changed, readable everywhere (issue 11) ---------------------------------------


def test_each_over_capacity_person_gets_the_tasks_behind_the_load(page: str) -> None:
    start = page.index('<div class="person-load" id="load-1">')
    freja = page[start : page.index('<div class="person-load" id="load-2">')]
    assert "<bdi>Freja Nørgaard</bdi>: 145% of capacity (14.5 of 10)" in freja
    # one stacked bar: 9 of 14.5 from indhold, 5.5 from kampagner; capacity 10 at 68.97 %
    assert (
        '<div class="loadbar" title="Load per tool; the line is capacity">'
        '<div class="part t0" style="width: 62.07%"></div>'
        '<div class="part t1" style="width: 37.93%"></div>'
        '<div class="cap" style="left: 68.97%"></div></div>'
    ) in freja
    assert "<bdi>indhold</bdi> (Trello) 9 · " in freja and "(Asana) 5.5" in freja
    rows = re.findall(r"<tr>\n<td>(.*?)</td>", freja)
    assert [re.sub(r"<[^>]+>", "", row) for row in rows] == [
        "Instagram-kampagne: julekaffe ☕",
        "Pressemeddelelse om ny høst",
        "Reels: bag om risteriet",
        "Julekampagne: annoncer",
    ]
    assert '<a href="https://trello.com/c/c2"' in freja  # a task of the report links to it
    anders = page[page.index('id="load-2"') : page.index('<section id="unmatched">')]
    assert "12.35 of 10" in anders and "Årsplan 2027" in anders
    assert 'id="load-3"' not in page  # Mette (ok) and Kasper (unmonitored) get none


def test_a_long_load_list_is_capped() -> None:
    from raci_sync.reports import html

    items = tuple(
        LoadItem("indhold", f"t{n:02d}", f"Opgave {n:02d}", "R", 1.0, 1.0, None) for n in range(60)
    )
    line = WorkloadLine("Freja Nørgaard", 60, 10, 6.0, "critical", 60, {"indhold": 60}, items)
    page = render_html(sample_report(workload=(line,)))
    assert "Opgave 49" in page and "Opgave 50" not in page and html.LOAD_ROWS == 50
    assert "… and 10 more tasks — see the JSON report or the XLSX attached" in page


def test_findings_table_says_since_new_and_chronic() -> None:
    page = render_html(changed_report())
    rows = page[page.index('<table class="stack" id="findings-table">') :]
    rows = rows[: rows.index("</table>")]
    assert rows.count("<tr data-severity=") == 7
    assert re.search(r"Skriv nyhedsbrev til december</bdi></a><span class=\"tag new\">new", rows)
    assert re.search(r"julekaffe ☕</bdi></a><span class=\"tag chronic\">open 4 weeks", rows)
    assert 'data-label="Since" data-v="2026-11-09">2026-11-09</td>' in rows
    order = re.findall(r'<tr data-severity="(\w+)">', rows)
    assert order == ["error"] * 3 + ["warning"] * 2 + ["info"] * 2  # worst first, scripts or not
    assert '<div class="controls" id="findings-controls" hidden>' in page


def test_ignored_count_changes_and_notes() -> None:
    page = render_html(changed_report())
    assert "3 errors, 2 warnings, 2 info · 1 ignored (listed in the JSON report)" in page
    assert "; 2 new, 1 resolved, 5 still open since last week.</li>" in page
    assert f"<li>{escape(NOTE, quote=False)}</li>".replace("'", "&#39;") in page
    plain = render_html(sample_report())
    assert "ignored" not in plain and 'id="notes"' not in plain


def test_subtasks_show_their_parent() -> None:
    data = sample_report()
    about_c4 = Finding("no-responsible", Severity.ERROR, "x", "indhold", "c4", LONG_TITLE)
    page = render_html(replace(data, findings=(about_c4,)))
    assert "<bdi>Instagram-kampagne: julekaffe ☕ › Fotoshoot til forårskampagnen" in page
    assert '<td class="title sub"><span class="parent"><bdi>Instagram-kampagne: julekaffe' in page


def test_a_message_does_not_repeat_the_title_above_it() -> None:
    data = sample_report()
    text = f"'{data.tasks[1].title}' (indhold) has no owner: neither Responsible nor Accountable"
    finding = Finding("no-owner", Severity.ERROR, text, "indhold", "c1", data.tasks[1].title)
    page = render_html(replace(data, findings=(finding,)))
    assert "<td>Has no owner: neither Responsible nor Accountable</td>" in page
