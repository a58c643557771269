"""The weekly email sent to a real local SMTP server (aiosmtpd) and parsed back."""

from __future__ import annotations

import email
import email.policy
import io
import re
import shutil
import socket
import ssl
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from raci_sync.config import EmailConfig, Secret, parse_config
from raci_sync.demo import DEMO_TODAY, demo_config, demo_mount, demo_replay
from raci_sync.errors import ConfigError, EmailError
from raci_sync.model import ReportData
from raci_sync.reports.email import build_email, send
from raci_sync.store import Store
from raci_sync.sync import SyncOptions, build_report, sync

HOST = "127.0.0.1"
HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'
PASSWORD = "s3cret-Pässword"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> ReportData:
    """The demo week, synced through the real connectors into a temp store."""
    path = tmp_path_factory.mktemp("demo") / "s.sqlite"
    cfg = demo_config(path)
    with Store(path) as store:
        sync(cfg, store, SyncOptions(mount=demo_mount(demo_replay()), rate_limits=False, full=True))
        return build_report(cfg, store, DEMO_TODAY)


def free_port() -> int:
    """A port nobody listens on right now (aiosmtpd's Controller cannot take port 0)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass
class Sink:
    """An aiosmtpd handler keeping every message it receives (and who logged in)."""

    messages: list[Any] = field(default_factory=list)
    logins: list[tuple[bytes, bytes]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 Message accepted for delivery"

    def authenticator(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self.logins.append((auth_data.login, auth_data.password))
        ok = auth_data.login == b"raci" and auth_data.password == PASSWORD.encode()
        return AuthResult(success=ok, handled=False)  # aiosmtpd answers 535 itself


ServerFactory = Callable[..., tuple[Sink, int]]


@pytest.fixture
def smtp_server() -> Iterator[ServerFactory]:
    """Start a local SMTP server with the given aiosmtpd options; returns (sink, port)."""
    controllers: list[Controller] = []

    def start(**options: Any) -> tuple[Sink, int]:
        sink = Sink()
        if options.pop("auth", False):
            options.update(authenticator=sink.authenticator, auth_require_tls=False)
        port = free_port()
        controller = Controller(sink, hostname=HOST, port=port, **options)
        controller.start()
        controllers.append(controller)
        return sink, port

    yield start
    for controller in controllers:
        controller.stop()


def config(port: int, **changes: Any) -> EmailConfig:
    values: dict[str, Any] = {
        "smtp_host": HOST,
        "smtp_port": port,
        "security": "none",
        "sender": "RACI Nordlys <raci@nordlyskaffe.dk>",
        "to": ("marketing@nordlyskaffe.dk", "Mette Sørensen <mette@nordlyskaffe.dk>"),
    }
    values.update(changes)
    return EmailConfig(**values)


def received(sink: Sink) -> EmailMessage:
    assert len(sink.messages) == 1
    parsed = email.message_from_bytes(sink.messages[0].content, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def sent_email(
    demo: ReportData, cfg: EmailConfig, attach_matrix: bool = False, **kwargs: Any
) -> EmailMessage:
    """Build and send the demo email; no matrix unless asked (the XLSX costs time)."""
    msg = build_email(demo, cfg, attach_matrix=attach_matrix)
    assert msg is not None
    assert send(msg, cfg, timeout=10, **kwargs) == {}
    return msg


# -- the message as it arrives -------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    envelope: Any
    msg: EmailMessage


@pytest.fixture(scope="module")
def delivered(demo: ReportData) -> Delivery:
    """The demo week's email, sent once to a local SMTP server and parsed back."""
    sink, port = Sink(), free_port()
    controller = Controller(sink, hostname=HOST, port=port)
    controller.start()
    try:
        sent_email(demo, config(port), attach_matrix=True)
    finally:
        controller.stop()
    return Delivery(sink.messages[0], received(sink))


