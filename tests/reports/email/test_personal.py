"""Personal digests ([email] personal = true) against a real local SMTP server (aiosmtpd) and a
real store: each roster person with an email gets their own — their R/A tasks with findings,
their load and the tasks behind it, what is due — and nobody gets anyone else's list (every
sent message parsed, no other person's task title in it). One SMTP session per run, once a week
per recipient, retried only to whoever was not reached."""

from __future__ import annotations

import email
import email.policy
import html
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from raci_sync.cli import run_cli
from raci_sync.config import Config
from raci_sync.demo import DEMO_TODAY, demo_config, demo_mount, demo_replay
from raci_sync.model import ReportData
from raci_sync.reports.email import send_weekly
from raci_sync.reports.email.personal import TEXT, build_personal, digest_recipients
from raci_sync.store import Store
from raci_sync.sync import SyncOptions, build_report, sync
from tests.reports import sample_report
from tests.reports.email.test_smtp import HOST, free_port

TEAM = "marketing@nordlyskaffe.dk"
# Thursday of the demo's week (2026-W50) — the window starts on DEMO_TODAY, the Monday
THURSDAY = datetime(2026, 12, 10, 8, 0, tzinfo=UTC)


@dataclass
class Mailbox:
    """Keeps every delivery; counts connections; refuses the addresses in ``refuse``."""

    deliveries: list[Any] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    connections: int = 0

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.deliveries.append(envelope)
        return "250 accepted"

    def to(self, address: str) -> list[EmailMessage]:
        """The messages whose envelope went to ``address`` alone, parsed."""
        return [
            email.message_from_bytes(e.content, policy=email.policy.default)  # type: ignore[misc]
            for e in self.deliveries
            if e.rcpt_tos == [address]
        ]


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname=HOST, port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Config, ReportData]:
    """The demo week, synced through the real connectors, with [email] personal = true."""
    path = tmp_path_factory.mktemp("demo") / "s.sqlite"
    cfg = demo_config(path)
    with Store(path) as store:
        sync(cfg, store, SyncOptions(mount=demo_mount(demo_replay()), rate_limits=False, full=True))
        return cfg, build_report(cfg, store, DEMO_TODAY)


def personal_config(cfg: Config, port: int, **changes: Any) -> Config:
    settings: dict[str, Any] = {
        "smtp_host": HOST,
        "smtp_port": port,
        "security": "none",
        "sender": "RACI <raci@nordlyskaffe.dk>",
        "to": (TEAM,),
        "personal": True,
    }
    mail = replace(cfg.email, **{**settings, **changes})
    return replace(cfg, email=mail, timezone="Europe/Copenhagen")


def bodies(msg: EmailMessage) -> str:
    """Both parts of a message, decoded."""
    parts = [
        p.get_content() for p in msg.walk() if p.get_content_type() in ("text/plain", "text/html")
    ]
    return "\n".join(str(p) for p in parts)


def test_each_gets_their_own_and_nobody_anyone_elses(
    demo: tuple[Config, ReportData], mailbox: tuple[Mailbox, int], tmp_path: Path
) -> None:
    cfg, data = demo
    box, port = mailbox
    with Store(tmp_path / "s.sqlite") as store:
        outcome = send_weekly(personal_config(cfg, port), data, store, now=THURSDAY)
    people = digest_recipients(data)
    assert len(people) == 5 and outcome.complete
    assert outcome.sent_to == (TEAM,)
    assert sorted(outcome.digests_sent) == sorted(address for _, address in people)
    assert box.connections == 1  # the team email and five digests: one SMTP session
    titles = {task.key: task.title for task in data.tasks}
    mine: dict[str, set[tuple[str, str]]] = {}
    for a in data.assignments:
        mine.setdefault(a.person, set()).add((a.source, a.task_id))
    checked = shown = 0
    for person, address in people:
        (msg,) = box.to(address)
        assert msg["To"] == address and "RACI 2026-W50, your week" in msg["Subject"]
        text = bodies(msg)
        own = {titles[k] for k in mine.get(person.key, set()) if k in titles}
        others = {t for k, t in titles.items() if k not in mine.get(person.key, set())}
        # a title that is part of one of this person's own titles cannot tell them apart
        others = {t for t in others if not any(t in o for o in own)}
        leaked = [t for t in others if t in text or html.escape(t) in text]
        assert leaked == [], f"{person.name} got other people's tasks: {leaked}"
        checked += len(others)
        shown += any(t in text or html.escape(t) in text for t in own)
    assert checked > 50 and shown >= 4  # not vacuous: tasks not theirs, and their own shown


