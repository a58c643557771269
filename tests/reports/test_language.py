"""Every output in English and in Danish (PRODUCT §10 "Language", issue 11): the demo workspace
rendered in both languages. The Danish outputs hold no English text of the catalogue; the JSON
report keeps its structure, keys and check ids; the English outputs are what the other tests of
tests/reports check, unchanged."""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from raci_sync import i18n
from raci_sync.demo import run_demo
from raci_sync.model import ReportData
from raci_sync.notify import build_notice
from raci_sync.notify.formats import payload
from raci_sync.reports.email import digest as email_digest
from raci_sync.reports.email import message, personal
from raci_sync.reports.render import render_matrix, render_report
from raci_sync.reports.spreadsheet import email_xlsx
from raci_sync.reports.terminal import render_person

LANGUAGES = ("en", "da")
PLACEHOLDER = re.compile(r"\{[a-z_]*\}|%\([a-z_]+\)[sd]|<[^>]+>")
PERSON = "Freja Nørgaard"  # the most loaded person of the demo: every section has something


def english_phrases() -> list[str]:
    """The English phrases (three words or more, between placeholders) of every message whose
    Danish text does not hold them too: none of them may show in a Danish output."""
    with i18n.LOCALE_DIR.joinpath("da", "LC_MESSAGES", "raci.po").open("rb") as f:
        catalog = read_po(f, locale="da")
    phrases: set[str] = set()
    for msg in catalog:
        if not msg.id:
            continue
        ids = [msg.id] if isinstance(msg.id, str) else list(msg.id)
        texts = [msg.string] if isinstance(msg.string, str) else list(msg.string)
        for msgid in ids:
            for part in PLACEHOLDER.split(msgid.replace("%%", "%")):
                part = part.strip(" .,;:()—…-*#`_'\"%")
                if len(part.split()) >= 3 and not any(part in text for text in texts):
                    phrases.add(part)
    return sorted(phrases)


