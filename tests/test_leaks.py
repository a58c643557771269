"""Leaks: recognisable fake secrets go through every command, and come out nowhere.

Trello's key and token, the Asana and monday tokens and the SMTP login are environment variables
that the config names (``${RACI_LEAK_...}``); the fake APIs (tests/fakes) and a real SMTP server
(aiosmtpd, with AUTH) check them, so every secret is really used. Every command runs with
``--debug --log-file``:

- a clean ``sync --full`` of the three sources;
- a ``sync --full`` where every source fails: Trello's token revoked mid-sync (a 401 whose body
  echoes key and token), an Asana 500 burst (Retry-After: 0, so no waiting) whose body echoes the
  Authorization header, a monday answer cut off mid-body;
- ``check-config --online`` against the failing APIs;
- ``report`` in every format and ``matrix`` in every format (to files; table/json to stdout too);
- ``email --dry-run -o x.eml``; ``email`` (with personal digests) sent with a login; ``email`` with a wrong (non-ASCII)
  password, refused by the server; ``run --email --notify`` while the APIs still fail;
- ``notify --force`` to a fake Slack webhook (its URL a secret like a token), and the same
  webhook answering 404 with a page that echoes its path.

Then every secret is searched for — as it is, URL-encoded, JSON-, HTML- and quoted-printable-
escaped, and base64-encoded at each of the three alignments (AUTH PLAIN/LOGIN carry base64 on
the wire: it must never be in our outputs) — and so are the marker ``LEAKCHECK`` that every
secret contains and each secret's last 10 characters (a secret cut in two), in: stdout and
stderr of every command, the log file, every file under the test's directory (the reports, the
matrices, the .eml, the config, the lock; zip files — xlsx — member by member; .eml files part by
part, decoded, and header by header), the SQLite store (file, -wal, -shm, and a dump of every
table), the stored runs' error messages, and the messages the SMTP server received.

Excluded, precisely: the log records of the test's own SMTP server (aiosmtpd's loggers
``mail.log`` and ``mail.debug``, which log the AUTH exchange they receive) are dropped by a
filter on those two loggers, and counted. The fake APIs' server logs nothing.
"""

from __future__ import annotations

import base64
import email
import email.message
import email.policy
import html
import io
import json
import logging
import quopri
import socket
import sqlite3
import zipfile
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from raci_sync.cli import run_cli
from tests.fakes.chat import ChatFake
from tests.fakes.config import env_refs, sources_toml
from tests.fakes.server import DROP, FakeServer, Reply, Request, _Drop
from tests.fakes.workspace import Workspace, generate

MARKER = "LEAKCHECK"
TRELLO_KEY = "LEAKCHECK-trello-key-7f3a9c1e5b2d"
TRELLO_TOKEN = "LEAKCHECK-trello-token-4e8b2f6a0c9d1357"
ASANA_TOKEN = "LEAKCHECK-asana-pat-2/1208000000000001/1209000000000002:5e1fa7c3b9d2"
MONDAY_TOKEN = "LEAKCHECK-monday-eyJhbGciOiJIUzI1NiJ9.eyJ0aWQiOjQyfQ.c2lnbmF0dXJl_x9Q"
SMTP_USER = "LEAKCHECK-smtp-user-b71d"
SMTP_PASSWORD = "LEAKCHECK-smtp-pass-9d4c+e1/f0=Zq"
WRONG_PASSWORD = "LEAKCHECK-smtp-wrong-Pässwörd-3a7e"
WEBHOOK = "LEAKCHECK-webhook-6f2b9d1e"  # the secret part of a Slack webhook's URL
HOOK_PATH = f"/services/T0LEAK01/B0LEAK02/{WEBHOOK}"
ENV = {
    "RACI_LEAK_TRELLO_KEY": TRELLO_KEY,
    "RACI_LEAK_TRELLO_TOKEN": TRELLO_TOKEN,
    "RACI_LEAK_ASANA_TOKEN": ASANA_TOKEN,
    "RACI_LEAK_MONDAY_TOKEN": MONDAY_TOKEN,
    "RACI_LEAK_SMTP_USER": SMTP_USER,
    "RACI_LEAK_SMTP_PASSWORD": SMTP_PASSWORD,
}
SECRETS = {
    "trello key": TRELLO_KEY,
    "trello token": TRELLO_TOKEN,
    "asana token": ASANA_TOKEN,
    "monday token": MONDAY_TOKEN,
    "smtp user": SMTP_USER,
    "smtp password": SMTP_PASSWORD,
    "wrong smtp password": WRONG_PASSWORD,
    "webhook url": WEBHOOK,
}
SERVER_LOGGERS = ("mail.log", "mail.debug")  # aiosmtpd: the test's SMTP server, not raci
HOST = "127.0.0.1"
KINDS = {"trello": "indhold", "asana": "kampagner", "monday": "events"}