def test_the_digest_says_what_needs_the_person(demo: tuple[Config, ReportData]) -> None:
    _, data = demo
    digests = {p.name: build_personal(data, p, address) for p, address in digest_recipients(data)}
    flagged = [d for d in digests.values() if d.flagged.items]
    assert flagged, "the demo week has findings on somebody's R/A tasks"
    for digest in flagged:
        assert all(
            item.letters in ("R", "A", "R/A") and item.problems for item in digest.flagged.items
        )
    loaded = [d for d in digests.values() if d.load_tasks.items]
    assert loaded and all(
        "of your capacity" in d.load_line or "no capacity" in d.load_line for d in loaded
    )
    due = [d for d in digests.values() if d.due.items]
    assert all(item.due.isoformat() <= d.window_end for d in due for item in d.due.items)


def test_missing_data_comes_first(mailbox: tuple[Mailbox, int], tmp_path: Path) -> None:
    from raci_sync.config import parse_config

    box, port = mailbox
    data = replace(
        sample_report(),
        people=tuple(
            replace(p, emails=(f"{p.name.split()[0].lower()}@nordlys.example",)) if p.matched else p
            for p in sample_report().people
        ),
    )
    cfg = personal_config(parse_config("", env={}), port)
    with Store(tmp_path / "s.sqlite") as store:
        outcome = send_weekly(cfg, data, store, now=THURSDAY)
    assert outcome.complete and len(outcome.digests_sent) == 5
    (freja,) = box.to("freja@nordlys.example")
    text = freja.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert text.startswith(TEXT["missing"])  # before the greeting, in both parts
    html_part = freja.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert html_part.index(TEXT["missing"]) < html_part.index("Hello Freja")
    assert "kampagner (Asana): failed" in text
    assert "145 % of your capacity: 14.5 of 10" in text
    assert freja["Subject"] == (
        "RACI 2026-W50, your week: 1 source failed, 1 source stale, findings on 1 of your "
        "tasks, 145 % load, 1 due"
    )


def test_once_a_week_and_a_refused_one_is_retried_alone(
    demo: tuple[Config, ReportData], mailbox: tuple[Mailbox, int], tmp_path: Path
) -> None:
    cfg, data = demo
    box, port = mailbox
    box.refuse.add("sofie@nordlyskaffe.dk")
    conf = personal_config(cfg, port)
    with Store(tmp_path / "s.sqlite") as store:
        first = send_weekly(conf, data, store, now=THURSDAY)
        box.refuse.clear()
        retry = send_weekly(conf, data, store, now=THURSDAY + timedelta(hours=1))
        again = send_weekly(conf, data, store, now=THURSDAY + timedelta(hours=2))
        forced = send_weekly(conf, data, store, now=THURSDAY + timedelta(hours=3), force=True)
    assert not first.complete and list(first.digests_failed) == ["sofie@nordlyskaffe.dk"]
    assert "550" in first.digests_failed["sofie@nordlyskaffe.dk"]
    assert first.sent_to == (TEAM,) and len(first.digests_sent) == 4
    assert retry.complete and retry.digests_sent == ("sofie@nordlyskaffe.dk",)
    assert retry.sent_to == () and len(retry.digests_already) == 4
    assert again.digests_sent == () and again.sent_to == () and len(again.digests_already) == 5
    assert len(forced.digests_sent) == 5 and forced.sent_to == (TEAM,)
    assert len(box.deliveries) == 5 + 1 + 6


