"""Several messages over one SMTP session (``send_all``) against a real local SMTP server
(aiosmtpd): one connection and one login for all, each message its own envelope and its own
outcome, a refusal of one not stopping the others, a connection lost on the way failing only
the rest."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from raci_sync.config import EmailConfig, Secret
from raci_sync.errors import EmailError
from raci_sync.reports.email.smtp import send_all
from tests.reports.email.test_smtp import HOST, free_port

PASSWORD = "p4ss-Wörd"


@dataclass
class Server:
    """Counts connections and logins; refuses ``refuse`` as a recipient; answers DATA number
    ``close_at`` with 421 (the server closes the connection)."""

    messages: list[Any] = field(default_factory=list)
    connections: int = 0
    logins: int = 0
    data: int = 0
    refuse: set[str] = field(default_factory=set)
    close_at: int | None = None

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
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data += 1
        if self.data == self.close_at:
            return "421 4.3.2 shutting down"
        self.messages.append(envelope)
        return "250 accepted"

    def authenticator(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self.logins += 1
        return AuthResult(success=auth_data.password == PASSWORD.encode(), handled=False)


@pytest.fixture
def server() -> Iterator[tuple[Server, int]]:
    handler, port = Server(), free_port()
    controller = Controller(
        handler,
        hostname=HOST,
        port=port,
        authenticator=handler.authenticator,
        auth_require_tls=False,
    )
    controller.start()
    yield handler, port
    controller.stop()


def cfg(port: int) -> EmailConfig:
    return EmailConfig(
        smtp_host=HOST,
        smtp_port=port,
        security="none",
        username=Secret("raci"),
        password=Secret(PASSWORD),
        sender="raci@nordlys.example",
        to=("team@nordlys.example",),
    )


def message(to: str, subject: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "raci@nordlys.example"
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(f"for {to}")
    return msg


def test_several_messages_one_connection_one_login(server: tuple[Server, int]) -> None:
    handler, port = server
    people = ["freja@nordlys.example", "mette@nordlys.example", "jonas@nordlys.example"]
    batch: list[tuple[EmailMessage, list[str] | None]] = [
        (message(p, f"digest {i}"), None) for i, p in enumerate(people)
    ]
    batch.insert(0, (message("team@nordlys.example", "team"), ["team@nordlys.example"]))
    deliveries = send_all(batch, cfg(port), timeout=10)
    assert [d.error for d in deliveries] == [None] * 4
    assert all(d.refused == {} for d in deliveries)
    assert handler.connections == 1 and handler.logins == 1
    assert [e.rcpt_tos for e in handler.messages] == [["team@nordlys.example"]] + [
        [p] for p in people
    ]


def test_a_refused_message_does_not_stop_the_others(server: tuple[Server, int]) -> None:
    handler, port = server
    handler.refuse.add("gone@nordlys.example")
    batch: list[tuple[EmailMessage, list[str] | None]] = [
        (message("freja@nordlys.example", "a"), None),
        (message("gone@nordlys.example", "b"), None),
        (message("mette@nordlys.example", "c"), None),
    ]
    first, gone, last = send_all(batch, cfg(port), timeout=10)
    assert first.error is None and last.error is None
    assert gone.error is not None and "refused every recipient" in gone.error
    assert "gone@nordlys.example: 550 5.1.1 no such user" in gone.error
    assert [e.rcpt_tos for e in handler.messages] == [
        ["freja@nordlys.example"],
        ["mette@nordlys.example"],
    ]


def test_a_connection_lost_on_the_way_fails_only_the_rest(server: tuple[Server, int]) -> None:
    handler, port = server
    handler.close_at = 2
    batch: list[tuple[EmailMessage, list[str] | None]] = [
        (message(f"p{i}@nordlys.example", str(i)), None) for i in range(4)
    ]
    deliveries = send_all(batch, cfg(port), timeout=10)
    assert deliveries[0].error is None
    assert deliveries[1].error is not None and "421" in deliveries[1].error
    assert all(d.error and "closed the connection" in d.error for d in deliveries[2:])
    assert len(handler.messages) == 1


def test_nothing_sent_at_all_raises(server: tuple[Server, int]) -> None:
    _, port = server
    wrong = EmailConfig(**{**cfg(port).__dict__, "password": Secret("wrong")})
    with pytest.raises(EmailError, match="refused the login"):
        send_all([(message("a@nordlys.example", "x"), None)], wrong, timeout=10)
    with pytest.raises(EmailError, match="cannot connect"):
        send_all([(message("a@nordlys.example", "x"), None)], cfg(free_port()), timeout=5)