# -- what to look for ----------------------------------------------------------------------


def base64_cores(raw: bytes) -> list[bytes]:
    """The base64 characters that ``raw`` alone decides, at each of the three alignments it can
    have inside a longer base64 text (e.g. ``\\0user\\0password`` of AUTH PLAIN)."""
    cores = []
    for shift in range(3):
        encoded = base64.b64encode(bytes(shift) + raw)
        core = encoded[-(-shift * 8 // 6) : (shift + len(raw)) * 8 // 6]
        cores += [core, core.translate(bytes.maketrans(b"+/", b"-_"))]
    return cores


def forms(text: str) -> set[bytes]:
    """``text`` as it could be written anywhere: raw, URL-, JSON-, HTML-, QP-escaped, base64."""
    raw = text.encode()
    out = {
        raw,
        quote(text, safe="").encode(),
        quote(text).encode(),
        quote_plus(text).encode(),
        json.dumps(text)[1:-1].encode(),
        html.escape(text).encode(),
        quopri.encodestring(raw),
        *base64_cores(raw),
    }
    return {form for form in out if form}


def needles() -> dict[bytes, str]:
    """Every byte string that would betray a secret → what it betrays."""
    out: dict[bytes, str] = {}
    for name, secret in SECRETS.items():
        for form in forms(secret):
            out.setdefault(form, name)
        for form in forms(secret[-10:]):
            out.setdefault(form, f"{name} (its last 10 characters)")
    for form in forms(MARKER):
        out.setdefault(form, f"the marker {MARKER} (part of a secret)")
    return out


NEEDLES = needles()


# -- where to look -------------------------------------------------------------------------


@dataclass
class Sweep:
    """Places (name → bytes) to search; files are opened up (zip members, .eml parts)."""

    places: list[tuple[str, bytes]] = field(default_factory=list)

    def add(self, name: str, data: bytes | str) -> None:
        blob = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
        self.places.append((name, blob))
        if name.endswith(".eml"):
            self._add_message(name, blob)
        elif blob[:4] == b"PK\x03\x04":
            with zipfile.ZipFile(io.BytesIO(blob)) as archive:
                for member in archive.namelist():
                    self.add(f"{name}!{member}", archive.read(member))

    def _add_message(self, name: str, blob: bytes) -> None:
        msg = email.message_from_bytes(blob, policy=email.policy.default)
        for i, part in enumerate(msg.walk()):
            headers = "\n".join(f"{k}: {v}" for k, v in part.items())
            self.add(f"{name}#{i} headers", headers)
            if not part.is_multipart():
                payload = part.get_payload(decode=True)
                assert isinstance(payload, bytes)
                self.add(f"{name}#{i} {part.get_content_type()}", payload)

    def add_tree(self, root: Path) -> None:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            self.add(str(path.relative_to(root)), path.read_bytes())

    def add_store(self, path: Path) -> list[tuple[str, str, str | None]]:
        """Every table of the store, dumped; returns the stored source runs."""
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            self.add(f"{path.name} (dump of every table)", "\n".join(db.iterdump()))
            runs = db.execute("SELECT source, status, error FROM source_runs").fetchall()
        db.close()
        for source, status, error in runs:
            self.add(f"source_runs.error of {source} ({status})", error or "")
        return runs

    def hits(self) -> list[str]:
        return [
            f"{name}: {what} ({needle!r})"
            for name, data in self.places
            for needle, what in NEEDLES.items()
            if needle in data
        ]

    @property
    def size(self) -> int:
        return sum(len(data) for _, data in self.places)


def test_the_search_finds_each_secret_however_it_is_written() -> None:
    """The search itself: a secret in base64 at any alignment (AUTH PLAIN), URL-encoded, in a
    deflated zip member, in a base64 MIME part, cut in two — each is found."""
    plain = base64.b64encode(f"\0{SMTP_USER}\0{SMTP_PASSWORD}".encode())
    login = base64.b64encode(f"xy{WRONG_PASSWORD}".encode())
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", f"<t>{MONDAY_TOKEN}</t>" * 50)
    mail = email.message.EmailMessage()
    mail.set_content(f"Authorization: Bearer {ASANA_TOKEN}", cte="base64")
    cases = {
        "auth-plain": b"AUTH PLAIN " + plain,
        "auth-login": login,
        "url": f"?token={quote(ASANA_TOKEN, safe='')}".encode(),
        "xlsx": zipped.getvalue(),
        "message.eml": mail.as_bytes(),
        "cut": f"…key={TRELLO_KEY[:14]}…".encode(),
        "tail": f"…{TRELLO_TOKEN[-10:]}".encode(),
    }
    for name, data in cases.items():
        sweep = Sweep()
        sweep.add(name, data)
        assert sweep.hits(), f"the search misses a secret in {name}"
    assert MONDAY_TOKEN.encode() not in zipped.getvalue()  # found only inside the member
    clean = Sweep()
    clean.add("benign", "Authorization: *** key=*** token=*** " * 100)
    assert clean.hits() == []


# -- the scenario --------------------------------------------------------------------------


@dataclass
class Command:
    args: tuple[str, ...]
    code: int
    out: str
    err: str


@dataclass
class SmtpSink:
    """A local SMTP server's handler: keeps messages; the login must be SMTP_USER/SMTP_PASSWORD."""

    messages: list[bytes] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"

    def authenticator(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        login = (auth_data.login.decode(), auth_data.password.decode())
        self.logins.append(login)
        return AuthResult(success=login == (SMTP_USER, SMTP_PASSWORD), handled=False)


class CountDrop(logging.Filter):
    """Drops (and counts) every record of a logger: the test's own servers' logs."""

    def __init__(self) -> None:
        super().__init__()
        self.dropped = 0

    def filter(self, record: logging.LogRecord) -> bool:
        self.dropped += 1
        return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def config_text(root: Path, ws: Workspace, server: FakeServer, smtp_port: int) -> str:
    people = "".join(
        f'[[person]]\nname = "{p.name}"\nemails = ["{p.email}"]\n' for p in ws.people[:3]
    )
    return f"""store = "{(root / "store" / "raci.sqlite").as_posix()}"
timezone = "Europe/Copenhagen"

{sources_toml(server, ws, credentials=env_refs("RACI_LEAK"))}
{people}
[email]
smtp_host = "{HOST}"
smtp_port = {smtp_port}
security = "none"
username = "${{RACI_LEAK_SMTP_USER}}"
password = "${{RACI_LEAK_SMTP_PASSWORD}}"
from = "RACI Nordlys <raci@nordlys.example>"
to = ["marketing@nordlys.example"]
personal = true

[[notify]]
kind = "slack"
url = "${{RACI_LEAK_WEBHOOK}}"
"""


def failing_apis(req: Request) -> Reply | _Drop | None:
    """Trello's 2nd request dropped (a connection reset: requests' exception text holds the
    whole URL, key and token included), its token revoked from the 3rd on; Asana 500s from the
    2nd (a burst that outlasts the retries); monday's answers cut off from the 2nd. The error
    bodies echo the secrets the way a chatty proxy or debug page does."""
    if req.api == "trello" and req.n == 2:
        return DROP
    if req.api == "trello" and req.n >= 3:
        echo = f"invalid token (key={req.query.get('key')}, token={req.query.get('token')})"
        return Reply(401, echo)
    if req.api == "asana" and req.n >= 2:
        auth = {k.lower(): v for k, v in req.headers.items()}.get("authorization")
        body = {"errors": [{"message": "Server Error", "request": f"Authorization: {auth}"}]}
        return Reply(500, body, {"Retry-After": "0"})
    if req.api == "monday" and req.n >= 2:
        return Reply(None, truncate=40)
    if req.api == "chat":  # a removed webhook whose error page echoes the path it was asked
        return Reply(404, f"no_service: nothing at /chat{req.path}")
    return None


@dataclass
class Scenario:
    root: Path
    commands: list[Command]
    sink: SmtpSink
    server: FakeServer
    dropped: int
    sweep: Sweep
    runs: list[tuple[str, str, str | None]]


class Runner:
    """Runs ``raci --config CFG --debug --log-file LOG ...`` in-process, stdout/stderr kept."""

    def __init__(self, cfg: Path, log: Path) -> None:
        self.base = ["--config", str(cfg), "--debug", "--log-file", str(log)]
        self.commands: list[Command] = []

    def __call__(self, *args: str) -> Command:
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = run_cli([*self.base, *args])
        command = Command(args, code, out.getvalue(), err.getvalue())
        self.commands.append(command)
        return command


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    root = tmp_path_factory.mktemp("leaks")
    out = root / "out"
    out.mkdir()
    ws = generate(12, containers=1, people=6, seed=7, subtask_share=0.2)
    sink, smtp_port = SmtpSink(), free_port()
    smtp = Controller(
        sink,
        hostname=HOST,
        port=smtp_port,
        authenticator=sink.authenticator,
        auth_require_tls=False,
    )
    drop = CountDrop()
    root_logger = logging.getLogger()
    saved = (list(root_logger.handlers), root_logger.level)
    noisy = ("urllib3", "matplotlib", "PIL", "filelock")
    levels = {name: logging.getLogger(name).level for name in noisy}
    with (
        pytest.MonkeyPatch.context() as mp,
        FakeServer(
            ws,
            trello={"key": TRELLO_KEY, "token": TRELLO_TOKEN},
            asana={"token": ASANA_TOKEN},
            monday={"token": MONDAY_TOKEN, "fast": True},
            extra={"chat": ChatFake("slack", HOOK_PATH)},
        ) as server,
    ):
        mp.setenv("RACI_LEAK_WEBHOOK", server.base_urls["chat"] + HOOK_PATH)
        for name, value in ENV.items():
            mp.setenv(name, value)
        mp.setenv("XDG_DATA_HOME", str(root / "xdg"))
        mp.delenv("RACI_CONFIG", raising=False)
        for name in SERVER_LOGGERS:
            logging.getLogger(name).addFilter(drop)
        smtp.start()
        try:
            cfg = root / "raci.toml"
            cfg.write_text(config_text(root, ws, server, smtp_port), encoding="utf-8")
            raci = Runner(cfg, root / "raci.log")
            commands = _run_everything(raci, out, server, mp)
        finally:
            smtp.stop()
            for name in SERVER_LOGGERS:
                logging.getLogger(name).removeFilter(drop)
            for handler in root_logger.handlers:
                if handler not in saved[0]:
                    handler.close()
            root_logger.handlers[:] = saved[0]
            root_logger.setLevel(saved[1])
            for name, level in levels.items():
                logging.getLogger(name).setLevel(level)
        sweep = Sweep()
        for command in commands:
            label = "raci " + " ".join(command.args)
            sweep.add(f"stdout of {label}", command.out)
            sweep.add(f"stderr of {label}", command.err)
        for i, message in enumerate(sink.messages):
            sweep.add(f"smtp message {i + 1}.eml", message)
        sweep.add_tree(root)
        runs = sweep.add_store(root / "store" / "raci.sqlite")
        yield Scenario(root, commands, sink, server, drop.dropped, sweep, runs)


def _run_everything(
    raci: Runner, out: Path, server: FakeServer, mp: pytest.MonkeyPatch
) -> list[Command]:
    first = raci("sync", "--full")
    assert first.code == 0, first.err
    assert raci("notify", "--force").code == 0  # the webhook posted to
    server.reset()  # request numbers from 1 again: Trello's token is revoked mid-sync
    server.fault = failing_apis
    assert raci("sync", "--full").code == 3
    assert raci("check-config", "--online").code == 3
    # the sources failed: every report is written, and says so with exit 3
    for fmt in ("table", "json", "markdown", "html", "csv", "xlsx"):
        assert raci("report", "-f", fmt, "-o", str(out / f"report.{fmt}")).code == 3
    assert raci("report", "-f", "table").code == 3
    assert raci("report", "-f", "json").code == 3
    for fmt in ("table", "csv", "xlsx", "html"):
        assert raci("matrix", "-f", fmt, "-o", str(out / f"matrix.{fmt}")).code == 3
    assert raci("matrix", "--all").code == 3
    assert raci("email", "--dry-run", "-o", str(out / "x.eml")).code == 0
    mp.setenv("RACI_LEAK_SMTP_PASSWORD", WRONG_PASSWORD)
    refused = raci("email")  # exit 5: not sent, and nothing recorded
    assert refused.code == 5 and "refused the login" in refused.err, refused.err
    mp.setenv("RACI_LEAK_SMTP_PASSWORD", SMTP_PASSWORD)
    assert raci("email").code == 0
    assert raci("run", "-q", "-f", "json", "--email", "--notify").code == 3  # the post fails too
    assert raci("email", "--force").code == 0
    return raci.commands


def test_the_secrets_were_used_and_the_failures_happened(scenario: Scenario) -> None:
    """Not a vacuous sweep: the APIs and the SMTP server checked the secrets, and each failure
    produced an error text — in the store, on stderr and in the reports."""
    assert all(n > 0 for n in scenario.server.counts.values())
    assert scenario.sink.logins == [
        (SMTP_USER, WRONG_PASSWORD),
        (SMTP_USER, SMTP_PASSWORD),
        (SMTP_USER, SMTP_PASSWORD),
    ]
    assert len(scenario.sink.messages) == 2 * 4  # two sends: the team email and 3 digests
    assert len(scenario.server.fakes["chat"].received) == 1  # the webhook, then its 404s
    errors = {source: error for source, status, error in scenario.runs if status == "failed"}
    assert "401" in errors["indhold"] and "key" in errors["indhold"]
    assert "gave up after 5 tries" in errors["kampagner"] and "500" in errors["kampagner"]
    assert "not valid JSON" in errors["events"]
    assert len([r for r in scenario.runs if r[1] == "failed"]) == 6  # two failing syncs × 3
    failing = scenario.commands[2]  # the second sync (after the first and a notify)
    assert all(f"{name}: FAILED" in failing.err for name in KINDS.values())
    assert "urllib3.connectionpool" in failing.err  # --debug logged every request line
    log = (scenario.root / "raci.log").read_text(encoding="utf-8")
    assert "key=***" in log and "token=***" in log
    assert "connection failed for" in log and "retrying in" in log  # the dropped request
    report = json.loads((scenario.root / "out" / "report.json").read_text(encoding="utf-8"))
    assert {s["name"]: s["status"] for s in report["sources"]} == dict.fromkeys(
        KINDS.values(), "failed"
    )
    assert all(s["error"] for s in report["sources"])


def test_no_secret_anywhere(scenario: Scenario) -> None:
    sweep = scenario.sweep
    hits = sweep.hits()
    print(
        f"leak sweep: {len(scenario.commands)} commands, {len(SECRETS)} secrets in "
        f"{len(NEEDLES)} encoded forms and fragments, searched in {len(sweep.places)} places "
        f"({sweep.size:,} bytes); records of the test's SMTP server excluded: "
        f"{scenario.dropped}; hits: {len(hits)}"
    )
    assert hits == [], "secrets leaked:\n" + "\n".join(hits)
    names = {name for name, _ in sweep.places}
    for expected in (
        "raci.log",
        "store/raci.sqlite",
        "out/x.eml",
        "out/report.xlsx!xl/worksheets/sheet1.xml",
        "out/matrix.xlsx!xl/worksheets/sheet1.xml",
        "source_runs.error of indhold (failed)",
    ):
        assert expected in names, f"{expected} was not searched"


def test_an_error_excerpt_never_cuts_a_secret_in_two(tmp_path: Path) -> None:
    """An API (or a proxy in front of it) answers 401 with a page that echoes the request, the
    token falling across the 200-character excerpt the error message quotes. The excerpt is
    scrubbed of the whole secret — its first characters must not survive the cut either."""
    ws = generate({"trello": 3, "asana": 0, "monday": 0}, containers=1, people=4, seed=3)
    with (
        pytest.MonkeyPatch.context() as mp,
        FakeServer(ws, trello={"key": TRELLO_KEY, "token": TRELLO_TOKEN}) as server,
    ):
        mp.setenv("RACI_LEAK_TRELLO_KEY", TRELLO_KEY)
        mp.setenv("RACI_LEAK_TRELLO_TOKEN", TRELLO_TOKEN)
        page = "<html><body><h1>401 Authorization Required</h1><p>" + "." * 130
        echo = f"{page} token={TRELLO_TOKEN}</p></body></html>"
        assert echo.index(TRELLO_TOKEN) < 200 < echo.index(TRELLO_TOKEN) + len(TRELLO_TOKEN)
        server.fault = lambda req: Reply(401, echo)
        cfg = tmp_path / "raci.toml"
        cfg.write_text(
            f'store = "{(tmp_path / "s.sqlite").as_posix()}"\n[[source]]\nname = "indhold"\n'
            f'kind = "trello"\nbase_url = "{server.base_urls["trello"]}"\n'
            'key = "${RACI_LEAK_TRELLO_KEY}"\ntoken = "${RACI_LEAK_TRELLO_TOKEN}"\n',
            encoding="utf-8",
        )
        raci = Runner(cfg, tmp_path / "raci.log")
        root_logger = logging.getLogger()
        saved = list(root_logger.handlers)
        try:
            command = raci("sync")
        finally:
            for handler in root_logger.handlers:
                if handler not in saved:
                    handler.close()
            root_logger.handlers[:] = saved
    assert command.code == 3 and "401" in command.err
    with sqlite3.connect(tmp_path / "s.sqlite") as db:
        (error,) = db.execute("SELECT error FROM source_runs").fetchone()
    db.close()
    for where, text in (("the stored error", error), ("stderr", command.err)):
        assert MARKER not in text, (
            f"{where} quotes the first characters of the Trello token: "
            f"{text[text.index(MARKER) - 20 : text.index(MARKER) + 20]!r}"
        )