def test_skip_empty_skips_a_digest_with_nothing_and_counts_it(
    mailbox: tuple[Mailbox, int], tmp_path: Path
) -> None:
    from raci_sync.config import parse_config
    from tests.reports import empty_report

    box, port = mailbox
    clear = empty_report()
    data = replace(
        clear,
        people=tuple(
            replace(p, emails=("p@nordlys.example",)) if p.name == "Sofie Lund" else p
            for p in clear.people
        ),
    )
    cfg = personal_config(parse_config("", env={}), port, skip_empty=True)
    with Store(tmp_path / "s.sqlite") as store:
        outcome = send_weekly(cfg, data, store, now=THURSDAY)
        assert set(store.digest_sends("2026-W50")) == {"p@nordlys.example"}
    assert outcome.digests_skipped == ("p@nordlys.example",) and outcome.complete
    assert box.deliveries == []  # the team's all-clear skipped too


def test_written_to_files_beside_the_email(demo: tuple[Config, ReportData], tmp_path: Path) -> None:
    cfg, data = demo
    with Store(tmp_path / "s.sqlite") as store:
        out = send_weekly(
            personal_config(cfg, free_port()),
            data,
            store,
            now=THURSDAY,
            write_to=tmp_path / "week.eml",
        )
        assert store.digest_sends("2026-W50") == {}
    assert len(out.digests_written) == 5
    assert tmp_path / "week.freja-nordlyskaffe-dk.eml" in out.digests_written


def test_raci_email_says_who_had_a_digest(
    demo: tuple[Config, ReportData],
    mailbox: tuple[Mailbox, int],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import shutil

    cfg, _ = demo
    box, port = mailbox
    assert cfg.store is not None
    store = tmp_path / "s.sqlite"
    shutil.copy(cfg.store, store)
    demo_toml = (Path(__file__).resolve().parents[3] / "src/raci_sync/demo/demo.toml").read_text(
        encoding="utf-8"
    )
    path = tmp_path / "raci.toml"
    path.write_text(
        f'store = "{store.as_posix()}"\n'
        + demo_toml
        + f'\n[email]\nsmtp_host = "{HOST}"\nsmtp_port = {port}\nsecurity = "none"\n'
        f'from = "raci@nordlyskaffe.dk"\nto = ["{TEAM}"]\npersonal = true\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("RACI_DEMO_TOKEN", "t" * 20)
    monkeypatch.setenv("RACI_DEMO_KEY", "k" * 20)
    box.refuse.add("jonas@nordlyskaffe.dk")
    code = run_cli(["--config", str(path), "email", "--as-of", "2026-12-07"])
    err = capsys.readouterr().err
    assert code == 5, err
    assert f"email: sent to {TEAM}" in err and "email: personal digest sent to " in err
    assert "jonas@nordlyskaffe.dk NOT reached (personal digest): " in err


def test_a_roster_address_that_is_no_address_fails_that_digest_alone(
    mailbox: tuple[Mailbox, int], tmp_path: Path
) -> None:
    from raci_sync.config import parse_config

    box, port = mailbox
    smuggler = "freja@nordlys.example, boss@elsewhere.example"  # one "@"-check passes it
    people = tuple(
        replace(p, emails=(smuggler if p.name == "Freja Nørgaard" else "mette@nordlys.example",))
        for p in sample_report().people
        if p.name in ("Freja Nørgaard", "Mette Sørensen")
    )
    data = replace(sample_report(), people=people)
    cfg = personal_config(parse_config("", env={}), port, to=())  # digests only, no team email
    with Store(tmp_path / "s.sqlite") as store:
        outcome = send_weekly(cfg, data, store, now=THURSDAY)
    assert outcome.digests_sent == ("mette@nordlys.example",) and not outcome.complete
    assert "is not one email address" in outcome.digests_failed[smuggler]
    assert [e.rcpt_tos for e in box.deliveries] == [["mette@nordlys.example"]]