def test_demo_email_arrives_with_every_part(delivered: Delivery) -> None:
    assert delivered.envelope.mail_from == "raci@nordlyskaffe.dk"
    assert delivered.envelope.rcpt_tos == ["marketing@nordlyskaffe.dk", "mette@nordlyskaffe.dk"]
    msg = delivered.msg
    types = [part.get_content_type() for part in msg.walk()]
    assert types == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "multipart/related",
        "text/html",
        "image/png",
        XLSX,
    ]
    assert msg["Subject"].startswith("RACI 2026-W50: RED — ")
    assert "ownership error" in msg["Subject"] and "overloaded" in msg["Subject"]
    assert str(msg["From"]) == "RACI Nordlys <raci@nordlyskaffe.dk>"
    assert [a.addr_spec for a in msg["To"].addresses] == [
        "marketing@nordlyskaffe.dk",
        "mette@nordlyskaffe.dk",
    ]
    assert msg["To"].addresses[1].display_name == "Mette Sørensen"
    assert msg["Message-ID"] and msg["Date"] and msg["Auto-Submitted"] == "auto-generated"


def test_inline_chart_is_the_image_the_html_references(delivered: Delivery) -> None:
    msg = delivered.msg
    html = msg.get_body(("html",))
    assert html is not None
    image = next(part for part in msg.walk() if part.get_content_type() == "image/png")
    cid = image["Content-ID"]
    assert cid.startswith("<") and cid.endswith(">")
    assert image.get_content_disposition() == "inline"
    assert f'src="cid:{cid[1:-1]}"' in html.get_content()
    png = image.get_content()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000


def test_matrix_is_attached_as_xlsx(delivered: Delivery) -> None:
    attachments = list(delivered.msg.iter_attachments())
    xlsx = [part for part in attachments if part.get_content_type() == XLSX]
    assert len(xlsx) == 1
    assert xlsx[0].get_filename() == "raci-report-2026-W50.xlsx"
    assert xlsx[0].get_content_disposition() == "attachment"
    book = openpyxl.load_workbook(io.BytesIO(xlsx[0].get_content()), read_only=True)
    cells = {str(c) for sheet in book.worksheets for row in sheet.values for c in row if c}
    book.close()
    assert "Pressemeddelelse: Ny juleblend" in cells


def test_text_and_html_say_the_same_in_order(delivered: Delivery) -> None:
    text = delivered.msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = delivered.msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    text_order = [
        "OWNERSHIP ERRORS",
        "OVERLOADED PEOPLE",
        "DUE AND OVERDUE BY OWNER",
        "UNMATCHED ACCOUNTS",
        "WORKLOAD",
    ]
    html_order = [
        "Ownership errors",
        "Overloaded people",
        "Due and overdue by owner",
        "Unmatched accounts",
        "Workload",
    ]
    headings = re.findall(r"<h2[^>]*>([^<]+)", html)
    assert [h.strip() for h in headings][: len(html_order)] == html_order
    for body, order in ((text, text_order), (html, html_order)):
        positions = [body.index(heading) for heading in order[:-1]]
        assert positions == sorted(positions)
        assert "Freja Nørgaard" in body and "kasperfoto" in body
        assert "Pressemeddelelse: Ny juleblend" in body
        assert "raci-report-2026-W50.xlsx" in body


def test_hostile_task_title_is_escaped_in_html(
    demo: ReportData, smtp_server: ServerFactory
) -> None:
    target = next(f for f in demo.findings if f.check == "no-owner")
    tasks = tuple(
        replace(t, title=HOSTILE) if (t.source, t.id) == (target.source, target.task_id) else t
        for t in demo.tasks
    )
    findings = tuple(replace(f, task=HOSTILE) if f is target else f for f in demo.findings)
    sink, port = smtp_server()
    sent_email(replace(demo, tasks=tasks, findings=findings), config(port))
    msg = received(sink)
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<script" not in html.lower() and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;img src=x" in html
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert HOSTILE in text  # plain text shows it as it is: nothing interprets it
    assert "script" not in msg["Subject"]


# -- headers cannot be injected ------------------------------------------------------------


def test_config_rejects_a_recipient_with_a_line_break() -> None:
    text = """
[email]
smtp_host = "localhost"
from = "RACI <raci@example.com>"
to = ["team@example.com\\r\\nBcc: evil@x"]
"""
    with pytest.raises(ConfigError) as caught:
        parse_config(text, env={})
    assert "email.to[0]" in str(caught.value)


