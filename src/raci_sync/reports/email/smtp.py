"""Sending the weekly email over SMTP: STARTTLS, implicit TLS ("ssl") or plain ("none").

Every failure becomes an EmailError that names the server and says which setting to look at.
The password is only ever handed to ``smtplib.login``; messages are built from server replies
with the password scrubbed out, and an authentication failure is raised without its cause.
"""

from __future__ import annotations

import base64
import smtplib
import socket
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from raci_sync.config import EmailConfig
from raci_sync.errors import ConfigError, EmailError

SECURITY = ("starttls", "ssl", "none")
PORT_HINT = "587 for STARTTLS, 465 for SSL, 25 for a local relay"


def send(
    msg: EmailMessage,
    config: EmailConfig,
    *,
    timeout: float = 30,
    context: ssl.SSLContext | None = None,
) -> dict[str, str]:
    """Send ``msg`` through ``config``'s SMTP server; return refused recipients (address → reply).

    The envelope comes from the message's From and To headers (``build_email`` fills them from
    the config). ``context`` replaces the default TLS context (system CAs, hostname checked).
    Raises ConfigError when the settings are incomplete and EmailError when sending fails;
    when only some recipients are refused the message went to the others, and they are returned.
    """
    _check(msg, config)
    host, port = str(config.smtp_host), config.smtp_port
    where = f"{host}:{port}"
    password = config.password.reveal() if config.password else ""
    fail = _Failure(where, config.security, password, timeout)
    try:
        with _connect(config, timeout, context) as smtp:
            if config.security == "starttls":
                _starttls(smtp, where, context)
            if config.username and config.password:
                _login(smtp, config, fail)
            refused = smtp.send_message(msg)
    except EmailError:
        raise
    except (smtplib.SMTPException, OSError) as exc:
        raise fail(exc) from exc
    return {address: fail.text(code, reply) for address, (code, reply) in refused.items()}


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


def _connect(config: EmailConfig, timeout: float, context: ssl.SSLContext | None) -> smtplib.SMTP:
    host, port = str(config.smtp_host), config.smtp_port
    if config.security == "ssl":
        return smtplib.SMTP_SSL(
            host, port, timeout=timeout, context=context or ssl.create_default_context()
        )
    return smtplib.SMTP(host, port, timeout=timeout)


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
        # raised without its cause: nothing of the exchange that carried the password travels on
        raise EmailError(
            f"the SMTP server {fail.where} refused the login "
            f"({fail.text(exc.smtp_code, exc.smtp_error)}): check email.username and "
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
            f"cannot log in to the SMTP server {fail.where}: {fail.scrub(str(exc))}"
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

    def __init__(self, where: str, security: str, password: str, timeout: float) -> None:
        self.where = where
        self.security = security
        self.password = password
        self.timeout = timeout

    def scrub(self, text: str) -> str:
        return text.replace(self.password, "***") if self.password else text

    def text(self, code: int, reply: bytes | str) -> str:
        if isinstance(reply, bytes):
            reply = reply.decode("utf-8", "replace")
        return self.scrub(" ".join(f"{code} {reply}".split()))

    def __call__(self, exc: BaseException) -> EmailError:
        if isinstance(exc, smtplib.SMTPServerDisconnected) and "timed out" in str(exc):
            exc = TimeoutError(str(exc))  # smtplib reports a read timeout as a disconnect
        for kind, explain in self._explanations():
            if isinstance(exc, kind):
                return EmailError(self.scrub(explain(exc)))
        return EmailError(self.scrub(f"sending through the SMTP server {self.where} failed: {exc}"))

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
                    f"the SMTP server {where} closed the connection ({e})" + self._security_hint()
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
