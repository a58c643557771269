"""The HTML report: self-contained, every text escaped, the sections people read."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from html.parser import HTMLParser
from importlib import resources

import pytest

from raci_sync.model import Finding, Severity, SourceStatus, Trends, WeekPoint
from raci_sync.reports.html import render_html, render_matrix_page, safe_url
from raci_sync.reports.summary import rag_status
from tests.reports import GENERATED, SOURCES, empty_report, sample_report
from tests.reports.hostile import EMOJI, hostile_report

ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "main", "section", "footer",
    "div", "h1", "h2", "h3", "p", "ul", "li", "span", "table", "thead", "tbody", "tr", "th",
    "td", "a", "code", "bdi",
}  # fmt: skip


class _Page(HTMLParser):
    """Every start tag with its attributes, the text of headings, and unclosed tags."""

    VOID = frozenset({"meta"})

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
        "h3:Errors (3)",
        "h3:Warnings (2)",
        "h3:Info (2)",
        "h2:Workload",
        "h2:Unmatched accounts",
        "h2:RACI matrix",
    ]


def test_self_contained_and_script_free(page: str, hostile: str) -> None:
    for html in (page, hostile):
        lowered = html.lower()
        for needle in ("<script", "<link", "<img", "<iframe", "url(", "@import"):
            assert needle not in lowered, needle
        tags = parse(html).tags
        assert {tag for tag, _ in tags} <= ALLOWED_TAGS
        for _, attrs in tags:
            assert not [name for name in attrs if name.startswith("on") or name == "src"]
        csp = [
            a for t, a in tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"
        ]
        assert csp and "default-src 'none'" in (csp[0]["content"] or "")
        assert "script-src" not in (csp[0]["content"] or "")


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
    assert "<li>Red: 3 errors, 2 warnings, 2 info on 4 open tasks from 3 sources.</li>" in page
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
    assert '<td class="num">140%</td><td class="num worse">+5 pp</td>' in page
    assert "110% · 120% · 130% · 140%" in page
    assert 'title="2026-W46: 110%; 2026-W47: 120%; 2026-W48: 130%; 2026-W49: 140%"' in page
    # no-owner: 1 now, 1 last week (5 - 4)
    assert "1 has no owner at all (last week 1)." in page
    assert re.search(
        r"<code>no-owner</code>.*?<td class=\"num\">1</td><td class=\"num \">±0</td>", page, re.S
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
    assert '<tr><td><bdi>nyt</bdi></td><td>asana</td><td class="nowrap">no data</td>' in page
