"""`raci notify` and `raci run --notify`: the demo's recordings served by a real local server,
the chat webhook a fake beside them that checks every payload (tests/fakes/chat.py). A failed
post exits 5 after everything else is done, and never fails the sync."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.cli_runs import local_config, run, serve_recordings
from tests.fakes.chat import ChatFake, check_slack, serve


def ours(err: str) -> str:
    """stderr without the test server's own log lines (werkzeug logs each request's path)."""
    return "\n".join(line for line in err.splitlines() if "werkzeug" not in line)


HOOK_PATH = "/services/T0DEMO01/B0DEMO02/DemoHookSecret4d8f2a"


@pytest.fixture
def setup(
    tmp_path: Path, httpserver: Any, demo_env: None, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, ChatFake]:
    fake = ChatFake("slack", HOOK_PATH)
    url = serve(httpserver, fake)  # before the recordings' catch-all
    serve_recordings(httpserver)
    cfg = local_config(tmp_path, httpserver)
    with cfg.open("a", encoding="utf-8") as f:
        f.write('\n[[notify]]\nkind = "slack"\nurl = "${RACI_TEST_HOOK}"\nname = "marketing"\n')
    monkeypatch.setenv("RACI_TEST_HOOK", url)
    return cfg, fake


def test_run_notify_posts_once_then_only_what_is_new(
    setup: tuple[Path, ChatFake], capsys: pytest.CaptureFixture[str]
) -> None:
    cfg, fake = setup
    code, out, err = run(["--config", str(cfg), "run", "--no-report", "--notify"], capsys)
    assert code == 0, err
    assert "notify: marketing (slack): posted (" in err and out == ""
    assert len(fake.received) == 1 and fake.violations == []
    assert "<https://" in json.dumps(fake.received[0])  # links to the tasks
    code, _, err = run(["--config", str(cfg), "run", "--no-report", "--notify"], capsys)
    assert code == 0 and "nothing new since the last post" in err
    assert len(fake.received) == 1
    code, _, err = run(["--config", str(cfg), "-q", "run", "--no-report", "--notify"], capsys)
    assert code == 0 and "notify" not in err  # -q: only what failed
    code, _, err = run(["--config", str(cfg), "notify", "--force"], capsys)
    assert code == 0 and len(fake.received) == 2


def test_a_failed_post_exits_5_after_the_sync_and_the_rest(
    setup: tuple[Path, ChatFake],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    cfg, fake = setup
    revoked = os.environ["RACI_TEST_HOOK"].replace("DemoHookSecret4d8f2a", "RevokedHook7c3e1b")
    monkeypatch.setenv("RACI_TEST_HOOK", revoked)
    report = tmp_path / "report.json"
    code, _, err = run(["--config", str(cfg), "run", "--notify", "-o", str(report)], capsys)
    assert code == 5, err
    assert "notify: marketing (slack) NOT posted:" in err and "404" in err
    assert "no_service" in err and "RevokedHook7c3e1b" not in ours(err)
    assert "T0DEMO01" not in ours(err)
    assert json.loads(report.read_text(encoding="utf-8"))["sources"]  # the report was written
    with sqlite3.connect(tmp_path / "s.sqlite") as db:
        snapshots = db.execute("SELECT count(*) FROM snapshots").fetchone()[0]
        posts = db.execute("SELECT count(*) FROM notify_posts").fetchone()[0]
        dump = "\n".join(db.iterdump())
    db.close()
    assert snapshots == 3 and posts == 0  # the sync is kept; nothing recorded as posted
    assert "Hook" not in dump and "T0DEMO01" not in dump
    assert fake.received == []
    monkeypatch.setenv(
        "RACI_TEST_HOOK", revoked.replace("RevokedHook7c3e1b", "DemoHookSecret4d8f2a")
    )
    code, _, err = run(["--config", str(cfg), "notify"], capsys)
    assert code == 0 and len(fake.received) == 1  # the next one carries it


def test_a_failed_source_wins_over_a_failed_post(
    tmp_path: Path,
    httpserver: Any,
    demo_env: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    serve_recordings(httpserver, fail_prefix="/1/")  # Trello answers 401; no webhook served
    cfg = local_config(tmp_path, httpserver)
    with cfg.open("a", encoding="utf-8") as f:
        f.write('\n[[notify]]\nkind = "teams"\nurl = "${RACI_TEST_HOOK}"\n')
    monkeypatch.setenv("RACI_TEST_HOOK", httpserver.url_for("/1/workflows/x?sig=Sig0123456789"))
    code, _, err = run(["--config", str(cfg), "run", "--no-report", "--notify"], capsys)
    assert code == 3 and "NOT posted" in err and "Sig0123456789" not in ours(err)


def test_dry_run_prints_the_payloads_without_the_url(
    setup: tuple[Path, ChatFake],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cfg, fake = setup
    monkeypatch.delenv("RACI_TEST_HOOK")
    code, out, err = run(["--config", str(cfg), "notify", "--dry-run"], capsys)
    assert code == 0, err
    (target,) = json.loads(out)
    assert target["target"] == "marketing" and check_slack(target["payload"]) == []
    assert fake.requests == 0
    code, _, err = run(["--config", str(cfg), "notify"], capsys)
    assert code == 2 and "RACI_TEST_HOOK is not set" in err


def test_no_target_is_a_config_error(
    tmp_path: Path, httpserver: Any, demo_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = local_config(tmp_path, httpserver)
    code, _, err = run(["--config", str(cfg), "notify", "--dry-run"], capsys)
    assert code == 2 and "no [[notify]] target" in err