@pytest.mark.parametrize(
    "recipient",
    [
        "team@example.com\r\nBcc: evil@x",
        "team@example.com\nBcc: evil@x",
        "Team\r\nBcc: evil@x <team@example.com>",
        "team@example.com, evil@x",
        "team@example.com Bcc: evil@x",
        "Friends: evil@x, other@x;",
        "not an address",
    ],
)
def test_build_email_refuses_a_recipient_that_is_not_one_address(
    demo: ReportData, recipient: str
) -> None:
    cfg = EmailConfig(sender="raci@example.com", to=("ok@example.com", recipient))
    with pytest.raises(ConfigError) as caught:
        build_email(demo, cfg)
    assert "email.to[1]" in str(caught.value)


def test_build_email_refuses_a_sender_with_a_line_break(demo: ReportData) -> None:
    cfg = EmailConfig(sender="raci@example.com\r\nBcc: evil@x", to=("ok@example.com",))
    with pytest.raises(ConfigError, match=r"email\.from"):
        build_email(demo, cfg)


def test_sent_message_has_no_injected_header(demo: ReportData, smtp_server: ServerFactory) -> None:
    sink, port = smtp_server()
    sent_email(demo, config(port, to=('"Team, Marketing" <marketing@nordlyskaffe.dk>',)))
    assert sink.messages[0].rcpt_tos == ["marketing@nordlyskaffe.dk"]
    msg = received(sink)
    assert msg["Bcc"] is None and msg["Cc"] is None
    assert msg["To"].addresses[0].display_name == "Team, Marketing"


# -- authentication, TLS and errors --------------------------------------------------------


def test_login_uses_the_configured_credentials(
    demo: ReportData, smtp_server: ServerFactory
) -> None:
    sink, port = smtp_server(auth=True)
    cfg = config(port, username=Secret("raci"), password=Secret(PASSWORD))
    sent_email(demo, cfg)
    assert sink.logins == [(b"raci", PASSWORD.encode())]
    assert len(sink.messages) == 1


def test_no_login_without_credentials(demo: ReportData, smtp_server: ServerFactory) -> None:
    sink, port = smtp_server(auth=True)
    sent_email(demo, config(port))
    assert sink.logins == []


def test_wrong_password_is_a_clear_error_without_the_password(
    demo: ReportData, smtp_server: ServerFactory
) -> None:
    sink, port = smtp_server(auth=True)
    wrong = "wr0ng-Pässword"
    cfg = config(port, username=Secret("raci"), password=Secret(wrong))
    msg = build_email(demo, cfg, attach_matrix=False)
    assert msg is not None
    with pytest.raises(EmailError) as caught:
        send(msg, cfg, timeout=10)
    text = str(caught.value)
    assert f"{HOST}:{port}" in text and "refused the login" in text
    assert "email.password" in text
    assert wrong not in text and PASSWORD not in text
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert sink.messages == []


def test_starttls_against_a_server_without_it_is_refused(
    demo: ReportData, smtp_server: ServerFactory
) -> None:
    sink, port = smtp_server()
    cfg = config(port, security="starttls")
    msg = build_email(demo, cfg, attach_matrix=False)
    assert msg is not None
    with pytest.raises(EmailError, match="does not offer STARTTLS") as caught:
        send(msg, cfg, timeout=10)
    assert f"{HOST}:{port}" in str(caught.value) and "email.security" in str(caught.value)
    assert sink.messages == []


def test_nobody_listening_is_a_clear_error(demo: ReportData) -> None:
    port = free_port()
    cfg = config(port)
    msg = build_email(demo, cfg, attach_matrix=False)
    assert msg is not None
    with pytest.raises(EmailError) as caught:
        send(msg, cfg, timeout=5)
    text = str(caught.value)
    assert f"cannot connect to the SMTP server {HOST}:{port}" in text
    assert "email.smtp_port" in text