def xlsx_text(content: bytes) -> str:
    """Sheet names and every text cell of a workbook, one per line."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content), read_only=True)
    lines = list(book.sheetnames)
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            lines += [value for value in row if isinstance(value, str)]
    return "\n".join(lines)


def with_missing_data(data: ReportData) -> ReportData:
    """The demo with its first source failed (stale data shown) and its second never synced:
    the missing-data texts of every output."""
    first, second, *rest = data.sources
    failed = replace(
        first,
        status="failed",
        error="Trello answered 401",
        stale_since=datetime(2026, 12, 6, 7, tzinfo=UTC),
    )
    never = replace(second, status="never", synced_at=None, tasks=0)
    return replace(data, sources=(failed, never, *rest))


def outputs(data: ReportData) -> dict[str, str]:
    """Every output raci-sync writes for people, as text, in the active language."""
    missing = with_missing_data(data)
    digest = email_digest.build_digest(data)
    person = next(p for p in data.people if p.name == PERSON)
    own = personal.build_personal(data, person, "freja@example.org")
    notice = build_notice(data, None)
    found: dict[str, Callable[[], str | bytes]] = {
        "table": lambda: render_report(data, "table", width=120),
        "table, missing data": lambda: render_report(missing, "table", width=120),
        "person": lambda: render_person(data, PERSON, width=120),
        "matrix": lambda: render_matrix(data, "table", width=120),
        "markdown": lambda: render_report(data, "markdown"),
        "markdown, missing data": lambda: render_report(missing, "markdown"),
        "html": lambda: render_report(data, "html"),
        "html, missing data": lambda: render_report(missing, "html"),
        "html matrix": lambda: render_matrix(data, "html"),
        "csv": lambda: render_report(data, "csv"),
        "csv matrix": lambda: render_matrix(data, "csv"),
        "xlsx": lambda: render_report(missing, "xlsx"),
        "xlsx matrix": lambda: render_matrix(data, "xlsx"),
        "xlsx attachment": lambda: email_xlsx(data),
        "email subject": lambda: digest.subject,
        "email text": lambda: message.render_text(digest),
        "email html": lambda: message.render_html(digest, "chart"),
        "email, missing data": lambda: message.render_text(email_digest.build_digest(missing)),
        "personal subject": lambda: own.subject,
        "personal text": lambda: personal.render_text(own),
        "personal html": lambda: personal.render_html(own),
        "slack": lambda: json.dumps(payload("slack", notice, "team"), ensure_ascii=False),
        "teams": lambda: json.dumps(payload("teams", notice, "team"), ensure_ascii=False),
        "webhook": lambda: json.dumps(payload("webhook", notice, "team"), ensure_ascii=False),
        "notice, missing data": lambda: json.dumps(
            payload("slack", build_notice(missing, None), "team"), ensure_ascii=False
        ),
    }
    texts = {}
    for name, render in found.items():
        content = render()
        text = xlsx_text(content) if isinstance(content, bytes) else content
        texts[name] = html.unescape(text) if "html" in name else text
    return texts


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, Any]]]:
    """The demo synced, checked and rendered in each language (checks write their messages in
    the language active when they run, as ``raci report`` does after loading the config)."""
    out: dict[str, dict[str, Any]] = {}
    try:
        for language in LANGUAGES:
            i18n.activate(language)
            data = run_demo(Path(tmp_path_factory.mktemp(f"demo-{language}"))).data
            out[language] = {
                "texts": outputs(data),
                "json": json.loads(render_report(data, "json")),  # type: ignore[arg-type]
            }
        yield out
    finally:
        i18n.activate("en")


PHRASES = english_phrases()


def test_the_catalogue_gives_phrases_to_look_for() -> None:
    assert len(PHRASES) > 100
    assert any("matches nobody in the roster" in phrase for phrase in PHRASES)


@pytest.mark.parametrize(
    "name",
    [
        "table",
        "table, missing data",
        "person",
        "matrix",
        "markdown",
        "markdown, missing data",
        "html",
        "html, missing data",
        "html matrix",
        "csv",
        "csv matrix",
        "xlsx",
        "xlsx matrix",
        "xlsx attachment",
        "email subject",
        "email text",
        "email html",
        "email, missing data",
        "personal subject",
        "personal text",
        "personal html",
        "slack",
        "teams",
        "webhook",
        "notice, missing data",
    ],
)
def test_the_danish_output_has_no_english_text(
    rendered: dict[str, dict[str, Any]], name: str
) -> None:
    english, danish = rendered["en"]["texts"][name], rendered["da"]["texts"][name]
    assert danish != english, f"{name}: the same in both languages"
    left = [phrase for phrase in PHRASES if phrase in danish]
    assert not left, f"{name}: English in the Danish output: {left}"
    # and the English output is English: none of it shows through from Danish
    assert "Udførende" not in english and "arbejdsbyrde" not in english.lower()


def test_danish_words_are_the_teams_words(rendered: dict[str, dict[str, Any]]) -> None:
    table = rendered["da"]["texts"]["table"]
    assert "Godkender" in table and "Udførende" in table
    assert "ARBEJDSBYRDE" in table and "Kapacitet" in table
    assert "FEJL (" in table and "ADVARSLER (" in table
    # numbers and dates in the Danish way
    assert re.search(r"\d+,\d", table) and re.search(r"\d+ %", table)
    assert re.search(r"\b\d\d\.\d\d\.\d{4}\b", table)
    assert '<html lang="da">' in rendered["da"]["texts"]["html"]
    assert '<html lang="en">' in rendered["en"]["texts"]["html"]


def shape(value: Any) -> Any:
    """The structure of a JSON value: keys, list lengths and types, not the texts."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    return type(value).__name__


def test_json_is_the_same_shape_in_both_languages(rendered: dict[str, dict[str, Any]]) -> None:
    english, danish = rendered["en"]["json"], rendered["da"]["json"]
    assert shape(danish) == shape(english)
    assert [f["check"] for f in danish["findings"]] == [f["check"] for f in english["findings"]]
    assert [f["severity"] for f in danish["findings"]] == [
        f["severity"] for f in english["findings"]
    ]
    assert [w["status"] for w in danish["workload"]] == [w["status"] for w in english["workload"]]
    # the messages for people are in the language; the numbers are the same
    assert danish["findings"][0]["message"] != english["findings"][0]["message"]
    assert [w["load"] for w in danish["workload"]] == [w["load"] for w in english["workload"]]
