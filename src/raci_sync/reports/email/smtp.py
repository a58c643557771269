"""Sending the weekly email over SMTP: STARTTLS, implicit TLS ("ssl") or plain ("none").

One run sends over one connection: ``send_all`` delivers several messages (the team email and
the personal digests) after one login, each with its own envelope and its own outcome.

Every failure becomes an EmailError that names the server and says which setting to look at.
The password is only ever handed to ``smtplib.login``. Text quoted from a server is hostile
(PRODUCT §9): control and bidi characters are stripped, every form in which the credentials
travel (raw, URL-encoded, base64 of AUTH PLAIN's ``\0user\0password`` and of each AUTH LOGIN
step) is scrubbed before the text is cut, and a refused login quotes no reply text at all, only
its codes — a server once echoed the whole ``AUTH PLAIN`` line in its 535.

Every conversation has a total deadline on top of the socket timeout: the timeout bounds each
read on its own, so a server sending its greeting a byte at a time never trips it.
"""

from __future__ import annotations

import base64
import contextlib
import re
import smtplib
import socket
import ssl
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from types import TracebackType
from typing import Any
from urllib.parse import quote, quote_plus

from raci_sync.config import EmailConfig
from raci_sync.errors import ConfigError, EmailError
from raci_sync.reports.sanitize import quoted_line

SECURITY = ("starttls", "ssl", "none")
PORT_HINT = "587 for STARTTLS, 465 for SSL, 25 for a local relay"
DEADLINE_S = 120.0  # connect, greeting, TLS, login and every command of one send, in all
PER_MESSAGE_S = 30.0  # and this much more for each further message of one session
QUOTE_CHARS = 300  # the most of a server's reply an error quotes
_STATUS = re.compile(r"\d\.\d{1,3}\.\d{1,3}")  # an enhanced status code (RFC 3463): 5.7.8


def send(
    msg: EmailMessage,
    config: EmailConfig,
    *,
    timeout: float = 30,
    deadline: float = DEADLINE_S,
    context: ssl.SSLContext | None = None,
    to_addrs: list[str] | None = None,
) -> dict[str, str]:
    """Send ``msg`` through ``config``'s SMTP server; return refused recipients (address → reply).

    The envelope comes from the message's From and To headers (``build_email`` fills them from
    the config), or goes to ``to_addrs`` when given. ``timeout`` bounds each network read,
    ``deadline`` the whole conversation. ``context`` replaces the default TLS context (system
    CAs, hostname checked). Raises ConfigError when the settings are incomplete and EmailError
    when sending fails; when only some recipients are refused the message went to the others,
    and they are returned.
    """
    (delivery,) = send_all(
        [(msg, to_addrs)], config, timeout=timeout, deadline=deadline, context=context
    )
    if delivery.error is not None:
        raise EmailError(delivery.error)
    return dict(delivery.refused)


@dataclass(frozen=True)
class Delivery:
    """What became of one message of a session: the recipients the server refused (address →
    its reply; the message went to the others), or why it reached nobody (``error``)."""

    refused: Mapping[str, str] = field(default_factory=dict)
    error: str | None = None


