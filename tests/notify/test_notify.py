"""Notifications against a real local HTTP server (pytest-httpserver) whose fake webhooks check
each payload against the vendor's documented format (tests/fakes/chat.py): Slack Block Kit,
one Teams Adaptive Card, raci's own JSON. What is posted: missing data first, then only what is
new since the last successful post to that target, with links to the tasks."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from raci_sync.config import Config, parse_config
from raci_sync.model import Finding, LoadItem, Severity, WorkloadLine
from raci_sync.notify import build_notice, notify_all
from raci_sync.notify.formats import slack, teams
from raci_sync.notify.send import secret_forms
from raci_sync.store import Store
from tests.fakes.chat import ChatFake, check_slack, check_teams, serve
from tests.reports import FREJA, LONG_TITLE, SOURCES, sample_report

SLACK_PATH = "/services/T0RACI01/B0RACI02/SlackSecretToken8c1e9d"
TEAMS_PATH = "/workflows/4f1e2d/triggers/manual/paths/invoke"
TEAMS_QUERY = "api-version=1&sig=TeamsSignature0123456789abcdef"
AT = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def config(**urls: str) -> Config:
    """A config with one [[notify]] target per ``kind=url``, the URL in the environment."""
    text = "".join(
        f'[[notify]]\nkind = "{kind}"\nurl = "${{HOOK_{kind.upper()}}}"\nname = "{kind}-chat"\n'
        for kind in urls
    )
    env = {f"HOOK_{kind.upper()}": url for kind, url in urls.items()}
    return parse_config('timezone = "Europe/Copenhagen"\n' + text, env=env)


def healthy(**changes: Any) -> Any:
    """The sample report with every source's data there (so only what is new is posted)."""
    return sample_report(sources=SOURCES[:1], **changes)


@pytest.fixture
def slack_hook(httpserver: Any) -> tuple[ChatFake, str]:
    fake = ChatFake("slack", SLACK_PATH)
    return fake, serve(httpserver, fake)


def test_slack_gets_block_kit_with_missing_data_first_and_links(
    slack_hook: tuple[ChatFake, str], tmp_path: Path
) -> None:
    fake, url = slack_hook
    with Store(tmp_path / "s.sqlite") as store:
        outcome = notify_all(config(slack=url), sample_report(), store, now=AT)
        recorded = store.last_notification("slack-chat")
    assert outcome.complete and outcome.targets[0].posted
    assert fake.violations == [] and len(fake.received) == 1
    body = fake.received[0]
    assert body["blocks"][0]["type"] == "header"
    assert body["blocks"][0]["text"]["text"].startswith("RACI 2026-W50: RED — 1 source failed")
    sections = [b["text"]["text"] for b in body["blocks"] if b["type"] == "section"]
    assert sections[0].startswith("*Missing data: 2 of 3 sources.")  # first, before findings
    assert "kampagner (Asana)" in sections[0] and "401" in sections[0]
    assert "drift (monday.com)* — stale" in sections[0]
    errors = next(s for s in sections if s.startswith("*New ownership errors*"))
    assert "<https://trello.com/c/c1|Skriv nyhedsbrev til december>" in errors
    assert "Nobody is responsible or accountable" in errors
    over = next(s for s in sections if s.startswith("*Newly over capacity*"))
    assert "*Freja Nørgaard* 145 % (14.5 of 10)" in over and "*Anders Holm* 123 %" in over
    assert "Missing data" in body["text"] and "<" not in body["text"]
    assert recorded is not None and recorded.posted_at == AT
    assert len(recorded.errors) == 3 and recorded.overloaded == {FREJA, "roster:Anders Holm"}


