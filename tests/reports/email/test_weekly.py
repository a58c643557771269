"""The weekly email is weekly (PRODUCT §9, §12): once per recipient per ISO week (in the
configured timezone), retried only to those not reached, --force to everyone, a file instead
of a send when asked — against a real local SMTP server (aiosmtpd) and a real store."""

from __future__ import annotations

import email
import email.policy
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from raci_sync.cli import run_cli
from raci_sync.config import Config, parse_config
from raci_sync.demo import demo_config, demo_mount, demo_replay
from raci_sync.errors import ConfigError
from raci_sync.reports.email import send_weekly
from raci_sync.reports.email.smtp import send
from raci_sync.reports.summary import iso_week
from raci_sync.store import Store
from raci_sync.sync import SyncOptions, sync
from tests.reports import SOURCES, empty_report, sample_report
from tests.reports.email.test_smtp import HOST, free_port

TEAM = "marketing@nordlyskaffe.dk"
METTE = "mette@nordlyskaffe.dk"
GONE = "gone@nordlyskaffe.dk"
# Thursday 10 December 2026, 09:00 in Copenhagen: ISO week 2026-W50
THURSDAY = datetime(2026, 12, 10, 8, 0, tzinfo=UTC)


@dataclass
class Mailbox:
    """An aiosmtpd handler keeping every delivery; refuses the addresses in ``refuse``."""

    deliveries: list[Any] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 <" + address + ">: no such user \x1b[31mhere\x1b[0m"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.deliveries.append(envelope)
        return "250 Message accepted"

    @property
    def recipients(self) -> list[list[str]]:
        """Each delivery's envelope recipients."""
        return [list(envelope.rcpt_tos) for envelope in self.deliveries]


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname=HOST, port=port)
    controller.start()
    yield box, port
    controller.stop()


def email_toml(port: int, *, skip_empty: bool = False, to: tuple[str, ...] = (TEAM, METTE)) -> str:
    recipients = ", ".join(f'"{address}"' for address in to)
    return (
        f'[email]\nsmtp_host = "{HOST}"\nsmtp_port = {port}\nsecurity = "none"\n'
        f'from = "RACI <raci@nordlyskaffe.dk>"\nto = [{recipients}]\n'
        f"skip_empty = {'true' if skip_empty else 'false'}\n"
    )


def team_config(port: int, timezone: str = "Europe/Copenhagen", **email: Any) -> Config:
    return parse_config(f'timezone = "{timezone}"\n' + email_toml(port, **email), env={})


# -- the library: send_weekly ---------------------------------------------------------------


def test_one_email_per_recipient_per_week(mailbox: tuple[Mailbox, int], tmp_path: Path) -> None:
    box, port = mailbox
    cfg, data = team_config(port), sample_report(sources=SOURCES[:1])
    with Store(tmp_path / "s.sqlite") as store:
        first = send_weekly(cfg, data, store, now=THURSDAY)
        again = send_weekly(cfg, data, store, now=THURSDAY + timedelta(days=1))
        next_week = send_weekly(cfg, data, store, now=THURSDAY + timedelta(days=4))
        sends = store.email_sends("2026-W50")
    assert first.week == "2026-W50" and first.sent_to == (TEAM, METTE) and first.complete
    assert again.sent_to == () and again.already_sent == (TEAM, METTE) and again.complete
    assert next_week.week == "2026-W51" and next_week.sent_to == (TEAM, METTE)
    assert box.recipients == [[TEAM, METTE], [TEAM, METTE]]  # Friday sent nothing
    assert set(sends) == {TEAM, METTE} and sends[TEAM] == THURSDAY


def test_the_week_is_the_configured_timezones(mailbox: tuple[Mailbox, int], tmp_path: Path) -> None:
    _, port = mailbox
    sunday_night = datetime(2026, 12, 13, 22, 30, tzinfo=UTC)  # 23:30 Sunday in Copenhagen
    monday_early = datetime(2026, 12, 13, 23, 30, tzinfo=UTC)  # 00:30 Monday in Copenhagen
    data = sample_report(sources=SOURCES[:1])
    with Store(tmp_path / "cph.sqlite") as store:
        cph = team_config(port)
        weeks = [send_weekly(cph, data, store, now=t).week for t in (sunday_night, monday_early)]
        assert weeks == ["2026-W50", "2026-W51"]
        assert send_weekly(cph, data, store, now=monday_early).sent_to == ()
    with Store(tmp_path / "utc.sqlite") as store:
        utc = team_config(port, timezone="UTC")
        assert send_weekly(utc, data, store, now=sunday_night).sent_to == (TEAM, METTE)
        late = send_weekly(utc, data, store, now=monday_early)  # still Sunday in UTC
        assert late.week == "2026-W50" and late.sent_to == () and late.already_sent


def test_a_refused_recipient_gets_the_retry_and_nobody_else(
    mailbox: tuple[Mailbox, int], tmp_path: Path
) -> None:
    box, port = mailbox
    cfg, data = team_config(port, to=(TEAM, GONE, METTE)), sample_report(sources=SOURCES[:1])
    box.refuse.add(GONE)
    with Store(tmp_path / "s.sqlite") as store:
        first = send_weekly(cfg, data, store, now=THURSDAY)
        box.refuse.clear()  # the mailbox exists again
        retry = send_weekly(cfg, data, store, now=THURSDAY + timedelta(hours=1))
    assert first.sent_to == (TEAM, METTE) and not first.complete
    assert list(first.refused) == [GONE]
    assert first.refused[GONE].startswith("550 5.1.1 <gone@nordlyskaffe.dk>: no such user")
    assert "\x1b" not in first.refused[GONE]
    assert retry.sent_to == (GONE,) and retry.already_sent == (TEAM, METTE) and retry.complete
    assert box.recipients == [[TEAM, METTE], [GONE]]


def test_a_server_that_is_down_is_reported_and_retried(tmp_path: Path) -> None:
    port = free_port()  # nobody listens yet
    cfg, data = team_config(port), sample_report(sources=SOURCES[:1])
    with Store(tmp_path / "s.sqlite") as store:
        down = send_weekly(cfg, data, store, now=THURSDAY)
        assert store.email_sends("2026-W50") == {}
        box = Mailbox()
        controller = Controller(box, hostname=HOST, port=port)
        controller.start()
        try:
            retry = send_weekly(cfg, data, store, now=THURSDAY + timedelta(hours=2))
        finally:
            controller.stop()
    assert not down.complete and down.sent_to == () and down.not_reached == (TEAM, METTE)
    assert down.error is not None and "cannot connect to the SMTP server" in down.error
    assert retry.sent_to == (TEAM, METTE) and retry.complete


def test_force_sends_to_everyone_again(mailbox: tuple[Mailbox, int], tmp_path: Path) -> None:
    box, port = mailbox
    cfg, data = team_config(port), sample_report(sources=SOURCES[:1])
    with Store(tmp_path / "s.sqlite") as store:
        send_weekly(cfg, data, store, now=THURSDAY)
        forced = send_weekly(cfg, data, store, now=THURSDAY + timedelta(hours=1), force=True)
        sends = store.email_sends("2026-W50")
    assert forced.sent_to == (TEAM, METTE) and forced.already_sent == ()
    assert box.recipients == [[TEAM, METTE], [TEAM, METTE]]
    assert sends[TEAM] == THURSDAY + timedelta(hours=1)


def test_a_skipped_all_clear_week_counts_as_sent(
    mailbox: tuple[Mailbox, int], tmp_path: Path
) -> None:
    box, port = mailbox
    cfg = team_config(port, skip_empty=True)
    with Store(tmp_path / "s.sqlite") as store:
        clear = send_weekly(cfg, empty_report(), store, now=THURSDAY)
        later = send_weekly(cfg, sample_report(), store, now=THURSDAY + timedelta(days=1))
    assert clear.skipped and clear.sent_to == () and clear.complete
    assert later.sent_to == () and later.already_sent == (TEAM, METTE)
    assert box.deliveries == []


def test_writing_to_a_file_sends_and_records_nothing(
    mailbox: tuple[Mailbox, int], tmp_path: Path
) -> None:
    box, port = mailbox
    cfg, data = team_config(port), sample_report()
    with Store(tmp_path / "s.sqlite") as store:
        out = send_weekly(cfg, data, store, now=THURSDAY, write_to=tmp_path / "week.eml")
        assert store.email_sends("2026-W50") == {}
    assert out.written == tmp_path / "week.eml" and out.sent_to == () and out.complete
    msg = email.message_from_bytes(out.written.read_bytes(), policy=email.policy.default)
    assert msg["Subject"] == out.subject and out.subject.startswith("RACI 2026-W50: RED")
    assert box.deliveries == []


def test_no_recipients_is_a_config_error(tmp_path: Path) -> None:
    cfg = team_config(free_port(), to=())
    with Store(tmp_path / "s.sqlite") as store, pytest.raises(ConfigError, match=r"email\.to"):
        send_weekly(cfg, sample_report(), store, now=THURSDAY)


def test_send_goes_only_to_the_envelope_asked_for(mailbox: tuple[Mailbox, int]) -> None:
    from raci_sync.reports.email import build_email

    box, port = mailbox
    cfg = team_config(port)
    msg = build_email(sample_report(), cfg.email, attach_matrix=False)
    assert msg is not None
    assert send(msg, cfg.email, timeout=10, to_addrs=[METTE]) == {}
    assert box.recipients == [[METTE]]


# -- the command line ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def synced_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workspace synced into a store (fresh: no source is missing or stale)."""
    path = tmp_path_factory.mktemp("synced") / "s.sqlite"
    with Store(path) as store:
        options = SyncOptions(mount=demo_mount(demo_replay()), rate_limits=False, full=True)
        sync(demo_config(path), store, options)
    return path


def demo_cli_config(tmp_path: Path, synced_store: Path, port: int, **email: Any) -> Path:
    """The demo's config with a copy of the synced store and [email] at the local server."""
    store = tmp_path / "s.sqlite"
    shutil.copy(synced_store, store)
    root = Path(__file__).resolve().parents[3]
    demo = (root / "src/raci_sync/demo/demo.toml").read_text(encoding="utf-8")
    path = tmp_path / "raci.toml"
    text = f'store = "{store.as_posix()}"\n' + demo + "\n" + email_toml(port, **email)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def demo_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RACI_DEMO_TOKEN", "weekly-demo-token-0123456789")
    monkeypatch.setenv("RACI_DEMO_KEY", "weekly-demo-key-0123456789")


def raci(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = run_cli(list(args))
    return code, capsys.readouterr().err


def test_raci_email_sends_once_a_week_and_force_resends(
    mailbox: tuple[Mailbox, int],
    tmp_path: Path,
    synced_store: Path,
    demo_env: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    box, port = mailbox
    cfg = str(demo_cli_config(tmp_path, synced_store, port))
    code, err = raci(capsys, "--config", cfg, "email")
    assert code == 0, err
    assert f"email: sent to {TEAM}, {METTE}: RACI " in err
    code, err = raci(capsys, "--config", cfg, "email")
    assert code == 0 and "sent to" not in err
    assert f"email: {TEAM}, {METTE} already had the email of " in err and "--force" in err
    code, err = raci(capsys, "--config", cfg, "email", "--force")
    assert code == 0 and f"email: sent to {TEAM}, {METTE}" in err
    assert box.recipients == [[TEAM, METTE], [TEAM, METTE]]


def test_raci_email_output_writes_and_never_sends(
    mailbox: tuple[Mailbox, int],
    tmp_path: Path,
    synced_store: Path,
    demo_env: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    box, port = mailbox
    cfg = str(demo_cli_config(tmp_path, synced_store, port))
    eml = tmp_path / "week.eml"
    code, err = raci(capsys, "--config", cfg, "email", "-o", str(eml))
    assert code == 0 and f"email: written to {eml} (not sent): RACI " in err
    assert eml.read_bytes().startswith(b"From: RACI")
    code, err = raci(capsys, "--config", cfg, "email", "--dry-run", "-o", str(eml))
    assert code == 0 and "written to" in err
    assert box.deliveries == []
    code, err = raci(capsys, "--config", cfg, "email")  # writing the file recorded no send
    assert code == 0 and f"sent to {TEAM}, {METTE}" in err


def test_raci_email_exits_5_naming_the_refused_address(
    mailbox: tuple[Mailbox, int],
    tmp_path: Path,
    synced_store: Path,
    demo_env: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    box, port = mailbox
    box.refuse.add(GONE)
    cfg = str(demo_cli_config(tmp_path, synced_store, port, to=(TEAM, GONE)))
    code, err = raci(capsys, "--config", cfg, "email")
    assert code == 5
    assert f"email: sent to {TEAM}: RACI " in err  # the others were sent
    assert f"email: {GONE} NOT reached: the server refused it (550 5.1.1" in err
    assert not any("sent to" in line and GONE in line for line in err.splitlines())
    box.refuse.clear()
    code, err = raci(capsys, "--config", cfg, "email")  # the retry: only the one not reached
    assert code == 0 and f"email: sent to {GONE}: RACI " in err
    assert box.recipients == [[TEAM], [GONE]]


def test_raci_email_with_the_server_down_exits_5(
    tmp_path: Path, synced_store: Path, demo_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = str(demo_cli_config(tmp_path, synced_store, free_port()))
    code, err = raci(capsys, "--config", cfg, "email")
    assert code == 5
    assert f"email: {TEAM}, {METTE} NOT reached: cannot connect to the SMTP server" in err
    assert "sent to" not in err


def test_raci_run_eml_writes_the_email_and_sends_nothing(
    mailbox: tuple[Mailbox, int],
    tmp_path: Path,
    demo_env: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    box, port = mailbox
    store = tmp_path / "s.sqlite"
    Store(store).close()
    cfg = tmp_path / "raci.toml"
    cfg.write_text(f'store = "{store.as_posix()}"\n' + email_toml(port), encoding="utf-8")
    eml = tmp_path / "run.eml"
    code, err = raci(capsys, "--config", str(cfg), "run", "--no-report", "--eml", str(eml))
    assert eml.exists() and f"email: written to {eml} (not sent)" in err
    assert box.deliveries == [] and code != 5
    code, err = raci(
        capsys, "--config", str(cfg), "run", "--no-report", "--email", "--eml", str(eml)
    )
    assert box.deliveries == [] and "written to" in err  # a file is never also a send
    with Store(store) as opened:
        assert opened.email_sends(iso_week(datetime.now(UTC).date())) == {}


def serve_demo_recordings(httpserver: Any) -> None:
    """A real local server answering the demo's recorded API answers under their vendor paths."""
    import json
    import re

    from werkzeug import Response

    replay = demo_replay()

    def answer(request: Any) -> Response:
        body = request.get_json(silent=True)
        status, headers, reply = replay.answer(
            request.method, request.path, dict(request.args), body
        )
        return Response(
            json.dumps(reply), status=status, headers=headers, content_type="application/json"
        )

    httpserver.expect_request(re.compile(".*")).respond_with_handler(answer)


def test_raci_run_q_email_daily_says_only_what_went_wrong(
    mailbox: tuple[Mailbox, int],
    tmp_path: Path,
    httpserver: Any,
    demo_env: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    box, port = mailbox
    box.refuse.add(GONE)
    serve_demo_recordings(httpserver)
    demo = (Path(__file__).resolve().parents[3] / "src/raci_sync/demo/demo.toml").read_text(
        encoding="utf-8"
    )
    for kind, path in {"trello": "/1", "asana": "/api/1.0", "monday": "/v2"}.items():
        demo = demo.replace(
            f'kind = "{kind}"\n', f'kind = "{kind}"\nbase_url = "{httpserver.url_for(path)}"\n'
        )
    cfg = tmp_path / "raci.toml"
    store = (tmp_path / "s.sqlite").as_posix()
    cfg.write_text(f'store = "{store}"\n{demo}\n{email_toml(port, to=(TEAM, GONE))}', "utf-8")
    daily = ["--config", str(cfg), "run", "-q", "--no-report", "--email"]
    code, err = raci(capsys, *daily)
    assert code == 5, err  # everything synced; one address not reached
    assert f"email: {GONE} NOT reached: the server refused it (550 5.1.1" in err
    assert "sent to" not in err  # -q: what went out says nothing
    box.refuse.clear()
    code, err = raci(capsys, *daily)  # the next day: only the one not reached
    assert code == 0 and "email:" not in err, err
    code, err = raci(capsys, *daily)  # and the day after: nothing at all
    assert code == 0 and "email:" not in err, err
    assert box.recipients == [[TEAM], [GONE]]