def send_all(
    messages: Sequence[tuple[EmailMessage, Sequence[str] | None]],
    config: EmailConfig,
    *,
    timeout: float = 30,
    deadline: float | None = None,
    context: ssl.SSLContext | None = None,
) -> list[Delivery]:
    """Send several messages over one SMTP connection (one greeting, one TLS handshake, one
    login), each to its own envelope (None: its To header); return what became of each, in
    order.

    A message the server refuses as a whole (its sender, every recipient, its data) does not
    stop the ones after it; a connection lost on the way, or the ``deadline`` passing
    (default: ``DEADLINE_S`` and ``PER_MESSAGE_S`` for each further message), fails the
    messages not yet sent. Raises EmailError when nothing could be sent at all (no connection,
    no TLS, a refused login) and ConfigError when the settings are incomplete.
    """
    for msg, _ in messages:
        _check(msg, config)
    host, port = str(config.smtp_host), config.smtp_port
    where = f"{host}:{port}"
    fail = _Failure(where, config.security, _secret_forms(config), timeout)
    if deadline is None:
        deadline = DEADLINE_S + PER_MESSAGE_S * max(len(messages) - 1, 0)
    done: list[Delivery] = []
    error: EmailError | None = None  # what ended the session before every message was sent
    with _Deadline(max(deadline, timeout)) as limit:
        try:
            with _connect(config, timeout, context, limit) as smtp:
                if config.security == "starttls":
                    _starttls(smtp, where, context)
                if config.username and config.password:
                    _login(smtp, config, fail)
                for msg, to in messages:
                    done.append(_deliver(smtp, msg, to, fail, limit))
        except EmailError:
            if not done:
                raise
            error = EmailError(f"the connection to the SMTP server {where} broke off")
        except Exception as exc:
            if limit.expired:  # whatever the cut connection raised: the deadline did it
                error = EmailError(
                    f"the SMTP server {where} did not finish within {limit.seconds:g} s (it "
                    "answered too slowly, or a few bytes at a time): check email.smtp_host and "
                    f"email.smtp_port ({PORT_HINT})"
                )
            elif isinstance(exc, (smtplib.SMTPException, OSError)):
                error = fail(exc)
            else:
                raise
            if not done:
                raise error from None
    if len(done) < len(messages):  # the connection broke off on the way
        why = str(error or f"the connection to the SMTP server {where} broke off")
        done += [Delivery(error=why)] * (len(messages) - len(done))
    return done


def _deliver(
    smtp: smtplib.SMTP,
    msg: EmailMessage,
    to: Sequence[str] | None,
    fail: _Failure,
    limit: _Deadline,
) -> Delivery:
    """One message of a session; a refusal of this message alone is its Delivery's error (the
    server has been reset for the next: smtplib sends RSET), anything else goes up."""
    try:
        refused = smtp.send_message(msg, to_addrs=list(to) if to is not None else None)
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
        if limit.expired:
            raise
        return Delivery(error=str(fail(exc)))
    return Delivery({address: fail.text(code, reply) for address, (code, reply) in refused.items()})


def _secret_forms(config: EmailConfig) -> tuple[str, ...]:
    """Every form in which the credentials travel to an SMTP server, longest first: the raw
    values, URL-encoded, and base64 (with and without padding) of AUTH PLAIN's
    ``\0user\0password``, of the user and of the password (AUTH LOGIN's two steps)."""
    user = config.username.reveal() if config.username else ""
    password = config.password.reveal() if config.password else ""
    forms: set[str] = set()
    for value in (user, password):
        if value:
            forms |= {value, quote(value, safe=""), quote_plus(value)}
    for payload in (f"\0{user}\0{password}", f"{user}\0{user}\0{password}", user, password):
        if payload.strip("\0"):
            token = base64.b64encode(payload.encode("utf-8")).decode("ascii")
            forms |= {token, token.rstrip("=")}
    return tuple(sorted((form for form in forms if form), key=len, reverse=True))


class _Deadline:
    """A total time for one SMTP conversation. When it passes, the connection is shut down
    under smtplib's feet (through a duplicate of its socket, which also reaches the TLS layer
    on top of it), so a read blocked on a slow server returns at once."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def watch(self, sock: socket.socket) -> None:
        """Cut ``sock``'s connection when the deadline passes (at once if it has)."""
        with self._lock:
            self._sockets.append(sock.dup())
            if self.expired:
                _shut(self._sockets[-1])

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._timer.cancel()
        with self._lock:
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the other side
        sock.shutdown(socket.SHUT_RDWR)


class _SMTP(smtplib.SMTP):
    """smtplib.SMTP whose connection a deadline can cut."""

    def __init__(self, host: str, port: int, *, deadline: _Deadline, **options: Any) -> None:
        self.deadline = deadline
        super().__init__(host, port, **options)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        # _get_socket is smtplib's documented-in-source hook, absent from its stubs
        sock: socket.socket = super()._get_socket(host, port, timeout)  # type: ignore[misc]
        self.deadline.watch(sock)
        return sock


class _SMTPSSL(smtplib.SMTP_SSL):
    """smtplib.SMTP_SSL whose connection a deadline can cut, the TLS handshake included."""

    def __init__(self, host: str, port: int, *, deadline: _Deadline, **options: Any) -> None:
        self.deadline = deadline
        super().__init__(host, port, **options)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock = socket.create_connection((host, port), timeout, self.source_address)
        self.deadline.watch(sock)  # before the handshake, which a server can stall too
        return self.context.wrap_socket(sock, server_hostname=host)