def test_only_what_is_new_since_the_last_successful_post(
    slack_hook: tuple[ChatFake, str], tmp_path: Path
) -> None:
    fake, url = slack_hook
    cfg, data = config(slack=url), healthy()
    new_error = Finding(
        "no-accountable",
        Severity.ERROR,
        "Nobody is accountable.",
        source="indhold",
        task_id="c4",
        task=LONG_TITLE,
    )
    with Store(tmp_path / "s.sqlite") as store:
        first = notify_all(cfg, data, store, now=AT)
        again = notify_all(cfg, data, store, now=AT + timedelta(days=1))
        more = replace(data, findings=(*data.findings, new_error))
        third = notify_all(cfg, more, store, now=AT + timedelta(days=2))
        forced = notify_all(cfg, more, store, now=AT + timedelta(days=3), force=True)
    assert first.targets[0].new_errors == 3 and first.targets[0].newly_overloaded == 2
    assert again.targets[0].skipped and not again.targets[0].posted and again.complete
    assert third.targets[0].posted and third.targets[0].new_errors == 1
    assert third.targets[0].newly_overloaded == 0
    assert len(fake.received) == 3 and fake.violations == []
    text = json.dumps(fake.received[1])
    assert "https://trello.com/c/c4" in text  # the new one, with its link
    assert "trello.com/c/c1" not in text and "Newly over capacity" not in text
    assert "since 2026-12-08 09:00 +0100" not in text  # the skipped run was no post
    assert "since 2026-12-07 08:00 +0000" in text
    assert forced.targets[0].posted and "(0 new since" in json.dumps(fake.received[2])


def test_a_failed_post_is_not_recorded_and_the_next_carries_it_again(
    slack_hook: tuple[ChatFake, str], tmp_path: Path
) -> None:
    _, url = slack_hook
    cfg, data = config(slack=url.replace(SLACK_PATH, "/services/T0/B0/revoked")), healthy()
    with Store(tmp_path / "s.sqlite") as store:
        failed = notify_all(cfg, data, store, now=AT)
        assert store.last_notification("slack-chat") is None
        retry = notify_all(config(slack=url), data, store, now=AT + timedelta(hours=1))
    error = failed.targets[0].error
    assert not failed.complete and error is not None
    assert "404" in error and "no_service" in error and "[[notify]] 'slack-chat'" in error
    assert "revoked" not in error and "T0" not in error  # no piece of the URL
    assert retry.complete and retry.targets[0].new_errors == 3


def test_a_service_that_is_down_is_retried_then_reported(
    httpserver: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from werkzeug import Response

    calls: list[int] = []

    def down(request: Any) -> Response:
        calls.append(1)
        echo = f"upstream error for {request.path}?{request.query_string.decode()}"
        return Response(echo, status=503, headers={"Retry-After": "0"})

    httpserver.expect_request(TEAMS_PATH).respond_with_handler(down)
    url = httpserver.url_for(TEAMS_PATH) + "?" + TEAMS_QUERY
    caplog.set_level(logging.DEBUG)
    with Store(tmp_path / "s.sqlite") as store:
        outcome = notify_all(config(teams=url), healthy(), store, now=AT)
    error = outcome.targets[0].error or ""
    assert len(calls) == 3 and "gave up after 3 tries" in error and "503" in error
    assert "TeamsSignature" not in error and "4f1e2d" not in error and "***" in error
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("urllib3"))
    assert "POST" in logged and "TeamsSignature" not in logged and "4f1e2d" not in logged