@dataclass
class PickySink(Sink):
    """Refuses every recipient at refused.example."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.endswith("@refused.example"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_some_recipients_refused_are_returned(demo: ReportData) -> None:
    sink, port = PickySink(), free_port()
    controller = Controller(sink, hostname=HOST, port=port)
    controller.start()
    try:
        cfg = config(port, to=("marketing@nordlyskaffe.dk", "gone@refused.example"))
        msg = build_email(demo, cfg, attach_matrix=False)
        assert msg is not None
        refused = send(msg, cfg, timeout=10)
        everyone_gone = config(port, to=("a@refused.example", "b@refused.example"))
        msg = build_email(demo, everyone_gone, attach_matrix=False)
        assert msg is not None
        with pytest.raises(EmailError, match="refused every recipient") as caught:
            send(msg, everyone_gone, timeout=10)
    finally:
        controller.stop()
    assert refused == {"gone@refused.example": "550 5.1.1 No such user here"}
    assert sink.messages[0].rcpt_tos == ["marketing@nordlyskaffe.dk"]
    assert "a@refused.example: 550 5.1.1 No such user here" in str(caught.value)
    assert "email.to" in str(caught.value)


def test_a_server_that_never_answers_times_out_clearly(demo: ReportData) -> None:
    with socket.socket() as silent:  # accepts connections (backlog) but never greets
        silent.bind((HOST, 0))
        silent.listen()
        port = silent.getsockname()[1]
        cfg = config(port, security="starttls")
        msg = build_email(demo, cfg, attach_matrix=False)
        assert msg is not None
        with pytest.raises(EmailError) as caught:
            send(msg, cfg, timeout=0.3)
    text = str(caught.value)
    assert f"{HOST}:{port} did not answer within 0.3 s" in text
    assert 'email.security = "ssl"' in text  # a TLS-first port waits for us, too


def test_ssl_against_a_plain_server_explains_the_setting(
    demo: ReportData, smtp_server: ServerFactory
) -> None:
    _, port = smtp_server()
    cfg = config(port, security="ssl")
    msg = build_email(demo, cfg, attach_matrix=False)
    assert msg is not None
    with pytest.raises(EmailError) as caught:
        send(msg, cfg, timeout=10)
    text = str(caught.value)
    assert f"TLS handshake with {HOST}:{port} failed" in text
    assert 'email.security = "starttls"' in text


def test_missing_settings_are_config_errors(demo: ReportData) -> None:
    msg = build_email(demo, EmailConfig(), attach_matrix=False)
    assert msg is not None and msg["To"] is None
    cfg = EmailConfig(username=Secret("raci"))
    with pytest.raises(ConfigError) as caught:
        send(msg, cfg)
    problems = "\n".join(caught.value.problems)
    for key in ("email.smtp_host", "email.password", "email.from", "email.to"):
        assert key in problems


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with the openssl CLI."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail(
            "the openssl command is missing: install it (apt-get install openssl; "
            ".ci/run does) — the TLS tests need a self-signed certificate"
        )
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return cert, key


def tls_contexts(certificate: tuple[Path, Path]) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(*certificate)
    client = ssl.create_default_context(cafile=str(certificate[0]))
    return server, client


def test_starttls_with_login(
    demo: ReportData, smtp_server: ServerFactory, certificate: tuple[Path, Path]
) -> None:
    server_tls, client_tls = tls_contexts(certificate)
    sink = Sink()
    port = free_port()
    controller = Controller(
        sink,
        hostname=HOST,
        port=port,
        tls_context=server_tls,
        require_starttls=True,
        authenticator=sink.authenticator,
    )  # auth_require_tls stays on: the login must come after STARTTLS
    controller.start()
    try:
        cfg = config(port, security="starttls", username=Secret("raci"), password=Secret(PASSWORD))
        sent_email(demo, cfg, context=client_tls)
    finally:
        controller.stop()
    assert sink.logins == [(b"raci", PASSWORD.encode())]
    assert received(sink)["Subject"].startswith("RACI 2026-W50")


def test_starttls_checks_the_certificate(demo: ReportData, certificate: tuple[Path, Path]) -> None:
    server_tls, _ = tls_contexts(certificate)
    sink, port = Sink(), free_port()
    controller = Controller(sink, hostname=HOST, port=port, tls_context=server_tls)
    controller.start()
    try:
        cfg = config(port, security="starttls")
        msg = build_email(demo, cfg, attach_matrix=False)
        assert msg is not None
        with pytest.raises(EmailError, match="could not be verified") as caught:
            send(msg, cfg, timeout=10)  # the system CAs do not know the self-signed cert
    finally:
        controller.stop()
    assert "email.smtp_host" in str(caught.value)
    assert sink.messages == []


def test_ssl_from_the_start(demo: ReportData, certificate: tuple[Path, Path]) -> None:
    server_tls, client_tls = tls_contexts(certificate)
    sink, port = Sink(), free_port()
    controller = Controller(sink, hostname=HOST, port=port, ssl_context=server_tls)
    controller.start()
    try:
        sent_email(demo, config(port, security="ssl"), context=client_tls)
    finally:
        controller.stop()
    assert re.match(r"RACI 2026-W50: RED", received(sink)["Subject"])


# -- hostile servers -----------------------------------------------------------------------

USER = "raci-user"
ASCII_PASSWORD = "s3cret+Pass/word"


def secret_forms(user: str, password: str) -> list[str]:
    """Every way the credentials travel: raw, URL-encoded, base64 of each AUTH step."""
    import base64
    from urllib.parse import quote

    def b64(text: str) -> str:
        return base64.b64encode(text.encode()).decode()

    forms = [user, password, quote(password, safe=""), b64(password), b64(user)]
    return [*forms, b64(f"\0{user}\0{password}"), b64(password).rstrip("=")]


HOSTILE_CHARS = ("\x1b", "\x07", "\u202e", "\u202c")


@pytest.mark.parametrize(
    ("mechanism", "password"),
    [("PLAIN", ASCII_PASSWORD), ("PLAIN", PASSWORD), ("LOGIN", ASCII_PASSWORD)],
)
def test_a_server_echoing_the_login_leaks_no_secret(
    demo: ReportData, mechanism: str, password: str
) -> None:
    from tests.fakes.hostile_smtp import HostileSMTP

    with HostileSMTP("echo-auth", mechanism=mechanism) as server:
        cfg = config(server.port, username=Secret(USER), password=Secret(password))
        msg = build_email(demo, cfg, attach_matrix=False)
        assert msg is not None
        with pytest.raises(EmailError) as caught:
            send(msg, cfg, timeout=10)
    assert any(line.startswith(f"AUTH {mechanism}") for line in server.received)
    text = str(caught.value)
    assert f"{HOST}:{server.port} refused the login (535 5.7.8)" in text
    for form in secret_forms(USER, password):
        assert form not in text, form
    assert not any(ch in text for ch in HOSTILE_CHARS)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_server_text_is_scrubbed_and_stripped_of_escapes(demo: ReportData) -> None:
    from tests.fakes.hostile_smtp import HostileSMTP

    with HostileSMTP("echo-after-login") as server:
        cfg = config(server.port, username=Secret(USER), password=Secret(ASCII_PASSWORD))
        msg = build_email(demo, cfg, attach_matrix=False)
        assert msg is not None
        with pytest.raises(EmailError) as caught:
            send(msg, cfg, timeout=10)
    text = str(caught.value)
    assert "refused the sender raci@nordlyskaffe.dk (550 5.7.1 you sent AUTH PLAIN *** no)" in text
    for form in secret_forms(USER, ASCII_PASSWORD):
        assert form not in text, form
    assert not any(ch in text for ch in HOSTILE_CHARS)
    assert "]0;pwned" not in text  # the escape sequence went with its ESC and BEL


def test_a_greeting_sent_a_byte_at_a_time_ends_at_the_deadline(demo: ReportData) -> None:
    import time

    from tests.fakes.hostile_smtp import HostileSMTP

    msg = build_email(demo, config(1), attach_matrix=False)
    assert msg is not None
    with HostileSMTP("dribble", delay=0.05) as server:
        cfg = config(server.port)
        started = time.monotonic()
        with pytest.raises(EmailError) as caught:
            send(msg, cfg, timeout=1, deadline=1.5)  # every byte comes well within 1 s
        took = time.monotonic() - started
    text = str(caught.value)
    assert f"the SMTP server {HOST}:{server.port} did not finish within 1.5 s" in text
    assert "email.smtp_port" in text
    assert took < 15  # it used to wait for the 100,000-byte greeting: over an hour


def test_a_send_within_the_deadline_goes_through(
    demo: ReportData, smtp_server: ServerFactory
) -> None:
    sink, port = smtp_server()
    msg = build_email(demo, config(port), attach_matrix=False)
    assert msg is not None
    assert send(msg, config(port), timeout=5, deadline=5) == {}  # in time: sent as ever
    assert len(sink.messages) == 1