def _check(msg: EmailMessage, config: EmailConfig) -> None:
    problems = []
    if not config.smtp_host:
        problems.append("email.smtp_host: not set (the SMTP server, e.g. smtp.example.com)")
    if config.security not in SECURITY:
        problems.append(f"email.security: {config.security!r} is not one of {', '.join(SECURITY)}")
    if bool(config.username) != bool(config.password):
        problems.append("email.username and email.password: set both or neither")
    if not msg["From"]:
        problems.append('email.from: not set (the sender, e.g. "RACI <raci@example.com>")')
    if not msg["To"]:
        problems.append("email.to: no recipients")
    if problems:
        raise ConfigError(problems)


def _connect(
    config: EmailConfig, timeout: float, context: ssl.SSLContext | None, deadline: _Deadline
) -> smtplib.SMTP:
    host, port = str(config.smtp_host), config.smtp_port
    if config.security == "ssl":
        return _SMTPSSL(
            host,
            port,
            deadline=deadline,
            timeout=timeout,
            context=context or ssl.create_default_context(),
        )
    return _SMTP(host, port, deadline=deadline, timeout=timeout)


def _starttls(smtp: smtplib.SMTP, where: str, context: ssl.SSLContext | None) -> None:
    smtp.ehlo()
    if not smtp.has_extn("starttls"):
        raise EmailError(
            f"the SMTP server {where} does not offer STARTTLS, so raci will not send the email "
            'in the clear: use the server\'s TLS port with email.security = "ssl" (usually '
            '465), or email.security = "none" only for a relay on this machine'
        )
    smtp.starttls(context=context or ssl.create_default_context())
    smtp.ehlo()


def _login(smtp: smtplib.SMTP, config: EmailConfig, fail: _Failure) -> None:
    assert config.username is not None and config.password is not None
    user, password = config.username.reveal(), config.password.reveal()
    try:
        if (user + password).isascii():
            smtp.login(user, password)
        else:
            _login_utf8(smtp, user, password, fail.where)
    except smtplib.SMTPAuthenticationError as exc:
        # Raised without its cause, and quoting only the codes: a server may echo the exchange
        # that carried the password in any shape (cut, split over lines), so none of it travels.
        raise EmailError(
            f"the SMTP server {fail.where} refused the login "
            f"({fail.codes(exc.smtp_code, exc.smtp_error)}): check email.username and "
            "email.password (and the environment variables they name)"
        ) from None
    except smtplib.SMTPNotSupportedError:
        plain = ' before TLS; use email.security = "starttls" or "ssl"'
        raise EmailError(
            f"the SMTP server {fail.where} does not offer a login (AUTH)"
            + (plain if config.security == "none" else "; remove email.username/password")
        ) from None
    except smtplib.SMTPException as exc:
        raise EmailError(
            f"cannot log in to the SMTP server {fail.where}: {fail.quote(str(exc))}"
        ) from None


def _login_utf8(smtp: smtplib.SMTP, user: str, password: str, where: str) -> None:
    """AUTH PLAIN with UTF-8 credentials (RFC 4616), which ``smtplib.login`` cannot send."""
    smtp.ehlo_or_helo_if_needed()
    if not smtp.has_extn("auth"):
        raise smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server.")
    if "PLAIN" not in smtp.esmtp_features["auth"].upper().split():
        raise EmailError(
            f"the SMTP server {where} does not offer AUTH PLAIN, the only way to send a "
            "username or password with non-ASCII characters: use ASCII credentials"
        )
    token = base64.b64encode(f"\0{user}\0{password}".encode()).decode("ascii")
    code, reply = smtp.docmd("AUTH", f"PLAIN {token}")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