def test_teams_gets_one_adaptive_card(httpserver: Any, tmp_path: Path) -> None:
    fake = ChatFake("teams", TEAMS_PATH)
    url = serve(httpserver, fake) + "?" + TEAMS_QUERY
    with Store(tmp_path / "s.sqlite") as store:
        outcome = notify_all(config(teams=url), sample_report(), store, now=AT)
    assert outcome.complete and fake.violations == [] and len(fake.received) == 1
    card = fake.received[0]["attachments"][0]["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    texts = [element["text"] for element in card["body"]]
    assert texts[0].startswith("RACI 2026-W50: RED") and card["body"][0]["color"] == "Attention"
    assert texts[1].startswith("Missing data: 2 of 3 sources")
    errors = texts[texts.index("New ownership errors (the first post to this target)") + 1]
    assert "[Skriv nyhedsbrev til december](https://trello.com/c/c1)" in errors


def test_the_generic_webhook_gets_the_documented_json(httpserver: Any, tmp_path: Path) -> None:
    fake = ChatFake("webhook", "/hooks/ops-7Qm2x9LkP0")
    url = serve(httpserver, fake)
    with Store(tmp_path / "s.sqlite") as store:
        assert notify_all(config(webhook=url), sample_report(), store, now=AT).complete
    body = fake.received[0]
    assert fake.violations == []
    assert body["status"] == "red" and body["since"] is None and body["target"] == "webhook-chat"
    assert [m["source"] for m in body["missing_data"]] == ["kampagner", "drift"]
    assert body["missing_data"][0]["synced_at"] is None
    first = body["new_ownership_errors"]["items"][0]
    assert first["url"].startswith("https://") and first["task"] and first["problem"]
    freja = body["newly_overloaded"]["items"][0]
    assert freja["person"] == "Freja Nørgaard" and freja["utilisation"] == 1.45
    assert body["open"] == {"ownership_errors": 3, "overloaded": 2}


def test_tool_text_cannot_make_links_or_mentions() -> None:
    hostile = "<!channel> & <https://evil.example|click> [x](https://evil.example) *bold*"
    data = healthy(
        findings=(
            Finding(
                "no-owner",
                Severity.ERROR,
                f"'{hostile}' (indhold) has nobody.",
                source="indhold",
                task_id="evil",
                task=hostile,
                suggestion="<@U123> do it",
            ),
        ),
    )
    notice = build_notice(data, None)
    body = slack(notice, "t")
    assert check_slack(body) == []
    text = json.dumps(body)
    assert "<!channel>" not in text and "<@U123>" not in text and "&lt;!channel&gt;" in text
    card = json.dumps(teams(notice, "t"))
    assert check_teams(teams(notice, "t")) == [] and "[x](https://evil" not in card


def test_long_weeks_stay_within_the_limits() -> None:
    """30 new errors with 200-character titles and a dozen overloaded people: Slack's 3000
    characters a section and 50 blocks, Teams' 28 KB."""
    findings = tuple(
        Finding(
            "no-owner",
            Severity.ERROR,
            "Nobody is responsible or accountable.",
            source="indhold",
            task_id=f"t{i}",
            task=("Ø" * 300) + str(i),
            suggestion="suggested A: " + "x" * 600,
        )
        for i in range(30)
    )
    tasks = tuple(LoadItem("indhold", f"t{i}", "Å" * 250, "R", 2.0, 2.0, None) for i in range(10))
    workload = tuple(
        WorkloadLine(f"roster:P{i}", 20.0, 10.0, 2.0, "critical", 10, tasks=tasks)
        for i in range(12)
    )
    notice = build_notice(healthy(findings=findings, workload=workload), None)
    assert len(notice.new_errors.items) == 10 and notice.new_errors.more == 20
    assert check_slack(slack(notice, "t")) == []
    assert check_teams(teams(notice, "t")) == []


def test_dry_run_needs_no_url_and_records_nothing(tmp_path: Path) -> None:
    cfg = parse_config('[[notify]]\nkind = "slack"\nurl = "${UNSET_HOOK}"\n', env={})
    with Store(tmp_path / "s.sqlite") as store:
        outcome = notify_all(cfg, sample_report(), store, now=AT, dry_run=True)
        assert store.last_notification("slack") is None
    assert outcome.targets[0].payload is not None
    assert check_slack(outcome.targets[0].payload) == []


def test_the_url_pieces_that_are_scrubbed() -> None:
    forms = secret_forms("https://hooks.slack.com" + SLACK_PATH)
    assert "SlackSecretToken8c1e9d" in forms and "T0RACI01" in forms and SLACK_PATH in forms
    assert "services" not in forms and "hooks.slack.com" not in forms
    assert list(forms) == sorted(forms, key=len, reverse=True)
    teams_forms = secret_forms("https://x.example.com" + TEAMS_PATH + "?" + TEAMS_QUERY)
    assert "TeamsSignature0123456789abcdef" in teams_forms and "triggers" not in teams_forms