class _Failure:
    """Turns what smtplib and the socket layer raise into one clear EmailError."""

    def __init__(self, where: str, security: str, secrets: tuple[str, ...], timeout: float) -> None:
        self.where = where
        self.security = security
        self.secrets = secrets  # longest first: a form inside a longer one goes with it
        self.timeout = timeout

    def scrub(self, text: str) -> str:
        """``text`` with every form of the credentials replaced by ``***``."""
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def quote(self, text: str) -> str:
        """Server text made safe to show: one line without control or bidi characters, the
        credentials scrubbed (after cleaning, so an escape inside a token cannot hide it, and
        before cutting, so a token cut in two cannot survive), at most QUOTE_CHARS long."""
        clean = self.scrub(quoted_line(text))
        return clean if len(clean) <= QUOTE_CHARS else clean[: QUOTE_CHARS - 1] + "…"

    def text(self, code: int, reply: bytes | str) -> str:
        if isinstance(reply, bytes):
            reply = reply.decode("utf-8", "replace")
        return self.quote(f"{code} {reply}")

    def codes(self, code: int, reply: bytes | str) -> str:
        """Only the reply code and its enhanced status code (``535 5.7.8``), no text."""
        if isinstance(reply, bytes):
            reply = reply.decode("utf-8", "replace")
        status = _STATUS.match(reply.lstrip())
        return f"{code} {status.group()}" if status else str(code)

    def __call__(self, exc: BaseException) -> EmailError:
        if isinstance(exc, smtplib.SMTPServerDisconnected) and "timed out" in str(exc):
            exc = TimeoutError(str(exc))  # smtplib reports a read timeout as a disconnect
        for kind, explain in self._explanations():
            if isinstance(exc, kind):  # every piece of server text in it went through quote()
                return EmailError(explain(exc))
        return EmailError(
            f"sending through the SMTP server {self.where} failed: {self.quote(str(exc))}"
        )

    def _explanations(self) -> list[tuple[type[BaseException], Callable[[Any], str]]]:
        where = self.where
        return [
            (
                smtplib.SMTPRecipientsRefused,
                lambda e: (
                    f"the SMTP server {where} refused every recipient ("
                    + "; ".join(f"{a}: {self.text(*r)}" for a, r in e.recipients.items())
                    + "): check email.to"
                ),
            ),
            (
                smtplib.SMTPSenderRefused,
                lambda e: (
                    f"the SMTP server {where} refused the sender {e.sender} "
                    f"({self.text(e.smtp_code, e.smtp_error)}): check email.from (many servers "
                    "accept only the login's own address)"
                ),
            ),
            (
                smtplib.SMTPDataError,
                lambda e: (
                    f"the SMTP server {where} refused the message "
                    f"({self.text(e.smtp_code, e.smtp_error)})"
                ),
            ),
            (
                smtplib.SMTPServerDisconnected,
                lambda e: (
                    f"the SMTP server {where} closed the connection ({self.quote(str(e))})"
                    + self._security_hint()
                ),
            ),
            (
                smtplib.SMTPResponseException,
                lambda e: (
                    f"the SMTP server {where} answered {self.text(e.smtp_code, e.smtp_error)}"
                ),
            ),
            (
                ssl.SSLCertVerificationError,
                lambda e: (
                    f"the TLS certificate of {where} could not be verified "
                    f"({e.verify_message or e.reason}): check that email.smtp_host is the name "
                    "the server's certificate is issued for"
                ),
            ),
            (
                ssl.SSLError,
                lambda e: (
                    f"the TLS handshake with {where} failed ({e.reason or e})"
                    + self._security_hint()
                ),
            ),
            (
                socket.gaierror,
                lambda e: (
                    f"cannot find the SMTP server {where.rpartition(':')[0]!r} "
                    f"({e.strerror or e}): check email.smtp_host"
                ),
            ),
            (
                TimeoutError,
                lambda e: (
                    f"the SMTP server {where} did not answer within {self.timeout:g} s: "
                    f"check email.smtp_host and email.smtp_port ({PORT_HINT})"
                    + self._security_hint()
                ),
            ),
            (
                OSError,
                lambda e: (
                    f"cannot connect to the SMTP server {where} ({e.strerror or e}): "
                    f"check email.smtp_host and email.smtp_port ({PORT_HINT})"
                ),
            ),
        ]

    def _security_hint(self) -> str:
        if self.security == "ssl":
            return (
                "; if the server expects STARTTLS (usually port 587), "
                'set email.security = "starttls"'
            )
        if self.security == "starttls":
            return (
                "; if the server expects TLS from the start (usually port 465), "
                'set email.security = "ssl"'
            )
        return ""
